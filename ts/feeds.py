"""Reading the three TowerStore JSON feeds into typed rows.

Every feed is a JSON list of flat records keyed by Russian column names, UTF-8 with or without
BOM. Reading never writes: a feed that cannot be read (HTTP error, timeout, truncated or
malformed JSON, empty list, no usable rows) raises :class:`FeedError` with the reason.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _


class FeedError(Exception):
    """A TowerStore feed that is refused as a whole; nothing was changed."""


@dataclass(frozen=True)
class Feed:
    """One TowerStore feed: its name, settings key for the URL and file name for ``--from-dir``."""

    name: str
    url_setting: str
    file_name: str


POLES = Feed("poles", "TS_POLES_TL_URL", "poles.json")
CONTRACTORS = Feed("avr", "TS_AVR_REPORT_URL", "avr.json")
BASE_STATIONS = Feed("base_stations", "TS_BS_REPORT_URL", "base_stations.json")
FEEDS = (POLES, CONTRACTORS, BASE_STATIONS)


# --- reading ---------------------------------------------------------------------------------


def parse_json(data: bytes, source: str) -> list[dict[str, Any]]:
    """Decode a feed body (UTF-8, optional BOM) into its list of records."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FeedError(
            _("%(source)s: not UTF-8 (%(error)s)") % {"source": source, "error": exc}
        ) from exc
    try:
        records = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:  # RecursionError: nested too deeply
        raise FeedError(
            _("%(source)s: malformed or truncated JSON (%(error)s)")
            % {"source": source, "error": exc}
        ) from exc
    if not isinstance(records, list):
        raise FeedError(_("%(source)s: expected a JSON list of records") % {"source": source})
    if not records:
        raise FeedError(_("%(source)s: the feed is empty") % {"source": source})
    if not all(isinstance(record, dict) for record in records):
        raise FeedError(_("%(source)s: every record must be a JSON object") % {"source": source})
    return records


def _auth_headers() -> dict[str, str]:
    header = settings.TS_AUTH_HEADER
    if not header:
        return {}
    name, sep, value = header.partition(":")
    if not sep:
        return {"Authorization": header.strip()}
    return {name.strip(): value.strip()}


def download(url: str) -> list[dict[str, Any]]:
    """GET one feed (timeout and auth header from settings) and parse it."""
    try:
        response = requests.get(url, headers=_auth_headers(), timeout=settings.TS_TIMEOUT)
    except requests.Timeout:
        raise FeedError(
            _("%(url)s: no answer within %(seconds)s s")
            % {"url": url, "seconds": settings.TS_TIMEOUT}
        ) from None
    except requests.RequestException as exc:
        raise FeedError(
            _("%(url)s: download failed (%(error)s)") % {"url": url, "error": exc}
        ) from exc
    if response.status_code != 200:
        raise FeedError(
            _("%(url)s: HTTP %(status)s instead of 200")
            % {"url": url, "status": response.status_code}
        )
    return parse_json(response.content, url)


