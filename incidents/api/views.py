"""Incident endpoints: list/detail, e-mails of an incident, status change, types, statuses."""

from __future__ import annotations

import re

from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dispatch.api.errors import error_responses
from dispatch.api.views import ApiViewMixin, Conflict, parse_id
from emails.api.serializers import EmailSerializer
from incidents.api import representation, selectors
from incidents.api.filters import IncidentFilter
from incidents.api.live import IncidentFeed, parse_cursor, stream_async, stream_sync
from incidents.api.mass_outage import MassOutageActions
from incidents.api.moves import MOVE_ACTIONS, MoveActions, MoveSerializer
from incidents.api.serializers import (
    ChangeSerializer,
    CommentSerializer,
    CommentWriteSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
    IncidentStatusSerializer,
    IncidentTypeSerializer,
    LinkSerializer,
    LinkWriteSerializer,
    RvrPrioritySerializer,
    StatusChangeSerializer,
    WorkSerializer,
    WorkWriteSerializer,
)
from incidents.comments import CommentError, NotCommentAuthor, add_comment, edit_comment
from incidents.links import LinkError, link_incidents, unlink_incidents
from incidents.models import Actor, Incident, WorkCategory
from incidents.work import WorkError, remove_work, set_work

STATUS_KEY = re.compile(r"[a-z0-9_]{1,32}")


class TransitionConflict(Conflict):
    default_code = "transition_not_allowed"


class LinkConflict(Conflict):
    default_code = "link_not_allowed"


class WorkConflict(Conflict):
    default_code = "work_not_allowed"


