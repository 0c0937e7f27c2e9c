"""Comments, links and work categories of an incident, edited inline on its admin page.

The rows are checked by the same rules as in the console and API and written by the incident
services (``comments``, ``links``, ``work``), never by the formset itself, so every change lands
in the incident's change log with the administrator who made it. A comment is edited by its
author only; a link is added or removed (its kind or incident is not changed in place); a work's
category is fixed once it exists (remove it and add another).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from incidents.comments import CommentError, add_comment, check_author, clean_body, edit_comment
from incidents.links import LinkError, check_link, link_incidents, unlink_incidents
from incidents.models import Actor, Incident, IncidentComment, IncidentLink, IncidentWork
from incidents.work import WorkError, check_work, remove_work, set_work

ADMIN_ERRORS = (CommentError, LinkError, WorkError)


class ServiceFormSet(BaseInlineFormSet):
    """An inline formset whose rows are validated and saved through the incident services."""

    request = None  # set by ``ServiceInline.get_formset``

    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            if not form.has_changed() or form.errors:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            try:
                self.check(form)
            except ADMIN_ERRORS as exc:
                form.add_error(None, str(exc))

    def check(self, form: forms.ModelForm) -> None:
        """Raise one of ``ADMIN_ERRORS`` when the row cannot be saved."""

    def apply(self, incident: Incident, form: forms.ModelForm, user) -> None:
        """Write a new or changed row through the service."""

    def remove(self, incident: Incident, row, user) -> None:
        """Remove a row through the service."""

    def save_through_services(self, incident: Incident, user) -> None:
        """Apply the submitted rows; fill what the admin's change message reads."""
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        for form in self.forms:
            row = form.instance
            if self.can_delete and self._should_delete_form(form):
                if row.pk is not None:
                    self.remove(incident, row, user)
                    self.deleted_objects.append(row)
            elif form.has_changed():
                self.apply(incident, form, user)
                if row.pk is None:
                    self.new_objects.append(row)
                else:
                    self.changed_objects.append((row, form.changed_data))


class ServiceInline(admin.TabularInline):
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.request = request
        return formset


class CommentFormSet(ServiceFormSet):
    def check(self, form) -> None:
        if form.instance.pk is not None:
            check_author(form.instance, self.request.user)
        clean_body(form.cleaned_data.get("body", ""))

    def apply(self, incident, form, user) -> None:
        body = form.cleaned_data["body"]
        if form.instance.pk is None:
            form.instance = add_comment(incident, body=body, user=user)
        else:
            edit_comment(form.instance, body=body, user=user, actor=Actor.ADMIN)


class CommentInline(ServiceInline):
    model = IncidentComment
    formset = CommentFormSet
    fields = ("created_at", "author", "body", "edited_at")
    readonly_fields = ("created_at", "author", "edited_at")
    can_delete = False


class LinkForm(forms.ModelForm):
    class Meta:
        model = IncidentLink
        fields = ("kind", "other")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:  # a link is removed and added, never changed
            for field in self.fields.values():
                field.disabled = True


class LinkFormSet(ServiceFormSet):
    def check(self, form) -> None:
        if form.instance.pk is None and form.cleaned_data.get("other") is not None:
            check_link(self.instance, form.cleaned_data["other"], form.cleaned_data["kind"])

    def apply(self, incident, form, user) -> None:
        data = form.cleaned_data
        form.instance = link_incidents(
            incident, data["other"], data["kind"], actor=Actor.ADMIN, user=user
        )

    def remove(self, incident, row, user) -> None:
        unlink_incidents(incident, row.other, actor=Actor.ADMIN, user=user)


class LinkInline(ServiceInline):
    model = IncidentLink
    fk_name = "incident"
    form = LinkForm
    formset = LinkFormSet
    fields = ("kind", "other", "created_at")
    readonly_fields = ("created_at",)
    raw_id_fields = ("other",)


class WorkForm(forms.ModelForm):
    class Meta:
        model = IncidentWork
        fields = ("category", "started_at", "ended_at", "priority")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["category"].disabled = True


class WorkFormSet(ServiceFormSet):
    def check(self, form) -> None:
        data = form.cleaned_data
        current = form.instance if form.instance.pk is not None else None
        if data.get("category") and data.get("started_at") is not None:
            check_work(
                data["category"], data["started_at"], data.get("ended_at"),
                data.get("priority"), current,
            )  # fmt: skip

    def apply(self, incident, form, user) -> None:
        data = form.cleaned_data
        saved = set_work(
            incident, data["category"], started_at=data["started_at"],
            ended_at=data.get("ended_at"), priority=data.get("priority"),
            actor=Actor.ADMIN, user=user,
        )  # fmt: skip
        if saved is not None:
            form.instance = saved

    def remove(self, incident, row, user) -> None:
        remove_work(incident, row.category, actor=Actor.ADMIN, user=user)


class WorkInline(ServiceInline):
    model = IncidentWork
    form = WorkForm
    formset = WorkFormSet
    fields = ("category", "started_at", "ended_at", "priority", "deadline", "state")
    readonly_fields = ("deadline", "state")


def save_inline(formset, incident: Incident, user) -> bool:
    """Save ``formset`` through the services if it is one of these inlines; False otherwise."""
    if not isinstance(formset, ServiceFormSet):
        return False
    formset.save_through_services(incident, user)
    return True
