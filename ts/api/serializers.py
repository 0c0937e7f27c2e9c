"""Reference data representations."""

from __future__ import annotations

from rest_framework import serializers

from ts.models import BaseStation, Contractor, Operator, Pole


class OperatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Operator
        fields = ["id", "name", "group"]


class ContractorBriefSerializer(serializers.ModelSerializer):
    emails = serializers.SlugRelatedField(slug_field="email", many=True, read_only=True)

    class Meta:
        model = Contractor
        fields = ["id", "name", "emails"]


class ContractorSerializer(serializers.ModelSerializer):
    emails = serializers.SlugRelatedField(slug_field="email", many=True, read_only=True)
    phones = serializers.SlugRelatedField(slug_field="phone", many=True, read_only=True)

    class Meta:
        model = Contractor
        fields = [
            "id",
            "name",
            "emails",
            "phones",
            "is_default",
            "is_excluded_from_contract",
            "updated_at",
        ]


class PoleBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Pole
        fields = ["id", "code", "region_ru", "address", "latitude", "longitude"]


class PoleSerializer(serializers.ModelSerializer):
    contractor = ContractorBriefSerializer(allow_null=True)

    class Meta:
        model = Pole
        fields = [
            "id",
            "site_id",
            "code",
            "bs_name",
            "status",
            "region",
            "region_ru",
            "infrastructure_company",
            "anchor_operator",
            "address",
            "latitude",
            "longitude",
            "height",
            "contractor",
            "is_active",
            "updated_at",
        ]


class BaseStationBriefSerializer(serializers.ModelSerializer):
    operators = OperatorSerializer(many=True)

    class Meta:
        model = BaseStation
        fields = ["id", "name", "operators"]


class BaseStationSerializer(serializers.ModelSerializer):
    pole = PoleBriefSerializer()
    operators = OperatorSerializer(many=True)

    class Meta:
        model = BaseStation
        fields = ["id", "name", "pole", "operators", "is_active", "updated_at"]
