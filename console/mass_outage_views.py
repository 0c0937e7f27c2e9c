"""The incident page's mass-outage section: open incidents on the same object shown as related,
grouped under this incident (one contractor card for the group), the group dissolved or left.
Thin views over ``incidents.mass_outage``; each answers with a redirect back to the section."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from console import selectors
from incidents import mass_outage
from incidents.links import LinkError
from incidents.models import Actor, Incident, IncidentLink, LinkKind
from users.permissions import INCIDENT_ROLES, role_required

work_required = role_required(*INCIDENT_ROLES)
SECTION = "mass-outage"


def mass_outage_context(incident: Incident, links: list[IncidentLink]) -> dict:
    """What the section shows: the group the incident leads or is in, and the related open
    incidents not in it. ``links`` are the incident's links as the page lists them
    (``selectors.incident_links``): the parent comes from them, and the members are looked up
    only when there is a «parent of» link (one query, two with a group)."""
    parent = next((link.other for link in links if link.kind == LinkKind.SUBTASK_OF), None)
    leads = parent is None and any(link.kind == LinkKind.PARENT_OF for link in links)
    members = mass_outage.children(incident) if leads else []
    grouped = {member.pk for member in members} | {parent.pk if parent else None}
    related = [
        r for r in mass_outage.related_open(incident, brief=True) if r.incident.pk not in grouped
    ]
    return {
        "parent": parent,
        "members": members,
        "related": related,
        "can_group": parent is None and any(r.parent_id is None for r in related),
    }


def _back(pk: int) -> HttpResponse:
    return redirect(f"{reverse('console:incident', args=[pk])}#{SECTION}")


@require_POST
@work_required
def group(request: HttpRequest, pk: int) -> HttpResponse:
    """Group the related incidents ticked on the page under this incident."""
    incident = selectors.incident_for_page(pk)
    offered = {r.incident.pk: r.incident for r in mass_outage.related_open(incident)}
    wanted = [offered[i] for i in _ids(request.POST.getlist("members")) if i in offered]
    if not wanted:
        messages.error(request, _("Tick the related incidents to group."))
        return _back(pk)
    try:
        added = mass_outage.group_incidents(
            incident, wanted, actor=Actor.CONSOLE, user=request.user
        )
    except LinkError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            ngettext(
                "%(count)d incident grouped under this one.",
                "%(count)d incidents grouped under this one.",
                len(added),
            )
            % {"count": len(added)},
        )
    return _back(pk)


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values[:100] if v.isascii() and v.isdigit() and len(v) < 19]


@require_POST
@work_required
def ungroup(request: HttpRequest, pk: int) -> HttpResponse:
    """Dissolve the group this incident leads (its subtasks become separate again)."""
    incident = selectors.incident_for_page(pk)
    if mass_outage.ungroup(incident, actor=Actor.CONSOLE, user=request.user):
        messages.success(request, _("The group was dissolved."))
    else:
        messages.info(request, _("Nothing changed."))
    return _back(pk)


@require_POST
@work_required
def leave_group(request: HttpRequest, pk: int) -> HttpResponse:
    """Take this incident out of its group."""
    incident = selectors.incident_for_page(pk)
    if mass_outage.leave_group(incident, actor=Actor.CONSOLE, user=request.user):
        messages.success(request, _("The incident left the group."))
    else:
        messages.info(request, _("Nothing changed."))
    return _back(pk)
