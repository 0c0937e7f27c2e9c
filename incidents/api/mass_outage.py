"""Mass-outage endpoints of an incident: the related open incidents on the same object, and the
group it leads (read, formed, dissolved). The rules are ``incidents.mass_outage``'s."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from dispatch.api.errors import error_responses
from dispatch.api.filters import MAX_ID
from dispatch.api.views import Conflict
from incidents import mass_outage
from incidents.api.serializers import LinkedIncidentSerializer
from incidents.links import LinkError
from incidents.models import Actor, Incident

MAX_MEMBERS = 100
REASONS = [
    ("pole", "same pole"),
    ("base_station", "same base station"),
    ("address", "a pole at the same address, within MASS_OUTAGE_WINDOW_MINUTES"),
    ("region", "a pole in the same region, within MASS_OUTAGE_WINDOW_MINUTES"),
]


class GroupConflict(Conflict):
    default_code = "group_not_allowed"


class RelatedSerializer(serializers.Serializer):
    """An open incident on the same object, why it is related, and the group it is in."""

    incident = LinkedIncidentSerializer()
    reason = serializers.ChoiceField(choices=REASONS)
    group_parent = serializers.IntegerField(
        source="parent_id", allow_null=True, help_text="Id of its group's parent, if grouped."
    )


class GroupSerializer(serializers.Serializer):
    """The group this incident is in (``parent``) or leads (``members``)."""

    parent = LinkedIncidentSerializer(allow_null=True)
    members = LinkedIncidentSerializer(many=True)


class GroupWriteSerializer(serializers.Serializer):
    """Related open incidents to group under this one."""

    members = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=MAX_MEMBERS,
        help_text="Ids of related open incidents (see `related`).",
    )


def _group(incident: Incident) -> dict:
    parent = mass_outage.parent_id(incident)
    return {
        "parent": Incident.objects.select_related("status").filter(pk=parent).first(),
        "members": [] if parent else mass_outage.children(incident),
    }


class MassOutageActions:
    """Actions mixed into the incident view set."""

    @extend_schema(
        summary="Related open incidents on the same object (mass-outage candidates)",
        description="Open incidents on the same pole or base station, and on poles of the same "
        "address or region (`MASS_OUTAGE_AREA`) that arrived within `MASS_OUTAGE_WINDOW_MINUTES`; "
        "oldest first, at most 50.",
        tags=["incidents"],
        responses=RelatedSerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def related(self, request: Request, pk: str | None = None) -> Response:
        rows = mass_outage.related_open(self.get_object())
        return Response(RelatedSerializer(rows, many=True).data)

    @extend_schema(
        methods=["GET"],
        summary="The mass-outage group of an incident",
        tags=["incidents"],
        responses=GroupSerializer,
        filters=False,
    )
    @extend_schema(
        methods=["POST"],
        summary="Group related open incidents under this one (one contractor card)",
        description="The members become subtasks of this incident (recorded in the change "
        "logs); they follow its statuses. 409 when a member is not a related open incident, "
        "is in another group or leads one, or this incident is itself in a group.",
        tags=["incidents"],
        request=GroupWriteSerializer,
        responses={200: GroupSerializer, **error_responses(409)},
        examples=[OpenApiExample("Group", value={"members": [43, 44]}, request_only=True)],
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Dissolve the group this incident leads (recorded in the change logs)",
        tags=["incidents"],
        request=None,
        responses={204: None},
    )
    @action(detail=True, methods=["get", "post", "delete"], filter_backends=[])
    def group(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        if request.method == "DELETE":
            if not mass_outage.ungroup(incident, actor=Actor.API, user=request.user):
                raise NotFound()
            return Response(status=204)
        if request.method == "POST":
            body = GroupWriteSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            offered = {r.incident.pk: r.incident for r in mass_outage.related_open(incident)}
            unknown = [i for i in body.validated_data["members"] if i not in offered]
            if unknown:
                raise GroupConflict(
                    _("Not related open incidents: %(ids)s.")
                    % {"ids": ", ".join(map(str, unknown[:10]))}
                )
            wanted = [offered[i] for i in dict.fromkeys(body.validated_data["members"])]
            try:
                mass_outage.group_incidents(incident, wanted, actor=Actor.API, user=request.user)
            except LinkError as exc:
                raise GroupConflict(str(exc)) from exc
        return Response(GroupSerializer(_group(incident)).data)
