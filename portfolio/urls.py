# Placeholder until the portfolio issue lands: every URL shows "not available yet".
from django.urls import path, re_path

from config.views import not_available

app_name = "portfolio"
urlpatterns = [
    path("", not_available, {"area": "Portfolio"}, name="list"),
    re_path(r"^.+$", not_available, {"area": "Portfolio"}),
]
