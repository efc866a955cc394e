from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config import views
from tenancy.forms import AdminEmailAuthenticationForm
from tenancy.views import AdminLoginView

admin.site.site_header = "AI Skills administration"
admin.site.site_title = "AI Skills admin"
admin.site.login_form = AdminEmailAuthenticationForm

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("", include("tenancy.urls")),
    path("skills/", include("skills.urls")),
    path("portfolio/", include("portfolio.urls")),
    path("messages/", include("messaging.urls")),
    path("workshops/", include("workshops.urls")),
    path("crm/", include("crm_artifacts.urls")),
    path("api/", include("crm_artifacts.api_urls")),
    # Before the admin's own URLs: its sign-in answers 429 when locked out and asks
    # for the second factor like the site's (tenancy/views.py AdminLoginView).
    path("admin/login/", AdminLoginView.as_view()),
    path("admin/", admin.site.urls),
]
if settings.LOADTEST_BASELINE:
    urlpatterns.append(path("loadtest/", include("loadtest.urls")))

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
