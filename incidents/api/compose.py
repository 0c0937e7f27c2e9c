"""A dispatcher's new e-mail about an incident over the API, and the mail templates it can start
from (``incidents.compose`` does the work; the console's «New e-mail» is the same service)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch.api.errors import error_responses
from dispatch.api.permissions import can_change_incidents
from dispatch.api.views import ApiViewMixin, Conflict, parse_id
from emails.models import EmailAttachment
from emails.outbox.models import MailTemplate, OutboundEmail
from incidents import compose
from incidents.api.serializers import CommentField
from incidents.models import Incident

MAX_ADDRESSES = 50


class MailTemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = MailTemplate
        fields = ("id", "key", "name", "audience", "subject", "body", "updated_at")
        extra_kwargs = {
            "subject": {"help_text": "Subject template (Django template language)."},
            "body": {"help_text": "Body template (Django template language, plain text)."},
        }


class AttachmentChoiceSerializer(serializers.ModelSerializer):
    filename = serializers.CharField(source="offered_name")

    class Meta:
        model = EmailAttachment
        fields = ("id", "filename", "content_type", "size")


class ComposeDraftSerializer(serializers.Serializer):
    """What a template pre-fills, and the attachments that can be forwarded."""

    template = serializers.CharField(allow_blank=True)
    to = serializers.ListField(child=serializers.EmailField())
    cc = serializers.ListField(child=serializers.EmailField())
    subject = serializers.CharField(allow_blank=True)
    body = serializers.CharField(allow_blank=True)
    attachments = AttachmentChoiceSerializer(many=True)


class ComposeWriteSerializer(serializers.Serializer):
    to = serializers.ListField(
        child=serializers.EmailField(max_length=254),
        min_length=1,
        max_length=MAX_ADDRESSES,
        help_text="Addressees (bare addresses).",
    )
    cc = serializers.ListField(
        child=serializers.EmailField(max_length=254),
        max_length=MAX_ADDRESSES,
        default=list,
        help_text="Copies; our mailbox is added by itself.",
    )
    subject = CommentField(
        min_length=1,
        max_length=compose.MAX_SUBJECT,
        trim_whitespace=False,
        help_text="The incident code is put in front if missing.",
    )
    body = CommentField(min_length=1, max_length=compose.MAX_BODY, trim_whitespace=False)
    attachments = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        max_length=MAX_ADDRESSES,
        default=list,
        help_text="Ids of stored attachments of the incident's mail to forward.",
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="Only show the message as it would be sent; queue nothing."
    )


class ComposeRefused(Conflict):
    default_code = "compose_refused"


class ComposedSerializer(serializers.Serializer):
    """The message as queued (or, with ``dry_run``, as it would be)."""

    id = serializers.IntegerField(allow_null=True)
    state = serializers.CharField(allow_null=True)
    message_id = serializers.CharField(allow_null=True)
    to = serializers.ListField(child=serializers.CharField())
    cc = serializers.ListField(child=serializers.CharField())
    subject = serializers.CharField()
    body = serializers.CharField()
    attachments = AttachmentChoiceSerializer(many=True)


def _composed(letter: compose.Letter, outbound: OutboundEmail | None) -> dict:
    draft = letter.draft
    return {
        "id": outbound.pk if outbound else None,
        "state": outbound.state if outbound else None,
        "message_id": outbound.message_id if outbound else None,
        "to": draft.to,
        "cc": draft.cc,
        "subject": draft.subject,
        "body": draft.body,
        "attachments": AttachmentChoiceSerializer(letter.attachments, many=True).data,
    }


@extend_schema(tags=["mail"])
class MailTemplateViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Active mail templates (edited in the Django admin)."""

    serializer_class = MailTemplateSerializer
    queryset = MailTemplate.objects.filter(is_active=True).order_by("name", "id")

    @extend_schema(summary="Mail templates a new e-mail can start from")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="A mail template")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


class ComposeView(ApiViewMixin, APIView):
    """``/incidents/{id}/compose/``: pre-fill from a template (GET), send (POST)."""

    def _incident(self, request: Request, pk: str) -> Incident:
        incident = Incident.objects.filter(pk=parse_id(pk)).first()
        if incident is None:
            raise NotFound()
        if not can_change_incidents(request.user):
            raise PermissionDenied(_("Only dispatchers and administrators may write e-mails."))
        return incident

    @extend_schema(
        summary="A new e-mail about the incident, pre-filled from a mail template",
        description="To and Cc come from the template's audience where known (requester, the "
        "pole's contractor, the repair contractor, the base station's operators); subject and "
        "body are the template rendered on the incident. Without `template`: a blank e-mail; "
        "an unknown or inactive template: 404; a stored template that cannot render (and has no "
        "shipped text): 409. Dispatchers and administrators only.",
        tags=["mail"],
        parameters=[
            OpenApiParameter(
                "template", OpenApiTypes.STR, OpenApiParameter.QUERY, description="Template key"
            )
        ],
        responses={200: ComposeDraftSerializer, **error_responses(400, 404, 409)},
    )
    def get(self, request: Request, pk: str) -> Response:
        incident = self._incident(request, pk)
        key = request.query_params.get("template", "")
        filled = compose.Prefill(to=[], cc=[], subject=compose.with_code(incident, ""), body="")
        if key:
            template = compose.templates().filter(key=key[:64]).first()
            if template is None:
                raise NotFound(_("No such mail template."))
            try:
                filled = compose.prefill(incident, template, user=request.user)
            except compose.ComposeError as exc:
                raise ComposeRefused(str(exc)) from exc
        data = {
            "template": key if key else "",
            "to": filled.to,
            "cc": filled.cc,
            "subject": filled.subject,
            "body": filled.body,
            "attachments": compose.forwardable_attachments(incident),
        }
        return Response(ComposeDraftSerializer(data).data)

    @extend_schema(
        summary="Send a new e-mail about the incident (through the outbox)",
        description="Every address is checked (a valid bare address, not an automatic mailbox, "
        "not our own in To; at most `MAIL_MAX_RECIPIENTS` in To and Cc), the incident code is "
        "put in the subject, our mailbox in Cc; attachments are stored files of the incident's "
        "mail, at most `MAIL_FORWARD_MAX_BYTES` in all. 201: queued; 200 with `dry_run`: "
        "the message as it would be sent, nothing queued; 400: a malformed body (per field); "
        "409: the rules refuse the message (an automatic or our own mailbox, too many "
        "recipients, an empty text, a file that is not the incident's or too big), with the "
        "reason.",
        tags=["mail"],
        request=ComposeWriteSerializer,
        responses={200: ComposedSerializer, 201: ComposedSerializer, **error_responses(409)},
        examples=[
            OpenApiExample(
                "To the repair contractor",
                value={
                    "to": ["rvr@repair.example"],
                    "cc": ["duty@operator.example"],
                    "subject": "Ремонт опоры 77-0001",
                    "body": "Просим провести ремонт.",
                    "attachments": [],
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request, pk: str) -> Response:
        incident = self._incident(request, pk)
        body = ComposeWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            letter = compose.build_letter(
                incident,
                to=data["to"],
                cc=data["cc"],
                subject=data["subject"],
                body=data["body"],
                attachment_ids=data["attachments"],
            )
            if data["dry_run"]:
                return Response(ComposedSerializer(_composed(letter, None)).data)
            outbound = compose.queue_letter(incident, letter)
        except compose.ComposeError as exc:
            raise ComposeRefused(str(exc)) from exc
        return Response(ComposedSerializer(_composed(letter, outbound)).data, status=201)
