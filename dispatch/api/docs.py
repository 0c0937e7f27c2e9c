"""The API documentation pages, served entirely from our own static files (the
drf-spectacular-sidecar copies of Swagger UI and Redoc): no CDN, no web fonts, no inline
scripts, so they run under the app's Content-Security-Policy."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

from dispatch.csp import HEADER, REDOC_POLICY


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI; its start-up script is a separate same-origin request (``?script``)."""

    template_name = "api/swagger_ui.html"


class RedocView(SpectacularRedocView):
    """Redoc, with the one relaxation it needs (see ``dispatch.csp.REDOC_POLICY``)."""

    template_name = "api/redoc.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response[HEADER] = REDOC_POLICY
        return response
