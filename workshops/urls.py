# Placeholder until the workshops issue lands: every URL shows "not available yet".
from django.urls import path, re_path

from config.views import not_available

app_name = "workshops"
urlpatterns = [
    path("", not_available, {"area": "Workshops"}, name="list"),
    re_path(r"^.+$", not_available, {"area": "Workshops"}),
]
