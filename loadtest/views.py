"""The load-test baseline: TechEmpower's "fortunes" shape on our own stack.

`make bench` serves it from the same gunicorn as the real pages and reports
every page's throughput as a ratio to it, so the figures say what the app
costs on top of Django + PostgreSQL rather than how fast the machine is.
Mounted only when settings.LOADTEST_BASELINE is on (config/urls.py).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from loadtest.models import Fortune

# The benchmark's rules: one row added at request time, then all sorted by message.
ADDED_AT_REQUEST_TIME = "Additional fortune added at request time."


@require_GET
def fortunes(request: HttpRequest) -> HttpResponse:
    rows = [(fortune.id, fortune.message) for fortune in Fortune.objects.all()]
    rows.append((0, ADDED_AT_REQUEST_TIME))
    rows.sort(key=lambda row: row[1])
    return render(request, "loadtest/fortunes.html", {"fortunes": rows})
