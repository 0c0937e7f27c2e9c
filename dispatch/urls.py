"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("users.urls")),
    path("api/", include("dispatch.api_urls")),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
