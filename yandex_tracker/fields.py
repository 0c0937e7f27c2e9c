"""Names the tracker uses for our data: custom field ids, status keys, SLA labels.

``TrackerDirectory`` caches what rarely changes (the queue's local field ids, tracker users) for a
few minutes per process, so a push or pull cycle does not re-read them on every item.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings

from incidents.defaults import tracker_status_keys
from incidents.models import SlaState, StatusKey, WorkCategory
from yandex_tracker.client import TrackerClient
from yandex_tracker.services import remember_users

CACHE_SECONDS = 300
MISS_RELOAD_SECONDS = 60
ISSUE_TYPE = "incident"
NEW_MESSAGE_YES = "✔️ Да"  # «Новое сообщение»: mail came in that no dispatcher has taken yet
NEW_MESSAGE_NO = "✖️ Нет"
TYPE_FIELD_NAME = "Тип проблемы"  # the queue's local incident-type field, as setup_tracker names it
SUBTYPE_FIELD_KEY = "subtypeOfProblem"  # the queue's local incident-subtype field
SUBTYPE_FIELD_NAME = "Подтип проблемы"
# Work categories in the issue: global datetime fields of each category's start and end, and the
# РВР priority's name (DISPATCH is their master: set in the console, API or admin).
WORK_FIELDS: dict[str, tuple[str, str]] = {
    "avr": ("avrStartedAt", "avrEndedAt"),
    "rvr": ("rvrStartedAt", "rvrEndedAt"),
    "dgu": ("dguStartedAt", "dguEndedAt"),
    "eks": ("eksStartedAt", "eksEndedAt"),
}
RVR_PRIORITY_FIELD = "rvrPriority"


def work_field_names() -> dict[str, tuple[str, str]]:
    """Work field id → (Russian name, kind), as ``setup_tracker`` creates them."""
    names: dict[str, tuple[str, str]] = {}
    for category, (start, end) in WORK_FIELDS.items():
        label = WorkCategory(category).label
        names[start] = (f"{label}: начало", "datetime")
        names[end] = (f"{label}: окончание", "datetime")
    names[RVR_PRIORITY_FIELD] = ("Приоритет РВР", "string")
    return names


SLA_LABELS: dict[str, str] = {
    SlaState.UNKNOWN: "⬜️ Неизвестно",
    SlaState.IN_PROGRESS: "🟦 В работе",
    SlaState.LESS_THAN_HOUR: "🟨 Осталось менее часа",
    SlaState.EXPIRED: "🟥 Просрочен",
    SlaState.CLOSED_ON_TIME: "🟩 Закрыт вовремя",
}


@dataclass(frozen=True)
class FieldIds:
    """Custom field ids from the ``YT_*_FIELD_*`` settings."""

    local_id: str
    emails_ids: str
    pole: str
    base_station: str
    email_datetime: str
    new_message: str
    sla_deadline: str
    sla_state: str
    operator: str
    contractor: str
    type_key: str

    @classmethod
    def from_settings(cls) -> FieldIds:
        return cls(
            local_id=settings.YT_DATABASE_ID_GLOBAL_FIELD_ID,
            emails_ids=settings.YT_EMAILS_IDS_GLOBAL_FIELD_ID,
            pole=settings.YT_POLE_NUMBER_GLOBAL_FIELD_ID,
            base_station=settings.YT_BASE_STATION_GLOBAL_FIELD_ID,
            email_datetime=settings.YT_EMAIL_DATETIME_GLOBAL_FIELD_ID,
            new_message=settings.YT_IS_NEW_MSG_GLOBAL_FIELD_ID,
            sla_deadline=settings.YT_SLA_DEADLINE_GLOBAL_FIELD_ID,
            sla_state=settings.YT_IS_SLA_EXPIRED_GLOBAL_FIELD_ID,
            operator=settings.YT_OPERATOR_NAME_GLOBAL_FIELD_NAME,
            contractor=settings.YT_AVR_NAME_GLOBAL_FIELD_ID,
            type_key=settings.YT_TYPE_OF_INCIDENT_LOCAL_FIELD_ID,
        )

    def global_fields(self) -> dict[str, tuple[str, str]]:
        """Global field id → (Russian name, kind) as ``setup_tracker`` creates them."""
        return {
            self.local_id: ("Local ID", "integer"),
            self.emails_ids: ("Local emails IDs", "string"),
            self.pole: ("Шифр опоры", "string"),
            self.base_station: ("Номер БС", "string"),
            self.email_datetime: ("Email Datetime", "datetime"),
            self.new_message: ("Новое сообщение", "string"),
            self.sla_deadline: ("Дедлайн SLA", "datetime"),
            self.sla_state: ("Статус SLA", "string"),
            self.operator: ("Оператор", "string"),
            self.contractor: ("Подрядчик по АВР", "string"),
            **work_field_names(),
        }


def status_by_tracker_key() -> dict[str, StatusKey]:
    """Tracker status key → our status key."""
    return {tracker: ours for ours, tracker in tracker_status_keys().items()}


class TrackerDirectory:
    """Per-process cache of the queue's local field ids and the tracker's users."""

    def __init__(self, client: TrackerClient, queue: str | None = None) -> None:
        self.client = client
        self.queue = queue or settings.YT_QUEUE
        self.ids = FieldIds.from_settings()
        self._local_fields: tuple[float, list[str]] | None = None
        self._users: tuple[float, dict[str, str], dict[str, str]] | None = None
        self._robot_uid: str | None = None
        self._miss_reload_at = float("-inf")

    def forget(self) -> None:
        """Drop the cached field ids and users (read again on next use)."""
        self._local_fields = None
        self._users = None

    def _local_ids(self) -> list[str]:
        """The full ids (``<hex>--<key>``) of the queue's local fields (cached)."""
        if self._local_fields is None or time.monotonic() - self._local_fields[0] > CACHE_SECONDS:
            found = [local["id"] for local in self.client.local_fields(self.queue)]
            self._local_fields = (time.monotonic(), found)
        return self._local_fields[1]

    def type_field_id(self) -> str | None:
        """The full id (``<hex>--typeOfProblem``) of the local incident-type field, if it exists."""
        return next((i for i in self._local_ids() if i.endswith(self.ids.type_key)), None)

    def subtype_field_id(self) -> str | None:
        """The full id of the local incident-subtype field, if it exists."""
        return next((i for i in self._local_ids() if i.endswith(SUBTYPE_FIELD_KEY)), None)

    def _load_users(self) -> tuple[dict[str, str], dict[str, str]]:
        """The tracker's active users (re-read every few minutes and stored for assignment)."""
        if self._users is None or time.monotonic() - self._users[0] > CACHE_SECONDS:
            active = [user for user in self.client.users() if not user.get("dismissed")]
            remember_users(active)
            by_login = {user["login"].lower(): str(user["uid"]) for user in active}
            by_uid = {str(user["uid"]): user["login"] for user in active}
            self._users = (time.monotonic(), by_login, by_uid)
        return self._users[1], self._users[2]

    def refresh_users(self) -> None:
        """Read the tracker's users unless read in the last few minutes."""
        self._load_users()

    def robot_uid(self) -> str:
        """The uid our token acts as: changes it made are DISPATCH's own writes."""
        if self._robot_uid is None:
            self._robot_uid = str(self.client.myself()["uid"])
        return self._robot_uid

    def uid_for_login(self, login: str) -> str | None:
        return self._load_users()[0].get(login.lower())

    def login_for_uid(self, uid: str) -> str | None:
        """The login of an issue's assignee; an unknown uid (a user added since the list was
        read) re-reads the list, at most once every ``MISS_RELOAD_SECONDS``."""
        login = self._load_users()[1].get(str(uid))
        now = time.monotonic()
        if login is None and now - self._miss_reload_at > MISS_RELOAD_SECONDS:
            self._miss_reload_at, self._users = now, None
            login = self._load_users()[1].get(str(uid))
        return login
