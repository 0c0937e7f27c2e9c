"""Check (and where the API allows, create) what the integration needs in the tracker.

The queue, issue type, workflow and mail integration can only be configured by an admin in the
tracker UI (the steps are printed); the custom fields are created here; status keys and the
dispatchers' tracker logins are checked and what is missing is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from incidents import workflow
from incidents.defaults import tracker_status_keys
from users.models import User
from yandex_tracker.client import TrackerClient
from yandex_tracker.errors import TrackerError, TrackerNotFound
from yandex_tracker.fields import (
    ISSUE_TYPE,
    SUBTYPE_FIELD_KEY,
    SUBTYPE_FIELD_NAME,
    TYPE_FIELD_NAME,
    FieldIds,
)

FIELD_TYPE_CLASSES = {
    "integer": "ru.yandex.startrek.core.fields.IntegerFieldType",
    "string": "ru.yandex.startrek.core.fields.StringFieldType",
    "datetime": "ru.yandex.startrek.core.fields.DateTimeFieldType",
}
AGILE_CATEGORY = "000000000000000000000003"
# IMAP folders of the desk's mailbox the tracker's mail integration collects from (not INBOX).
TRACKER_MAIL_FOLDERS = ("YandexTrackerInbox", "YandexTrackerArchive")
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
    for key, names in (
        (ids.type_key, ("Type of problem", TYPE_FIELD_NAME)),
        (SUBTYPE_FIELD_KEY, ("Subtype of problem", SUBTYPE_FIELD_NAME)),
    ):
        _ensure_local_field(client, report, queue, key, names, create=create)
    known = {status["key"] for status in client.statuses()}
    for ours, key in tracker_status_keys().items():
        if key in known:
            report.ok.append(f"status {key} ({ours.label})")
        else:
            report.manual.append(
                f"create status key={key} «{ours.label}» and add it to the queue workflow"
            )
    report.manual.append(f"check: issue type «Инцидент» (key {ISSUE_TYPE}) in queue {queue}")
    report.manual.extend(workflow_steps())
    report.manual.extend(mail_steps(queue))
    _check_dispatchers(client, report)
    if not (settings.YT_REFRESH_TOKEN and settings.YT_CLIENT_ID and settings.YT_CLIENT_SECRET):
        report.manual.append(
            "set YT_CLIENT_ID, YT_CLIENT_SECRET and YT_REFRESH_TOKEN, or an expired access "
            "token stops the workers until it is replaced by hand"
        )
    return report


def workflow_steps() -> list[str]:
    """The transitions the queue's workflow must offer (DISPATCH's workflow in tracker keys)."""
    keys = tracker_status_keys()
    steps = []
    for source, targets in workflow.TRANSITIONS.items():
        names = ", ".join(f"{keys[t]} «{t.label}»" for t in sorted(targets, key=list(keys).index))
        steps.append(f"workflow: {keys[source]} «{source.label}» → {names}")
    always = ", ".join(f"{keys[t]} «{t.label}»" for t in workflow.ALWAYS_ALLOWED)
    steps.append(f"workflow: from every status → {always}")
    return steps


def mail_steps(queue: str) -> list[str]:
    """The queue's mail integration, as the notices sent through the tracker need it."""
    mailbox = settings.PARSING_EMAIL_LOGIN or settings.DISPATCH_MAILBOX
    inbox, archive = TRACKER_MAIL_FOLDERS
    return [
        f"mail: in queue {queue} → Integrations allow sending e-mails externally and adding the "
        "issue key to the subject",
        f"mail: add the mailbox {mailbox} to the queue; let the tracker collect from its folders "
        f"{inbox} (incoming) and {archive} (archive), never INBOX — DISPATCH reads INBOX itself",
    ]


def _check_dispatchers(client: TrackerClient, report: SetupReport) -> None:
    """Dispatchers get incidents only when their tracker login is one of the tracker's users."""
    known = {user["login"].lower() for user in client.users() if not user.get("dismissed")}
    for user in User.objects.dispatchers().order_by("username"):
        if user.tracker_user.lower() in known:
            report.ok.append(f"dispatcher {user.username}: tracker user {user.tracker_user}")
        else:
            report.manual.append(
                f"dispatcher {user.username}: {user.tracker_user} is not a tracker user — invite "
                "them to the organisation or set their tracker login in the profile; until then "
                "they get no incidents"
            )


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


def _ensure_local_field(
    client: TrackerClient,
    report: SetupReport,
    queue: str,
    key: str,
    names: tuple[str, str],
    *,
    create: bool,
) -> None:
    """A string field of the queue (incident type, subtype), created when missing."""
    for local in client.local_fields(queue):
        if local["id"].endswith(key):
            report.ok.append(f"local field {local['id']}")
            return
    if not create:
        report.manual.append(f"local field {key} is missing in queue {queue}")
        return
    english, russian = names
    client.create_local_field(
        queue,
        {
            "id": key,
            "name": {"en": english, "ru": russian},
            "category": AGILE_CATEGORY,
            "type": FIELD_TYPE_CLASSES["string"],
        },
    )
    report.created.append(f"local field {key} «{russian}» in queue {queue}")
