"""Queue rows rendered once per distinct content.

Each row of the queue table is rendered from ``console/_queue_row.html`` and memoised in a bounded
per-process LRU. The memo key holds EVERY value the row displays (the whole ``QueueRow``: pk,
code, subject, requester, status key and name, SLA state and deadline, pole code, base station
name, type name, dispatcher's names and login, incident date, unread state, finished or not,
whether its first action is late) plus whether the viewer works incidents, the active language,
time zone and URL prefix. It is pure memoisation: any change to a displayed value is a different
key, so a row can never be shown stale. It pays off because a
change to one incident makes every connected console refetch ``/rows/``, where 49 of the 50
rows are unchanged.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.template.loader import get_template
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext

from console.selectors import QueueRow
from incidents.models import SLA_BADGE_LABELS, SlaState, sla_badge
from users.names import display_name

ROW_MEMO_SIZE = 10_000  # rows kept per process (≈ 1 KB of HTML each)
ROW_TEMPLATE = "console/_queue_row.html"


class RowKey(NamedTuple):
    """Everything the rendered row depends on."""

    row: QueueRow
    can_work: bool  # the viewer may take and select incidents
    language: str | None
    time_zone: str
    script_prefix: str


def render_rows(rows: list[QueueRow], *, can_work: bool = False) -> list[SafeString]:
    """HTML of the queue table rows (``can_work``: with the select box and «Взять себе»)."""
    language, time_zone = get_language(), timezone.get_current_timezone_name()
    prefix = get_script_prefix()
    return [_row_html(RowKey(row, can_work, language, time_zone, prefix)) for row in rows]


def table_rows(rows: list[QueueRow], *, can_work: bool = False) -> SafeString:
    """The rows of ``render_rows`` as one piece of the table body (one template variable
    instead of a loop over 50)."""
    return SafeString("\n".join(render_rows(rows, can_work=can_work)))


@lru_cache(maxsize=ROW_MEMO_SIZE)
def _row_html(key: RowKey) -> SafeString:
    """Render one row; a function of ``key`` alone (the current request's language, time zone
    and URL prefix are the ones in the key)."""
    row = key.row
    assignee = None
    if row.assignee_username is not None:
        assignee = display_name(
            row.assignee_first_name, row.assignee_last_name, row.assignee_username
        )
    sla_key = sla_badge(row.sla_state, row.is_finished)
    if row.first_action_late:  # no type, so no clock of its own: the dispatcher SLA is late
        sla_key = SlaState.EXPIRED
    context = {
        "row": row,
        "can_work": key.can_work,
        "labels": _labels(key.language),
        "url": reverse("console:incident", args=[row.pk]),
        "take_url": reverse("console:take", args=[row.pk]),
        "number": row.code or f"№{row.pk}",
        "subject": Truncator(row.subject or "—").chars(90),
        "sla_key": sla_key,
        "sla_label": SLA_BADGE_LABELS.get(sla_key, row.sla_state),  # lazy, translated here
        "deadline": _local(row.sla_deadline) if row.sla_deadline else None,
        "received": _local(row.incident_date),
        "assignee": assignee,
    }
    return get_template(ROW_TEMPLATE).render(context)


@lru_cache(maxsize=len(settings.LANGUAGES) + 1)
def _labels(language: str | None) -> dict[str, str]:
    """Column names repeated in every row (``data-label``, shown on narrow screens) in the active
    ``language``, translated once."""
    return {
        "number": gettext("Number"),
        "subject": gettext("Subject"),
        "status": gettext("Status"),
        "sla": gettext("SLA"),
        "site": gettext("Pole / base station"),
        "type": gettext("Type"),
        "dispatcher": gettext("Dispatcher"),
        "received": gettext("Received"),
        "nobody": gettext("nobody"),
        "unread": gettext("New mail not read yet"),
        "needs_type": gettext("Needs a type"),
        "first_action": gettext("no first action"),
        "take": gettext("Take"),
        "select": gettext("Select"),
    }


def _local(moment: datetime) -> tuple[str, str]:
    """(ISO 8601, «dd.mm.yyyy hh:mm») in the current time zone, as ``|date:'c'`` and
    ``|date:"d.m.Y H:i"`` print it."""
    d = timezone.localtime(moment)
    return d.isoformat(), f"{d.day:02}.{d.month:02}.{d.year:04} {d.hour:02}:{d.minute:02}"


def memo_info():
    """Hits, misses, size of the row memo (for tests and diagnostics)."""
    return _row_html.cache_info()


def clear_memo() -> None:
    _row_html.cache_clear()
