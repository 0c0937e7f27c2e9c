"""The report request (period and filters), shared by the statistics page, exports and API."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.models import IncidentType
from reports.filters import ReportFilters
from reports.periods import Period, PeriodKind, period_for
from ts.models import Contractor, Operator, Pole
from users.models import Role, User

MAX_TEXT = 256


def filter_choices() -> dict[str, list[tuple]]:
    """What the filters offer: values present in the reference data (6 queries)."""
    poles = Pole.objects.order_by()
    people = User.objects.filter(role__in=[Role.DISPATCH, Role.ADMIN]).order_by(
        "last_name", "first_name", "email"
    )
    return {
        "macroregion": _distinct(poles, "macroregion"),
        "region": _distinct(poles, "region_ru"),
        "operator": [(o.pk, str(o)) for o in Operator.objects.order_by("name", "group")],
        "contractor": list(Contractor.objects.order_by("name").values_list("pk", "name")),
        "type": list(IncidentType.objects.order_by("name").values_list("pk", "name")),
        "dispatcher": [
            (pk, f"{last} {first}".strip() or email)
            for pk, first, last, email in people.values_list(
                "pk", "first_name", "last_name", "email"
            )
        ],
    }


def _distinct(poles, field: str) -> list[tuple[str, str]]:
    values = poles.exclude(**{field: ""}).values_list(field, flat=True).distinct().order_by(field)
    return [(value, value) for value in values]


class ReportForm(forms.Form):
    """GET parameters: ``period`` (day/week/month/quarter/custom), ``date`` (a day inside the
    period; the first day of a custom one), ``end`` (a custom period's last day) and filters."""

    period = forms.ChoiceField(
        label=_("Period"), choices=PeriodKind.choices, required=False, initial=PeriodKind.MONTH
    )
    date = forms.DateField(label=_("Date"), required=False)
    end = forms.DateField(label=_("Last day"), required=False)
    macroregion = forms.ChoiceField(label=_("Macroregion"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    operator = forms.TypedChoiceField(
        label=_("Operator"), required=False, coerce=int, empty_value=None
    )
    contractor = forms.TypedChoiceField(
        label=_("Contractor"), required=False, coerce=int, empty_value=None
    )
    type = forms.TypedChoiceField(label=_("Type"), required=False, coerce=int, empty_value=None)
    dispatcher = forms.TypedChoiceField(
        label=_("Dispatcher"), required=False, coerce=int, empty_value=None
    )

    FILTERS = ("macroregion", "region", "operator", "contractor", "type", "dispatcher")

    def __init__(self, *args, choices: dict[str, list[tuple]] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = filter_choices() if choices is None else choices
        for name in self.FILTERS:
            self.fields[name].choices = [("", _("Any")), *choices[name]]

    def clean(self) -> dict:
        data = super().clean()
        kind = data.get("period") or PeriodKind.MONTH
        anchor: date = data.get("date") or timezone.localdate()
        try:
            data["report_period"] = period_for(kind, anchor, data.get("end"))
        except ValueError:
            self.add_error(
                "end",
                _("A custom period needs a last day on or after its first day, within two years."),
            )
        return data

    def report_period(self) -> Period:
        return self.cleaned_data["report_period"]

    def report_filters(self) -> ReportFilters:
        data = self.cleaned_data
        return ReportFilters(
            macroregion=data["macroregion"] or "",
            region=data["region"] or "",
            operator=data["operator"],
            contractor=data["contractor"],
            incident_type=data["type"],
            dispatcher=data["dispatcher"],
        )
