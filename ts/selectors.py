"""Reads of TowerStore reference data: resolving dispatcher input, contractor contacts.

``resolve_pole`` / ``resolve_base_station`` turn what a dispatcher typed (a full pole code or
base-station name, or an unambiguous beginning of one) into exactly one active record, or raise a
:class:`ReferenceLookupError` whose ``str()`` is a Russian message fit to show to the dispatcher.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ts.models import BaseStation, Contractor, Pole

MAX_CANDIDATES = 5
_BS_PREFIX = re.compile(r"^(?:бс|bs)[\s-]*(?=\d)", re.IGNORECASE)


class ReferenceLookupError(LookupError):
    """Typed input does not name exactly one record; ``str(error)`` explains why (Russian)."""

    def __init__(self, message: str, candidates: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.candidates = candidates or []


class NotFoundError(ReferenceLookupError):
    """Nothing matches the input."""


class AmbiguousError(ReferenceLookupError):
    """Several records match the input; ``candidates`` lists some of them."""


def _clean(text: str) -> str:
    return " ".join((text or "").split())


def _matches(queryset: QuerySet, text: str, attr: str) -> tuple[list, bool]:
    """Up to ``MAX_CANDIDATES + 1`` records whose ``attr`` equals ``text`` (and True), else those
    starting with it (and False) — the rule both resolving and suggesting follow."""
    exact = list(queryset.filter(**{f"{attr}__iexact": text})[: MAX_CANDIDATES + 1])
    if exact:
        return exact, True
    return list(queryset.filter(**{f"{attr}__istartswith": text})[: MAX_CANDIDATES + 1]), False


def _suggest(queryset: QuerySet, text: str, attr: str) -> tuple[list, bool]:
    """Records to offer for ``text``: the exact matches first, then those starting with it;
    at most ``MAX_CANDIDATES``, and whether there are more."""
    matches, exact = _matches(queryset, text, attr)
    if exact and len(matches) <= MAX_CANDIDATES:
        others = queryset.filter(**{f"{attr}__istartswith": text}).exclude(
            pk__in=[m.pk for m in matches]
        )
        matches += list(others[: MAX_CANDIDATES + 1 - len(matches)])
    return matches[:MAX_CANDIDATES], len(matches) > MAX_CANDIDATES


def _pick(
    queryset: QuerySet,
    text: str,
    attr: str,
    messages: tuple[str, str],
    label=str,
    exact_first: bool = False,
):
    """The record whose ``attr`` equals ``text``, else the only one starting with it."""
    matches, exact = _matches(queryset, text, attr)
    if exact and (len(matches) == 1 or exact_first):
        return matches[0]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFoundError(messages[0] % {"text": text})
    names = [label(match) for match in matches[:MAX_CANDIDATES]]
    shown = ", ".join(names) + ("…" if len(matches) > MAX_CANDIDATES else "")
    raise AmbiguousError(
        messages[1] % {"text": text, "candidates": shown},
        candidates=names,
    )


def _station_label(station: BaseStation) -> str:
    return _("%(name)s (pole %(code)s)") % {"name": station.name, "code": station.pole.code}


def _active_poles() -> QuerySet[Pole]:
    return (
        Pole.objects.filter(is_active=True).select_related("contractor").order_by("code", "site_id")
    )


def _active_stations(pole: Pole | None) -> QuerySet[BaseStation]:
    stations = BaseStation.objects.filter(is_active=True, pole__is_active=True)
    if pole is not None:
        stations = stations.filter(pole=pole)
    return stations.select_related("pole", "pole__contractor").order_by("name", "pole__code")


def _station_spellings(text: str) -> list[str]:
    """``text`` and, for ``БС 77-12345`` / ``BS-77-12345``, the canonical ``БС-77-12345``."""
    canonical = _BS_PREFIX.sub("БС-", text)
    return [text, canonical] if canonical != text else [text]


def suggest_poles(text: str) -> tuple[list[Pole], bool]:
    """Active poles to offer while ``text`` is typed (as ``resolve_pole`` would read it) and
    whether there are more than those."""
    text = _clean(text)
    return _suggest(_active_poles(), text, "code") if text else ([], False)


def suggest_base_stations(text: str, pole: Pole | None = None) -> tuple[list[BaseStation], bool]:
    """Active base stations (on ``pole`` if given) to offer while ``text`` is typed, read as
    ``resolve_base_station`` reads it, and whether there are more."""
    text = _clean(text)
    if not text:
        return [], False
    stations = _active_stations(pole)
    for spelling in _station_spellings(text):
        found, more = _suggest(stations, spelling, "name")
        if found:
            return found, more
    return [], False


def resolve_pole(text: str) -> Pole:
    """The active pole whose code is ``text`` or, failing that, the only one starting with it."""
    text = _clean(text)
    if not text:
        raise NotFoundError(_("Pole code is empty"))
    poles = _active_poles()
    # Several active poles may share a code: the lowest SiteId, as in recognition and import.
    messages = (
        _("Pole «%(text)s» not found"),
        _("Pole code «%(text)s» is ambiguous, candidates: %(candidates)s"),
    )
    return _pick(poles, text, "code", messages, exact_first=True)


def resolve_base_station(text: str, pole: Pole | None = None) -> BaseStation:
    """The active base station named ``text`` (or uniquely starting with it), on ``pole`` if given.

    ``БС 77-12345`` and ``BS-77-12345`` are read as ``БС-77-12345``.
    """
    text = _clean(text)
    if not text:
        raise NotFoundError(_("Base station name is empty"))
    spellings = _station_spellings(text)
    stations = _active_stations(pole)
    messages = (
        _("Base station «%(text)s» not found"),
        _("Base station name «%(text)s» is ambiguous, candidates: %(candidates)s"),
    )
    for spelling in spellings[:-1]:
        try:
            return _pick(stations, spelling, "name", messages, label=_station_label)
        except NotFoundError:
            continue
    return _pick(stations, spellings[-1], "name", messages, label=_station_label)


def contractor_emails(contractor: Contractor | None) -> list[str]:
    """Where a contractor's incident card goes: its e-mails, else the default contractor's."""
    if contractor is not None:
        emails = list(contractor.emails.order_by("email").values_list("email", flat=True))
        if emails:
            return emails
    default = Contractor.objects.filter(is_default=True).first()
    emails = list(default.emails.values_list("email", flat=True)) if default else []
    return emails or [e.lower() for e in settings.DEFAULT_CONTRACTOR_EMAILS]
