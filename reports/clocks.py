"""SLA clocks the statistics count: where each keeps its start, deadline and finish.

Today there is one, the incident's own SLA (type minutes on a calendar or business-hours clock,
pauses included: ``incidents/sla.py`` stores the resulting ``sla_deadline``). The work categories
(АВР, РВР, ДГУ, ЭКС) will add theirs here as further :class:`ClockSpec` entries, each naming
the fields (or related fields) that hold its deadline and finish and the incidents it applies to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import BooleanField, OuterRef, Q, Subquery
from django.db.models.lookups import Exact
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ClockSpec:
    key: str
    label: str | Promise
    deadline: str  # lookup of the deadline (NULL: no deadline, the SLA is unknown)
    finished: str  # lookup of the moment the clock stopped (NULL while it runs)
    paused_at: Callable[[datetime, datetime], Q]  # (as_of, now) → the clock was paused then
    applies: Q = field(default_factory=Q)  # incidents this clock applies to


def incident_paused_at(as_of: datetime, now: datetime) -> Q:
    """The incident's status at ``as_of`` pauses its SLA (the current status when ``as_of`` is
    now or later, else the newest history row before ``as_of``)."""
    from incidents.models import IncidentStatusHistory

    if as_of >= now:
        return Q(status__pauses_sla=True)
    status_then = (
        IncidentStatusHistory.objects.filter(incident=OuterRef("pk"), created_at__lt=as_of)
        .order_by("-created_at", "-id")
        .values("status__pauses_sla")[:1]
    )
    return Q(Exact(Subquery(status_then, output_field=BooleanField()), True))


INCIDENT_CLOCK = ClockSpec(
    key="incident",
    label=_("Incident SLA"),
    deadline="sla_deadline",
    finished="finished_at",
    paused_at=incident_paused_at,
)

CLOCKS: tuple[ClockSpec, ...] = (INCIDENT_CLOCK,)
