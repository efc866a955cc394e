# Placeholder until the messaging issue lands: every URL shows "not available yet".
from django.urls import path, re_path

from config.views import not_available

app_name = "messaging"
urlpatterns = [
    path("", not_available, {"area": "Messages"}, name="inbox"),
    re_path(r"^.+$", not_available, {"area": "Messages"}),
]
