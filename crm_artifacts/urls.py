from __future__ import annotations

from django.urls import path

from crm_artifacts import views

app_name = "crm"
urlpatterns = [
    path("customers/", views.customer_list, name="customers"),
    path("customers/<int:pk>/", views.customer_detail, name="customer"),
    path("customers/<int:pk>/notes/", views.customer_notes, name="notes"),
    path("proposals/", views.proposals, name="proposals"),
    # The specification's URLs ("artifacts"), all deciding through one view and service.
    path("artifacts/<int:pk>/accept/", views.proposal_decision, {"decision": "accept"}, "accept"),
    path("artifacts/<int:pk>/reject/", views.proposal_decision, {"decision": "reject"}, "reject"),
    path("artifacts/<int:pk>/edit/", views.proposal_decision, {"decision": "edit"}, "edit"),
    path("artifacts/<int:pk>/revert/", views.proposal_decision, {"decision": "revert"}, "revert"),
    path(
        "batches/<slug:batch_id>/accept/",
        views.batch_decision,
        {"decision": "accept"},
        "batch-accept",
    ),
    path("batches/<slug:batch_id>/selected/", views.batch_decision, name="batch-selected"),
    path("batches/<slug:batch_id>/confirm/", views.batch_confirm, name="batch-confirm"),
    path("batches/<slug:batch_id>/undo/", views.batch_undo, name="batch-undo"),
    path("nav/", views.nav_item, name="nav"),
    path("follow-ups/<int:pk>/done/", views.follow_up_close, {"outcome": "done"}, "follow-up-done"),
    path(
        "follow-ups/<int:pk>/dismiss/",
        views.follow_up_close,
        {"outcome": "dismiss"},
        "follow-up-dismiss",
    ),
    path("api-tokens/", views.api_tokens, name="api-tokens"),
    path("api-tokens/<int:pk>/revoke/", views.api_token_revoke, name="api-token-revoke"),
    path("artifacts/<int:pk>/respond/", views.proposal_respond, name="respond"),
    path(
        "batches/<slug:batch_id>/reject/",
        views.batch_decision,
        {"decision": "reject"},
        "batch-reject",
    ),
    path("insights/", views.insights, name="insights"),
]
