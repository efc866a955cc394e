from django.urls import path

from workshops import views

app_name = "workshops"
step = "<int:pk>/steps/<slug:step_id>/"
urlpatterns = [
    path("", views.workshop_index, name="list"),
    path("new/", views.workshop_create, name="new"),
    path("<int:pk>/", views.workshop_detail, name="detail"),
    path("<int:pk>/participants/", views.participants, name="participants"),
    path("<int:pk>/export.md", views.workshop_export, name="export"),
    path(step, views.step_detail, name="step"),
    path(f"{step}messages/", views.step_messages, name="messages"),
    path(f"{step}artifact/", views.step_artifact, name="artifact"),
    path(f"{step}summary/", views.step_summary, name="summary"),
    path(f"{step}status/", views.step_status, name="status"),
    path(f"{step}context/", views.step_context, name="context"),
    path(f"{step}changes/", views.step_changes, name="changes"),
]
