from django.urls import path

from skills import views

app_name = "skills"
urlpatterns = [
    path("", views.skill_list, name="list"),
    path("new/", views.skill_create, name="new"),
    path("<int:pk>/", views.skill_detail, name="detail"),
    path("<int:pk>/edit/", views.skill_edit, name="edit"),
]
