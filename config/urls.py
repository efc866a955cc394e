from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config import views
from tenancy.forms import AdminEmailAuthenticationForm
from tenancy.views import LoginView, admin_login

admin.site.site_header = "AI Skills administration"
admin.site.site_title = "AI Skills admin"
admin.site.login_form = AdminEmailAuthenticationForm

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("skills/", include("skills.urls")),
    path("portfolio/", include("portfolio.urls")),
    path("messages/", include("messaging.urls")),
    path("workshops/", include("workshops.urls")),
    path("crm/", include("crm_artifacts.urls")),
    path("api/", include("crm_artifacts.api_urls")),
    # Before the admin's own URLs: its sign-in answers 429 when locked out.
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
]
if settings.LOADTEST_BASELINE:
    urlpatterns.append(path("loadtest/", include("loadtest.urls")))

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
