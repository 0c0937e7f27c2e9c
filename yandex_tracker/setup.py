"""Check (and where the API allows, create) what the integration needs in the tracker.

The queue, issue type and workflow can only be configured by an admin in the tracker UI; the
custom fields can be created here; status keys are checked and missing ones reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from incidents.defaults import tracker_status_keys
from yandex_tracker.client import TrackerClient
from yandex_tracker.errors import TrackerError, TrackerNotFound
from yandex_tracker.fields import TYPE_FIELD_NAME, FieldIds

FIELD_TYPE_CLASSES = {
    "integer": "ru.yandex.startrek.core.fields.IntegerFieldType",
    "string": "ru.yandex.startrek.core.fields.StringFieldType",
    "datetime": "ru.yandex.startrek.core.fields.DateTimeFieldType",
}
AGILE_CATEGORY = "000000000000000000000003"
TECHNICAL_FIELDS = {
    "local_id": ("Local ID", "Идентификатор инцидента в БД"),
    "emails_ids": ("Local emails IDs", "Идентификаторы писем добавленных по инциденту"),
}


@dataclass
class SetupReport:
    ok: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    manual: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.manual


def setup_tracker(client: TrackerClient, *, create: bool = True) -> SetupReport:
    """Check token, queue, fields and statuses; create missing fields when ``create``."""
    report = SetupReport()
    queue = settings.YT_QUEUE
    me = client.myself()
    report.ok.append(f"token works, robot login {me.get('login')}")
    try:
        client.queue(queue)
        report.ok.append(f"queue {queue}")
    except TrackerNotFound:
        report.manual.append(f"create the queue {queue} (Tracker → Queues → Create)")
        return report
    ids = FieldIds.from_settings()
    for field_id, (name, kind) in ids.global_fields().items():
        _ensure_global_field(client, report, field_id, name, kind, create=create)
    for attr, (name, description) in TECHNICAL_FIELDS.items():
        _describe_technical_field(client, report, getattr(ids, attr), name, description, create)
    _ensure_type_field(client, report, queue, ids.type_key, create=create)
    known = {status["key"] for status in client.statuses()}
    for ours, key in tracker_status_keys().items():
        if key in known:
            report.ok.append(f"status {key} ({ours.label})")
        else:
            report.manual.append(
                f"create status key={key} «{ours.label}» and add it to the queue workflow"
            )
    report.manual.append(
        f"check: issue type «Инцидент» (key incident) in queue {queue}, the workflow "
        "transitions of upstream §5.3, and the queue's mail integration (send e-mails externally)"
    )
    return report


def _ensure_global_field(
    client: TrackerClient, report: SetupReport, field_id: str, name: str, kind: str, *, create: bool
) -> None:
    try:
        existing = client.field(field_id)
    except TrackerNotFound:
        existing = None
    if existing is not None:
        actual = existing.get("schema", {}).get("type")
        if actual and actual != kind and not (kind == "datetime" and actual == "date"):
            report.manual.append(f"field {field_id} has type {actual}, expected {kind}")
        else:
            report.ok.append(f"field {field_id}")
        return
    if not create:
        report.manual.append(f"field {field_id} is missing (run setup_tracker without --check)")
        return
    client.create_field(
        {
            "id": field_id,
            "name": {"en": name, "ru": name},
            "category": AGILE_CATEGORY,
            "type": FIELD_TYPE_CLASSES[kind],
        }
    )
    report.created.append(f"field {field_id} «{name}» ({kind})")


def _describe_technical_field(
    client: TrackerClient,
    report: SetupReport,
    field_id: str,
    name: str,
    description: str,
    create: bool,
) -> None:
    """The robot-owned fields: named, described, not hidden (upstream ``setup_yt_fields``)."""
    if not create:
        return
    try:
        existing = client.field(field_id)
        if existing.get("description") == description and existing.get("name") == name:
            return
        client.update_field(
            field_id,
            existing["version"],
            {
                "name": {"en": name, "ru": name},
                "description": description,
                "readonly": False,
                "hidden": False,
            },
        )
        report.created.append(f"field {field_id}: name and description set")
    except TrackerError as exc:
        report.manual.append(f"field {field_id}: could not set its description ({exc})")


def _ensure_type_field(
    client: TrackerClient, report: SetupReport, queue: str, key: str, *, create: bool
) -> None:
    for local in client.local_fields(queue):
        if local["id"].endswith(key):
            report.ok.append(f"local field {local['id']}")
            return
    if not create:
        report.manual.append(f"local field {key} is missing in queue {queue}")
        return
    client.create_local_field(
        queue,
        {
            "id": key,
            "name": {"en": "Type of problem", "ru": TYPE_FIELD_NAME},
            "category": AGILE_CATEGORY,
            "type": FIELD_TYPE_CLASSES["string"],
        },
    )
    report.created.append(f"local field {key} «{TYPE_FIELD_NAME}» in queue {queue}")
