"""Mass outages: several requesters report one object; the desk groups their incidents.

* **Related** (:func:`related_open`): the open incidents on the same pole or base station as an
  incident, and — ``MASS_OUTAGE_AREA`` — those on poles of the same address (or region) that
  arrived within ``MASS_OUTAGE_WINDOW_MINUTES`` of it.
* **Grouping** (:func:`group_incidents`, :func:`ungroup`, :func:`leave_group`): the children are
  linked to the parent as subtasks (``links.link_incidents``; every step in both incidents'
  change logs), and unlinked to undo it. A parent is not itself a subtask, a child has no
  subtasks of its own.
* **One contractor card**: a subtask's contractor card is its parent's (the workflow refuses
  «Передать подрядчику» on a subtask); the parent's card lists the whole group.
* **The parent leads** (:func:`follow_parent`, the rule in ``FOLLOWED``): when the parent enters
  one of these statuses, each open subtask follows if the workflow allows the step from where it
  is — so each requester gets their own «accepted» / «closed» notice; once the group's card is
  delivered, the open subtasks are «Передано подрядчику» too. Other statuses («Ошибка», «Ждем
  подтверждения», the contractor request itself) stay with the incident they were set on.
"""

from __future__ import annotations

import functools
import logging
import operator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import models, router, transaction
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from dispatch.statements import CompiledQuery
from incidents.links import LinkError, link_incidents, unlink_incidents
from incidents.models import Incident, IncidentLink, IncidentStatus, LinkKind, StatusKey

logger = logging.getLogger(__name__)

MAX_RELATED = 50
FOLLOWED = frozenset(
    {
        StatusKey.IN_PROGRESS,
        StatusKey.NOTIFY_OPERATOR,
        StatusKey.ON_GENERATION,
        StatusKey.NOTIFY_CLOSED,
        StatusKey.CLOSED,
    }
)


class GroupError(LinkError):
    """A grouping that cannot be made; the message says why."""


@dataclass
class Related:
    incident: Incident
    reason: str  # "pole", "base_station", "address", "region"
    parent_id: int | None


def parent_id(incident: Incident) -> int | None:
    return (
        IncidentLink.objects.filter(incident=incident, kind=LinkKind.SUBTASK_OF)
        .values_list("other_id", flat=True)
        .first()
    )


def children(incident: Incident) -> list[Incident]:
    """The subtasks of ``incident``, oldest first, with their status (one query)."""
    ids = IncidentLink.objects.filter(incident=incident, kind=LinkKind.PARENT_OF).values("other")
    return list(
        Incident.objects.filter(pk__in=ids)
        .select_related("status", "pole", "base_station")
        .order_by("incident_date", "pk")
    )


def _site(incident: Incident):
    if incident.pole_id:
        return incident.pole
    return incident.base_station.pole if incident.base_station_id else None


# What a page listing related incidents shows of each (``related_open(…, brief=True)``).
BRIEF_COLUMNS = (
    "id",
    "code",
    "requester_email",
    "incident_date",
    "pole_id",
    "base_station_id",
    "status__id",
    "status__key",
    "status__name",
)


def related_open(incident: Incident, *, brief: bool = False) -> list[Related]:
    """Open incidents on the same object as ``incident`` (not itself), oldest first, with why
    and the parent each already has (one query). ``brief``: only ``BRIEF_COLUMNS`` are read
    (for display; not for saving), by a statement compiled once per shape (``_BRIEF``)."""
    pole = _site(incident)
    area = settings.MASS_OUTAGE_AREA
    value = getattr(pole, "address" if area == "address" else "region_ru", "") if pole else ""
    shape = _Shape(
        pole is not None,
        bool(incident.base_station_id),
        area != "off" and bool(value),
        "address" if area == "address" else "region_ru",
    )
    if not (shape.pole or shape.base_station or shape.area):
        return []
    window = timedelta(minutes=settings.MASS_OUTAGE_WINDOW_MINUTES)
    values = (
        pole.pk if pole is not None else None,
        incident.base_station_id,
        value,
        incident.incident_date - window,
        incident.incident_date + window,
        incident.pk,
    )
    if brief:
        found = _brief_rows(shape, values)
    else:
        found = list(
            related_queryset(shape, *values).select_related("status", "pole", "base_station")
        )
    return [Related(row, _reason(incident, row, pole, area), row.group_parent) for row in found]


