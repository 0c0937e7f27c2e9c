"""Incidents, their types (SLA), statuses and status history."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StatusKey(models.TextChoices):
    """Stable identifiers of the workflow statuses; ``label`` is the Russian display name."""

    NEW = "new", "Новый"
    IN_PROGRESS = "in_progress", "В работе"
    ERROR = "error", "Ошибка"
    CLOSED = "closed", "Закрыт"
    NEED_ACCEPTANCE = "need_acceptance", "Ждем подтверждения"
    ON_GENERATION = "on_generation", "На генерации НБ"
    NOTIFY_OPERATOR = "notify_operator", "Уведомляем оператора"
    NOTIFIED_OPERATOR = "notified_operator", "Уведомили оператора"
    NOTIFY_CLOSED = "notify_closed", "Уведомить о закрытии"
    NOTIFIED_CLOSED = "notified_closed", "Уведомили о закрытии"
    NOTIFY_CONTRACTOR = "notify_contractor", "Передать подрядчику"
    NOTIFIED_CONTRACTOR = "notified_contractor", "Передано подрядчику"


class SlaState(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    IN_PROGRESS = "in_progress", _("In progress")
    LESS_THAN_HOUR = "less_than_hour", _("Less than an hour left")
    EXPIRED = "expired", _("Expired")
    CLOSED_ON_TIME = "closed_on_time", _("Closed on time")


# How an SLA state is shown: a finished incident past its deadline is «closed late», set apart
# from an open overdue one (both are stored as ``expired``).
CLOSED_LATE = "closed_late"
SLA_BADGE_LABELS = {**dict(SlaState.choices), CLOSED_LATE: _("Closed late")}


def sla_badge(state: str, is_finished: bool) -> str:
    """The key an SLA state is shown with (CSS class ``sla-<key>``, label in SLA_BADGE_LABELS)."""
    return CLOSED_LATE if is_finished and state == SlaState.EXPIRED else state


class SlaClock(models.TextChoices):
    CALENDAR = "calendar", _("Calendar time")
    BUSINESS = "business", _("Business hours")


class IncidentSource(models.TextChoices):
    EMAIL = "email", _("Automatically from e-mail")
    MANUAL = "manual", _("Manually by a dispatcher")


class IncidentType(models.Model):
    """A kind of incident with its SLA (minutes to resolve)."""

    name = models.CharField(_("name"), max_length=256, unique=True)
    description = models.CharField(_("description"), max_length=1024, blank=True)
    sla_minutes = models.PositiveIntegerField(
        _("SLA, minutes"),
        help_text=_(
            "Time to resolve an incident of this type, in minutes (e.g. 240 = 4 hours), counted "
            "from the incident date. A change applies to the open incidents of this type at "
            "once: their deadlines are recomputed and the change is written to each incident's "
            "history; finished incidents keep the deadline they were finished with."
        ),
    )
    sla_clock = models.CharField(
        _("SLA clock"),
        max_length=16,
        choices=SlaClock.choices,
        default=SlaClock.CALENDAR,
        help_text=_(
            "Calendar time counts every minute around the clock; business hours count only "
            "working hours on working days (Monday to Friday without public holidays, hours "
            "from SLA_BUSINESS_HOURS). Statuses that pause the SLA stop either clock."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("incident type")
        verbose_name_plural = _("incident types")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sla_minutes__gt=0),
                name="incidents_type_sla_positive",
                violation_error_message=_("The SLA must be at least one minute."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class IncidentSubtype(models.Model):
    """A finer kind within an incident type — reference data, edited in the admin."""

    incident_type = models.ForeignKey(
        IncidentType, on_delete=models.CASCADE, related_name="subtypes", verbose_name=_("type")
    )
    name = models.CharField(_("name"), max_length=256)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("incident subtype")
        verbose_name_plural = _("incident subtypes")
        ordering = ["incident_type__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident_type", "name"],
                name="inc_subtype_unique",
                violation_error_message=_("This type already has a subtype with this name."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_type.name} — {self.name}"


class IncidentStatus(models.Model):
    """A workflow status. ``key`` is what code refers to; ``name`` is what people read."""

    key = models.CharField(_("key"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=256, unique=True)
    description = models.CharField(_("description"), max_length=1024, blank=True)
    is_final = models.BooleanField(
        _("finishes the incident"), default=False, help_text=_("The SLA clock stops here.")
    )
    pauses_sla = models.BooleanField(_("pauses the SLA clock"), default=False)
    tracker_key = models.CharField(_("tracker status key"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("incident status")
        verbose_name_plural = _("incident statuses")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Incident(models.Model):
    """An incident: one conversation with the dispatch desk about one problem."""

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Tracker key used in e-mail subjects, e.g. AVRSERVICE-123."),
    )
    subject = models.CharField(_("subject"), max_length=1024, blank=True)
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_("What was reported, for an incident registered by a dispatcher (a call)."),
    )
    source = models.CharField(
        _("registration method"),
        max_length=16,
        choices=IncidentSource.choices,
        default=IncidentSource.EMAIL,
    )
    requester_email = models.EmailField(_("requester e-mail"), max_length=320, blank=True)
    incident_date = models.DateTimeField(_("incident date"), db_index=True)
    incident_type = models.ForeignKey(
        IncidentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("type"),
    )
    subtype = models.ForeignKey(
        IncidentSubtype,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("subtype"),
    )
    status = models.ForeignKey(
        IncidentStatus,
        on_delete=models.PROTECT,
        related_name="incidents",
        verbose_name=_("status"),
        db_index=False,  # ``inc_status_date_idx`` starts with it: one index less to write
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("dispatcher"),
        db_index=False,  # ``inc_load_idx`` starts with it
    )
    pole = models.ForeignKey(
        "ts.Pole",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("pole"),
    )
    base_station = models.ForeignKey(
        "ts.BaseStation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("base station"),
    )
    first_action_at = models.DateTimeField(
        _("first dispatcher action"),
        null=True,
        blank=True,
        help_text=_("When a person first acted on the incident (the dispatcher SLA)."),
    )
    is_finished = models.BooleanField(_("finished"), default=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    sla_deadline = models.DateTimeField(_("SLA deadline"), null=True, blank=True)
    sla_state = models.CharField(
        _("SLA state"), max_length=16, choices=SlaState.choices, default=SlaState.UNKNOWN
    )
    unread_since = models.DateTimeField(
        _("unread since"),
        null=True,
        blank=True,
        help_text=_(
            "When mail from outside came in that the responsible dispatcher (anyone who works "
            "incidents, while nobody is assigned) has not opened yet; empty when read."
        ),
    )
    auto_close_date = models.DateTimeField(
        _("closes automatically at"),
        null=True,
        blank=True,
        help_text=_(
            "While the incident waits for the requester, when it closes by itself unless they "
            "answer."
        ),
    )
    no_thread_linking = models.BooleanField(
        _("do not link mail by thread"),
        default=False,
        help_text=_(
            "New mail is not linked to this incident automatically (by its headers, the code "
            "in the subject or the conversation): it opens a new incident."
        ),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    # Kept by ``sla_sweep`` alone: when a sweep last stored the SLA deadline, and the
    # ``updated_at`` the row had then (equal while nothing else wrote the incident since).
    sla_swept_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_swept_version = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-incident_date", "-id"]
        indexes = [
            models.Index(fields=["assignee", "is_finished", "created_at"], name="inc_load_idx"),
            models.Index(fields=["is_finished", "sla_state"], name="inc_sla_idx"),
            models.Index(fields=["status", "incident_date"], name="inc_status_date_idx"),
            # Reports: incidents closed in a period (reports/statistics.py).
            models.Index(fields=["finished_at"], name="inc_finished_idx"),
            # Open incidents only (the console queue's default scope and its counts): their
            # page and counts cost as much as there are open incidents, not all of them. It
            # holds every column the queue's counters read (console.selectors._counts_query):
            # they are an index-only scan. None of them is one the SLA sweep's own marker
            # writes (sla_deadline, sla_swept_*), so those updates stay HOT.
            models.Index(
                fields=["incident_date", "id"],
                include=[
                    "assignee",
                    "sla_state",
                    "unread_since",
                    "incident_type",
                    "first_action_at",
                    "is_finished",
                ],
                condition=models.Q(is_finished=False),
                name="inc_open_idx",
            ),
            models.Index(
                fields=["auto_close_date"],
                condition=models.Q(auto_close_date__isnull=False),
                name="inc_auto_close_idx",
            ),
            models.Index(
                fields=["id"], condition=models.Q(no_thread_linking=True), name="inc_no_thread_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_finished=False, finished_at__isnull=True)
                | models.Q(is_finished=True, finished_at__isnull=False),
                name="incidents_finished_has_date",
                violation_error_message=_(
                    "A finished incident needs a finish date, an open one must not have it."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.code or f"№{self.pk}"

    @property
    def sla_badge(self) -> str:
        return sla_badge(self.sla_state, self.is_finished)

    @property
    def sla_badge_label(self) -> str:
        return SLA_BADGE_LABELS.get(self.sla_badge, self.sla_state)

    @property
    def contractor(self):
        """The pole's emergency contractor."""
        return self.pole.contractor if self.pole_id and self.pole else None

    def compute_calendar_deadline(self) -> datetime | None:
        """Plain calendar deadline: incident date + type minutes (None without a type)."""
        if self.incident_type is None:
            return None
        return self.incident_date + timedelta(minutes=self.incident_type.sla_minutes)


