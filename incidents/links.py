"""Links between incidents (related, duplicate, parent–subtask, blocks–depends on).

Every link is stored on both sides (the other side holds the inverse kind), written and removed
together with both incidents' rows locked, and recorded in both incidents' change logs.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import INVERSE_LINK, Incident, IncidentLink, LinkKind
from incidents.services import lock_incidents, log_changes, mark_first_action

MAX_PARENT_DEPTH = 50  # a parent chain longer than this is refused rather than walked further


class LinkError(ValueError):
    """A link that cannot be made or removed; the message says why (shown to the person)."""


def _described(kind: str, other: Incident) -> str:
    """How a link reads in the change log: «дубликат DSP-5»."""
    return f"{LinkKind(kind).label} {other}"


def _lock_pair(first: Incident, second: Incident) -> tuple[Incident, Incident]:
    """Both incidents' rows, locked in id order (two linkers never wait on each other)."""
    locked = lock_incidents(first.pk, second.pk)
    return locked[first.pk], locked[second.pk]


def _parent_of(pk: int) -> int | None:
    return (
        IncidentLink.objects.filter(incident_id=pk, kind=LinkKind.SUBTASK_OF)
        .values_list("other_id", flat=True)
        .first()
    )


def _check_parent(child: Incident, parent: Incident) -> None:
    """One parent per incident, and no incident its own ancestor."""
    if _parent_of(child.pk) is not None:
        raise LinkError(_("%(incident)s already has a parent incident.") % {"incident": child})
    ancestor, depth = parent.pk, 0
    while ancestor is not None:
        if ancestor == child.pk or depth > MAX_PARENT_DEPTH:
            raise LinkError(
                _("%(parent)s is a subtask of %(child)s; the link would make a loop.")
                % {"parent": parent, "child": child}
            )
        ancestor, depth = _parent_of(ancestor), depth + 1


def check_kind(incident: Incident, other: Incident, kind: str) -> str:
    """A known kind between two different incidents (:class:`LinkError` otherwise)."""
    if kind not in LinkKind.values:
        raise LinkError(_("Unknown kind of link."))
    if incident.pk == other.pk:
        raise LinkError(_("An incident cannot be linked to itself."))
    return kind


def check_link(incident: Incident, other: Incident, kind: str) -> None:
    """Refuse (:class:`LinkError`) a link that cannot be made: a self-link, an existing link
    between the two, a second parent or a loop of subtasks. Run again under the locks."""
    check_kind(incident, other, kind)
    existing = IncidentLink.objects.filter(incident=incident, other=other).first()
    if existing is not None:
        raise LinkError(
            _("%(incident)s is already linked to %(other)s (%(kind)s).")
            % {"incident": incident, "other": other, "kind": existing.get_kind_display()}
        )
    if kind == LinkKind.SUBTASK_OF:
        _check_parent(incident, other)
    elif kind == LinkKind.PARENT_OF:
        _check_parent(other, incident)


def link_incidents(
    incident: Incident, other: Incident, kind: str, *, actor: str, user=None
) -> IncidentLink:
    """Link ``incident`` to ``other`` as ``kind`` (read from ``incident``'s side), mirrored on
    ``other``; raises :class:`LinkError` for a self-link, an existing link between the two, a
    second parent or a loop of subtasks."""
    inverse = INVERSE_LINK[LinkKind(check_kind(incident, other, kind))]
    with transaction.atomic():
        mine, theirs = _lock_pair(incident, other)
        check_link(mine, theirs, kind)
        link, _mirror = IncidentLink.objects.bulk_create(
            [
                IncidentLink(incident=mine, other=theirs, kind=kind),
                IncidentLink(incident=theirs, other=mine, kind=inverse),
            ]
        )
        if user is not None:
            mark_first_action(mine, timezone.now())
        log_changes(mine, [("link", "", _described(kind, theirs))], actor=actor, user=user)
        log_changes(theirs, [("link", "", _described(inverse, mine))], actor=actor, user=user)
        _touch(mine, theirs)
    return link


def unlink_incidents(incident: Incident, other: Incident, *, actor: str, user=None) -> bool:
    """Remove the link between the two incidents (both sides); False if there was none."""
    with transaction.atomic():
        mine, theirs = _lock_pair(incident, other)
        rows = {
            row.incident_id: row
            for row in IncidentLink.objects.filter(
                incident__in=[mine, theirs], other__in=[mine, theirs]
            )
        }
        if not rows:
            return False
        IncidentLink.objects.filter(pk__in=[row.pk for row in rows.values()]).delete()
        for side, opposite in ((mine, theirs), (theirs, mine)):
            row = rows.get(side.pk)
            if row is not None:
                entry = ("link", _described(row.kind, opposite), "")
                log_changes(side, [entry], actor=actor, user=user)
        _touch(mine, theirs)
    return True


def _touch(*incidents: Incident) -> None:
    """Both incidents changed (the live queue and the tracker push look at ``updated_at``)."""
    Incident.objects.filter(pk__in=[i.pk for i in incidents]).update(updated_at=timezone.now())


def find_incident(reference: str) -> Incident | None:
    """An incident by its code (any case) or its number («123», «№123»); None if unknown."""
    text = " ".join((reference or "").split()).lstrip("№#").strip()
    if not text or len(text) > 32:
        return None
    found = Incident.objects.filter(code__in={text, text.upper()}).first()
    if found is None and text.isascii() and text.isdigit() and int(text) < 2**63:
        found = Incident.objects.filter(pk=int(text)).first()
    return found
