"""Only the admin site, so the ts admin tests do not depend on other apps' URLs."""

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