class Actor(models.TextChoices):
    """Who made a change: a person through one of the channels, or the system itself."""

    SYSTEM = "system", _("System")
    EMAIL = "email", _("E-mail")
    TRACKER = "tracker", _("Tracker")
    CONSOLE = "console", _("Console")
    API = "api", _("API")
    ADMIN = "admin", _("Admin")


class ActorRecord(models.Model):
    """Who made a recorded change: the channel and, where a person did it, the user."""

    actor = models.CharField(
        _("made by"), max_length=16, choices=Actor.choices, default=Actor.SYSTEM
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )

    class Meta:
        abstract = True


class IncidentStatusHistory(ActorRecord):
    """One status change of an incident; the newest row is the current status."""

    Actor = Actor

    # ``inc_hist_order_idx`` starts with it: one index less to write a status change
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="status_history", db_index=False
    )
    status = models.ForeignKey(
        IncidentStatus, on_delete=models.PROTECT, related_name="history", verbose_name=_("status")
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status history")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["incident", "created_at", "id"], name="inc_hist_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.incident} → {self.status}"


class IncidentMove(ActorRecord):
    """E-mails moved from one incident to another, or one incident merged into another: what
    went where, so that it can be undone (``undone_at``)."""

    class Kind(models.TextChoices):
        MOVE = "move", _("e-mails moved")
        MERGE = "merge", _("incidents merged")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    source = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="moves_out", verbose_name=_("from")
    )
    target = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="moves_in", verbose_name=_("to")
    )
    email_ids = models.JSONField(_("e-mails"), default=list, blank=True)
    moved = models.JSONField(
        _("what else moved"),
        default=dict,
        blank=True,
        help_text=_("A merge: comments, works and links taken over, and the status before."),
    )
    new_target = models.BooleanField(_("into a new incident"), default=False)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("undone by"),
    )

    class Meta:
        verbose_name = _("move of e-mails")
        verbose_name_plural = _("moves and merges")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")),
                name="inc_move_not_self",
                violation_error_message=_("E-mails cannot be moved to the same incident."),
            ),
            # An incident is merged into at most one other at a time.
            models.UniqueConstraint(
                fields=["source"],
                condition=models.Q(kind="merge", undone_at__isnull=True),
                name="inc_move_one_merge",
                violation_error_message=_("This incident is already merged into another one."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.source_id} → {self.target_id}"


class IncidentChange(ActorRecord):
    """One changed attribute of an incident: who, when, the old and the new value (as shown)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(_("field"), max_length=32)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    move = models.ForeignKey(
        IncidentMove,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("move or merge"),
        help_text=_("The move or merge this entry records (it can be undone from here)."),
    )

    class Meta:
        verbose_name = _("incident change")
        verbose_name_plural = _("change log")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["incident", "created_at", "id"], name="inc_change_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.incident}: {self.field}"

    @property
    def field_label(self) -> str:
        """The changed attribute's name as people read it (a field's verbose name)."""
        if self.field in LOGGED_ATTRIBUTES:
            return str(LOGGED_ATTRIBUTES[self.field])
        try:
            return str(Incident._meta.get_field(self.field).verbose_name)
        except FieldDoesNotExist:
            return self.field


# Change-log entries about attributes that are not incident columns (their readable names).
LOGGED_ATTRIBUTES = {
    "comment": _("comment"),
    "link": _("link"),
    "work_avr": "АВР",
    "work_rvr": "РВР",
    "work_dgu": "ДГУ",
    "work_eks": "ЭКС",
    "emails_moved": _("e-mails moved"),
    "merge": _("merge"),
    "email_check": _("e-mail check"),
}


class IncidentComment(models.Model):
    """An internal comment of a dispatcher on an incident (never sent to anyone by mail).

    Only its author edits it; each edit is recorded in the change log with the old text.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["incident", "created_at", "id"], name="inc_comment_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.incident}: {self.body[:50]}"


