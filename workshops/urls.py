from django.urls import path

from workshops import edit_views, views

app_name = "workshops"
step = "<int:pk>/steps/<slug:step_id>/"
ARTIFACT, SUMMARY = {"kind": "artifact"}, {"kind": "summary"}
urlpatterns = [
    path("", views.workshop_index, name="list"),
    path("new/", views.workshop_create, name="new"),
    path("<int:pk>/", views.workshop_detail, name="detail"),
    path(step, views.step_detail, name="step"),
    path(f"{step}messages/", views.step_messages, name="messages"),
    path(f"{step}artifact/", edit_views.step_artifact, name="artifact"),
    path(f"{step}summary/", edit_views.step_summary, name="summary"),
    path(f"{step}status/", views.step_status, name="status"),
    path(f"{step}context/", views.step_context, name="context"),
    # The artifact's and the summary's history: the same two views, told which by `kind`.
    path(f"{step}artifact/history/", edit_views.step_history, ARTIFACT, name="artifact_history"),
    path(f"{step}summary/history/", edit_views.step_history, SUMMARY, name="summary_history"),
    path(
        f"{step}artifact/history/<int:version>/restore/",
        edit_views.step_restore,
        ARTIFACT,
        name="artifact_restore",
    ),
    path(
        f"{step}summary/history/<int:version>/restore/",
        edit_views.step_restore,
        SUMMARY,
        name="summary_restore",
    ),
]
