"""Reference data endpoints (read-only)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from dispatch.api.views import ApiViewMixin
from ts.api.filters import BaseStationFilter, ContractorFilter, PoleFilter
from ts.api.serializers import (
    BaseStationSerializer,
    ContractorSerializer,
    OperatorSerializer,
    PoleSerializer,
)
from ts.models import BaseStation, Contractor, Operator, Pole


@extend_schema_view(
    list=extend_schema(summary="Poles (опоры)", tags=["reference"]),
    retrieve=extend_schema(summary="A pole", tags=["reference"]),
)
class PoleViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PoleSerializer
    filterset_class = PoleFilter
    queryset = (
        Pole.objects.select_related("contractor")
        .prefetch_related("contractor__emails")
        .order_by("code", "id")
    )


@extend_schema_view(
    list=extend_schema(summary="Base stations (БС) with their operators", tags=["reference"]),
    retrieve=extend_schema(summary="A base station", tags=["reference"]),
)
class BaseStationViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = BaseStationSerializer
    filterset_class = BaseStationFilter
    queryset = (
        BaseStation.objects.select_related("pole")
        .prefetch_related("operators")
        .order_by("name", "id")
    )


@extend_schema_view(
    list=extend_schema(summary="Emergency contractors (подрядчики АВР)", tags=["reference"]),
    retrieve=extend_schema(summary="A contractor", tags=["reference"]),
)
class ContractorViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ContractorSerializer
    filterset_class = ContractorFilter
    queryset = Contractor.objects.prefetch_related("emails", "phones").order_by("name", "id")


@extend_schema_view(
    list=extend_schema(summary="Mobile operators", tags=["reference"]),
    retrieve=extend_schema(summary="A mobile operator", tags=["reference"]),
)
class OperatorViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = OperatorSerializer
    queryset = Operator.objects.order_by("name", "group", "id")
    filter_backends: list = []