@dataclass(frozen=True)
class _Shape:
    """Which objects an incident's related ones are sought on (each shape is one statement)."""

    pole: bool
    base_station: bool
    area: bool
    area_field: str  # "address" or "region_ru"


def related_queryset(
    shape: _Shape, pole_id, base_station_id, area_value, since, until, exclude_pk
) -> QuerySet:
    """The open incidents on the shape's objects (the values of those it does not use are
    ignored), oldest first, with their ``group_parent``; at most ``MAX_RELATED``."""
    same = []
    if shape.pole:
        same.append(Q(pole_id=pole_id))
    if shape.base_station:
        same.append(Q(base_station_id=base_station_id))
    if shape.area:
        same.append(
            Q(**{f"pole__{shape.area_field}": area_value}, incident_date__range=(since, until))
        )
    return (
        Incident.objects.filter(functools.reduce(operator.or_, same), is_finished=False)
        .exclude(pk=exclude_pk)
        .annotate(group_parent=_group_parent())
        .order_by("incident_date", "pk")[:MAX_RELATED]
    )


# Markers of ``related_queryset``'s values (none of them a real one) for ``CompiledQuery``.
_MARKERS = (
    -(2**62) + 5101,
    -(2**62) + 5102,
    "\x00mass-outage-area",
    datetime(1901, 1, 1, tzinfo=UTC),
    datetime(1901, 1, 2, tzinfo=UTC),
    -(2**62) + 5103,
)
# The places of the incident's fields among ``BRIEF_COLUMNS`` (the status's id is its
# ``status_id``) in the model's order (``Model.from_db`` takes deferring values in that order),
# and the status's.
_INCIDENT_PLACES = tuple(
    (field.attname, place)
    for field in Incident._meta.concrete_fields
    for place, column in enumerate((*BRIEF_COLUMNS[:6], "status_id"))
    if field.attname == column
)
_INCIDENT_FIELDS = tuple(attname for attname, _place in _INCIDENT_PLACES)
_STATUS_FIELDS = ("id", "key", "name")
_BRIEF: dict[_Shape, CompiledQuery] = {}  # at most 2 × 2 × 2 × 2 shapes


def _brief_rows(shape: _Shape, values: tuple) -> list[Incident]:
    """``related_queryset``'s incidents with ``BRIEF_COLUMNS`` and their status, made as the
    ORM makes them for ``select_related("status").only(*BRIEF_COLUMNS)``; the statement is
    compiled once a process for each shape (compiling it cost ~1 ms a page)."""
    query = _BRIEF.get(shape)
    if query is None:
        query = _BRIEF[shape] = CompiledQuery(
            lambda *markers: related_queryset(shape, *_spread(shape, markers)).values_list(
                *BRIEF_COLUMNS, "group_parent"
            ),
            *_carried(shape, _MARKERS),
        )
    db = router.db_for_read(Incident)
    status_field = Incident._meta.get_field("status")
    found = []
    for row in query.rows(*_carried(shape, values)):
        incident = Incident.from_db(
            db, _INCIDENT_FIELDS, [row[place] for _attname, place in _INCIDENT_PLACES]
        )
        status = IncidentStatus.from_db(db, _STATUS_FIELDS, row[6:9])
        status_field.set_cached_value(incident, status)
        incident.group_parent = row[-1]
        found.append(incident)
    return found


def _used(shape: _Shape) -> tuple[bool, ...]:
    """Which of ``related_queryset``'s values the shape's statement carries."""
    return (shape.pole, shape.base_station, shape.area, shape.area, shape.area, True)


def _carried(shape: _Shape, values: tuple) -> tuple:
    """Those of ``related_queryset``'s six values the shape's statement carries."""
    return tuple(value for value, used in zip(values, _used(shape), strict=True) if used)


