"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path

from dispatch.health import health_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health_view, name="health"),
    path("accounts/", include("users.urls")),
    path("api/", include("dispatch.api_urls")),
    path("reports/", include("reports.urls")),
    path("", include("console.urls")),
]
