from __future__ import annotations

from django.urls import path

from crm_artifacts import views

app_name = "crm"
urlpatterns = [
    path("customers/", views.customer_list, name="customers"),
    path("customers/<int:pk>/", views.customer_detail, name="customer"),
    path("customers/<int:pk>/notes/", views.customer_notes, name="notes"),
    path("proposals/", views.proposals, name="proposals"),
    path("artifacts/<int:pk>/accept/", views.artifact_accept, name="accept"),
    path("artifacts/<int:pk>/reject/", views.artifact_reject, name="reject"),
    path("artifacts/<int:pk>/edit/", views.artifact_edit, name="edit"),
    path("batches/<slug:batch_id>/accept/", views.batch_accept, name="batch-accept"),
    path("batches/<slug:batch_id>/reject/", views.batch_reject, name="batch-reject"),
]
