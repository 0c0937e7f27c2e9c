"""Headers of every download of stored mail content (hostile by nature)."""

from __future__ import annotations

from django.http import HttpResponseBase


def private(response: HttpResponseBase) -> HttpResponseBase:
    """Never sniffed, rendered as a page, or cached by anyone but the user's browser."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
