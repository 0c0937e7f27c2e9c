"""Incident representations: list row, detail (e-mails, history, attachments), status change.

The read serializers declare the contract (and the OpenAPI schema); their output is built by the
plain functions of ``incidents.api.representation``, which are several times cheaper.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dispatch.api.filters import MAX_ID
from emails.api.serializers import EmailSummarySerializer
from incidents.api import representation
from incidents.comments import MAX_COMMENT_LENGTH
from incidents.models import (
    Actor,
    Incident,
    IncidentChange,
    IncidentComment,
    IncidentLink,
    IncidentStatus,
    IncidentStatusHistory,
    IncidentSubtype,
    IncidentType,
    IncidentWork,
    LinkKind,
    RvrPriority,
    SlaState,
    StatusKey,
    WorkCategory,
    WorkState,
)
from ts.api.serializers import (
    BaseStationBriefSerializer,
    ContractorBriefSerializer,
    PoleBriefSerializer,
)
from users.api.serializers import UserBriefSerializer


class IncidentTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentType
        fields = ["id", "name", "description", "sla_minutes", "sla_clock", "is_active"]


class IncidentStatusSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentStatus
        fields = ["key", "name", "description", "is_final", "pauses_sla"]


class StatusBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentStatus
        fields = ["key", "name"]


class TypeBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentType
        fields = ["id", "name", "sla_minutes"]


class ReportSerializer(serializers.Serializer):
    """The original's report fields."""

    registration_method = serializers.ChoiceField(
        choices=Incident._meta.get_field("source").choices,
        help_text="`email` — automatically from e-mail, `manual` — by a dispatcher.",
    )
    registration_method_display = serializers.CharField()
    is_transferred_to_contractor = serializers.BooleanField()
    transferred_to_contractor_at = serializers.DateTimeField(allow_null=True)
    vendor_sla_deadline = serializers.DateTimeField(
        allow_null=True, help_text="First transfer to the contractor + the type's SLA minutes."
    )
    is_vendor_sla_expired = serializers.BooleanField(
        allow_null=True, help_text="Null without a transfer or a type."
    )


class DispatcherSlaSerializer(serializers.Serializer):
    """Arrival → first action of a person on the incident, `DISPATCHER_SLA_MINUTES`."""

    deadline = serializers.DateTimeField()
    first_action_at = serializers.DateTimeField(allow_null=True)
    is_breached = serializers.BooleanField(
        help_text="Acted after the deadline, or not yet acted and the deadline has passed."
    )


class SubtypeBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentSubtype
        fields = ["id", "name"]


class IncidentSerializer(serializers.ModelSerializer):
    """One incident as listed (and as sent by the live queue)."""

    status = StatusBriefSerializer()
    incident_type = TypeBriefSerializer(allow_null=True)
    subtype = SubtypeBriefSerializer(allow_null=True, help_text="A subtype of the type.")
    dispatcher = UserBriefSerializer(source="assignee", allow_null=True)
    pole = PoleBriefSerializer(allow_null=True)
    base_station = BaseStationBriefSerializer(allow_null=True)
    contractor = ContractorBriefSerializer(read_only=True, allow_null=True)
    sla_state = serializers.ChoiceField(choices=SlaState.choices)
    report = serializers.SerializerMethodField()
    requester_email = serializers.CharField()
    unread_since = serializers.DateTimeField(
        allow_null=True,
        help_text="When mail from outside came in that the incident's dispatcher (anyone who "
        "works incidents, while none is assigned) has not opened yet; null when read. Opening "
        "the incident's console page reads it.",
    )

    auto_close_date = serializers.DateTimeField(
        allow_null=True,
        help_text="While the incident waits for the requester («Ждем подтверждения», «Уведомили "
        "о закрытии»): when it closes by itself unless they answer (`AUTO_CLOSE_HOURS`).",
    )
    no_thread_linking = serializers.BooleanField(
        help_text="New mail is not linked to this incident by thread; it opens a new incident."
    )
    description = serializers.CharField(
        help_text="What was reported, for an incident registered by hand; usually empty."
    )
    dispatcher_sla = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "code",
            "subject",
            "requester_email",
            "incident_date",
            "status",
            "incident_type",
            "subtype",
            "dispatcher",
            "pole",
            "base_station",
            "contractor",
            "is_finished",
            "finished_at",
            "sla_deadline",
            "sla_state",
            "report",
            "unread_since",
            "auto_close_date",
            "no_thread_linking",
            "description",
            "dispatcher_sla",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(ReportSerializer)
    def get_report(self, incident: Incident) -> dict:
        return representation.report(incident)

    @extend_schema_field(DispatcherSlaSerializer)
    def get_dispatcher_sla(self, incident: Incident) -> dict:
        return representation.dispatcher_sla_of(incident)

    def to_representation(self, instance: Incident) -> dict:
        return representation.incident_row(instance)