@extend_schema_view(
    list=extend_schema(summary="List incidents", tags=["incidents"]),
    retrieve=extend_schema(
        summary="An incident with its e-mails, status history and attachments metadata",
        tags=["incidents"],
    ),
)
class IncidentViewSet(ApiViewMixin, MassOutageActions, MoveActions, viewsets.ReadOnlyModelViewSet):
    filterset_class = IncidentFilter

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.incidents_for_detail()
        if self.action == "list":
            return Incident.objects.all()  # read as plain values by ``list``
        return selectors.incidents_for_list()

    def list(self, request: Request, *args, **kwargs) -> Response:
        """A page of incidents as ``IncidentSerializer`` shows them, built from plain values
        (``representation.incident_rows``): no model instances, no serializer per row."""
        incidents = self.get_queryset()
        filtered = self.filter_queryset(incidents)
        ids = self.paginate_queryset(  # no filter asked for: the statements compiled once
            selectors.AllIncidentIds() if filtered is incidents else selectors.list_ids(filtered)
        )
        rows, relations = selectors.list_page(ids)
        return self.get_paginated_response(representation.incident_rows(rows, relations))

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        """As ``IncidentDetailSerializer`` shows it, built from plain values
        (``selectors.incident_detail``): no model instances or prefetch machinery."""
        detail = selectors.incident_detail(parse_id(self.kwargs[self.lookup_field]))
        if detail is None:
            raise NotFound()
        return Response(detail)

    def filter_queryset(self, queryset):
        if self.action == "retrieve":
            return queryset  # list filters choose rows; an incident by id is found regardless
        if not self.request.query_params.keys() & IncidentFilter.base_filters.keys():
            # No filter asked for: the filter set would change nothing (every filter passes an
            # absent value, and nothing absent is refused), so spare building it (~1 ms).
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return IncidentDetailSerializer
        if self.action == "emails":
            return EmailSerializer
        if self.action == "change_status":
            return StatusChangeSerializer
        if self.action in ("comments", "edit_comment"):
            return CommentSerializer
        if self.action == "changes":
            return ChangeSerializer
        if self.action in ("links", "remove_link"):
            return LinkSerializer
        if self.action in ("works", "work"):
            return WorkSerializer
        if self.action in MOVE_ACTIONS:
            return MoveSerializer
        return IncidentSerializer

    @extend_schema(
        summary="E-mails of an incident, oldest first, with bodies",
        tags=["incidents"],
        responses=EmailSerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def emails(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        page = self.paginate_queryset(selectors.incident_emails(incident))
        return self.get_paginated_response(EmailSerializer(page, many=True).data)

    @extend_schema(
        methods=["GET"],
        summary="Internal comments of an incident, newest first",
        tags=["incidents"],
        responses=CommentSerializer(many=True),
        filters=False,
    )
    @extend_schema(
        methods=["POST"],
        summary="Add an internal comment (dispatchers and admins)",
        tags=["incidents"],
        request=CommentWriteSerializer,
        responses={201: CommentSerializer},
        examples=[
            OpenApiExample(
                "Comment", value={"body": "Подрядчик выехал, ETA 40 минут"}, request_only=True
            )
        ],
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def comments(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        if request.method == "POST":
            body = CommentWriteSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            try:
                comment = add_comment(incident, body=body.validated_data["body"], user=request.user)
            except CommentError as exc:
                raise ValidationError({"body": [str(exc)]}) from exc
            return Response(CommentSerializer(comment).data, status=201)
        page = self.paginate_queryset(selectors.incident_comments(incident))
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(
        summary="Replace the text of one's own comment (the edit is recorded in the change log)",
        description="Only the comment's author may edit it; anyone else gets 403.",
        tags=["incidents"],
        request=CommentWriteSerializer,
        responses={200: CommentSerializer},
        parameters=[
            OpenApiParameter("comment_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
    )
    @action(
        detail=True,
        methods=["put"],
        url_path=r"comments/(?P<comment_id>[^/]+)",
        filter_backends=[],
    )
    def edit_comment(
        self, request: Request, pk: str | None = None, comment_id: str = ""
    ) -> Response:
        incident = self.get_object()
        comment = selectors.incident_comments(incident).filter(pk=parse_id(comment_id)).first()
        if comment is None:
            raise NotFound()
        body = CommentWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            edit_comment(
                comment, body=body.validated_data["body"], user=request.user, actor=Actor.API
            )
        except NotCommentAuthor as exc:
            raise PermissionDenied(str(exc)) from exc
        except CommentError as exc:
            raise ValidationError({"body": [str(exc)]}) from exc
        return Response(CommentSerializer(comment).data)

    @extend_schema(
        summary="Change log of an incident, newest first (who changed what, old and new value)",
        tags=["incidents"],
        responses=ChangeSerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def changes(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        page = self.paginate_queryset(selectors.incident_changes(incident))
        return self.get_paginated_response(ChangeSerializer(page, many=True).data)

    @extend_schema(
        methods=["GET"],
        summary="Links of an incident to other incidents",
        tags=["incidents"],
        responses=LinkSerializer(many=True),
        filters=False,
    )
    @extend_schema(
        methods=["POST"],
        summary="Link the incident to another one (mirrored on the other incident)",
        description="409 when the other incident does not exist, the two are already linked, "
        "for a self-link, a second parent or a loop of subtasks. Recorded in both incidents' "
        "change logs.",
        tags=["incidents"],
        request=LinkWriteSerializer,
        responses={201: LinkSerializer, **error_responses(409)},
        examples=[
            OpenApiExample(
                "Duplicate", value={"kind": "duplicates", "incident": 42}, request_only=True
            )
        ],
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[])
    def links(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        if request.method == "POST":
            body = LinkWriteSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            other = Incident.objects.filter(pk=body.validated_data["incident"]).first()
            if other is None:
                raise LinkConflict(_("No such incident."))
            try:
                link = link_incidents(
                    incident,
                    other,
                    body.validated_data["kind"],
                    actor=Actor.API,
                    user=request.user,
                )
            except LinkError as exc:
                raise LinkConflict(str(exc)) from exc
            created = selectors.incident_links(incident).get(pk=link.pk)
            return Response(LinkSerializer(created).data, status=201)
        page = self.paginate_queryset(selectors.incident_links(incident))
        return self.get_paginated_response(LinkSerializer(page, many=True).data)

    @extend_schema(
        summary="Remove the link to another incident (both sides)",
        tags=["incidents"],
        request=None,
        responses={204: None},
        parameters=[OpenApiParameter("other_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"links/(?P<other_id>[^/]+)",
        filter_backends=[],
    )
    def remove_link(self, request: Request, pk: str | None = None, other_id: str = "") -> Response:
        incident = self.get_object()
        other = Incident.objects.filter(pk=parse_id(other_id)).first()
        if other is None or not unlink_incidents(
            incident, other, actor=Actor.API, user=request.user
        ):
            raise NotFound()
        return Response(status=204)

    @extend_schema(
        summary="Work categories of an incident (АВР, РВР, ДГУ, ЭКС) with their clocks",
        tags=["incidents"],
        responses=WorkSerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def works(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        page = self.paginate_queryset(selectors.incident_works(incident))
        return self.get_paginated_response(WorkSerializer(page, many=True).data)

    @extend_schema(
        methods=["PUT"],
        summary="Set the start, end and (РВР) priority of a work category",
        description="Times the rules refuse (an end before the start, outside 2000–2100), a "
        "priority on anything but РВР, an unknown or retired priority → 409. Recorded in the "
        "change log.",
        tags=["incidents"],
        request=WorkWriteSerializer,
        responses={200: WorkSerializer, **error_responses(409)},
        parameters=[
            OpenApiParameter(
                "category", OpenApiTypes.STR, OpenApiParameter.PATH, enum=WorkCategory.values
            )
        ],
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Remove a work category (recorded in the change log)",
        tags=["incidents"],
        request=None,
        responses={204: None},
        parameters=[
            OpenApiParameter(
                "category", OpenApiTypes.STR, OpenApiParameter.PATH, enum=WorkCategory.values
            )
        ],
    )
    @action(
        detail=True,
        methods=["put", "delete"],
        url_path=r"works/(?P<category>[^/]+)",
        filter_backends=[],
    )
    def work(self, request: Request, pk: str | None = None, category: str = "") -> Response:
        incident = self.get_object()
        if category not in WorkCategory.values:
            raise NotFound()
        if request.method == "DELETE":
            if not remove_work(incident, category, actor=Actor.API, user=request.user):
                raise NotFound()
            return Response(status=204)
        body = WorkWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        priority = None
        if data["priority"] is not None:
            priority = selectors.rvr_priorities().filter(pk=data["priority"]).first()
            if priority is None:
                raise WorkConflict(_("No such priority."))
        try:
            set_work(
                incident,
                category,
                started_at=data["started_at"],
                ended_at=data["ended_at"],
                priority=priority,
                actor=Actor.API,
                user=request.user,
            )
        except WorkError as exc:
            raise WorkConflict(str(exc)) from exc
        return Response(
            WorkSerializer(selectors.incident_works(incident).get(category=category)).data
        )

    @extend_schema(
        summary="Change the status of an incident (workflow rules apply)",
        tags=["incidents"],
        request=StatusChangeSerializer,
        responses={200: IncidentDetailSerializer, **error_responses(409)},
        examples=[
            OpenApiExample(
                "Take into work",
                value={"status": "in_progress", "comment": "Взял в работу"},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"], url_path="status", filter_backends=[])
    def change_status(self, request: Request, pk: str | None = None) -> Response:
        from incidents.workflow import TransitionError, change_status

        incident = self.get_object()
        body = StatusChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            change_status(
                incident,
                body.validated_data["status"],
                actor=Actor.API,
                user=request.user,
                comment=body.validated_data["comment"],
            )
        except TransitionError as exc:
            raise TransitionConflict(str(exc) or _("This status change is not allowed.")) from exc
        fresh = selectors.incidents_for_detail().get(pk=incident.pk)
        return Response(IncidentDetailSerializer(fresh).data)


@extend_schema_view(
    list=extend_schema(summary="Incident types with their SLA", tags=["reference"]),
    retrieve=extend_schema(summary="An incident type", tags=["reference"]),
)
class IncidentTypeViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = IncidentTypeSerializer
    queryset = selectors.incident_types()


@extend_schema_view(
    list=extend_schema(summary="РВР priorities with their SLA", tags=["reference"]),
    retrieve=extend_schema(summary="A РВР priority", tags=["reference"]),
)
class RvrPriorityViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = RvrPrioritySerializer
    queryset = selectors.rvr_priorities()


@extend_schema_view(
    list=extend_schema(summary="Workflow statuses", tags=["reference"]),
    retrieve=extend_schema(summary="A workflow status by key", tags=["reference"]),
)
class IncidentStatusViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = IncidentStatusSerializer
    queryset = selectors.incident_statuses()
    lookup_field = "key"
    lookup_value_regex = "[^/]+"

    def get_object(self):
        if not STATUS_KEY.fullmatch(str(self.kwargs.get("key", ""))):
            raise NotFound()
        return viewsets.ReadOnlyModelViewSet.get_object(self)


class _JsonOnly(BaseContentNegotiation):
    """Errors of the live queue are JSON whatever the client accepts."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class LiveQueueView(ApiViewMixin, APIView):
    """Server-sent events with every new or changed incident."""

    renderer_classes = [JSONRenderer]
    content_negotiation_class = _JsonOnly

    @extend_schema(
        summary="Live incident queue (server-sent events)",
        description=(
            "A `text/event-stream`: `event: incident` with the incident (as in the list) as "
            "`data` each time an incident is created or changed, `: keepalive` comments, and "
            "an `id` per event. Reconnect with `Last-Event-ID` to resume (browsers' EventSource "
            "does). The server ends a stream after `API_LIVE_MAX_SECONDS`, and at once (after a "
            "`: access revoked` comment) when the account is deactivated or loses its role; "
            "clients reconnect. "
            "An incident may arrive more than once: update by `id`."
        ),
        tags=["incidents"],
        parameters=[
            OpenApiParameter(
                "Last-Event-ID",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description="Resume after this event id (at most one hour back).",
            )
        ],
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                OpenApiTypes.STR,
                description="The event stream.",
                examples=[
                    OpenApiExample(
                        "An incident event",
                        value="id: 2026-11-25T09:15:00.123456+03:00\nevent: incident\n"
                        'data: {"id": 42, "code": "DISPATCH-42", "status": {"key": "new", '
                        '"name": "Новый"}, ...}\n\n',
                        response_only=True,
                    )
                ],
            ),
        },
        filters=False,
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        feed = IncidentFeed(parse_cursor(request.headers.get("Last-Event-ID")), request.user.pk)
        if isinstance(request._request, ASGIRequest):
            body = stream_async(feed)
        else:
            body = stream_sync(feed)
        response = StreamingHttpResponse(body, content_type="text/event-stream; charset=utf-8")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
        return response
