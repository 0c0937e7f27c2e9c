"""Move and merge endpoints of an incident: move one of its e-mails (or the thread from it on)
to another or a new incident, merge it into another, list and undo its moves and merges. The
rules are ``incidents.moves``'."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from dispatch.api.errors import error_responses
from dispatch.api.filters import MAX_ID
from dispatch.api.views import Conflict, parse_id
from emails.models import EmailMessage
from incidents import moves
from incidents.api.serializers import LinkedIncidentSerializer
from incidents.models import Actor, Incident, IncidentMove
from users.api.serializers import UserBriefSerializer

MOVE_ACTIONS = ("moves", "move_email", "merge", "undo_move")


class MoveConflict(Conflict):
    default_code = "move_not_allowed"


class MoveSerializer(serializers.ModelSerializer):
    """A recorded move of e-mails or merge of incidents (undone when ``undone_at`` is set)."""

    kind = serializers.ChoiceField(choices=IncidentMove.Kind.choices)
    source = LinkedIncidentSerializer(help_text="Where the e-mails came from (the merged one).")
    target = LinkedIncidentSerializer(help_text="Where they went.")
    emails = serializers.ListField(
        source="email_ids", child=serializers.IntegerField(), help_text="Ids of the moved e-mails."
    )
    actor = serializers.ChoiceField(choices=Actor.choices, help_text="The channel of the move.")
    user = UserBriefSerializer(allow_null=True)

    class Meta:
        model = IncidentMove
        fields = ["id", "kind", "source", "target", "emails", "new_target", "actor", "user",
                  "created_at", "undone_at"]  # fmt: skip


class MoveEmailWriteSerializer(serializers.Serializer):
    """Move one e-mail of this incident."""

    email = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Id of the e-mail.")
    to = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of the incident it goes to; null or absent: a new incident.",
    )
    with_replies = serializers.BooleanField(
        default=False, help_text="Also the later e-mails of this incident that answer it."
    )


class MergeWriteSerializer(serializers.Serializer):
    """Merge this incident into another."""

    into = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Id of the incident this one is merged into."
    )


def _moves_of(incident: Incident):
    return (
        IncidentMove.objects.filter(Q(source=incident) | Q(target=incident))
        .select_related("source__status", "target__status", "user")
        .order_by("-created_at", "-pk")
    )


def _other(pk: int) -> Incident:
    other = Incident.objects.filter(pk=pk).first()
    if other is None:
        raise MoveConflict(_("No such incident."))
    return other


def _shown(move: IncidentMove) -> dict:
    return MoveSerializer(_moves_of(move.source).get(pk=move.pk)).data


class MoveActions:
    """Actions mixed into the incident view set."""

    @extend_schema(
        summary="Moves of e-mails and merges this incident took part in, newest first",
        tags=["incidents"],
        responses=MoveSerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def moves(self, request: Request, pk: str | None = None) -> Response:
        page = self.paginate_queryset(_moves_of(self.get_object()))
        return self.get_paginated_response(MoveSerializer(page, many=True).data)

    @extend_schema(
        summary="Move an e-mail of this incident (or the thread from it on) to another incident",
        description="To the incident `to`, or to a new incident when `to` is null. Recorded in "
        "both incidents' change logs; undo with `moves/{move_id}/undo/`. 409 when the e-mail is "
        "not in this incident, `to` does not exist, is this incident or is merged into another.",
        tags=["incidents"],
        request=MoveEmailWriteSerializer,
        responses={201: MoveSerializer, **error_responses(409)},
        examples=[
            OpenApiExample(
                "With replies",
                value={"email": 7, "to": 42, "with_replies": True},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"], url_path="move-email", filter_backends=[])
    def move_email(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        body = MoveEmailWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        email = EmailMessage.objects.filter(
            pk=body.validated_data["email"], incident=incident
        ).first()
        if email is None:
            raise MoveConflict(_("The e-mail is not in this incident."))
        to = body.validated_data["to"]
        target = None if to is None else _other(to)
        try:
            move = moves.move_emails(
                email,
                target,
                with_replies=body.validated_data["with_replies"],
                actor=Actor.API,
                user=request.user,
            )
        except moves.MoveError as exc:
            raise MoveConflict(str(exc)) from exc
        return Response(_shown(move), status=201)

    @extend_schema(
        summary="Merge this incident into another one",
        description="Its e-mails, comments, work categories (those the other lacks) and links "
        "go to `into`; the two are linked as duplicates and this incident is closed. Recorded in "
        "both change logs; undo with `moves/{move_id}/undo/`. 409 when `into` does not exist, "
        "is this incident, or either is merged into another already.",
        tags=["incidents"],
        request=MergeWriteSerializer,
        responses={201: MoveSerializer, **error_responses(409)},
        examples=[OpenApiExample("Merge", value={"into": 42}, request_only=True)],
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def merge(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        body = MergeWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        target = _other(body.validated_data["into"])
        try:
            move = moves.merge_incidents(incident, target, actor=Actor.API, user=request.user)
        except moves.MoveError as exc:
            raise MoveConflict(str(exc)) from exc
        return Response(_shown(move), status=201)

    @extend_schema(
        summary="Undo a move or merge of this incident",
        description="A move: the e-mails still in the target go back. A merge: the merged "
        "incident gets back its e-mails, comments, works, links and status. 404 for a move this "
        "incident took no part in; 409 when it was undone already.",
        tags=["incidents"],
        request=None,
        responses={200: MoveSerializer, **error_responses(409)},
        parameters=[OpenApiParameter("move_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"moves/(?P<move_id>[^/]+)/undo",
        filter_backends=[],
    )
    def undo_move(self, request: Request, pk: str | None = None, move_id: str = "") -> Response:
        incident = self.get_object()
        move = _moves_of(incident).filter(pk=parse_id(move_id)).first()
        if move is None:
            raise NotFound()
        try:
            move = moves.undo_move(move, actor=Actor.API, user=request.user)
        except moves.MoveError as exc:
            raise MoveConflict(str(exc)) from exc
        return Response(_shown(move))
