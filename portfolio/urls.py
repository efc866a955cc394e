from django.urls import path

from portfolio import profile_views, views

app_name = "portfolio"
urlpatterns = [
    path("", views.artifact_list, name="list"),
    path("new/", views.artifact_create, name="new"),
    path("upload/", views.artifacts_upload, name="upload"),
    path("delete-selected/", views.artifacts_delete_selected, name="delete_selected"),
    path("export.json", views.artifact_export, name="export"),
    path("export.csv", views.artifact_export_csv, name="export_csv"),
    path("<uuid:pk>/", views.artifact_detail, name="detail"),
    path("<uuid:pk>/edit/", views.artifact_edit, name="edit"),
    path("<uuid:pk>/delete/", views.artifact_delete, name="delete"),
    path(
        "<uuid:pk>/suggestions/<int:skill_id>/dismiss/",
        views.suggestion_dismiss,
        name="dismiss_suggestion",
    ),
]
urlpatterns += [
    path("profile/", profile_views.profile, name="profile"),
    path("profile/confirm/", profile_views.profile_confirm, name="profile_confirm"),
    path("profile/<int:pk>/", profile_views.profile_skill_change, name="profile_skill"),
    path("shares/", profile_views.shares, name="shares"),
    path("shares/<int:pk>/revoke/", profile_views.share_revoke, name="share_revoke"),
    # For people who are not signed in: see profile_views.shared.
    path("shared/<str:token>/", profile_views.shared, name="shared"),
]
