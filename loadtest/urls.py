from __future__ import annotations

from django.urls import path

from loadtest import views

app_name = "loadtest"
urlpatterns = [
    path("fortunes/", views.fortunes, name="fortunes"),
]
