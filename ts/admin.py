"""Admin for TowerStore reference data."""

from django.contrib import admin

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


class BaseStationInline(admin.TabularInline):
    model = BaseStation
    extra = 0
    fields = ("name", "is_active")
    show_change_link = True


@admin.register(Pole)
class PoleAdmin(admin.ModelAdmin):
    list_display = ("code", "site_id", "bs_name", "region_ru", "contractor", "is_active")
    list_filter = ("is_active", "region_ru", "infrastructure_company")
    search_fields = ("code", "=site_id", "bs_name", "address")
    list_select_related = ("contractor",)
    autocomplete_fields = ("contractor",)
    inlines = [BaseStationInline]


@admin.register(BaseStation)
class BaseStationAdmin(admin.ModelAdmin):
    list_display = ("name", "pole", "is_active")
    list_filter = ("is_active", "operators__group")
    search_fields = ("name", "pole__code")
    list_select_related = ("pole",)
    autocomplete_fields = ("pole",)
    filter_horizontal = ("operators",)


@admin.register(Operator)
class OperatorAdmin(admin.ModelAdmin):
    list_display = ("name", "group")
    list_filter = ("group",)
    search_fields = ("name", "group")
