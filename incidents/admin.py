"""Admin for incidents: the back-office view with e-mails and status history inline."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import ngettext

from emails.models import EmailMessage
from incidents.admin_inlines import CommentInline, LinkInline, WorkInline, save_inline
from incidents.models import (
    Incident,
    IncidentChange,
    IncidentMove,
    IncidentSource,
    IncidentStatus,
    IncidentStatusHistory,
    IncidentSubtype,
    IncidentType,
    RvrPriority,
)
from incidents.services import (
    EDITABLE_FIELDS,
    Actor,
    IncidentEditError,
    apply_type_sla,
    check_incident_changes,
    create_incident,
    update_incident,
)


class SubtypeInline(admin.TabularInline):
    model = IncidentSubtype
    extra = 0


@admin.register(IncidentType)
class IncidentTypeAdmin(admin.ModelAdmin):
    inlines = [SubtypeInline]
    list_display = ("name", "sla_minutes", "sla_clock", "is_active")
    list_filter = ("sla_clock", "is_active")
    search_fields = ("name",)

    def save_model(self, request, obj, form, change) -> None:
        """A changed SLA applies to the type's open incidents at once (see ``apply_type_sla``)."""
        super().save_model(request, obj, form, change)
        if change and {"sla_minutes", "sla_clock"} & set(form.changed_data):
            count = apply_type_sla(obj, actor=Actor.ADMIN, user=request.user)
            messages.info(
                request,
                ngettext(
                    "The new SLA was applied to %(count)d open incident of this type.",
                    "The new SLA was applied to %(count)d open incidents of this type.",
                    count,
                )
                % {"count": count},
            )


@admin.register(RvrPriority)
class RvrPriorityAdmin(admin.ModelAdmin):
    list_display = ("name", "sla_minutes", "sla_clock", "is_active")
    list_filter = ("sla_clock", "is_active")
    search_fields = ("name",)


@admin.register(IncidentStatus)
class IncidentStatusAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "is_final", "pauses_sla", "tracker_key")
    list_filter = ("is_final", "pauses_sla")
    search_fields = ("name", "key")


class StatusHistoryInline(admin.TabularInline):
    model = IncidentStatusHistory
    extra = 0
    fields = ("created_at", "status", "actor", "user", "comment")
    readonly_fields = ("created_at", "status", "actor", "user", "comment")
    ordering = ("created_at", "id")
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ChangeLogInline(admin.TabularInline):
    model = IncidentChange
    extra = 0
    fields = ("created_at", "field", "old_value", "new_value", "actor", "user")
    readonly_fields = fields
    ordering = ("created_at", "id")
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class IncidentAdminForm(forms.ModelForm):
    """Edits of an existing incident are checked by the incident service, as in the console."""

    class Meta:
        model = Incident
        fields = EDITABLE_FIELDS  # the admin passes its own list; this is the default

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors:  # a new incident is checked against an empty one
            current = Incident.objects.get(pk=self.instance.pk) if self.instance.pk else Incident()
            changes = {
                name: cleaned.get(name) for name in self.changed_data if name in EDITABLE_FIELDS
            }
            try:
                check_incident_changes(current, changes)
            except IncidentEditError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return cleaned


class EmailInline(admin.TabularInline):
    model = EmailMessage
    extra = 0
    fields = ("sent_at", "direction", "from_address", "subject", "auto_kind")
    readonly_fields = fields
    ordering = ("sent_at", "id")
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


# What a person gives when opening an incident by hand (the rest is the service's).
ADD_FIELDS = (
    "incident_date",
    "subject",
    "requester_email",
    "source",
    "incident_type",
    "pole",
    "base_station",
    "assignee",
)


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "subject",
        "incident_date",
        "incident_type",
        "status",
        "assignee",
        "pole",
        "sla_state",
        "is_finished",
    )
    list_filter = ("status", "incident_type", "sla_state", "is_finished", "source", "assignee")
    search_fields = ("code", "subject", "requester_email", "pole__code", "base_station__name")
    list_select_related = ("incident_type", "status", "assignee", "pole")
    date_hierarchy = "incident_date"
    raw_id_fields = ("pole", "base_station")
    # The status (and with it «finished») changes only through the workflow: console or API.
    readonly_fields = (
        "status",
        "is_finished",
        "sla_deadline",
        "sla_state",
        "created_at",
        "updated_at",
        "finished_at",
    )
    inlines = [
        StatusHistoryInline,
        WorkInline,
        CommentInline,
        LinkInline,
        ChangeLogInline,
        EmailInline,
    ]
    form = IncidentAdminForm

    def get_readonly_fields(self, request, obj=None):
        """On change only the service's editable fields are open; the rest has its own path."""
        if obj is None:
            return self.readonly_fields
        names = [f.name for f in Incident._meta.concrete_fields if f.name != "id"]
        return [name for name in names if name not in EDITABLE_FIELDS]

    def get_fields(self, request, obj=None):
        """Adding asks for what opening an incident needs; changing, for what can change."""
        if obj is None:
            return ADD_FIELDS
        return super().get_fields(request, obj)

    def get_changeform_initial_data(self, request) -> dict:
        return {"source": IncidentSource.MANUAL, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change) -> None:
        actor = IncidentStatusHistory.Actor.ADMIN
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            update_incident(obj, changes=changes, actor=actor, user=request.user)
            return
        self._create(request, obj, form.cleaned_data)

    def save_formset(self, request, form, formset, change) -> None:
        """Works, comments and links go through their services (see ``admin_inlines``)."""
        if not save_inline(formset, form.instance, request.user):
            super().save_formset(request, form, formset, change)

    @staticmethod
    def _create(request, obj: Incident, data: dict) -> None:
        """A new incident is opened by the service (status «Новый», its history row, the code,
        assignment); a type or dispatcher chosen in the form is then set by ``update_incident``
        (validated, SLA refreshed, change logged)."""
        actor = IncidentStatusHistory.Actor.ADMIN
        created = create_incident(
            incident_date=data["incident_date"],
            subject=data.get("subject", ""),
            requester_email=data.get("requester_email", ""),
            source=data.get("source") or IncidentSource.MANUAL,
            actor=actor,
            user=request.user,
            pole=data.get("pole"),
            base_station=data.get("base_station"),
        )
        chosen = {name: data[name] for name in ("incident_type", "assignee") if data.get(name)}
        update_incident(created, changes=chosen, actor=actor, user=request.user)
        obj.pk = created.pk
        obj.refresh_from_db()
        obj._state.adding = False


@admin.register(IncidentMove)
class IncidentMoveAdmin(admin.ModelAdmin):
    """Moves of e-mails and merges, read-only: they are made and undone on the incident page
    (or the API), which keeps both change logs."""

    list_display = ("created_at", "kind", "source", "target", "actor", "user", "undone_at")
    list_filter = ("kind", "actor")
    list_select_related = ("source", "target", "user")
    search_fields = ("source__code", "target__code")
    readonly_fields = [f.name for f in IncidentMove._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