def _spread(shape: _Shape, carried: tuple) -> list:
    """``related_queryset``'s six values from those carried (None for the others)."""
    given = iter(carried)
    return [next(given) if used else None for used in _used(shape)]


def _group_parent() -> RawSQL:
    """The parent of each incident of a query (its first «subtask of» link), as SQL made of
    table and column names only: the same subquery the ORM would build, without compiling it
    on every page (it was half the cost of ``related_open``)."""
    links, incidents = IncidentLink._meta.db_table, Incident._meta.db_table
    return RawSQL(  # noqa: S611 (names from the models; the kind is a parameter)
        f'(SELECT "other_id" FROM "{links}" WHERE "incident_id" = "{incidents}"."id" '  # noqa: S608
        'AND "kind" = %s ORDER BY "created_at", "id" LIMIT 1)',
        (LinkKind.SUBTASK_OF.value,),
        output_field=models.BigIntegerField(),
    )


def _reason(incident: Incident, row: Incident, pole, area: str) -> str:
    if incident.base_station_id and row.base_station_id == incident.base_station_id:
        return "base_station"
    if pole is not None and row.pole_id == pole.pk:
        return "pole"
    return area


def group_incidents(
    parent: Incident, members: list[Incident], *, actor: str, user=None
) -> list[Incident]:
    """Make ``members`` subtasks of ``parent`` (all or none); returns those newly grouped.
    Raises :class:`GroupError` (or the link's ``LinkError``) with the reason."""
    if parent_id(parent) is not None:
        raise GroupError(
            _("%(incident)s is itself in a group; choose its parent as the group's parent.")
            % {"incident": parent}
        )
    added = []
    with transaction.atomic():
        for member in members:
            if member.pk == parent.pk or parent_id(member) == parent.pk:
                continue
            if IncidentLink.objects.filter(incident=member, kind=LinkKind.PARENT_OF).exists():
                raise GroupError(
                    _("%(incident)s has subtasks of its own and cannot join a group.")
                    % {"incident": member}
                )
            link_incidents(member, parent, LinkKind.SUBTASK_OF, actor=actor, user=user)
            added.append(member)
    return added


def leave_group(member: Incident, *, actor: str, user=None) -> bool:
    """Take ``member`` out of its group; False when it is in none."""
    parent = parent_id(member)
    if parent is None:
        return False
    return unlink_incidents(member, Incident(pk=parent), actor=actor, user=user)


def ungroup(parent: Incident, *, actor: str, user=None) -> int:
    """Dissolve the group of ``parent``; returns how many subtasks left it."""
    with transaction.atomic():
        members = children(parent)
        for member in members:
            unlink_incidents(member, parent, actor=actor, user=user)
    return len(members)


def follow_parent(parent: Incident, key: str, *, actor: str, user=None) -> int:
    """The open subtasks of ``parent`` follow its new status ``key`` (see the module's rule);
    each step in its own transaction, through the workflow. Returns how many followed."""
    from incidents import workflow  # the workflow calls this module

    if key not in FOLLOWED and key != StatusKey.NOTIFIED_CONTRACTOR:
        return 0
    comment = _("Follows the parent incident %(parent)s.") % {"parent": parent}
    followed = 0
    for member in children(parent):
        if member.is_finished or member.status.key == key:
            continue
        if key == StatusKey.NOTIFIED_CONTRACTOR:
            card = _("The contractor was sent the card of the group %(parent)s.")
            workflow.record_status(
                member, key, actor=actor, user=user, comment=card % {"parent": parent}
            )
        elif workflow.is_allowed(member.status.key, key):
            workflow.change_status(member, key, actor=actor, user=user, comment=comment)
        else:
            logger.info("incident=%s stays in %s (parent %s)", member.pk, member.status.key, key)
            continue
        followed += 1
    return followed


def group_context(incident: Incident) -> list[dict]:
    """The members of the group ``incident`` leads, for the contractor card."""
    return [
        {
            "code": str(member),
            "pole": member.pole.code if member.pole_id else "",
            "base_station": member.base_station.name if member.base_station_id else "",
            "requester": member.requester_email,
            "registered": member.incident_date,
        }
        for member in children(incident)
    ]
