# Placeholder until the CRM issue lands: every URL shows "not available yet".
from django.urls import path, re_path

from config.views import not_available

app_name = "crm"
urlpatterns = [
    path("customers/", not_available, {"area": "CRM"}, name="customers"),
    path("proposals/", not_available, {"area": "CRM"}, name="proposals"),
    re_path(r"^.+$", not_available, {"area": "CRM"}),
]
