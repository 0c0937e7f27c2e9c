"""Console mail pages: the searchable e-mail list, the quarantine (retry, release as a new
incident), the original ``.eml`` of a message and an incident's attachments as one zip."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from console.downloads import private
from console.mail_forms import MailFilterForm
from emails import quarantine as quarantine_actions
from emails import selectors
from emails.archive import stream_zip, unique_names
from emails.models import QuarantinedEmail
from incidents.models import Incident
from users.permissions import INCIDENT_ROLES, role_required

MAIL_PAGE_SIZE = 50

work_required = role_required(*INCIDENT_ROLES)


@require_GET
@role_required()
def mail_list(request: HttpRequest) -> HttpResponse:
    """Every stored e-mail, searchable and filtered, newest first."""
    form = MailFilterForm(request.GET or None)
    page = Paginator(selectors.mail_list(form.filters()), MAIL_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "console/mail.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@require_GET
@role_required()
def email_eml(request: HttpRequest, pk: int) -> HttpResponse:
    """The message exactly as the mailbox held it, as a ``.eml`` file."""
    _email, raw = selectors.raw_message(pk)
    response = HttpResponse(raw, content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="email-{pk}.eml"'
    return private(response)


@require_GET
@role_required()
def incident_attachments_zip(request: HttpRequest, pk: int) -> HttpResponse:
    """All stored attachments of the incident as one zip, streamed; refused above the cap."""
    incident = get_object_or_404(Incident.objects.only("pk", "code"), pk=pk)
    attachments = selectors.stored_attachments(incident.pk)
    total = sum(a.size for a in attachments)
    if total > settings.ATTACHMENTS_ZIP_MAX_BYTES:
        messages.error(
            request,
            _("The attachments take %(size)s, more than one archive may hold (%(limit)s).")
            % {
                "size": filesizeformat(total),
                "limit": filesizeformat(settings.ATTACHMENTS_ZIP_MAX_BYTES),
            },
        )
        return redirect("console:incident", pk=pk)
    names = unique_names(a.offered_name for a in attachments)
    files = [
        (name, a.email.sent_at, a.file.open) for name, a in zip(names, attachments, strict=True)
    ]
    response = StreamingHttpResponse(stream_zip(files), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{incident}-attachments.zip"'
    return private(response)


@require_GET
@work_required
def quarantine(request: HttpRequest) -> HttpResponse:
    """Messages that could not be ingested, with the reason, to retry or release."""
    page = Paginator(selectors.quarantine(), MAIL_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "console/quarantine.html", {"page": page})


@require_GET
@work_required
def quarantined_eml(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(QuarantinedEmail, pk=pk)
    response = HttpResponse(bytes(row.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="quarantine-{pk}.eml"'
    return private(response)


@require_POST
@work_required
def quarantine_retry(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(
        QuarantinedEmail.objects.select_related("folder"), pk=pk, resolved_at__isnull=True
    )
    try:
        stored = quarantine_actions.retry(row)
    except quarantine_actions.QuarantineError as exc:
        messages.error(request, str(exc))
    else:
        if stored:
            messages.success(request, _("The message was ingested."))
        else:
            row.refresh_from_db(fields=["error"])
            messages.error(request, _("It failed again: %(error)s") % {"error": row.error})
    return redirect("console:quarantine")


@require_POST
@work_required
def quarantine_release(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        incident = quarantine_actions.release(pk, user=request.user)
    except quarantine_actions.QuarantineError as exc:
        messages.error(request, str(exc))
        return redirect("console:quarantine")
    messages.success(
        request, _("Incident %(code)s is opened from the message.") % {"code": incident}
    )
    return redirect("console:incident", pk=incident.pk)
