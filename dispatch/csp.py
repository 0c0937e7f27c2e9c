"""Content-Security-Policy for every response of the app.

Only our own origin may supply scripts, styles, fonts, images and connections; nothing may
frame us, no plugins, no ``<base>`` tricks, forms post only to us. The nginx gateway sends the
same policy on what it serves itself and passes the app's on everything else
(``gateway/nginx.conf``; ``dispatch/tests/test_csp.py`` keeps the two equal). A view that needs
a looser policy sets the header itself (the API's Redoc page: ``REDOC_POLICY``).
"""

from __future__ import annotations

from django.utils.deprecation import MiddlewareMixin

HEADER = "Content-Security-Policy"

DIRECTIVES: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def build_policy(**overrides: str) -> str:
    """The policy text; ``overrides`` replace or add directives (``style_src="…"``)."""
    directives = {**DIRECTIVES, **{k.replace("_", "-"): v for k, v in overrides.items()}}
    return "; ".join(f"{name} {value}" for name, value in directives.items())


POLICY = build_policy()
# Redoc renders with styled-components (it injects <style> elements) and searches in a worker
# it starts from a blob: URL. Scripts still come only from us.
REDOC_POLICY = build_policy(style_src="'self' 'unsafe-inline'", worker_src="'self' blob:")


class ContentSecurityPolicyMiddleware(MiddlewareMixin):
    """Adds ``POLICY`` to every response that has no policy of its own."""

    def process_response(self, request, response):
        if HEADER not in response:
            response[HEADER] = POLICY
        return response
