"""Console pages for moving e-mails and merging incidents: the incident page's forms lead to a
confirmation page (GET, nothing changes), whose button does it (POST, then back to the page)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from console import selectors
from console.move_forms import MergeForm, MoveEmailForm
from emails.models import EmailMessage
from incidents import moves
from incidents.models import IncidentMove, IncidentStatusHistory
from users.permissions import INCIDENT_ROLES, role_required

CONSOLE = IncidentStatusHistory.Actor.CONSOLE
work_required = role_required(*INCIDENT_ROLES)


def _to_history(pk: int) -> HttpResponse:
    return redirect(f"{reverse('console:incident', args=[pk])}#changes")


def _form_errors(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


@require_http_methods(["GET", "POST"])
@work_required
def move_email(request: HttpRequest, pk: int, email_pk: int) -> HttpResponse:
    """GET: what would move where, with the button; POST: move it and go back to the page."""
    email = get_object_or_404(EmailMessage.objects.select_related("incident"), pk=email_pk)
    if email.incident_id != pk:  # moved meanwhile (a second click, another dispatcher)
        messages.info(
            request,
            _("The e-mail is no longer in this incident: it is in %(incident)s.")
            % {"incident": email.incident or "—"},
        )
        return _to_history(pk)
    form = MoveEmailForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        messages.error(
            request, _("The e-mail was not moved: %(why)s") % {"why": _form_errors(form)}
        )
        return redirect(f"{reverse('console:incident', args=[pk])}#email-{email_pk}-head")
    target, with_replies = form.cleaned_data["target"], form.cleaned_data["with_replies"]
    if request.method == "GET":
        emails = moves.thread_from(email) if with_replies else [email]
        context = {"incident": selectors.incident_for_page(pk), "emails": emails,
                   "target": target, "form": form, "email": email}  # fmt: skip
        return render(request, "console/move_confirm.html", context)
    try:
        move = moves.move_emails(
            email, target, with_replies=with_replies, actor=CONSOLE, user=request.user
        )
    except moves.MoveError as exc:
        messages.error(request, str(exc))
        return _to_history(pk)
    count = len(move.email_ids)
    moved = ngettext(
        "%(count)s e-mail moved to %(incident)s.", "%(count)s e-mails moved to %(incident)s.", count
    )
    messages.success(request, moved % {"count": count, "incident": move.target})
    return _to_history(pk)


@require_http_methods(["GET", "POST"])
@work_required
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation of merging this incident into another; POST: merge."""
    incident = selectors.incident_for_page(pk)
    form = MergeForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        messages.error(
            request, _("The incidents were not merged: %(why)s") % {"why": _form_errors(form)}
        )
        return redirect(f"{reverse('console:incident', args=[pk])}#merge")
    target = form.cleaned_data["target"]
    if request.method == "GET":
        context = {"incident": incident, "target": target, "form": form,
                   "emails": list(incident.emails.order_by("sent_at", "pk"))}  # fmt: skip
        return render(request, "console/merge_confirm.html", context)
    try:
        moves.merge_incidents(incident, target, actor=CONSOLE, user=request.user)
    except moves.MoveError as exc:
        messages.error(request, str(exc))
        return _to_history(pk)
    messages.success(
        request,
        _("%(incident)s is merged into %(target)s.") % {"incident": incident, "target": target},
    )
    return _to_history(target.pk)


@require_POST
@work_required
def undo(request: HttpRequest, pk: int, move_pk: int) -> HttpResponse:
    """Undo a move or merge recorded in this incident's change log."""
    mine = IncidentMove.objects.filter(Q(source_id=pk) | Q(target_id=pk))
    move = get_object_or_404(mine, pk=move_pk)
    try:
        moves.undo_move(move, actor=CONSOLE, user=request.user)
    except moves.MoveError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Undone."))
    return _to_history(pk)
