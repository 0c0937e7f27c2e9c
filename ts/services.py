"""Writes to TowerStore reference data: the default contractor and the three feed imports.

Each import runs in one transaction with bulk operations, writes only rows whose values changed
(so a repeated import changes nothing), deactivates what disappeared instead of deleting it, and
refuses — changing nothing — a feed that would deactivate more than ``TS_MAX_DELETE_SHARE`` of
the active rows.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.locks import name_key, transaction_lock
from ts.feeds import (
    BASE_STATIONS,
    CONTRACTORS,
    FEEDS,
    POLES,
    Feed,
    FeedError,
    PoleRow,
    Rows,
    base_station_rows,
    contractor_rows,
    fetch,
    pole_rows,
)
from ts.models import (
    DEFAULT_CONTRACTOR_NAME,
    BaseStation,
    Contractor,
    ContractorEmail,
    ContractorPhone,
    Operator,
    Pole,
)
from ts.recognition import invalidate_index

BATCH = 1000
logger = logging.getLogger(__name__)


@dataclass
class ImportReport:
    """What one feed import did."""

    feed: str
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)

    def summary(self) -> str:
        return _(
            "%(feed)s: created %(created)s, updated %(updated)s, deactivated %(deactivated)s,"
            " skipped %(skipped)s"
        ) % {
            "feed": self.feed,
            "created": self.created,
            "updated": self.updated,
            "deactivated": self.deactivated,
            "skipped": len(self.skipped),
        }


@contextmanager
def _feed_transaction(feed: str) -> Iterator[None]:
    """One transaction per feed; on PostgreSQL imports of the same feed run one at a time."""
    with transaction.atomic():
        transaction_lock(name_key("ts.import", feed))
        yield


def _reference_data_changed() -> None:
    """Drop the recognition index now (this transaction sees the new rows) and after commit
    (another thread may have rebuilt it from the old rows meanwhile)."""
    invalidate_index()
    transaction.on_commit(invalidate_index)


def _chunks(items: Sequence, size: int = BATCH) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check_share(feed: str, leaving: int, total: int) -> None:
    """Refuse a feed that would deactivate more than the allowed share of ``total`` rows."""
    limit = settings.TS_MAX_DELETE_SHARE
    if total and leaving / total > limit:
        raise FeedError(
            _(
                "%(feed)s: the feed would deactivate %(leaving)s of %(total)s records"
                " (%(share).0f%%), more than the allowed %(limit).0f%% (TS_MAX_DELETE_SHARE);"
                " nothing was changed"
            )
            % {
                "feed": feed,
                "leaving": leaving,
                "total": total,
                "share": 100 * leaving / total,
                "limit": 100 * limit,
            }
        )


# --- default contractor ----------------------------------------------------------------------


def ensure_default_contractor(using: str = "default") -> Contractor:
    """The default contractor, created if missing, with the e-mails of DEFAULT_CONTRACTOR_EMAILS."""
    contractor, _created = Contractor.objects.using(using).get_or_create(
        is_default=True, defaults={"name": DEFAULT_CONTRACTOR_NAME}
    )
    configured = {email.strip().lower() for email in settings.DEFAULT_CONTRACTOR_EMAILS if email}
    if configured:
        emails = ContractorEmail.objects.using(using).filter(contractor=contractor)
        current = set(emails.values_list("email", flat=True))
        emails.exclude(email__in=configured).delete()
        ContractorEmail.objects.using(using).bulk_create(
            ContractorEmail(contractor=contractor, email=email)
            for email in sorted(configured - current)
        )
    return contractor


# --- poles -----------------------------------------------------------------------------------

_POLE_FIELDS = [f.name for f in fields(PoleRow) if f.name != "site_id"]


def import_poles(rows: Rows) -> ImportReport:
    """Upsert poles by TowerStore site id; deactivate poles missing from the feed."""
    report = ImportReport(feed="poles", skipped=list(rows.skipped))
    by_site: dict[int, PoleRow] = {}
    for row in rows.rows:
        if row.site_id in by_site and by_site[row.site_id] != row:
            report.warnings.append(
                _("SiteId %(site_id)s appears more than once; the last record is used")
                % {"site_id": row.site_id}
            )
        by_site[row.site_id] = row
    now = timezone.now()
    with _feed_transaction("poles"):
        existing = {pole.site_id: pole for pole in Pole.objects.select_for_update()}
        stale = [p.pk for s, p in existing.items() if p.is_active and s not in by_site]
        _check_share("poles", len(stale), sum(p.is_active for p in existing.values()))
        to_create, to_update = [], []
        for site_id, row in by_site.items():
            pole = existing.get(site_id)
            values = {name: getattr(row, name) for name in _POLE_FIELDS}
            if pole is None:
                to_create.append(Pole(site_id=site_id, **values))
                continue
            changed = not pole.is_active
            for name, value in values.items():
                if getattr(pole, name) != value:
                    setattr(pole, name, value)
                    changed = True
            if changed:
                pole.is_active = True
                pole.updated_at = now
                to_update.append(pole)
        Pole.objects.bulk_create(to_create, batch_size=BATCH)
        Pole.objects.bulk_update(
            to_update, [*_POLE_FIELDS, "is_active", "updated_at"], batch_size=BATCH
        )
        for chunk in _chunks(stale):
            Pole.objects.filter(pk__in=chunk).update(is_active=False, updated_at=now)
        _reference_data_changed()
    report.created, report.updated, report.deactivated = len(to_create), len(to_update), len(stale)
    return report


# --- emergency contractors -------------------------------------------------------------------


def _replace_contacts(model: type, attr: str, wanted: dict[int, set[str]]) -> int:
    """Make the e-mails/phones of the given contractors exactly ``wanted``; count changes."""
    existing: dict[int, dict[str, int]] = defaultdict(dict)
    rows = model.objects.filter(contractor_id__in=list(wanted)).values_list(
        "pk", "contractor_id", attr
    )
    for pk, contractor_id, value in rows:
        existing[contractor_id][value] = pk
    surplus = [
        pk
        for contractor_id, values in existing.items()
        for value, pk in values.items()
        if value not in wanted[contractor_id]
    ]
    missing = [
        model(contractor_id=contractor_id, **{attr: value})
        for contractor_id, values in wanted.items()
        for value in sorted(values - existing[contractor_id].keys())
    ]
    for chunk in _chunks(surplus):
        model.objects.filter(pk__in=chunk).delete()
    model.objects.bulk_create(missing, batch_size=BATCH)
    return len(surplus) + len(missing)


def import_contractors(rows: Rows) -> ImportReport:
    """Upsert contractors with all their e-mails/phones and assign them to poles by code.

    A contractor's contacts are the union over all its rows. A row without a contractor gives its
    poles the default contractor; poles missing from the feed lose their contractor (the default
    one then applies), which counts towards the deactivation share.
    """
    report = ImportReport(feed="avr", skipped=list(rows.skipped))
    emails: dict[str, set[str]] = defaultdict(set)
    phones: dict[str, set[str]] = defaultdict(set)
    excluded: dict[str, bool] = defaultdict(bool)
    contractor_of_code: dict[str, str] = {}
    for row in rows.rows:
        name = row.contractor if row.contractor != DEFAULT_CONTRACTOR_NAME else ""
        if name:
            emails[name].update(row.emails)
            phones[name].update(row.phones)
            excluded[name] |= row.is_excluded
        previous = contractor_of_code.get(row.pole_code)
        if previous is not None and previous != name:
            report.warnings.append(
                _("pole %(code)s has several contractors; the last one (%(name)s) is used")
                % {"code": row.pole_code, "name": name or DEFAULT_CONTRACTOR_NAME}
            )
        contractor_of_code[row.pole_code] = name
    now = timezone.now()
    with _feed_transaction("avr"):
        default = ensure_default_contractor()
        existing = {c.name: c for c in Contractor.objects.filter(name__in=list(emails))}
        new = [
            Contractor(name=name, is_excluded_from_contract=excluded[name])
            for name in emails
            if name not in existing
        ]
        changed = [c for c in existing.values() if c.is_excluded_from_contract != excluded[c.name]]
        for contractor in changed:
            contractor.is_excluded_from_contract = excluded[contractor.name]
        Contractor.objects.bulk_create(new, batch_size=BATCH)
        Contractor.objects.bulk_update(changed, ["is_excluded_from_contract"], batch_size=BATCH)
        ids = dict(Contractor.objects.filter(name__in=list(emails)).values_list("name", "pk"))
        contacts_changed = _replace_contacts(
            ContractorEmail, "email", {ids[n]: values for n, values in emails.items()}
        ) + _replace_contacts(
            ContractorPhone, "phone", {ids[n]: values for n, values in phones.items()}
        )

        poles = list(Pole.objects.select_for_update().only("pk", "code", "contractor_id"))
        wanted = {
            code: (ids[name] if name else default.pk) for code, name in contractor_of_code.items()
        }
        leaving = [p for p in poles if p.contractor_id is not None and p.code not in wanted]
        _check_share("avr", len(leaving), sum(p.contractor_id is not None for p in poles))
        # One UPDATE per contractor (and chunk) instead of a per-row CASE: far fewer bytes.
        moves: dict[int | None, list[int]] = defaultdict(list)
        for pole in poles:
            contractor_id = wanted.get(pole.code)
            if pole.contractor_id != contractor_id:
                moves[contractor_id].append(pole.pk)
        for contractor_id, pole_ids in moves.items():
            for chunk in _chunks(pole_ids):
                Pole.objects.filter(pk__in=chunk).update(
                    contractor_id=contractor_id, updated_at=now
                )
        to_update = [pk for pole_ids in moves.values() for pk in pole_ids]
        unknown = sorted(set(wanted) - {p.code for p in poles})
        report.skipped += [_("pole %(code)s is unknown") % {"code": code} for code in unknown]
    report.created = len(new)
    report.updated = len(changed) + contacts_changed + len(to_update)
    report.deactivated = len(leaving)
    return report


# --- base stations and operators -------------------------------------------------------------


def _pole_ids_by_code(report: ImportReport) -> dict[str, int]:
    """Active pole per code; several active poles with one code → the lowest site id, warned."""
    result: dict[str, int] = {}
    rows = Pole.objects.filter(is_active=True).order_by("site_id").values_list("code", "pk")
    duplicated: set[str] = set()
    for code, pk in rows:
        if code in result:
            duplicated.add(code)
        else:
            result[code] = pk
    report.warnings += [
        _("several active poles have code %(code)s; base stations go to the lowest SiteId")
        % {"code": code}
        for code in sorted(duplicated)
    ]
    return result


def import_base_stations(rows: Rows) -> ImportReport:
    """Upsert base stations per (pole, name) with their operators; deactivate missing ones."""
    report = ImportReport(feed="base_stations", skipped=list(rows.skipped))
    now = timezone.now()
    with _feed_transaction("base_stations"):
        pole_ids = _pole_ids_by_code(report)
        wanted: dict[tuple[int, str], set[tuple[str, str]]] = defaultdict(set)
        unknown: set[str] = set()
        for row in rows.rows:
            pole_id = pole_ids.get(row.pole_code)
            if pole_id is None:
                unknown.add(row.pole_code)
                continue
            operators = wanted[(pole_id, row.name)]
            if row.operator:
                operators.add((row.operator, row.operator_group))
        report.skipped += [_("pole %(code)s is unknown") % {"code": c} for c in sorted(unknown)]
        if not wanted:
            raise FeedError(
                _("base_stations: no record refers to a known pole; nothing was changed")
            )

        existing = {(s.pole_id, s.name): s for s in BaseStation.objects.select_for_update()}
        stale = [s.pk for key, s in existing.items() if s.is_active and key not in wanted]
        _check_share("base_stations", len(stale), sum(s.is_active for s in existing.values()))
        new = [BaseStation(pole_id=p, name=n) for (p, n) in wanted if (p, n) not in existing]
        revived = [s for key, s in existing.items() if key in wanted and not s.is_active]
        for station in revived:
            station.is_active, station.updated_at = True, now
        BaseStation.objects.bulk_create(new, batch_size=BATCH)
        BaseStation.objects.bulk_update(revived, ["is_active", "updated_at"], batch_size=BATCH)
        for chunk in _chunks(stale):
            BaseStation.objects.filter(pk__in=chunk).update(is_active=False, updated_at=now)

        operators_changed = _sync_operators(wanted)
        _reference_data_changed()
    report.created, report.deactivated = len(new), len(stale)
    report.updated = len(revived) + operators_changed
    return report


def _sync_operators(wanted: dict[tuple[int, str], set[tuple[str, str]]]) -> int:
    """Create missing operators and make each listed station's operator set exact."""
    pairs = set().union(*wanted.values())
    operator_ids = {(o.name, o.group): o.pk for o in Operator.objects.all()}
    missing = [Operator(name=n, group=g) for n, g in sorted(pairs - operator_ids.keys())]
    Operator.objects.bulk_create(missing, batch_size=BATCH)
    if missing:
        operator_ids = {(o.name, o.group): o.pk for o in Operator.objects.all()}
    station_ids = {
        (pole_id, name): pk
        for pk, pole_id, name in BaseStation.objects.values_list("pk", "pole_id", "name")
    }
    links = BaseStation.operators.through
    desired = {
        (station_ids[key], operator_ids[pair]) for key, ops in wanted.items() for pair in ops
    }
    listed = {station_ids[key] for key in wanted}
    current = {
        (s, o): pk
        for pk, s, o in links.objects.values_list("pk", "basestation_id", "operator_id")
        if s in listed
    }
    surplus = [pk for pair, pk in current.items() if pair not in desired]
    for chunk in _chunks(surplus):
        links.objects.filter(pk__in=chunk).delete()
    links.objects.bulk_create(
        [links(basestation_id=s, operator_id=o) for s, o in sorted(desired - current.keys())],
        batch_size=BATCH,
    )
    return len(missing) + len(surplus) + len(desired - current.keys())


