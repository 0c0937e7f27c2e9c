"""Admin for TowerStore reference data: poles by code, base stations by name, with contractor
and operators shown."""

from django.contrib import admin
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ts.models import BaseStation, Contractor, ContractorEmail, ContractorPhone, Operator, Pole


class ContractorEmailInline(admin.TabularInline):
    model = ContractorEmail
    extra = 0


class ContractorPhoneInline(admin.TabularInline):
    model = ContractorPhone
    extra = 0


@admin.register(Contractor)
class ContractorAdmin(admin.ModelAdmin):
    list_display = ("name", "is_default", "is_excluded_from_contract", "updated_at")
    list_filter = ("is_default", "is_excluded_from_contract")
    search_fields = ("name", "emails__email", "phones__phone")
    inlines = [ContractorEmailInline, ContractorPhoneInline]


def _operator_list(station: BaseStation) -> str:
    return ", ".join(str(operator) for operator in station.operators.all()) or "—"


class BaseStationInline(admin.TabularInline):
    model = BaseStation
    extra = 0
    fields = ("name", "operator_list", "is_active")
    readonly_fields = ("operator_list",)
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("operators")

    @admin.display(description=_("operators"))
    def operator_list(self, station: BaseStation) -> str:
        return _operator_list(station)


@admin.register(Pole)
class PoleAdmin(admin.ModelAdmin):
    list_display = ("code", "site_id", "bs_name", "region_ru", "contractor", "is_active")
    list_filter = ("is_active", "region_ru", "infrastructure_company")
    search_fields = ("code", "=site_id", "bs_name", "address")
    list_select_related = ("contractor",)
    autocomplete_fields = ("contractor",)
    readonly_fields = ("contractor_contacts", "updated_at")
    inlines = [BaseStationInline]

    @admin.display(description=_("contractor contacts"))
    def contractor_contacts(self, pole: Pole) -> str:
        if pole.contractor_id is None:
            return "—"
        contractor = pole.contractor
        contacts = [
            *contractor.emails.values_list("email", flat=True),
            *contractor.phones.values_list("phone", flat=True),
        ]
        return ", ".join(contacts) or "—"


@admin.register(BaseStation)
class BaseStationAdmin(admin.ModelAdmin):
    list_display = ("name", "pole", "contractor", "operator_list", "is_active")
    list_filter = ("is_active", "operators__group")
    search_fields = ("name", "pole__code")
    list_select_related = ("pole", "pole__contractor")
    autocomplete_fields = ("pole",)
    filter_horizontal = ("operators",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        operators = Prefetch("operators", queryset=Operator.objects.order_by("name"))
        return super().get_queryset(request).prefetch_related(operators)

    @admin.display(description=_("contractor"), ordering="pole__contractor__name")
    def contractor(self, station: BaseStation) -> str:
        return str(station.pole.contractor or "—")

    @admin.display(description=_("operators"))
    def operator_list(self, station: BaseStation) -> str:
        return _operator_list(station)


@admin.register(Operator)
class OperatorAdmin(admin.ModelAdmin):
    list_display = ("name", "group", "email")
    list_filter = ("group",)
    search_fields = ("name", "group")
