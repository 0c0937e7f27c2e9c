"""Default incident types and statuses: loaded from CSV (shipped in ``incidents/data/``)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from incidents.mail_defaults import ensure_shipped_templates
from incidents.models import IncidentStatus, IncidentType, StatusKey

DATA_DIR = Path(__file__).resolve().parent / "data"

# Statuses the workflow needs beyond the CSV, with their descriptions (docs/workflow.md).
BUILTIN_STATUS_DESCRIPTIONS: dict[StatusKey, str] = {
    StatusKey.NEW: "Инцидент только что создан и ещё не был принят в работу диспетчером",
    StatusKey.IN_PROGRESS: "Заявка принята в работу.",
    StatusKey.ERROR: "Обнаружена ошибка при обработке инцидента или некорректные данные",
    StatusKey.CLOSED: "Инцидент полностью обработан и закрыт",
    StatusKey.NEED_ACCEPTANCE: "Ожидаем данные, необходимые для продолжения работы",
    StatusKey.ON_GENERATION: "Объект работает от генератора",
    StatusKey.NOTIFY_OPERATOR: "Отправляем заявителю письмо о принятии заявки в работу",
    StatusKey.NOTIFIED_OPERATOR: "Заявителю отправлено письмо о принятии заявки в работу",
    StatusKey.NOTIFY_CLOSED: "Отправляем заявителю письмо о закрытии заявки",
    StatusKey.NOTIFIED_CLOSED: "Заявителю отправлено письмо о закрытии заявки",
    StatusKey.NOTIFY_CONTRACTOR: "Отправляем подрядчику письмо с карточкой инцидента",
    StatusKey.NOTIFIED_CONTRACTOR: "Подрядчику отправлено письмо с карточкой инцидента",
}
FINAL_STATUSES = {StatusKey.CLOSED, StatusKey.ON_GENERATION}


def tracker_status_keys() -> dict[StatusKey, str]:
    """Tracker status key for each status (custom keys come from settings)."""
    return {
        StatusKey.NEW: "open",
        StatusKey.IN_PROGRESS: "inProgress",
        StatusKey.ERROR: "error",
        StatusKey.CLOSED: "closed",
        StatusKey.NEED_ACCEPTANCE: "needAcceptance",
        StatusKey.ON_GENERATION: settings.YT_ON_GENERATION_STATUS_KEY,
        StatusKey.NOTIFY_OPERATOR: settings.YT_NOTIFY_OPERATOR_ISSUE_IN_WORK_STATUS_KEY,
        StatusKey.NOTIFIED_OPERATOR: settings.YT_NOTIFIED_OPERATOR_ISSUE_IN_WORK_STATUS_KEY,
        StatusKey.NOTIFY_CLOSED: settings.YT_NOTIFY_OPERATOR_ISSUE_CLOSED_STATUS_KEY,
        StatusKey.NOTIFIED_CLOSED: settings.YT_NOTIFIED_OPERATOR_ISSUE_CLOSED_STATUS_KEY,
        StatusKey.NOTIFY_CONTRACTOR: settings.YT_NOTIFY_AVR_CONTRACTOR_IN_WORK_STATUS_KEY,
        StatusKey.NOTIFIED_CONTRACTOR: settings.YT_NOTIFIED_AVR_CONTRACTOR_IN_WORK_STATUS_KEY,
    }


class DefaultsError(ValueError):
    """The defaults file is malformed; nothing was written."""


@dataclass(frozen=True)
class LoadResult:
    types_created: int
    statuses_created: int
    templates_created: int = 0


def read_types(path: Path) -> list[dict[str, object]]:
    """Parse ``name,description,sla_deadline`` rows; SLA must be a positive integer of minutes."""
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for line_no, row in enumerate(csv.DictReader(handle), start=2):
            name = (row.get("name") or "").strip()
            raw_sla = (row.get("sla_deadline") or "").strip()
            if not name:
                raise DefaultsError(f"{path.name}:{line_no}: empty type name")
            if not raw_sla.isdigit() or int(raw_sla) <= 0:
                raise DefaultsError(
                    f"{path.name}:{line_no}: SLA for {name!r} must be a positive integer, "
                    f"got {raw_sla!r}"
                )
            rows.append(
                {
                    "name": name,
                    "description": (row.get("description") or "").strip(),
                    "sla_minutes": int(raw_sla),
                }
            )
    return rows


def read_status_descriptions(path: Path) -> dict[str, str]:
    """Parse ``name,description`` rows into {name: description}."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {
            (row.get("name") or "").strip(): (row.get("description") or "").strip()
            for row in csv.DictReader(handle)
            if (row.get("name") or "").strip()
        }


@transaction.atomic
def load_defaults(data_dir: Path = DATA_DIR) -> LoadResult:
    """Insert missing types, statuses and shipped mail templates; never overwrite what an admin
    has edited."""
    types = read_types(data_dir / "types.csv")
    csv_descriptions = read_status_descriptions(data_dir / "statuses.csv")
    by_label = {key.label: key for key in StatusKey}
    unknown = sorted(set(csv_descriptions) - set(by_label))
    if unknown:
        raise DefaultsError(f"statuses.csv names unknown statuses: {', '.join(unknown)}")

    types_created = 0
    for row in types:
        _type, created = IncidentType.objects.get_or_create(
            name=row["name"],
            defaults={"description": row["description"], "sla_minutes": row["sla_minutes"]},
        )
        types_created += created

    statuses_created = 0
    tracker_keys = tracker_status_keys()
    for key in StatusKey:
        _status, created = IncidentStatus.objects.get_or_create(
            key=key.value,
            defaults={
                "name": key.label,
                "description": csv_descriptions.get(key.label, BUILTIN_STATUS_DESCRIPTIONS[key]),
                "is_final": key in FINAL_STATUSES,
                "tracker_key": tracker_keys[key],
            },
        )
        statuses_created += created
    return LoadResult(
        types_created=types_created,
        statuses_created=statuses_created,
        templates_created=ensure_shipped_templates(),
    )
