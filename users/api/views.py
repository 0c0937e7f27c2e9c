"""Dispatchers and their load."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from dispatch.api.views import ApiViewMixin
from users.api.selectors import dispatchers_with_load
from users.api.serializers import DispatcherLoadSerializer


@extend_schema_view(
    list=extend_schema(
        summary="Active dispatchers with their load, least loaded first", tags=["dispatchers"]
    ),
    retrieve=extend_schema(summary="A dispatcher with the load", tags=["dispatchers"]),
)
class DispatcherViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = DispatcherLoadSerializer
    filter_backends: list = []

    def get_queryset(self):
        return dispatchers_with_load()