def read_file(path: Path) -> list[dict[str, Any]]:
    """Read one feed from a local file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FeedError(
            _("%(path)s: cannot read (%(error)s)") % {"path": path, "error": exc}
        ) from exc
    return parse_json(data, str(path))


def fetch(feed: Feed, from_dir: Path | None = None) -> list[dict[str, Any]]:
    """The records of ``feed``, from ``from_dir`` when given, else from its configured URL."""
    if from_dir is not None:
        return read_file(from_dir / feed.file_name)
    url = getattr(settings, feed.url_setting)
    if not url:
        raise FeedError(_("%(setting)s is not set") % {"setting": feed.url_setting})
    return download(url)


# --- typed rows ------------------------------------------------------------------------------


@dataclass
class Rows:
    """The usable rows of a feed and a note for every record that was skipped."""

    rows: list[Any] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _float(value: Any) -> float | None:
    text = _text(value).replace(",", ".")
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _site_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = _text(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return int(text) if text.isdigit() else None


def _collect(
    records: Iterable[dict[str, Any]], source: str, required: tuple[str, ...], build: Callable
) -> Rows:
    result = Rows()
    for number, record in enumerate(records, start=1):
        missing = [column for column in required if not _text(record.get(column))]
        row = None if missing else build(record)
        if row is None:
            reason = _("missing %(columns)s") % {"columns": ", ".join(missing)} if missing else ""
            result.skipped.append(
                _("record %(number)s skipped: %(reason)s")
                % {"number": number, "reason": reason or _("invalid values")}
            )
        else:
            result.rows.append(row)
    if not result.rows:
        raise FeedError(
            _("%(source)s: no usable records (columns %(columns)s expected)")
            % {"source": source, "columns": ", ".join(required)}
        )
    return result


@dataclass(frozen=True)
class PoleRow:
    site_id: int
    code: str
    bs_name: str
    status: str
    region: str
    region_ru: str
    macroregion: str
    infrastructure_company: str
    anchor_operator: str
    address: str
    latitude: float | None
    longitude: float | None
    height: float | None


def pole_rows(records: list[dict[str, Any]], source: str = POLES.name) -> Rows:
    """Rows of the poles feed (``SiteId``, ``Шифр``, …)."""

    def build(record: dict[str, Any]) -> PoleRow | None:
        site_id = _site_id(record.get("SiteId"))
        if site_id is None:
            return None
        return PoleRow(
            site_id=site_id,
            code=_text(record.get("Шифр"))[:64],
            bs_name=_text(record.get("Имя БС"))[:256],
            status=_text(record.get("Статус опоры"))[:256],
            region=_text(record.get("Регион"))[:256],
            region_ru=_text(record.get("RegionRu"))[:256],
            macroregion=_text(record.get("MacroRegion") or record.get("Макрорегион"))[:256],
            infrastructure_company=_text(record.get("Инфраструктурная компания"))[:256],
            anchor_operator=_text(record.get("Якорный оператор"))[:256],
            address=_text(record.get("Адрес"))[:1024],
            latitude=_float(record.get("Широта")),
            longitude=_float(record.get("Долгота")),
            height=_float(record.get("Высота опоры")),
        )

    return _collect(records, source, ("SiteId", "Шифр"), build)


_SPLIT = re.compile(r"[;,\s]+")


def split_emails(value: Any) -> list[str]:
    """Valid, lower-cased e-mails of a cell separated by ``;``, ``,`` or whitespace."""
    emails = []
    for part in _SPLIT.split(_text(value)):
        try:
            validate_email(part)
        except ValidationError:
            continue
        if part.lower() not in emails:
            emails.append(part.lower())
    return emails


def normalize_phone(value: str) -> str | None:
    """A Russian phone number as E.164 (``+79991234567``); None when it is not one."""
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11 and digits[0] in "78":
        return "+7" + digits[1:]
    if len(digits) == 10 and digits[0] in "3489":
        return "+7" + digits
    return None


def split_phones(value: Any) -> list[str]:
    """Normalised phones of a cell separated by ``;`` or ``,`` (spaces inside a number allowed)."""
    phones = []
    for part in re.split(r"[;,]+", _text(value)):
        candidates = [part] if normalize_phone(part) else part.split()
        for candidate in candidates:
            phone = normalize_phone(candidate)
            if phone and phone not in phones:
                phones.append(phone)
    return phones


@dataclass(frozen=True)
class ContractorRow:
    pole_code: str
    contractor: str
    is_excluded: bool
    emails: tuple[str, ...]
    phones: tuple[str, ...]


def contractor_rows(records: list[dict[str, Any]], source: str = CONTRACTORS.name) -> Rows:
    """Rows of the emergency contractors feed (``Шифр опоры``, ``Подрядчик``, …)."""

    def build(record: dict[str, Any]) -> ContractorRow:
        excluded = _text(record.get("Исключен из договора")).lower()
        return ContractorRow(
            pole_code=_text(record.get("Шифр опоры")),
            contractor=_text(record.get("Подрядчик"))[:256],
            is_excluded=excluded not in ("", "нет", "false", "0"),
            emails=tuple(split_emails(record.get("Контактные данные подрядчика Email"))),
            phones=tuple(split_phones(record.get("Контактные данные подрядчика Телефон"))),
        )

    return _collect(records, source, ("Шифр опоры",), build)


@dataclass(frozen=True)
class BaseStationRow:
    pole_code: str
    name: str
    operator: str
    operator_group: str


def base_station_rows(records: list[dict[str, Any]], source: str = BASE_STATIONS.name) -> Rows:
    """Rows of the base stations feed (``Шифр опоры``, ``Имя БС/Оборудование``, …)."""

    def build(record: dict[str, Any]) -> BaseStationRow:
        return BaseStationRow(
            pole_code=_text(record.get("Шифр опоры")),
            name=_text(record.get("Имя БС/Оборудование"))[:256],
            operator=_text(record.get("Оператор"))[:256],
            operator_group=_text(record.get("Группа операторов"))[:256],
        )

    return _collect(records, source, ("Шифр опоры", "Имя БС/Оборудование"), build)