class LinkKind(models.TextChoices):
    """How an incident relates to another, read from the incident's side."""

    RELATES = "relates", _("related to")
    DUPLICATES = "duplicates", _("duplicate of")
    DUPLICATED_BY = "duplicated_by", _("duplicated by")
    SUBTASK_OF = "subtask_of", _("subtask of")
    PARENT_OF = "parent_of", _("parent of")
    BLOCKS = "blocks", _("blocks")
    DEPENDS_ON = "depends_on", _("depends on")


# The kind the other side sees (every link is stored on both sides).
INVERSE_LINK = {
    LinkKind.RELATES: LinkKind.RELATES,
    LinkKind.DUPLICATES: LinkKind.DUPLICATED_BY,
    LinkKind.DUPLICATED_BY: LinkKind.DUPLICATES,
    LinkKind.SUBTASK_OF: LinkKind.PARENT_OF,
    LinkKind.PARENT_OF: LinkKind.SUBTASK_OF,
    LinkKind.BLOCKS: LinkKind.DEPENDS_ON,
    LinkKind.DEPENDS_ON: LinkKind.BLOCKS,
}


class IncidentLink(models.Model):
    """One side of a link between two incidents; the mirrored row holds the inverse kind."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links")
    other = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="+", verbose_name=_("linked incident")
    )
    kind = models.CharField(_("link"), max_length=16, choices=LinkKind.choices)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("link")
        verbose_name_plural = _("links")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "other"],
                name="inc_link_pair_unique",
                violation_error_message=_("These incidents are already linked."),
            ),
            models.CheckConstraint(
                condition=~models.Q(incident=models.F("other")),
                name="inc_link_not_self",
                violation_error_message=_("An incident cannot be linked to itself."),
            ),
            # At most one parent per incident.
            models.UniqueConstraint(
                fields=["incident"],
                condition=models.Q(kind="subtask_of"),
                name="inc_link_one_parent",
                violation_error_message=_("An incident can have only one parent incident."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident} {self.get_kind_display()} {self.other}"


class WorkCategory(models.TextChoices):
    """Kinds of work tracked on an incident, each with its own clock."""

    AVR = "avr", "АВР"  # emergency recovery: the incident type's SLA
    RVR = "rvr", "РВР"  # repair works: the SLA of the chosen РВР priority
    DGU = "dgu", "ДГУ"  # diesel generator power: a duration limit
    EKS = "eks", "ЭКС"  # operation: a duration limit


class WorkState(models.TextChoices):
    """The state of a work category's clock: SLA states (АВР, РВР) or duration states (ДГУ,
    ЭКС: against ``WORK_DURATION_LIMIT_DAYS``)."""

    UNKNOWN = "unknown", _("Unknown")
    IN_PROGRESS = "in_progress", _("In progress")
    LESS_THAN_HOUR = "less_than_hour", _("Less than an hour left")
    EXPIRED = "expired", _("Expired")
    CLOSED_ON_TIME = "closed_on_time", _("Closed on time")
    SHORT = "short", _("Shorter than the short-work threshold")
    WITHIN_LIMIT = "within_limit", _("Within the duration limit")
    OVER_LIMIT_OPEN = "over_limit_open", _("Over the duration limit, open")
    OVER_LIMIT_CLOSED = "over_limit_closed", _("Over the duration limit, closed")
    CLOSED_WITHIN_LIMIT = "closed_within_limit", _("Closed within the duration limit")


class RvrPriority(models.Model):
    """A priority of repair works (РВР) with its SLA — reference data, edited in the admin."""

    name = models.CharField(_("name"), max_length=128, unique=True)
    sla_minutes = models.PositiveIntegerField(_("SLA, minutes"))
    sla_clock = models.CharField(
        _("SLA clock"), max_length=16, choices=SlaClock.choices, default=SlaClock.CALENDAR
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("repair works priority")
        verbose_name_plural = _("repair works priorities")
        ordering = ["sla_minutes", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sla_minutes__gt=0),
                name="incidents_rvr_sla_positive",
                violation_error_message=_("The SLA must be at least one minute."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class IncidentWork(models.Model):
    """One category of work on an incident with its start, end and clock (stored deadline and
    state, kept current by ``sla_sweep``)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="works")
    category = models.CharField(_("work category"), max_length=8, choices=WorkCategory.choices)
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    priority = models.ForeignKey(
        RvrPriority,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("priority"),
    )
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=24, choices=WorkState.choices, default=WorkState.UNKNOWN
    )

    class Meta:
        verbose_name = _("work category")
        verbose_name_plural = _("work categories")
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "category"],
                name="inc_work_unique",
                violation_error_message=_("The incident already has this work category."),
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
                name="inc_work_ends_after_start",
                violation_error_message=_("The work cannot end before it starts."),
            ),
        ]
        indexes = [models.Index(fields=["ended_at", "state"], name="inc_work_sweep_idx")]

    def __str__(self) -> str:
        return f"{self.incident}: {self.get_category_display()}"
