"""The Content-Security-Policy on the pages (issue 8; the policy itself is CONTENT_SECURITY_POLICY in
settings.py)."""

from __future__ import annotations

from csp.middleware import CSPMiddleware
from django.http import HttpRequest, HttpResponseBase


class PageCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, for HTML answers only: the policy is about what a page may run and load.
    A PDF shown in the browser (the archive registry) is drawn by the browser's own viewer, which the
    pages' policy (``object-src 'none'``, ``style-src 'self'``) would break; spreadsheets and JSON run
    nothing; uploaded files carry a sandbox policy of their own (journal/downloads.py)."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)
