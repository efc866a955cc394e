"""The JSON API, included at /api/ (see crm_artifacts/openapi.json)."""

from __future__ import annotations

from django.urls import path, re_path

from crm_artifacts import api

urlpatterns = [
    path("openapi.json", api.openapi, name="crm-api-openapi"),
    # A trailing slash is accepted too: a JSON client should not get an HTML 404 for it.
    re_path(
        r"^customers/(?P<customer_id>[^/]+)/artifacts/?$",
        api.customer_artifacts,
        name="crm-api-customer-artifacts",
    ),
    re_path(
        r"^customers/(?P<customer_id>[^/]+)/proposals/?$",
        api.customer_proposals,
        name="crm-api-customer-proposals",
    ),
    re_path(
        r"^artifacts/(?P<artifact_id>[^/]+)/respond/?$",
        api.artifact_respond,
        name="crm-api-artifact-respond",
    ),
    re_path(r"^artifacts/(?P<artifact_id>[^/]+)/?$", api.artifact_detail, name="crm-api-artifact"),
]