class StatusHistorySerializer(serializers.ModelSerializer):
    status = StatusBriefSerializer()
    user = UserBriefSerializer(allow_null=True)

    class Meta:
        model = IncidentStatusHistory
        fields = ["status", "created_at", "actor", "user", "comment"]


class IncidentDetailSerializer(IncidentSerializer):
    """An incident with its status history and e-mails (attachments as metadata)."""

    status_history = StatusHistorySerializer(many=True)
    emails = EmailSummarySerializer(many=True)

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "status_history", "emails"]

    def to_representation(self, instance: Incident) -> dict:
        return representation.incident_detail(instance)


class CommentField(serializers.CharField):
    """Free text (a JSON string, not a number); NUL characters, which databases refuse, are
    dropped rather than refused."""

    def run_validation(self, data=serializers.empty):
        if isinstance(data, str):
            data = data.replace("\x00", "")
        elif data is not serializers.empty and data is not None:
            self.fail("invalid")  # numbers and booleans are not text
        return super().run_validation(data)


class CommentSerializer(serializers.ModelSerializer):
    """An internal comment of the desk (never mailed)."""

    author = UserBriefSerializer(allow_null=True)
    edited_at = serializers.DateTimeField(
        allow_null=True, help_text="Last edit by the author; null if never edited."
    )

    class Meta:
        model = IncidentComment
        fields = ["id", "author", "body", "created_at", "edited_at"]


class CommentWriteSerializer(serializers.Serializer):
    """The text of a new or edited comment (only its author edits a comment)."""

    body = CommentField(max_length=MAX_COMMENT_LENGTH, trim_whitespace=True)


class ChangeSerializer(serializers.ModelSerializer):
    """One recorded change of an incident attribute: who, when, old and new value as shown."""

    field = serializers.CharField(
        help_text="The attribute: an incident field (`pole`, `incident_type`, …), `comment` "
        "(an edited comment) or `link`."
    )
    field_label = serializers.CharField(help_text="The attribute's name as people read it.")
    actor = serializers.ChoiceField(choices=Actor.choices, help_text="The channel of the change.")
    user = UserBriefSerializer(allow_null=True)

    class Meta:
        model = IncidentChange
        fields = ["field", "field_label", "old_value", "new_value", "actor", "user", "created_at"]


class RvrPrioritySerializer(serializers.ModelSerializer):
    class Meta:
        model = RvrPriority
        fields = ["id", "name", "sla_minutes", "sla_clock", "is_active"]


class WorkSerializer(serializers.ModelSerializer):
    """One work category of an incident with its clock (АВР: the type's SLA; РВР: the
    priority's SLA; ДГУ/ЭКС: the duration limit)."""

    category = serializers.ChoiceField(choices=WorkCategory.choices)
    priority = RvrPrioritySerializer(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    deadline = serializers.DateTimeField(allow_null=True)
    state = serializers.ChoiceField(choices=WorkState.choices)

    class Meta:
        model = IncidentWork
        fields = ["category", "started_at", "ended_at", "priority", "deadline", "state"]


class WorkWriteSerializer(serializers.Serializer):
    """Start, end and (РВР only) priority of a work category."""

    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    priority = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=MAX_ID,
        help_text="Id of a РВР priority (`/api/v1/rvr-priorities/`); РВР only.",
    )


class LinkedIncidentSerializer(serializers.ModelSerializer):
    status = StatusBriefSerializer()

    class Meta:
        model = Incident
        fields = ["id", "code", "subject", "status"]


class LinkSerializer(serializers.ModelSerializer):
    """A link to another incident, read from this incident's side (the other holds the
    inverse: `duplicates` ↔ `duplicated_by`, `subtask_of` ↔ `parent_of`, `blocks` ↔
    `depends_on`, `relates` ↔ `relates`)."""

    kind = serializers.ChoiceField(choices=LinkKind.choices)
    incident = LinkedIncidentSerializer(source="other")

    class Meta:
        model = IncidentLink
        fields = ["kind", "incident", "created_at"]


class LinkWriteSerializer(serializers.Serializer):
    """Link this incident to another one."""

    kind = serializers.ChoiceField(choices=LinkKind.choices, help_text="Read from this side.")
    incident = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Id of the other incident."
    )


class StatusChangeSerializer(serializers.Serializer):
    """Move an incident to another status (subject to the workflow rules)."""

    status = serializers.ChoiceField(
        choices=StatusKey.choices, help_text="Key of the target status."
    )
    comment = CommentField(
        required=False, allow_blank=True, max_length=4000, default="", trim_whitespace=True
    )
