"""Suggestions for the pole and base-station fields while a dispatcher types (JSON).

The candidates follow the same rule as saving the form does (``ts.selectors``): exact matches
first, then the codes/names starting with what was typed; active records only.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.text import Truncator
from django.views.decorators.http import require_GET

from ts.models import BaseStation, Pole
from ts.selectors import ReferenceLookupError, resolve_pole, suggest_base_stations, suggest_poles
from users.permissions import role_required

MAX_QUERY = 256  # the longest base-station name the form accepts


def _query(request: HttpRequest, name: str = "q") -> str:
    return request.GET.get(name, "")[:MAX_QUERY]


def _pole_item(pole: Pole) -> dict[str, str]:
    where = pole.region_ru or pole.address
    label = f"{pole.code} — {Truncator(where).chars(60)}" if where else pole.code
    return {"value": pole.code, "label": label}


def _station_item(station: BaseStation) -> dict[str, str]:
    return {
        "value": station.name,
        "label": f"{station.name} · {station.pole.code}",
        "pole": station.pole.code,
    }


@require_GET
@role_required()
def poles(request: HttpRequest) -> JsonResponse:
    """``?q=77-00`` → ``{"candidates": [{"value", "label"}…], "more": bool}``."""
    found, more = suggest_poles(_query(request))
    return JsonResponse({"candidates": [_pole_item(p) for p in found], "more": more})


@require_GET
@role_required()
def base_stations(request: HttpRequest) -> JsonResponse:
    """``?q=БС-77&pole=77-0001`` → base stations (on that pole when it names exactly one)."""
    pole = None
    if _query(request, "pole").strip():
        try:
            pole = resolve_pole(_query(request, "pole"))
        except ReferenceLookupError:
            pole = None  # an unfinished pole does not narrow the suggestions
    found, more = suggest_base_stations(_query(request), pole=pole)
    return JsonResponse({"candidates": [_station_item(s) for s in found], "more": more})
