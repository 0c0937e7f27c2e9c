"""«New e-mail» from the incident page: choose a template → edit → preview → send (no JS needed).

GET ``?template=<key>`` pre-fills the form; POST ``action=preview`` shows the message exactly as
it will be sent; POST ``action=send`` queues it in the outbox and redirects to the incident
(post/redirect/get); ``action=edit`` goes back to the form with the text as it was.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from console import selectors
from console.compose_forms import ComposeForm
from console.views import work_required
from incidents import compose
from incidents.models import Incident


def _page(request: HttpRequest, incident: Incident, form: ComposeForm, **extra) -> HttpResponse:
    status = extra.pop("status", 200)
    context = {
        "incident": incident,
        "form": form,
        "templates": compose.templates(),
        "sender": settings.DEFAULT_FROM_EMAIL,
        **extra,
    }
    return render(request, "console/compose.html", context, status=status)


def _prefilled(request: HttpRequest, incident: Incident) -> ComposeForm:
    key = request.GET.get("template", "")
    initial: dict[str, object] = {"token": compose.new_token()}
    if key:
        template = compose.templates().filter(key=key[:64]).first()
        if template is None:
            messages.error(request, _("No such mail template."))
        else:
            try:
                filled = compose.prefill(incident, template, user=request.user)
            except compose.ComposeError as exc:
                messages.error(request, str(exc))
            else:
                initial.update(
                    template=template.key,
                    to=", ".join(filled.to),
                    cc=", ".join(filled.cc),
                    subject=filled.subject,
                    body=filled.body,
                )
    return ComposeForm(initial=initial, incident=incident)


@require_http_methods(["GET", "POST"])
@work_required
def compose_email(request: HttpRequest, pk: int) -> HttpResponse:
    """The compose page of one incident (dispatchers and admins)."""
    incident = selectors.incident_for_page(pk)
    if request.method != "POST":
        return _page(request, incident, _prefilled(request, incident))
    form = ComposeForm(request.POST, incident=incident)
    action = request.POST.get("action", "preview")
    if action == "edit" or not form.is_valid():
        if action != "edit":
            messages.error(request, _("The e-mail was not sent: check the fields below."))
        return _page(request, incident, form, status=200 if action == "edit" else 422)
    if action != "send":
        return _page(request, incident, form, letter=form.letter, preview=True)
    try:
        outbound = compose.queue_letter(
            incident, form.letter, token=form.cleaned_data["token"] or ""
        )
    except compose.ComposeError as exc:
        messages.error(request, str(exc))
        return redirect(f"{reverse('console:incident', args=[pk])}#thread")
    messages.success(
        request,
        _("The e-mail to %(to)s is queued for sending.")
        % {"to": ", ".join([*outbound.to, *outbound.cc])},
    )
    return redirect(f"{reverse('console:incident', args=[pk])}#thread")
