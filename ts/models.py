"""TowerStore reference data: poles, base stations, operators and emergency contractors."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

DEFAULT_CONTRACTOR_NAME = "undefined"


class ContractorQuerySet(models.QuerySet):
    def get_default(self) -> Contractor:
        """The contractor used when a pole has none (always exists after this call)."""
        contractor, _created = self.get_or_create(
            is_default=True, defaults={"name": DEFAULT_CONTRACTOR_NAME}
        )
        return contractor


class Contractor(models.Model):
    """An emergency repair contractor (подрядчик по АВР) responsible for poles."""

    name = models.CharField(_("name"), max_length=256, unique=True)
    is_excluded_from_contract = models.BooleanField(_("excluded from contract"), default=False)
    is_default = models.BooleanField(
        _("default contractor"),
        default=False,
        help_text=_("Receives incidents whose pole has no contractor."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ContractorQuerySet.as_manager()

    class Meta:
        verbose_name = _("contractor")
        verbose_name_plural = _("contractors")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="ts_contractor_single_default",
                violation_error_message=_("Only one contractor can be the default one."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class ContractorEmail(models.Model):
    contractor = models.ForeignKey(Contractor, on_delete=models.CASCADE, related_name="emails")
    email = models.EmailField(_("e-mail"))

    class Meta:
        verbose_name = _("contractor e-mail")
        verbose_name_plural = _("contractor e-mails")
        constraints = [
            models.UniqueConstraint(
                fields=["contractor", "email"],
                name="ts_contractor_email_unique",
                violation_error_message=_("This contractor already has this e-mail."),
            )
        ]

    def __str__(self) -> str:
        return self.email


class ContractorPhone(models.Model):
    contractor = models.ForeignKey(Contractor, on_delete=models.CASCADE, related_name="phones")
    phone = models.CharField(_("phone"), max_length=16, help_text=_("E.164, e.g. +79991234567"))

    class Meta:
        verbose_name = _("contractor phone")
        verbose_name_plural = _("contractor phones")
        constraints = [
            models.UniqueConstraint(
                fields=["contractor", "phone"],
                name="ts_contractor_phone_unique",
                violation_error_message=_("This contractor already has this phone number."),
            )
        ]

    def __str__(self) -> str:
        return self.phone


class Operator(models.Model):
    """A mobile operator whose equipment sits on a base station."""

    name = models.CharField(_("name"), max_length=256)
    group = models.CharField(_("group"), max_length=256, blank=True, default="", db_index=True)
    email = models.EmailField(
        _("e-mail"),
        blank=True,
        help_text=_("The operator's duty desk; pre-filled by the «operator» mail templates."),
    )

    class Meta:
        verbose_name = _("operator")
        verbose_name_plural = _("operators")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "group"],
                name="ts_operator_unique",
                violation_error_message=_(
                    "An operator with this name already exists in this group."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.group})" if self.group else self.name


class Pole(models.Model):
    """A pole/tower site (опора). Removed from TowerStore → deactivated, never deleted."""

    site_id = models.BigIntegerField(_("TowerStore site id"), unique=True)
    code = models.CharField(_("pole code"), max_length=64, db_index=True)
    bs_name = models.CharField(_("base station name (feed)"), max_length=256, blank=True)
    status = models.CharField(_("status"), max_length=256, blank=True)
    region = models.CharField(_("region"), max_length=256, blank=True)
    region_ru = models.CharField(_("region (ru)"), max_length=256, blank=True, db_index=True)
    macroregion = models.CharField(
        _("macroregion"),
        max_length=256,
        blank=True,
        db_index=True,
        help_text=_("From the feed's «MacroRegion» / «Макрорегион» column when it has one."),
    )
    infrastructure_company = models.CharField(
        _("infrastructure company"), max_length=256, blank=True
    )
    anchor_operator = models.CharField(_("anchor operator"), max_length=256, blank=True)
    address = models.CharField(_("address"), max_length=1024, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    height = models.FloatField(_("height"), null=True, blank=True)
    contractor = models.ForeignKey(
        Contractor,
        on_delete=models.PROTECT,
        related_name="poles",
        null=True,
        blank=True,
        verbose_name=_("contractor"),
    )
    is_active = models.BooleanField(_("active in TowerStore"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("pole")
        verbose_name_plural = _("poles")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class BaseStation(models.Model):
    """A base station (БС) on a pole."""

    name = models.CharField(_("name"), max_length=256, db_index=True)
    pole = models.ForeignKey(
        Pole, on_delete=models.PROTECT, related_name="base_stations", verbose_name=_("pole")
    )
    operators = models.ManyToManyField(
        Operator, related_name="base_stations", blank=True, verbose_name=_("operators")
    )
    is_active = models.BooleanField(_("active in TowerStore"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("base station")
        verbose_name_plural = _("base stations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["pole", "name"],
                name="ts_base_station_unique",
                violation_error_message=_("This pole already has a base station with this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name
