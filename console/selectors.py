"""Console reads: the queue, one incident with everything its page shows, dispatcher load."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, router
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import OrderBy, RawSQL
from django.db.models.query import prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from console import incident_read, reference_cache
from dispatch.statements import CompiledQuery, Splice, ordered_rows
from emails.models import EmailAttachment, EmailMessage, EmailRecipient
from emails.outbox.models import OutboundEmail
from emails.search import search_text
from incidents.assignment import not_assignable_reason, tracker_logins
from incidents.models import (
    Incident,
    IncidentChange,
    IncidentComment,
    IncidentLink,
    IncidentStatus,
    IncidentStatusHistory,
    IncidentSubtype,
    IncidentType,
    IncidentWork,
    SlaState,
)
from incidents.notifications import is_automated_address, our_addresses
from users.models import User, WorkShift
from users.names import display_name
from users.shifts import is_on_shift

# Sort keys the queue accepts → ORDER BY (a stable tie-breaker last).
SORTS: dict[str, tuple[str, ...]] = {
    "-incident_date": ("-incident_date", "-id"),
    "incident_date": ("incident_date", "id"),
    "sla_deadline": ("sla_deadline", "id"),
    "-sla_deadline": ("-sla_deadline", "-id"),
    "-updated_at": ("-updated_at", "-id"),
    "code": ("id",),
    "-code": ("-id",),
    "status": ("status__id", "-incident_date", "-id"),
}
DEFAULT_SORT = "-incident_date"

# Queue scope: open incidents (default), finished ones, or all.
SCOPE_OPEN, SCOPE_FINISHED, SCOPE_ALL = "open", "finished", "all"
ASSIGNEE_NONE, ASSIGNEE_ME = "none", "me"
UNTYPED = "none"  # the type filter's value for incidents without a type


@dataclass(frozen=True)
class QueueFilters:
    """What the dispatcher asked the queue for (already validated by the filter form)."""

    text: str = ""
    status: str = ""
    sla_state: str = ""
    incident_type: int | None = None
    untyped: bool = False  # only incidents without a type
    assignee: str = ""  # "", "none", "me" or a user id
    scope: str = SCOPE_OPEN
    sort: str = DEFAULT_SORT
    unread: bool = False


class QueueRow(NamedTuple):
    """One queue row: exactly the values the row displays (``None`` where the incident has no
    pole, base station, type or dispatcher)."""

    pk: int
    code: str | None
    subject: str
    requester_email: str
    status_key: str
    status_name: str
    sla_state: str
    sla_deadline: datetime | None
    pole_code: str | None
    base_station_name: str | None
    type_name: str | None
    assignee_first_name: str | None
    assignee_last_name: str | None
    assignee_username: str | None
    incident_date: datetime
    unread_since: datetime | None
    is_finished: bool
    first_action_late: bool  # untyped, nobody acted on it, past the dispatcher SLA


# QueueRow field → the lookup it is read from (same order).
QUEUE_COLUMNS = (
    "pk",
    "code",
    "subject",
    "requester_email",
    "status__key",
    "status__name",
    "sla_state",
    "sla_deadline",
    "pole__code",
    "base_station__name",
    "incident_type__name",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__username",
    "incident_date",
    "unread_since",
    "is_finished",
    "first_action_late",
)


def is_default_scope(filters: QueueFilters) -> bool:
    """Whether the queue lists every open incident (its total is ``queue_counts()["open"]``)."""
    return filters.scope == SCOPE_OPEN and not (
        filters.text
        or filters.status
        or filters.sla_state
        or filters.incident_type
        or filters.untyped
        or filters.assignee
        or filters.unread
    )


def queue_incidents(filters: QueueFilters, user: User) -> QuerySet[Incident]:
    """The incidents the queue shows, filtered and sorted; nothing joined or fetched yet
    (paginate its ids, then read one page with ``queue_rows``)."""
    incidents = Incident.objects.all()
    if filters.scope == SCOPE_OPEN:
        incidents = incidents.filter(is_finished=False)
    elif filters.scope == SCOPE_FINISHED:
        incidents = incidents.filter(is_finished=True)
    if filters.text:
        incidents = incidents.filter(text_search(filters.text))
    if filters.status:
        incidents = incidents.filter(status__key=filters.status)
    if filters.sla_state == SlaState.EXPIRED:
        incidents = incidents.filter(overdue())
    elif filters.sla_state:
        incidents = incidents.filter(sla_state=filters.sla_state)
    if filters.incident_type:
        incidents = incidents.filter(incident_type_id=filters.incident_type)
    if filters.untyped:
        incidents = incidents.filter(incident_type__isnull=True)
    if filters.unread:
        incidents = incidents.filter(unread_since__isnull=False)
    if filters.assignee == ASSIGNEE_NONE:
        incidents = incidents.filter(assignee__isnull=True)
    elif filters.assignee == ASSIGNEE_ME:
        incidents = incidents.filter(assignee=user)
    elif filters.assignee.isdigit():
        incidents = incidents.filter(assignee_id=int(filters.assignee))
    return incidents.order_by(*queue_ordering(filters))


NULLABLE_SORTS = {"sla_deadline"}  # sorted as if empty were the greatest value, everywhere


def queue_ordering(filters: QueueFilters, *, reverse: bool = False) -> list[str | OrderBy]:
    """ORDER BY of the queue (``reverse``: the opposite direction); an empty SLA deadline
    sorts as the latest on every database (SQLite would put it first, PostgreSQL last)."""
    terms: list[str | OrderBy] = []
    for term in SORTS.get(filters.sort, SORTS[DEFAULT_SORT]):
        field, descending = term.lstrip("-"), term.startswith("-") != reverse
        if field in NULLABLE_SORTS:
            terms.append(
                F(field).desc(nulls_first=True) if descending else F(field).asc(nulls_last=True)
            )
        else:
            terms.append(f"-{field}" if descending else field)
    return terms


def neighbour(
    incident: Incident, filters: QueueFilters, user: User, *, forward: bool
) -> int | None:
    """The id of the incident after (``forward``) or before ``incident`` in the queue under
    ``filters``, whether or not ``incident`` itself still matches them (one query)."""
    after, equal = Q(pk__in=[]), Q()
    for term in SORTS.get(filters.sort, SORTS[DEFAULT_SORT]):
        field = term.lstrip("-")
        value = getattr(incident, "pk" if field == "id" else field.replace("__", "_"))
        greater = term.startswith("-") != forward
        after |= equal & _beyond(field, value, greater=greater)
        equal &= Q(**{f"{field}__isnull": True}) if value is None else Q(**{field: value})
    found = (
        queue_incidents(filters, user)
        .filter(after)
        .order_by(*queue_ordering(filters, reverse=not forward))
        .values_list("pk", flat=True)[:1]
    )
    return next(iter(found), None)


def _beyond(field: str, value, *, greater: bool) -> Q:
    """Rows past ``value`` of ``field`` (an empty value counts as the greatest)."""
    if greater:
        if value is None:
            return Q(pk__in=[])
        bigger = Q(**{f"{field}__gt": value})
        return bigger | Q(**{f"{field}__isnull": True}) if field in NULLABLE_SORTS else bigger
    if value is None:
        return Q(**{f"{field}__isnull": False})
    return Q(**{f"{field}__lt": value})


def queue_rows(page_ids: QuerySet, filters: QueueFilters) -> list[QueueRow]:
    """The rows of one page (one query, no model instances). ``page_ids`` is the page's slice
    of ``queue_incidents(…).values("pk")``: the database picks the page's ids on the incidents
    alone, then joins the reference tables for those rows only. The statement around that
    subquery is compiled once a sort order (``_ROWS``)."""
    alias = page_ids.db
    sort = filters.sort if filters.sort in SORTS else DEFAULT_SORT
    try:
        page = page_ids.query.get_compiler(alias).as_sql()
    except EmptyResultSet:  # a filter no row can match (e.g. ``pk__in=[]``)
        return []
    rows = _ROWS[sort].rows(dispatcher_deadline(), page, using=alias)
    return [QueueRow._make(values) for values in rows]


# The queue's two statements of every view, the header counters and one page's rows, are
# compiled once a process (building and compiling them anew cost ~1.1 ms and ~1.4 ms of CPU a
# view on PostgreSQL against ~0.3 ms each to run, 2026-12-04), with markers no request can
# carry in place of the dispatcher-SLA deadline, the viewer's id and the page's ids.
_DEADLINE = datetime(1901, 1, 1, tzinfo=UTC)
_USER_ID = -7_070_707
_PAGE = Splice("SELECT NULL /* the page's ids */")


def _rows_query(sort: str, deadline: datetime, page: str) -> QuerySet:
    """The rows query of ``queue_rows``: the incidents the subquery ``page`` chooses, late
    against ``deadline``. The status, pole, base station, type and dispatcher are read by a
    subquery each, not joined: PostgreSQL planned the seven-way join anew on every view
    (1.8-3 ms of planning against 0.2 ms for this form, 0.4 ms to run either)."""
    columns, related = [], {}
    for name, lookup in zip(QueueRow._fields, QUEUE_COLUMNS, strict=True):
        if "__" in lookup:
            relation, field = lookup.split("__")
            model = Incident._meta.get_field(relation).related_model
            found = model.objects.filter(pk=OuterRef(f"{relation}_id")).order_by().values(field)[:1]
            related[name] = Subquery(found)
            lookup = name
        columns.append(lookup)
    return (
        Incident.objects.filter(pk__in=RawSQL(page, ()))  # noqa: S611 (the marker's text)
        .annotate(
            **related,
            first_action_late=Case(
                When(untyped_late(deadline=deadline), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .order_by(*queue_ordering(QueueFilters(sort=sort)))
        .values_list(*columns)
    )


_ROWS = {
    sort: CompiledQuery(functools.partial(_rows_query, sort), _DEADLINE, _PAGE) for sort in SORTS
}


def dispatcher_deadline(now: datetime | None = None) -> datetime:
    """Incidents that arrived before this moment are past the dispatcher SLA."""
    return (now or timezone.now()) - timedelta(minutes=settings.DISPATCHER_SLA_MINUTES)


def untyped_late(now: datetime | None = None, *, deadline: datetime | None = None) -> Q:
    """Open incidents without a type (so without an SLA clock of their own) that nobody has
    acted on within the dispatcher SLA (``incidents.dispatcher_sla``): arrived before
    ``deadline`` (default: ``dispatcher_deadline(now)``)."""
    if deadline is None:
        deadline = dispatcher_deadline(now)
    return Q(
        is_finished=False,
        incident_type__isnull=True,
        first_action_at__isnull=True,
        incident_date__lt=deadline,
    )


def overdue(now: datetime | None = None, *, deadline: datetime | None = None) -> Q:
    """Past their SLA: the type's clock expired, or an untyped incident's first action is late
    (``untyped_late``)."""
    return Q(sla_state=SlaState.EXPIRED) | untyped_late(now, deadline=deadline)


def hidden_matches(filters: QueueFilters, user: User, shown: int) -> int:
    """How many more incidents match the search when the scope and status filters are lifted
    (0 without a search, or when nothing is hidden): what «show all» would add."""
    if not filters.text or (filters.scope == SCOPE_ALL and not filters.status):
        return 0
    wider = replace(filters, scope=SCOPE_ALL, status="")
    return max(queue_incidents(wider, user).count() - shown, 0)


def _spellings(text: str) -> set[str]:
    """``text`` as typed, plus its case variants where the database cannot fold the case itself
    (SQLite's LIKE folds ASCII only: «авария» would not find «Авария»)."""
    if connection.vendor != "sqlite" or text.isascii():
        return {text}
    return {text, text.lower(), text.upper(), text.capitalize()}


MAIL_MATCH_LIMIT = 10_000  # incidents found by their mail text, the newest first


def text_search(text: str) -> Q:
    """Code, subject, requester, base station containing ``text``; pole code starting with it;
    or an e-mail of the incident matching it (``emails.search.search_text``: word forms on
    PostgreSQL). The mail is searched first, on its own (one query the full-text index answers):
    as a subquery inside the queue's paginated query, PostgreSQL would re-run it for every
    incident."""
    aliases, by_mail = search_text(text)
    mail_matches = list(
        EmailMessage.objects.alias(**aliases)
        .filter(by_mail, incident__isnull=False)
        .order_by("-incident_id")
        .values_list("incident_id", flat=True)
        .distinct()[:MAIL_MATCH_LIMIT]
    )
    query = Q(pk__in=mail_matches)
    for spelling in _spellings(text):
        query |= (
            Q(code__icontains=spelling)
            | Q(subject__icontains=spelling)
            | Q(requester_email__icontains=spelling)
            | Q(pole__code__istartswith=spelling)
            | Q(base_station__name__icontains=spelling)
        )
    return query


COUNT_KEYS = ("open", "unread", "unassigned", "untyped", "expired", "mine")


def queue_counts(user: User | None = None) -> dict[str, int]:
    """Open incidents in total, unread, unassigned, without a type, overdue (``overdue()``) and
    ``user``'s own (one query, compiled once: ``_COUNTS``); no «mine» without a user."""
    user_id = user.pk if user is not None else None
    (values,) = _COUNTS.rows(dispatcher_deadline(), user_id)
    counts = dict(zip(COUNT_KEYS, values, strict=True))
    if not user_id:
        del counts["mine"]
    return counts


def _counts_query(deadline: datetime, user_id: int) -> QuerySet:
    """The counters of ``queue_counts`` as one aggregate row (no GROUP BY: the grouping value
    is a constant), overdue against ``deadline``, «mine» of ``user_id``."""
    counts = {
        "open": Count("id"),
        "unread": Count("id", filter=Q(unread_since__isnull=False)),
        "unassigned": Count("id", filter=Q(assignee__isnull=True)),
        "untyped": Count("id", filter=Q(incident_type__isnull=True)),
        "expired": Count("id", filter=overdue(deadline=deadline)),
        "mine": Count("id", filter=Q(assignee_id=user_id)),
    }
    return (
        Incident.objects.filter(is_finished=False)
        .annotate(one=Value(1))
        .values("one")
        .annotate(**counts)
        .order_by()
        .values_list(*COUNT_KEYS)
    )


_COUNTS = CompiledQuery(_counts_query, _DEADLINE, _USER_ID)


def filter_choices() -> dict[str, list]:
    """Statuses, types and dispatchers offered by the queue filters; kept for a few seconds
    (``console.reference_cache``)."""
    return reference_cache.cached("filter_choices", _load_filter_choices)


def _load_filter_choices() -> dict[str, list]:
    return {
        "statuses": list(IncidentStatus.objects.order_by("id").values_list("key", "name")),
        "types": list(IncidentType.objects.order_by("name").values_list("id", "name")),
        "dispatchers": _dispatcher_labels(),
    }


def edit_choices() -> dict[str, list[tuple[int, str]]]:
    """(pk, label) of the active incident types and the assignable dispatchers, labelled as
    the edit form's model choice fields label them (``str()`` of the instance); kept for a few
    seconds (``console.reference_cache``)."""
    return reference_cache.cached("edit_choices", _load_edit_choices)


def _dispatcher_labels() -> list[tuple[int, str]]:
    """(pk, display name) of the assignable dispatchers: the one name a person has on screen."""
    rows = assignable_dispatchers().values_list("id", "first_name", "last_name", "username")
    return [(pk, display_name(first, last, login)) for pk, first, last, login in rows]


def _load_edit_choices() -> dict[str, list[tuple[int, str]]]:
    return {
        "types": list(IncidentType.objects.filter(is_active=True).values_list("id", "name")),
        "subtypes": [
            (pk, f"{kind} — {name}")
            for pk, kind, name in IncidentSubtype.objects.filter(is_active=True)
            .order_by("incident_type__name", "name")
            .values_list("id", "incident_type__name", "name")
        ],
        "dispatchers": _dispatcher_labels(),
    }


def assignable_dispatchers() -> QuerySet[User]:
    """Who an incident may be assigned to: active dispatchers."""
    return User.objects.dispatchers().order_by("first_name", "last_name", "email")


def incident_for_page(pk: int, *, presence: bool = False) -> Incident:
    """One incident with its reference data, for the incident page (404 if unknown).
    ``presence``: with ``has_<list>`` flags telling which of the page's lists
    (``incident_read.PRESENCE``) have rows, read in the same query; an empty list then costs no
    query of its own. One fixed statement (``console.incident_read``)."""
    return incident_read.incident(pk, presence=presence)


def has(instance, name: str) -> bool:
    """Whether ``instance`` (an incident read with ``presence``) has rows in the list ``name``
    of ``incident_read.PRESENCE``; True when it was read without the flags (the list must be
    queried)."""
    return getattr(instance, f"has_{name}", True)


def contractor_contacts(incident: Incident) -> dict[str, list[str]]:
    """E-mails and phones of the incident's contractor, in the order they were added (one
    query for both)."""
    contractor = incident.contractor
    if contractor is None or not (
        has(incident, "contractor_emails") or has(incident, "contractor_phones")
    ):
        return {"emails": [], "phones": []}
    emails = contractor.emails.annotate(kind=Value("emails")).values_list("kind", "id", "email")
    phones = contractor.phones.annotate(kind=Value("phones")).values_list("kind", "id", "phone")
    contacts: dict[str, list[str]] = {"emails": [], "phones": []}
    for kind, _pk, value in sorted(emails.union(phones, all=True)):
        contacts[kind].append(value)
    return contacts


# The incident page's e-mails and outbox rows, by statements compiled once a process
# (``dispatch.statements``; the ORM compiled the same two querysets on every page, ~1 ms).
EMAIL_COLUMNS = tuple(field.attname for field in EmailMessage._meta.concrete_fields)
_THREAD = ordered_rows(EmailMessage, "incident_id", ("sent_at", "id"), EMAIL_COLUMNS)
# What the timeline shows of our mail (the other columns are left unread: deferred).
OUTBOX_COLUMNS = ("id", "kind", "message_id", "to", "cc", "dropped", "subject", "body_text",
                  "state", "attempts", "sent_at", "last_error", "created_at")  # fmt: skip
_OUTBOX = ordered_rows(OutboundEmail, "incident_id", ("created_at", "id"), OUTBOX_COLUMNS)


def incident_thread(incident: Incident) -> list[EmailMessage]:
    """The incident's e-mails, oldest first, with recipients and attachments (3 queries; one
    less for each of those the incident's ``presence`` flags say none of its e-mails has)."""
    db = router.db_for_read(EmailMessage)
    emails = [EmailMessage.from_db(db, EMAIL_COLUMNS, row) for row in _THREAD.rows(incident.pk)]
    related = {
        "recipients": "recipients",
        "attachments": Prefetch("attachments", queryset=EmailAttachment.objects.order_by("id")),
    }
    for name, lookup in related.items():
        if has(incident, name):
            prefetch_related_objects(emails, lookup)
        else:
            _prefetched_empty(emails, name)
    return emails


def _prefetched_empty(instances: list[EmailMessage], relation: str) -> None:
    """Mark ``relation`` (a reverse foreign key) of each of ``instances`` as prefetched and
    empty, as ``prefetch_related`` does when it finds no rows: ``.all()`` then runs no query.
    One evaluated empty queryset serves them all (the related manager hands it out as is)."""
    rows = QuerySet(EmailMessage._meta.get_field(relation).related_model)
    rows._result_cache, rows._prefetch_done = [], True
    for instance in instances:
        instance.__dict__.setdefault("_prefetched_objects_cache", {})[relation] = rows


def reply_candidates(incident: Incident, thread: list[EmailMessage], limit: int = 50) -> list[str]:
    """Addresses the dispatcher may add to a reply, from the loaded ``thread``: senders and
    recipients of people's mail, by arrival; not the requester (always the addressee), not our
    own mailboxes or automatic ones, nothing from mail flagged for a check."""
    skip = {incident.requester_email.strip().lower(), *our_addresses()}
    seen: dict[str, None] = {}
    for email in sorted(thread, key=lambda email: email.pk):
        if email.review or email.auto_kind or _tracker_mail(email):
            continue
        seen.setdefault(email.from_address.lower(), None)
        for recipient in email.recipients.all():
            if recipient.kind != EmailRecipient.Kind.BCC:
                seen.setdefault(recipient.address.lower(), None)
    found = [a for a in seen if a and a not in skip and not is_automated_address(a)]
    return found[:limit]


def _tracker_mail(email: EmailMessage) -> bool:
    """Incoming mail not pushed to the tracker: the tracker's own (its headers say so)."""
    return (
        email.direction == EmailMessage.Direction.INBOUND
        and email.tracker_state == EmailMessage.TrackerState.SKIPPED
    )


def outgoing_mail(incident: Incident) -> list[OutboundEmail]:
    """What DISPATCH sent or is sending about the incident (the outbox), oldest first."""
    if not has(incident, "outbox"):
        return []
    db = router.db_for_read(OutboundEmail)
    return [OutboundEmail.from_db(db, OUTBOX_COLUMNS, row) for row in _OUTBOX.rows(incident.pk)]


def status_history(incident: Incident) -> list[IncidentStatusHistory]:
    """The incident's status changes, oldest first."""
    if not has(incident, "history"):
        return []
    return list(
        IncidentStatusHistory.objects.filter(incident=incident)
        .select_related("status", "user")
        .only("actor", "comment", "created_at", "status__name", *_names("user"))
        .order_by("created_at", "id")
    )


def _names(user: str) -> tuple[str, ...]:
    """The columns a person's name is shown from (``display_name``), through the relation
    ``user``: not the whole row with its password hash."""
    return (user, f"{user}__first_name", f"{user}__last_name", f"{user}__username")


LOG_PAGE_SIZE = 50  # change-log entries and comments per page of the incident page
MAX_PAGE = 10_000


@dataclass(frozen=True)
class LogPage:
    """One page of a newest-first list (comments, change log): its rows and its neighbours."""

    rows: list
    number: int
    has_next: bool  # older rows exist

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_number(raw: str | None) -> int:
    """A page number from the query string: 1 for anything that is not one."""
    text = (raw or "").strip()
    if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_PAGE:
        return int(text)
    return 1


def _log_page(rows: QuerySet, number: int) -> LogPage:
    """Page ``number`` of ``rows`` (already ordered) in one query: one row more than shown
    tells whether there is a next page, so no COUNT."""
    start = (number - 1) * LOG_PAGE_SIZE
    found = list(rows[start : start + LOG_PAGE_SIZE + 1])
    return LogPage(found[:LOG_PAGE_SIZE], number, len(found) > LOG_PAGE_SIZE)


CHANGE_COLUMNS = ("actor", "field", "old_value", "new_value", "created_at", "move__undone_at")


def change_log(incident: Incident, number: int = 1) -> LogPage:
    """A page of the incident's change log, newest first (one query, however long the log)."""
    if not has(incident, "changes"):
        return LogPage([], number, has_next=False)
    rows = (
        IncidentChange.objects.filter(incident=incident)
        .select_related("user", "move")
        .only(*CHANGE_COLUMNS, *_names("user"))
    )
    return _log_page(rows.order_by("-created_at", "-id"), number)


def comments(incident: Incident, number: int = 1) -> LogPage:
    """A page of the incident's internal comments, newest first, with their authors (one
    query)."""
    if not has(incident, "comments"):
        return LogPage([], number, has_next=False)
    rows = (
        IncidentComment.objects.filter(incident=incident)
        .select_related("author")
        .only("body", "created_at", "edited_at", *_names("author"))
    )
    return _log_page(rows.order_by("-created_at", "-id"), number)


def incident_links(incident: Incident) -> list[IncidentLink]:
    """The incident's links with the other incidents' code, subject and status (one query)."""
    if not has(incident, "links"):
        return []
    return list(
        IncidentLink.objects.filter(incident=incident)
        .select_related("other__status")
        .only(
            "id",
            "kind",
            "other__id",
            "other__code",
            "other__subject",
            "other__status__key",
            "other__status__name",
        )
        .order_by("kind", "created_at", "id")
    )


def incident_works(incident: Incident) -> list[IncidentWork]:
    """The incident's work categories with their priorities, by start (one query)."""
    if not has(incident, "works"):
        return []
    return list(
        IncidentWork.objects.filter(incident=incident)
        .select_related("priority")
        .order_by("started_at", "id")
    )


def comment_for_edit(incident_pk: int, comment_pk: int) -> IncidentComment:
    """A comment of the given incident (404 otherwise)."""
    return get_object_or_404(IncidentComment, pk=comment_pk, incident_id=incident_pk)


def attachment_for_download(pk: int) -> EmailAttachment:
    """A stored attachment (404 when unknown or its file was not kept)."""
    attachment = get_object_or_404(EmailAttachment.objects.select_related("email"), pk=pk)
    if not attachment.file:
        raise Http404("attachment file not stored")
    return attachment


@dataclass(frozen=True)
class DispatcherLoad:
    user: User
    on_shift: bool
    open_total: int
    open_in_window: int
    expired: int
    less_than_hour: int
    not_assignable: str = ""  # why new incidents skip this dispatcher ("" when they do not)


def dispatcher_load() -> list[DispatcherLoad]:
    """Every active dispatcher with open incidents (all / within the assignment window), SLA
    trouble and why new incidents skip them, most loaded first (2 queries, 3 with the tracker)."""
    now = timezone.now()
    since = now - timedelta(hours=settings.ASSIGNMENT_WINDOW_HOURS)
    open_q = Q(incidents__is_finished=False)
    users = (
        User.objects.dispatchers()
        .annotate(
            open_total=Count("incidents", filter=open_q),
            open_in_window=Count("incidents", filter=open_q & Q(incidents__created_at__gte=since)),
            expired=Count("incidents", filter=open_q & Q(incidents__sla_state=SlaState.EXPIRED)),
            less_than_hour=Count(
                "incidents", filter=open_q & Q(incidents__sla_state=SlaState.LESS_THAN_HOUR)
            ),
        )
        .prefetch_related(Prefetch("shifts", queryset=WorkShift.objects.all()))
        .order_by("-open_in_window", "-open_total", "email")
    )
    logins = tracker_logins()
    return [
        DispatcherLoad(
            user=user,
            on_shift=is_on_shift(user.shifts.all(), now),
            open_total=user.open_total,
            open_in_window=user.open_in_window,
            expired=user.expired,
            less_than_hour=user.less_than_hour,
            not_assignable=not_assignable_reason(user, logins),
        )
        for user in users
    ]


def incidents_for_bulk(ids: list[int]) -> list[Incident]:
    """The selected incidents with their status, by id (one query)."""
    return list(Incident.objects.filter(pk__in=ids).select_related("status").order_by("id"))