# --- all feeds -------------------------------------------------------------------------------

_IMPORTERS = {
    POLES.name: (pole_rows, import_poles),
    CONTRACTORS.name: (contractor_rows, import_contractors),
    BASE_STATIONS.name: (base_station_rows, import_base_stations),
}


@dataclass
class FeedOutcome:
    """One feed's import: its report, or the error it was refused with."""

    feed: Feed
    report: ImportReport | None = None
    error: str = ""
    not_configured: bool = False


def import_towerstore(
    from_dir: Path | None = None, feeds: Sequence[Feed] = FEEDS
) -> list[FeedOutcome]:
    """Import the feeds in order (poles, contractors, base stations), each on its own.

    A feed is fetched completely (no transaction open) before its import transaction starts; a
    refused feed leaves its data as it was and does not stop the following feeds. Without
    ``from_dir`` a feed whose URL setting is empty is not configured: skipped, not an error.
    """
    outcomes = []
    for feed in feeds:
        parse, apply = _IMPORTERS[feed.name]
        if from_dir is None and not getattr(settings, feed.url_setting):
            outcomes.append(FeedOutcome(feed, not_configured=True))
            continue
        try:
            records = fetch(feed, from_dir)
            report = apply(parse(records, feed.name))
        except FeedError as exc:
            logger.error("TowerStore feed refused: %s", exc)
            outcomes.append(FeedOutcome(feed, error=str(exc)))
            continue
        logger.info("TowerStore %s", report.summary())
        for note in report.warnings:
            logger.warning("TowerStore %s: %s", feed.name, note)
        outcomes.append(FeedOutcome(feed, report=report))
    return outcomes
