"""The admin site under the product's name, with the sign-ups waiting for approval on its index."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class DispatchAdminSite(admin.AdminSite):
    site_header = _("DISPATCH administration")
    site_title = "DISPATCH"
    index_title = _("Administration")

    def index(self, request, extra_context=None):
        """The index also counts the accounts waiting for approval and links to them."""
        from users.selectors import awaiting_approval

        context = {"awaiting_approval": awaiting_approval().count(), **(extra_context or {})}
        return super().index(request, extra_context=context)


class DispatchAdminConfig(AdminConfig):
    """``django.contrib.admin`` with :class:`DispatchAdminSite` as ``admin.site``."""

    default_site = "dispatch.admin_site.DispatchAdminSite"
