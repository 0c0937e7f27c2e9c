"""«Проверено» on an e-mail flagged for a check, from the incident page (POST, then back)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from console.views import post_or_back, work_required
from emails.models import EmailMessage
from incidents.email_check import mark_checked
from incidents.models import Actor


@post_or_back("thread")
@work_required
def email_checked(request: HttpRequest, pk: int, email_pk: int) -> HttpResponse:
    """The dispatcher looked at the flagged e-mail: clear the flag (kept in the change log)."""
    get_object_or_404(EmailMessage, pk=email_pk, incident_id=pk)
    if mark_checked(email_pk, pk, actor=Actor.CONSOLE, user=request.user):
        messages.success(request, _("The e-mail is marked as checked."))
    else:
        messages.info(request, _("The e-mail was already checked."))
    return redirect(f"{reverse('console:incident', args=[pk])}#email-{email_pk}-head")
