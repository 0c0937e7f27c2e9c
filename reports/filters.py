"""Which incidents a report covers: macroregion, region, operator, contractor, type, dispatcher."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from incidents.models import Incident
from ts.models import BaseStation


@dataclass(frozen=True)
class ReportFilters:
    """Validated filter values (empty / None: not filtered)."""

    macroregion: str = ""
    region: str = ""
    operator: int | None = None
    contractor: int | None = None
    incident_type: int | None = None
    dispatcher: int | None = None

    def apply(self, incidents: QuerySet[Incident]) -> QuerySet[Incident]:
        if self.macroregion:
            incidents = incidents.filter(pole__macroregion=self.macroregion)
        if self.region:
            incidents = incidents.filter(pole__region_ru=self.region)
        if self.operator is not None:
            # The incident's base station carries the operator (EXISTS: no duplicate rows).
            carries = BaseStation.operators.through.objects.filter(
                basestation_id=OuterRef("base_station_id"), operator_id=self.operator
            )
            incidents = incidents.filter(Exists(carries))
        if self.contractor is not None:
            incidents = incidents.filter(pole__contractor_id=self.contractor)
        if self.incident_type is not None:
            incidents = incidents.filter(incident_type_id=self.incident_type)
        if self.dispatcher is not None:
            incidents = incidents.filter(assignee_id=self.dispatcher)
        return incidents
