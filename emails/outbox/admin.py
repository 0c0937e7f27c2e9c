"""Admin for the outbox: what we sent or will send, a way to retry what failed, and the mail
templates (syntax checked on save, variables listed, a preview on a real incident)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from emails.outbox.models import MailTemplate, OutboundEmail
from incidents.compose import audience_recipients, rendered_for_admin
from incidents.links import find_incident
from incidents.mail_templates import VARIABLES, MailTemplateError, check_template
from incidents.models import Incident


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "channel",
        "subject",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "incident",
    )
    list_filter = ("state", "kind", "channel")
    search_fields = ("subject", "message_id", "dedupe_key", "incident__code")
    list_select_related = ("incident",)
    raw_id_fields = ("incident",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "incident",
        "kind",
        "channel",
        "message_id",
        "dedupe_key",
        "to",
        "cc",
        "dropped",
        "subject",
        "body_text",
        "attachments",
        "headers",
        "state",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "last_error",
        "created_at",
    )
    actions = ["retry_now"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Send again now (failed or waiting messages)"))
    def retry_now(self, request, queryset: QuerySet[OutboundEmail]) -> None:
        count = queryset.filter(
            state__in=[OutboundEmail.State.FAILED, OutboundEmail.State.QUEUED]
        ).update(state=OutboundEmail.State.QUEUED, attempts=0, next_attempt_at=timezone.now())
        self.message_user(
            request,
            ngettext("%d message queued again.", "%d messages queued again.", count) % count,
            messages.SUCCESS,
        )


class MailTemplateForm(forms.ModelForm):
    """Subject and body are checked on save: template syntax, and only the listed variables."""

    class Meta:
        model = MailTemplate
        fields = ("key", "name", "audience", "subject", "body", "is_active")

    def _checked(self, name: str) -> str:
        text = self.cleaned_data[name]
        try:
            check_template(text)
        except MailTemplateError as exc:
            raise forms.ValidationError(str(exc)) from None
        return text

    def clean_subject(self) -> str:
        return self._checked("subject")

    def clean_body(self) -> str:
        return self._checked("body")


@admin.register(MailTemplate)
class MailTemplateAdmin(admin.ModelAdmin):
    form = MailTemplateForm
    list_display = ("name", "key", "audience", "is_active", "updated_at")
    list_filter = ("audience", "is_active")
    search_fields = ("name", "key", "subject", "body")
    readonly_fields = ("variables", "preview_link")
    fields = ("key", "name", "audience", "is_active", "subject", "body", "variables")

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "key") if obj else self.readonly_fields

    def get_fields(self, request, obj=None):
        return (*self.fields, "preview_link") if obj else self.fields

    @admin.display(description=_("available variables"))
    def variables(self, obj=None) -> str:
        rows = format_html_join(
            "", "<tr><td><code>{{{{ {} }}}}</code></td><td>{}</td></tr>", VARIABLES
        )
        return format_html(
            '<table class="mail-variables">{}</table><p>{}</p>',
            rows,
            _(
                "Django template syntax: {{ variable }}, {% if %}, {% for %}, filters such as "
                '|default:"…". Nothing else is reachable; the text is sent as plain text.'
            ),
        )

    @admin.display(description=_("preview"))
    def preview_link(self, obj: MailTemplate) -> str:
        url = reverse("admin:outbox_mailtemplate_preview", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Preview on a real incident"))

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [
            path("<int:pk>/preview/", preview, name="outbox_mailtemplate_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The saved template rendered on the incident chosen by code or number."""
        template = get_object_or_404(MailTemplate, pk=pk)
        if not self.has_view_permission(request, template):
            raise PermissionDenied
        reference = request.GET.get("incident", "")[:64].strip()
        incident = find_incident(reference) if reference else None
        if incident is None and not reference:
            incident = Incident.objects.order_by("-incident_date", "-id").first()
        rendered, error = None, ""
        if incident is None:
            error = _("No such incident.") if reference else _("There are no incidents yet.")
        else:
            try:
                rendered = rendered_for_admin(template, incident)
            except MailTemplateError as exc:
                error = str(exc)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": template,
            "title": _("Preview: %(name)s") % {"name": template.name},
            "incident": incident,
            "reference": reference or (str(incident) if incident else ""),
            "rendered": rendered,
            "error": error,
            "recipients": audience_recipients(incident, template.audience) if incident else None,
        }
        return TemplateResponse(request, "admin/outbox/mailtemplate/preview.html", context)
