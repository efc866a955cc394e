from django.urls import path

from messaging.views import skill_propose
from skills import views

app_name = "skills"
urlpatterns = [
    path("", views.skill_list, name="list"),
    path("new/", views.skill_create, name="new"),
    path("coverage/", views.skill_coverage_page, name="coverage"),
    path("<int:pk>/", views.skill_detail, name="detail"),
    path("<int:pk>/edit/", views.skill_edit, name="edit"),
    path("<int:pk>/propose/", skill_propose, name="propose"),  # a message to the author
]
