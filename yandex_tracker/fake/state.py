"""In-memory state of the fake Yandex Tracker: issues, workflow, fields, comments, tokens, users.

Pure Python (no Django), guarded by one lock; ``fake.http`` turns HTTP requests into calls here.
Every operation raises ``ApiError(status, message)`` for the error responses the real API gives.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

JSON = Any


class ApiError(Exception):
    """An error response: ``status`` and the tracker's error body."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def fmt(value: datetime) -> str:
    """``2017-06-11T05:16:01.339+0000``: UTC, milliseconds, no colon in the offset."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def parse_dt(value: Any) -> datetime:
    """Accept ISO-8601 with an offset (``+03:00``, ``+0300``, ``Z``); return UTC at ms precision."""
    if not isinstance(value, str):
        raise ValueError(f"not a datetime: {value!r}")
    text = value.strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"datetime without offset: {value!r}")
    parsed = parsed.astimezone(UTC)
    return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)


# Default workflow of the dispatch queue (docs/workflow.md, incidents/workflow.py): from status
# → allowed targets.
CUSTOM = {
    "on_generation": "naGeneraciiNb",
    "notify_operator": "uvedomlaemOperatora",
    "notified_operator": "uvedomiliOperatora",
    "notify_closed": "uvedomitOZakrytii",
    "notified_closed": "uvedomiliOZakrytii",
    "notify_contractor": "peredatPodradciku",
    "notified_contractor": "peredanoPodradciku",
}

DEFAULT_STATUSES: list[tuple[str, str, str]] = [
    ("open", "Открыт", "new"),
    ("inProgress", "В работе", "inProgress"),
    ("needAcceptance", "Ждем подтверждения", "paused"),
    ("closed", "Закрыт", "done"),
    ("error", "Ошибка", "paused"),
    ("naGeneraciiNb", "На генерации НБ", "inProgress"),
    ("uvedomlaemOperatora", "Уведомляем оператора", "paused"),
    ("uvedomiliOperatora", "Уведомили оператора", "inProgress"),
    ("uvedomitOZakrytii", "Уведомить о закрытии", "paused"),
    ("uvedomiliOZakrytii", "Уведомили о закрытии", "inProgress"),
    ("peredatPodradciku", "Передать подрядчику", "paused"),
    ("peredanoPodradciku", "Передано подрядчику", "inProgress"),
]


def default_workflow() -> dict[str, list[str]]:
    """The graph of §5.3; every status may also go to «Ошибка» and «Ждем подтверждения»."""
    graph = {
        "open": ["inProgress"],
        "error": ["inProgress"],
        "inProgress": [
            "uvedomlaemOperatora",
            "uvedomiliOperatora",
            "peredatPodradciku",
            "naGeneraciiNb",
            "closed",
        ],
        "uvedomlaemOperatora": ["uvedomiliOperatora"],
        "uvedomiliOperatora": [
            "peredatPodradciku",
            "peredanoPodradciku",
            "uvedomitOZakrytii",
            "naGeneraciiNb",
        ],
        "peredatPodradciku": ["peredanoPodradciku"],
        "peredanoPodradciku": ["uvedomitOZakrytii", "naGeneraciiNb", "closed"],
        "uvedomitOZakrytii": ["uvedomiliOZakrytii"],
        "uvedomiliOZakrytii": ["naGeneraciiNb", "closed"],
        "naGeneraciiNb": ["uvedomitOZakrytii", "closed"],
        "needAcceptance": ["uvedomitOZakrytii", "inProgress", "closed"],
        "closed": ["inProgress"],
    }
    for source, targets in graph.items():
        for extra in ("error", "needAcceptance"):
            if source != extra and extra not in targets:
                targets.append(extra)
    graph.setdefault("needAcceptance", []).append("error")
    return graph


FIELD_TYPES = {
    "integer": "ru.yandex.startrek.core.fields.IntegerFieldType",
    "string": "ru.yandex.startrek.core.fields.StringFieldType",
    "datetime": "ru.yandex.startrek.core.fields.DateTimeFieldType",
    "date": "ru.yandex.startrek.core.fields.DateFieldType",
}
SCHEMA_BY_CLASS = {v: k for k, v in FIELD_TYPES.items()}

DEFAULT_GLOBAL_FIELDS: list[tuple[str, str, str]] = [
    ("localId", "Local ID", "integer"),
    ("localEmailsIds", "Local emails IDs", "string"),
    ("poleNumber", "Шифр опоры", "string"),
    ("baseStation", "Номер БС", "string"),
    ("emailDatetime", "Email Datetime", "datetime"),
    ("newMessage", "Новое сообщение", "string"),
    ("deadlineSla", "Дедлайн SLA", "datetime"),
    ("slaStatus", "Статус SLA", "string"),
    ("operator", "Оператор", "string"),
    ("avrContractor", "Подрядчик по АВР", "string"),
    *(
        (category + edge, f"{label}: {word}", "datetime")
        for category, label in (("avr", "АВР"), ("rvr", "РВР"), ("dgu", "ДГУ"), ("eks", "ЭКС"))
        for edge, word in (("StartedAt", "начало"), ("EndedAt", "окончание"))
    ),
    ("rvrPriority", "Приоритет РВР", "string"),
]
# ``relationship`` of ``POST /v2/issues/{key}/links`` → (link type id, direction from ``key``).
LINK_RELATIONSHIPS: dict[str, tuple[str, str]] = {
    "relates": ("relates", "outward"),
    "depends on": ("depends", "outward"),
    "is dependent by": ("depends", "inward"),
    "is subtask for": ("subtask", "inward"),
    "is parent task for": ("subtask", "outward"),
    "duplicates": ("duplicates", "outward"),
    "is duplicated by": ("duplicates", "inward"),
}
OPPOSITE = {"outward": "inward", "inward": "outward"}
LINK_TYPE_NAMES = {  # id -> (outward, inward), as the tracker names the link's two ends
    "relates": ("Связана", "Связана"),
    "depends": ("Зависит от", "Блокирует"),
    "subtask": ("Родительская задача", "Подзадача"),
    "duplicates": ("Дублирует", "Дублируется"),
}
SYSTEM_STRING_FIELDS = {"summary", "description", "emailFrom", "emailTo", "emailCc"}
# System fields as ``GET /v2/fields`` lists them: id → (Russian name, schema type, items type).
SYSTEM_FIELDS: dict[str, tuple[str, str, str]] = {
    "key": ("Ключ", "string", ""),
    "summary": ("Задача", "string", ""),
    "description": ("Описание", "string", ""),
    "queue": ("Очередь", "queue", ""),
    "type": ("Тип", "issuetype", ""),
    "status": ("Статус", "status", ""),
    "previousStatus": ("Предыдущий статус", "status", ""),
    "priority": ("Приоритет", "priority", ""),
    "assignee": ("Исполнитель", "user", ""),
    "followers": ("Наблюдатели", "array", "user"),
    "createdBy": ("Автор", "user", ""),
    "updatedBy": ("Изменил", "user", ""),
    "createdAt": ("Создано", "date-time", ""),
    "updatedAt": ("Обновлено", "date-time", ""),
    "lastCommentUpdatedAt": ("Последний комментарий", "date-time", ""),
    "deadline": ("Дедлайн", "date", ""),
    "tags": ("Теги", "array", "string"),
    "attachments": ("Вложения", "array", "attachment"),
    "emailFrom": ("Email от", "string", ""),
    "emailTo": ("Email кому", "string", ""),
    "emailCc": ("Email копия", "string", ""),
    "unique": ("Уникальный ключ", "string", ""),
}
ISSUE_TYPES = {"task": ("1", "Задача"), "incident": ("2", "Инцидент"), "bug": ("3", "Ошибка")}
CATEGORIES = ["system", "timestamp", "agile", "email", "sla"]


@dataclass
class Fault:
    """An injected failure: the next ``count`` matching requests answer ``status``.

    With ``after=True`` the request is carried out first and the error replaces its response
    (a lost reply: the client cannot know the write happened).
    """

    status: int
    count: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    method: str = ""
    path: str = ""
    after: bool = False

    def matches(self, method: str, path: str) -> bool:
        return (not self.method or self.method == method) and self.path in path


class FakeTracker:
    """All state of one fake tracker organisation."""

    def __init__(
        self,
        *,
        queue: str = "DISP",
        org_id: str = "fake-org",
        cloud_org: bool = False,
        access_token: str = "robot-token",  # noqa: S107
        refresh_token: str = "robot-refresh",  # noqa: S107
        client_id: str = "client-id",
        client_secret: str = "client-secret",  # noqa: S107
        provision_fields: bool = True,
        rotate_tokens: bool = True,
    ) -> None:
        self.lock = threading.RLock()
        self.base_url = "https://api.tracker.yandex.net"
        self.org_id, self.cloud_org = org_id, cloud_org
        self.client_id, self.client_secret = client_id, client_secret
        self.rotate_tokens = rotate_tokens
        self.clock_offset = timedelta()
        self._ids = itertools.count(1)
        self.users: list[JSON] = []
        self.tokens: dict[str, dict[str, Any]] = {}  # access token -> {uid, expires_at}
        self.refresh_tokens: dict[str, int] = {}  # refresh token -> uid
        robot = self.add_user("robot-dispatch", "Робот DISPATCH")
        self.robot_uid = robot["uid"]
        self.add_token(access_token, robot["uid"], refresh_token=refresh_token)
        self.statuses = [
            {"id": i, "key": key, "name": name, "type": kind, "version": 1, "order": i * 100}
            for i, (key, name, kind) in enumerate(DEFAULT_STATUSES, start=1)
        ]
        self.workflow = default_workflow()
        self.queues: dict[str, JSON] = {}
        self.local_fields: dict[str, dict[str, JSON]] = {}
        self.fields: dict[str, JSON] = {}
        self.system_fields = {
            key: self._system_field(n, key, name, kind, items)
            for n, (key, (name, kind, items)) in enumerate(SYSTEM_FIELDS.items(), start=1)
        }
        self.add_queue(queue)
        if provision_fields:
            for key, name, kind in DEFAULT_GLOBAL_FIELDS:
                self.add_field(key, name, kind)
            self.add_local_field(queue, "typeOfProblem", "Тип проблемы", "string")
            self.add_local_field(queue, "subtypeOfProblem", "Подтип проблемы", "string")
        self.issues: dict[str, JSON] = {}  # key -> stored issue (datetimes as datetime)
        self.issue_ids: dict[str, str] = {}  # 24-hex id -> key
        self.uniques: dict[str, str] = {}  # unique -> key
        self.seq: dict[str, int] = {}
        self.comments: dict[str, list[JSON]] = {}
        self.links: dict[str, list[JSON]] = {}  # key -> the issue's links (both directions)
        self.changelog: dict[str, list[JSON]] = {}
        self.attachments: dict[str, JSON] = {}
        self.outbox: list[JSON] = []
        self.scrolls: dict[str, dict[str, Any]] = {}
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []
        self._comment_ids = itertools.count(1000)

    # -- setup helpers ---------------------------------------------------------------------

    def now(self) -> datetime:
        moment = datetime.now(UTC) + self.clock_offset
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    def add_user(
        self, login: str, display: str = "", *, disable_notifications: bool = False
    ) -> JSON:
        with self.lock:
            uid = 1120000000000000 + len(self.users) + 1
            user = {
                "uid": uid,
                "login": login,
                "trackerUid": uid,
                "passportUid": uid,
                "display": display or login,
                "email": f"{login}@example.ru",
                "external": False,
                "hasLicense": True,
                "dismissed": False,
                "disableNotifications": disable_notifications,
            }
            self.users.append(user)
            return user

    def add_token(
        self, access: str, uid: int, *, refresh_token: str = "", ttl: float = 3600 * 24
    ) -> None:
        with self.lock:
            self.tokens[access] = {"uid": uid, "expires_at": self.now() + timedelta(seconds=ttl)}
            if refresh_token:
                self.refresh_tokens[refresh_token] = uid

    def expire_token(self, access: str | None = None) -> None:
        """Expire one access token (or all): the next call with it gets 401."""
        with self.lock:
            for token, info in self.tokens.items():
                if access is None or token == access:
                    info["expires_at"] = self.now() - timedelta(seconds=1)

    def add_queue(self, key: str) -> JSON:
        with self.lock:
            queue = {"id": str(len(self.queues) + 1), "key": key, "name": key, "version": 1}
            self.queues[key] = queue
            self.local_fields.setdefault(key, {})
            return queue

    def add_field(self, key: str, name: str, kind: str, *, category: str = "agile") -> JSON:
        with self.lock:
            if key in self.fields:
                raise ApiError(409, f"field {key} exists")
            if kind not in FIELD_TYPES:
                raise ApiError(422, f"unknown field type {kind}")
            self.fields[key] = {
                "id": key,
                "key": key,
                "name": name,
                "description": "",
                "version": 1,
                "schema": {"type": "integer" if kind == "integer" else kind, "required": False},
                "kind": kind,
                "readonly": False,
                "hidden": False,
                "visible": True,
                "options": False,
                "suggest": False,
                "order": len(self.fields) + 1,
                "category": self.category_ref(category),
                "type": "standard",
            }
            return self.fields[key]

    def _system_field(self, order: int, key: str, name: str, kind: str, items: str) -> JSON:
        schema: JSON = {"type": kind, "required": key in ("summary", "queue")}
        if items:
            schema["items"] = items
        return {
            "id": key,
            "key": key,
            "name": name,
            "version": 1,
            "schema": schema,
            "readonly": key in ("key", "createdAt", "updatedAt", "createdBy", "updatedBy"),
            "options": False,
            "suggest": False,
            "order": order,
            "category": self.category_ref("system"),
            "type": "standard",
        }

    def filter_fields(self, queue: str | None) -> set[str]:
        """Field ids a search filter may name: system, global and the queue's local fields."""
        names = set(self.system_fields) | set(self.fields)
        for key, local in self.local_fields.get(queue or "", {}).items():
            names.update((local["id"], key))
        if queue is None:
            for fields in self.local_fields.values():
                names.update(local["id"] for local in fields.values())
        return names

    def add_local_field(self, queue: str, key: str, name: str, kind: str) -> JSON:
        with self.lock:
            if queue not in self.queues:
                raise ApiError(404, f"queue {queue} not found")
            if key in self.local_fields[queue]:
                raise ApiError(409, f"local field {key} exists")
            field_id = f"{secrets.token_hex(12)}--{key}"
            self.local_fields[queue][key] = {
                "id": field_id,
                "key": key,
                "name": name,
                "description": "",
                "version": 1,
                "schema": {"type": kind, "required": False},
                "kind": kind,
                "readonly": False,
                "options": False,
                "suggest": False,
                "order": 1,
                "category": self.category_ref("agile"),
                "queue": {"id": self.queues[queue]["id"], "key": queue, "display": queue},
                "type": "local",
            }
            return self.local_fields[queue][key]

    def category_ref(self, name: str) -> JSON:
        index = CATEGORIES.index(name) + 1 if name in CATEGORIES else 3
        return {"id": f"{index:024d}", "display": CATEGORIES[index - 1]}

    # -- auth ------------------------------------------------------------------------------

    def authenticate(self, headers: dict[str, str]) -> int:
        """The uid behind the request's token; 401 for missing/unknown/expired, 403 wrong org."""
        auth = headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme not in ("OAuth", "Bearer") or not token:
            raise ApiError(401, "Authorization header required")
        with self.lock:
            info = self.tokens.get(token)
            if info is None or info["expires_at"] <= self.now():
                raise ApiError(401, "Token is invalid or expired")
        # the org id counts only in the header of the org's kind (a Yandex 360 org: X-Org-ID; a
        # Cloud org: X-Cloud-Org-ID); the official client sends ``X-Org-Id: not provided`` too
        org = headers.get("x-cloud-org-id" if self.cloud_org else "x-org-id")
        if self.org_id and org != self.org_id:
            raise ApiError(403, "Organization not found or access denied")
        return info["uid"]

    def refresh(self, form: dict[str, str], basic: tuple[str, str] | None) -> JSON:
        """The OAuth token endpoint (``grant_type=refresh_token``)."""
        client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
        if (client_id, secret) != (self.client_id, self.client_secret):
            raise ApiError(400, "invalid_client")
        if form.get("grant_type") != "refresh_token":
            raise ApiError(400, "unsupported_grant_type")
        with self.lock:
            uid = self.refresh_tokens.get(form.get("refresh_token", ""))
            if uid is None:
                raise ApiError(400, "invalid_grant")
            if self.rotate_tokens:
                del self.refresh_tokens[form["refresh_token"]]
                access, refresh = f"at-{secrets.token_hex(8)}", f"rt-{secrets.token_hex(8)}"
            else:
                access = next(t for t, i in self.tokens.items() if i["uid"] == uid)
                refresh = form["refresh_token"]
            self.add_token(access, uid, refresh_token=refresh, ttl=31536000)
            return {
                "access_token": access,
                "refresh_token": refresh,
                "token_type": "bearer",
                "expires_in": 31536000,
            }

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.count > 0 and fault.matches(method, path):
                    fault.count -= 1
                    if fault.count == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def inject(self, status: int, **kwargs: Any) -> Fault:
        fault = Fault(status=status, **kwargs)
        with self.lock:
            self.faults.append(fault)
        return fault

    def request_count(self, method: str = "", path: str = "") -> int:
        with self.lock:
            return sum(1 for m, p in self.requests if (not method or m == method) and path in p)

    # -- references ------------------------------------------------------------------------

    def user_ref(self, uid: int, v: str) -> JSON:
        user = self.user_by(uid)
        return {
            "self": f"{self.base_url}/{v}/users/{uid}",
            "id": str(uid),
            "display": user["display"],
        }

    def user_by(self, value: Any) -> JSON:
        """A user by uid (int or digit string), login, or ``{"id"|"login"|"uid"}``."""
        if isinstance(value, dict):
            value = value.get("id") or value.get("uid") or value.get("login")
        for user in self.users:
            if str(user["uid"]) == str(value) or user["login"] == value:
                return user
        raise ApiError(422, f"user {value!r} not found")

    def status_by_key(self, key: str) -> JSON:
        for status in self.statuses:
            if status["key"] == key:
                return status
        raise ApiError(404, f"status {key} not found")

    def status_ref(self, key: str, v: str) -> JSON:
        status = self.status_by_key(key)
        return {
            "self": f"{self.base_url}/{v}/statuses/{status['id']}",
            "id": str(status["id"]),
            "key": key,
            "display": status["name"],
        }

    def field_spec(self, queue: str, name: str) -> tuple[str, str] | None:
        """(storage key, kind) for a custom field name, or None when it is not a custom field."""
        if name in self.fields:
            return name, self.fields[name]["kind"]
        for local in self.local_fields.get(queue, {}).values():
            if local["id"] == name:
                return name, local["kind"]
        return None

    # -- issues ------------------------------------------------------------------------------

    def create_issue(self, body: JSON, uid: int) -> JSON:
        if not isinstance(body, dict):
            raise ApiError(400, "JSON object expected")
        queue_value = body.get("queue")
        if isinstance(queue_value, dict):
            queue_value = queue_value.get("key") or queue_value.get("id")
        summary = body.get("summary")
        if not queue_value or not isinstance(summary, str) or not summary.strip():
            raise ApiError(400, "summary and queue are required")
        with self.lock:
            queue = next(
                (
                    q
                    for q in self.queues.values()
                    if q["key"] == queue_value or q["id"] == str(queue_value)
                ),
                None,
            )
            if queue is None:
                raise ApiError(404, f"queue {queue_value} not found")
            unique = body.get("unique")
            if unique is not None and str(unique) in self.uniques:
                raise ApiError(409, "Issue with this unique already exists")
            if "status" in body:
                raise ApiError(422, "status cannot be set on create")
            number = self.seq.get(queue["key"], 0) + 1
            key = f"{queue['key']}-{number}"
            now = self.now()
            issue: JSON = {
                "id": secrets.token_hex(12),
                "key": key,
                "version": 1,
                "queue": queue["key"],
                "status": "open",
                "previousStatus": None,
                "type": "task",
                "createdAt": now,
                "updatedAt": now,
                "createdBy": uid,
                "updatedBy": uid,
                "summary": summary,
            }
            rest = {k: v for k, v in body.items() if k not in ("queue", "summary", "unique")}
            self._apply(issue, rest, creating=True)
            if unique is not None:
                issue["unique"] = str(unique)
            self.seq[queue["key"]] = number
            self.issues[key] = issue
            self.issue_ids[issue["id"]] = key
            if unique is not None:
                self.uniques[str(unique)] = key
            self.comments[key] = []
            self.links[key] = []
            self.changelog[key] = []
            self._log(key, "IssueCreated", uid, [], at=issue["updatedAt"])
            return issue

    def _apply(self, issue: JSON, body: JSON, *, creating: bool = False) -> list[str]:
        """Apply create/PATCH values; return the names that changed (422 on bad input)."""
        changed: list[str] = []
        for name, value in body.items():
            if name == "author":  # undocumented, sent by the original: tolerated, ignored
                continue
            if name == "createdBy":
                if creating and value:
                    issue["createdBy"] = self.user_by(value)["uid"]
                continue
            if name == "status":
                raise ApiError(422, "Status can only be changed with a transition")
            if name in ("attachmentIds", "descriptionAttachmentIds"):
                for att_id in value or []:
                    if str(att_id) not in self.attachments:
                        raise ApiError(422, f"attachment {att_id} not found")
                issue.setdefault("attachments", []).extend(str(a) for a in value or [])
                continue
            new = self._coerce(issue, name, value)
            old = issue.get(name)
            if isinstance(old, list) and isinstance(value, dict):
                new = self._array_op(old, value)
            if new is None or new == [] or new == "":
                if name in issue:
                    if name in ("summary",):
                        raise ApiError(422, "summary cannot be empty")
                    del issue[name]
                    changed.append(name)
            elif old != new:
                issue[name] = new
                changed.append(name)
        return changed

    def _array_op(self, old: list, op: dict) -> list:
        result = list(old)
        if "set" in op:
            result = list(op["set"] or [])
        for item in op.get("add", []):
            if item not in result:
                result.append(item)
        for item in op.get("remove", []):
            if item in result:
                result.remove(item)
        for pair in op.get("replace", []):
            result = [pair["replacement"] if x == pair["target"] else x for x in result]
        return result

    def _coerce(self, issue: JSON, name: str, value: Any) -> Any:
        if value is None:
            return None
        if name in SYSTEM_STRING_FIELDS:
            if isinstance(value, list):
                return ", ".join(str(v) for v in value)
            return str(value)
        if name == "assignee" or name == "followers":
            if name == "followers":
                if isinstance(value, dict):
                    return value
                return [self.user_by(v)["uid"] for v in value]
            return self.user_by(value)["uid"]
        if name == "type":
            key = value.get("key") if isinstance(value, dict) else value
            if key not in ISSUE_TYPES:
                raise ApiError(422, f"issue type {key!r} not found")
            return key
        if name in ("tags",):
            return value if isinstance(value, dict) else list(value)
        if name in ("priority", "deadline"):
            return value
        spec = self.field_spec(issue["queue"], name)
        if spec is None:
            raise ApiError(422, f"Field {name!r} does not exist")
        _key, kind = spec
        try:
            if kind == "integer":
                if isinstance(value, bool):
                    raise ValueError
                return int(value)
            if kind == "datetime":
                return parse_dt(value)
            if kind == "date":
                return date.fromisoformat(str(value)[:10])
        except (TypeError, ValueError) as exc:
            raise ApiError(422, f"Invalid value for field {name!r}: {value!r}") from exc
        return str(value)

    def get_issue(self, key_or_id: str) -> JSON:
        with self.lock:
            key = self.issue_ids.get(key_or_id, key_or_id)
            issue = self.issues.get(key)
            if issue is None:
                raise ApiError(404, f"issue {key_or_id} not found")
            return issue

    def patch_issue(
        self, key: str, body: JSON, uid: int, *, version: str | None, if_match: str | None
    ) -> JSON:
        if not isinstance(body, dict):
            raise ApiError(400, "JSON object expected")
        with self.lock:
            issue = self.get_issue(key)
            if version is not None and str(issue["version"]) != str(version):
                raise ApiError(409, "Version conflict")
            if if_match is not None and if_match.strip('"') != str(issue["version"]):
                raise ApiError(412, "Precondition failed: stale version")
            working = copy.deepcopy(issue)
            changed = self._apply(working, body)
            if changed:
                working["version"] += 1
                working["updatedAt"] = self.now()
                working["updatedBy"] = uid
                fields = [(name, issue.get(name), working.get(name)) for name in changed]
                issue.clear()
                issue.update(working)
                self._log(issue["key"], "IssueUpdated", uid, fields, at=issue["updatedAt"])
            return issue

    def find_by_unique(self, unique: str) -> JSON:
        with self.lock:
            key = self.uniques.get(unique)
            if key is None:
                raise ApiError(404, "issue not found")
            return self.issues[key]

    def transitions(self, key: str) -> list[tuple[str, str]]:
        with self.lock:
            issue = self.get_issue(key)
            return [(f"t_{to}", to) for to in self.workflow.get(issue["status"], [])]

    def execute(self, key: str, transition_id: str, body: JSON, uid: int) -> str:
        with self.lock:
            issue = self.get_issue(key)
            allowed = dict(self.transitions(key))
            if transition_id not in allowed:
                raise ApiError(422, f"Transition {transition_id} is not available")
            target = allowed[transition_id]
            extra = {k: v for k, v in (body or {}).items() if k not in ("comment", "resolution")}
            if extra:
                self._apply(issue, extra)
            issue["previousStatus"] = issue["status"]
            issue["status"] = target
            issue["version"] += 1
            issue["updatedAt"] = self.now()
            issue["updatedBy"] = uid
            self._log(
                issue["key"],
                "IssueWorkflow",
                uid,
                [("status", issue["previousStatus"], target)],
                at=issue["updatedAt"],
            )
            comment = (body or {}).get("comment")
            if comment:
                self.add_comment(issue["key"], {"text": comment}, uid, bump=False)
            return target

    def set_status(self, key: str, status_key: str) -> None:
        """Test hook: move an issue straight to a status (as a dispatcher in the UI would)."""
        with self.lock:
            issue = self.get_issue(key)
            self.status_by_key(status_key)
            issue["previousStatus"], issue["status"] = issue["status"], status_key
            issue["version"] += 1
            issue["updatedAt"] = self.now()
            change = ("status", issue["previousStatus"], status_key)
            self._log(
                issue["key"], "IssueWorkflow", self.robot_uid, [change], at=issue["updatedAt"]
            )

    def _log(
        self,
        key: str,
        kind: str,
        uid: int,
        fields: list[tuple[str, Any, Any]],
        at: datetime | None = None,
    ) -> None:
        """Append a changelog entry; ``fields`` are (field, from, to) of what changed, ``at`` the
        moment of the change (the issue's new ``updatedAt``: one change, one time)."""
        self.changelog[key].append(
            {
                "id": secrets.token_hex(12),
                "type": kind,
                "updatedAt": at or self.now(),
                "updatedBy": uid,
                "fields": fields,
            }
        )

    # -- search --------------------------------------------------------------------------------

    def search(self, body: JSON) -> list[JSON]:
        """Issues matching a search body (``queue``/``keys``/``filter``), in order."""
        if not isinstance(body, dict):
            raise ApiError(400, "JSON object expected")
        # null (and an empty ``order``) is "not given": the official client sends every key
        body = {k: v for k, v in body.items() if v is not None and not (k == "order" and not v)}
        if "filterId" in body:
            raise ApiError(400, "The fake tracker does not implement saved filters")
        given = [name for name in ("queue", "keys", "filter", "query") if name in body]
        if len(given) != 1:
            raise ApiError(400, "You can only use keys, a queue, or a search query")
        if "order" in body and "filter" not in body:
            raise ApiError(400, "order is allowed only with filter")
        with self.lock:
            issues = list(self.issues.values())
            if "queue" in body:
                issues = [i for i in issues if i["queue"] == body["queue"]]
            elif "keys" in body:
                keys = body["keys"] if isinstance(body["keys"], list) else [body["keys"]]
                issues = [self.issues[k] for k in keys if k in self.issues]
            elif "query" in body:
                raise ApiError(400, "The fake tracker does not implement the query language")
            else:
                flt = body["filter"]
                if not isinstance(flt, dict):
                    raise ApiError(400, "filter must be an object")
                queue = flt.get("queue") if isinstance(flt.get("queue"), str) else None
                unknown = sorted(set(flt) - self.filter_fields(queue))
                if unknown:
                    raise ApiError(400, f"Unknown fields in filter: {', '.join(unknown)}")
                issues = [i for i in issues if all(self._match(i, k, v) for k, v in flt.items())]
                order = body.get("order")
                if isinstance(order, list):  # the official client sends ["-field", ...]
                    order = order[0]
                if order:
                    name = order.lstrip("+-")
                    issues.sort(
                        key=lambda i: (i.get(name) is None, i.get(name) or 0, _num(i["key"]))
                    )
                    if order.startswith("-"):
                        issues.reverse()
            return issues

    def _match(self, issue: JSON, name: str, wanted: Any) -> bool:
        value = issue.get(name)
        if isinstance(wanted, list):
            return any(self._match(issue, name, w) for w in wanted)
        if wanted == "Empty()":
            return value in (None, "", [])
        if wanted == "notEmpty()":
            return value not in (None, "", [])
        if name == "status":
            if isinstance(wanted, dict):
                if "key" in wanted:
                    return value == wanted["key"]
                return str(self.status_by_key(value)["id"]) == str(wanted.get("id"))
            return value == wanted or str(self.status_by_key(value)["id"]) == str(wanted)
        if isinstance(wanted, dict) and ("from" in wanted or "to" in wanted):
            if value is None:
                return False
            try:
                low = parse_dt(wanted["from"]) if wanted.get("from") else None
                high = parse_dt(wanted["to"]) if wanted.get("to") else None
            except ValueError as exc:
                raise ApiError(400, f"bad range for {name}: {exc}") from exc
            return (low is None or value >= low) and (high is None or value <= high)
        if name in ("assignee", "createdBy", "updatedBy") and value is not None:
            try:
                return value == self.user_by(wanted)["uid"]
            except ApiError:
                return False
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return value == int(wanted)
            except (TypeError, ValueError):
                return False
        return value == wanted

    def open_scroll(self, issues: list[JSON], per_scroll: int) -> str:
        with self.lock:
            scroll_id = uuid.uuid4().hex
            self.scrolls[scroll_id] = {
                "keys": [i["key"] for i in issues],
                "pos": 0,
                "per": per_scroll,
                "token": secrets.token_hex(8),
            }
            return scroll_id

    # -- comments ------------------------------------------------------------------------------

    def add_comment(self, key: str, body: JSON, uid: int, *, bump: bool = True) -> JSON:
        if not isinstance(body, dict):
            raise ApiError(400, "JSON object expected")
        with self.lock:
            issue = self.get_issue(key)
            text = body.get("text") or ""
            email = body.get("email")
            if not text and not body.get("summonees"):  # an e-mail comment needs text too
                raise ApiError(422, "Comment text is required")
            if len(text) > 512000:
                raise ApiError(422, "Comment is too long")
            if len(self.comments[issue["key"]]) >= 1000:
                raise ApiError(422, "Too many comments")
            if email is not None:
                info = email.get("info") or {}
                if not email.get("subject") or not info.get("to") or not info.get("from"):
                    raise ApiError(
                        422, "email.subject, email.info.from and email.info.to are required"
                    )
            for att_id in body.get("attachmentIds") or []:
                if str(att_id) not in self.attachments:
                    raise ApiError(422, f"attachment {att_id} not found")
            now = self.now()
            comment = {
                "id": next(self._comment_ids),
                "longId": secrets.token_hex(12),
                "text": text,
                "createdBy": uid,
                "updatedBy": uid,
                "createdAt": now,
                "updatedAt": now,
                "version": 1,
                "type": "outcoming" if email else "standard",
                "transport": "email" if email else "internal",
                "attachments": [str(a) for a in body.get("attachmentIds") or []],
            }
            if email is not None:
                comment["email"] = email
                info = email["info"]
                self.outbox.append(
                    {
                        "issue": issue["key"],
                        "comment_id": comment["id"],
                        "from": info["from"],
                        "to": list(info.get("to") or []),
                        "cc": list(info.get("cc") or []),
                        "subject": email["subject"],
                        "text": email.get("text", ""),
                    }
                )
            self.comments[issue["key"]].append(comment)
            self._log(issue["key"], "IssueCommentAdded", uid, [])
            issue["lastCommentUpdatedAt"] = now
            if bump:  # a comment is a change of the issue (not when part of a transition)
                issue["updatedAt"] = now
                issue["version"] += 1
            return comment

    def comment(self, key: str, comment_id: str) -> JSON:
        issue = self.get_issue(key)
        for comment in self.comments[issue["key"]]:
            if str(comment["id"]) == comment_id or comment["longId"] == comment_id:
                return comment
        raise ApiError(404, f"comment {comment_id} not found")

    def delete_comment(self, key: str, comment_id: str) -> None:
        with self.lock:
            comment = self.comment(key, comment_id)
            self.comments[self.get_issue(key)["key"]].remove(comment)

    # -- links -------------------------------------------------------------------------------

    def add_link(self, key: str, body: JSON, uid: int) -> JSON:
        """``POST /v2/issues/{key}/links``: one link, seen from both issues (the other side
        with the opposite direction); 422 for an unknown relationship or an existing link."""
        if not isinstance(body, dict) or not body.get("relationship") or not body.get("issue"):
            raise ApiError(400, "relationship and issue are required")
        kind = LINK_RELATIONSHIPS.get(body["relationship"])
        if kind is None:
            raise ApiError(422, f"unknown relationship {body['relationship']!r}")
        with self.lock:
            issue, other = self.get_issue(key), self.get_issue(str(body["issue"]))
            if issue["key"] == other["key"]:
                raise ApiError(422, "an issue cannot be linked to itself")
            if any(link["object"] == other["key"] for link in self.links[issue["key"]]):
                raise ApiError(422, "the issues are already linked")
            type_id, direction = kind
            now, link_id = self.now(), next(self._comment_ids)
            mine = {"id": link_id, "type": type_id, "direction": direction,
                    "object": other["key"], "createdBy": uid, "createdAt": now}  # fmt: skip
            theirs = {**mine, "object": issue["key"], "direction": OPPOSITE[direction]}
            self.links[issue["key"]].append(mine)
            self.links[other["key"]].append(theirs)
            for side in (issue, other):
                self._log(side["key"], "IssueLinked", uid, [], at=now)
                side["updatedAt"], side["version"] = now, side["version"] + 1
            return mine

    def delete_link(self, key: str, link_id: str, uid: int) -> None:
        with self.lock:
            issue = self.get_issue(key)
            link = next((x for x in self.links[issue["key"]] if str(x["id"]) == link_id), None)
            if link is None:
                raise ApiError(404, f"link {link_id} not found")
            now = self.now()
            for side in (issue["key"], link["object"]):
                self.links[side] = [x for x in self.links[side] if str(x["id"]) != link_id]
                self._log(side, "IssueUnlinked", uid, [], at=now)
                changed = self.issues[side]  # an unlink changes both issues, as a link does
                changed["updatedAt"], changed["version"] = now, changed["version"] + 1

    def add_attachment(self, filename: str, content: bytes, mimetype: str, uid: int) -> JSON:
        if not content:
            raise ApiError(400, "Empty file")
        with self.lock:
            att_id = str(next(self._ids))
            self.attachments[att_id] = {
                "id": att_id,
                "name": filename,
                "size": len(content),
                "mimetype": mimetype or "application/octet-stream",
                "createdAt": self.now(),
                "createdBy": uid,
                "content": content,
            }
            return self.attachments[att_id]

    # -- bulk (bench) ------------------------------------------------------------------------

    def bulk_issues(self, queue: str, count: int, fields: JSON | None = None) -> list[str]:
        """Create ``count`` issues directly (bench set-up); returns their keys."""
        keys = []
        for n in range(count):
            issue = self.create_issue(
                {"queue": queue, "summary": f"Bulk issue {n}", **(fields or {})}, self.robot_uid
            )
            keys.append(issue["key"])
        return keys


def _num(key: str) -> int:
    return int(key.rsplit("-", 1)[-1])
