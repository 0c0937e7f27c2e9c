"""The REST API (``/api/v1/``) and its OpenAPI description (``/api/schema/``)."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from dispatch.api.docs import RedocView, SwaggerView
from dispatch.api.errors import api_not_found

app_name = "api"

v1 = [
    path("", include("incidents.api.urls")),
    path("", include("ts.api.urls")),
    path("", include("users.api.urls")),
    path("", include("reports.api.urls")),
    re_path(r"^.*$", api_not_found),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("schema/swagger-ui/", SwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("schema/redoc/", RedocView.as_view(url_name="api:schema"), name="redoc"),
    re_path(r"^.*$", api_not_found),
]
