"""Refusing a request whose Content-Length header is not a length, before anything reads it.

Django trusts the header when it reads a body: `HttpRequest.body` (behind
`request.POST`, so behind the CSRF check of every form post) calls `int()`
on it, so `Content-Length: abc` or `1e3` raised ValueError, a 500, under
runserver and any server that passes the header through (gunicorn refuses
such a request itself). HTTP says a Content-Length is one or more digits
and a message with any other is malformed: 400, answered in one place,
before the first middleware that may read the body.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

MALFORMED_CONTENT_LENGTH = "The Content-Length header must be a whole number of bytes."
# RFC 9110 section 8.6: Content-Length = 1*DIGIT (no sign, exponent, spaces or hex).
_LENGTH = re.compile(r"[0-9]+")
# The JSON API's prefix (config/urls.py): its refusals are JSON, as everywhere in it.
API_PREFIX = "/api/"


class ContentLengthMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH")
        # Absent or empty means no body (what WSGI servers pass for a bodiless request).
        if length and not _LENGTH.fullmatch(length):
            if request.path_info.startswith(API_PREFIX):
                return JsonResponse({"error": MALFORMED_CONTENT_LENGTH}, status=400)
            return HttpResponseBadRequest(MALFORMED_CONTENT_LENGTH, content_type="text/plain")
        return self.get_response(request)
