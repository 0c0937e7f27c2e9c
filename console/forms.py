"""Console forms: queue filters, the incident edit (same validation as the tracker sync),
status change and reply."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple

from django import forms
from django.conf import settings
from django.core.validators import validate_email
from django.http import QueryDict
from django.template.loader import get_template
from django.urls import reverse_lazy
from django.utils.datastructures import MultiValueDict
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from console import reference_cache, selectors
from console.services import IncidentEdits
from incidents import workflow
from incidents.comments import MAX_COMMENT_LENGTH
from incidents.links import find_incident
from incidents.manual import ManualIncident
from incidents.models import (
    Incident,
    IncidentSubtype,
    IncidentType,
    LinkKind,
    RvrPriority,
    SlaState,
    StatusKey,
    WorkCategory,
)
from ts.selectors import ReferenceLookupError, resolve_base_station, resolve_pole

MAX_REPLY_LENGTH = 20_000
FILTER_MEMO_SIZE = 256  # distinct filter forms (language, query, choices) kept validated, rendered
BULK_MEMO_SIZE = 16  # distinct choices of the bulk form's selects (they change a few times a year)
BULK_CHOICES = ("dispatchers", "types", "statuses")  # the bulk form's selects, by their choices
EDIT_MEMO_SIZE = 4096  # distinct unbound edit fields (language, initial value, choices)
BLANK_MEMO_SIZE = 1024  # distinct blank forms (form, language, what they show; a reply's copies)
FILTER_FIELDS_TEMPLATE = "console/_queue_filters.html"
EDIT_FIELDS_TEMPLATE = "console/_edit_fields.html"
EDIT_FIELD_TEMPLATE = "console/_edit_field.html"
REPLY_FIELDS_TEMPLATE = "console/_reply_fields.html"
COMMENT_FIELDS_TEMPLATE = "console/_comment_fields.html"


class QueueFilterForm(forms.Form):
    """GET filters of the queue; invalid values fall back to the defaults."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False)
    sla = forms.ChoiceField(
        label=_("SLA"), required=False, choices=[("", _("Any")), *SlaState.choices]
    )
    type = forms.ChoiceField(label=_("Type"), required=False)
    assignee = forms.ChoiceField(label=_("Dispatcher"), required=False)
    unread = forms.BooleanField(label=_("Unread only"), required=False)
    scope = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            (selectors.SCOPE_OPEN, _("Open")),
            (selectors.SCOPE_FINISHED, _("Finished")),
            (selectors.SCOPE_ALL, _("All")),
        ],
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("-incident_date", _("Newest first")),
            ("incident_date", _("Oldest first")),
            ("sla_deadline", _("SLA deadline, soonest first")),
            ("-updated_at", _("Recently changed")),
            ("status", _("Status")),
            ("-code", _("Number, descending")),
        ],
    )

    def __init__(self, *args, choices: dict[str, list] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if choices is None:
            choices = selectors.filter_choices()
        self.choices = choices
        self.fields["status"].choices = [("", _("Any")), *choices["statuses"]]
        self.fields["type"].choices = [
            ("", _("Any")),
            (selectors.UNTYPED, _("No type (needs one)")),
            *((str(pk), name) for pk, name in choices["types"]),
        ]
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            (selectors.ASSIGNEE_ME, _("Me")),
            (selectors.ASSIGNEE_NONE, _("Nobody")),
            *((str(pk), name) for pk, name in choices["dispatchers"]),
        ]

    def fields_html(self) -> SafeString:
        """The labelled filter widgets, rendered once per distinct (language, submitted values,
        choices): Django renders each <option> through a template, which is slow."""
        return _filter_view(_filter_key(self.data if self.is_bound else None, self.choices))[2]

    def summary(self) -> list[str]:
        """The filters in force, one «label: value» each (what the collapsed filter button
        shows on a phone); the default scope and the sort order are not filters."""
        if not self.is_valid():
            return []
        found = []
        for name in ("q", "status", "sla", "type", "assignee", "unread", "scope"):
            value = self.cleaned_data[name]
            if not value or (name == "scope" and value == selectors.SCOPE_OPEN):
                continue
            field = self.fields[name]
            if name == "q":
                shown = f"«{value}»"
            elif name == "unread":
                found.append(str(field.label))
                continue
            else:
                shown = str(dict(field.choices).get(value, value))
            found.append(f"{field.label}: {shown}")
        return found

    def filters(self) -> selectors.QueueFilters:
        if not self.is_valid():
            return selectors.QueueFilters()
        data = self.cleaned_data
        return selectors.QueueFilters(
            text=data["q"].strip(),
            status=data["status"],
            sla_state=data["sla"],
            incident_type=int(data["type"]) if data["type"].isdigit() else None,
            untyped=data["type"] == selectors.UNTYPED,
            assignee=data["assignee"],
            scope=data["scope"] or selectors.SCOPE_OPEN,
            sort=data["sort"] or selectors.DEFAULT_SORT,
            unread=data["unread"],
        )


class QueueFilterView(NamedTuple):
    """What the queue shows of its filters (``queue_filter_view``)."""

    filters: selectors.QueueFilters
    summary: tuple[str, ...]  # ``QueueFilterForm.summary``
    fields_html: SafeString


def queue_filter_view(data: QueryDict, choices: dict[str, list]) -> QueueFilterView:
    """The validated filters of the queue's GET ``data``, their summary and their widgets:
    ``QueueFilterForm(data or None, choices=choices)`` built, validated and rendered once per
    distinct (language, submitted values, choices)."""
    return _filter_view(_filter_key(data or None, choices))


def bulk_options(choices: dict[str, list]) -> Mapping[str, SafeString]:
    """The <option>s of the bulk form's selects (dispatchers, types, statuses) from
    ``selectors.filter_choices()``, escaped as the template escaped them (a loop of template
    nodes cost ~0.3 ms a page), once per distinct choices."""
    return _bulk_options(tuple((name, tuple(choices[name])) for name in BULK_CHOICES))


class _FilterKey(NamedTuple):
    """Everything the queue filters' validation, summary and widgets depend on."""

    language: str | None
    data: tuple[tuple[str, tuple[str, ...]], ...] | None  # None: the form is not bound
    choices: tuple[tuple[str, tuple], ...]


def _filter_key(data, choices: dict[str, list]) -> _FilterKey:
    """The key of ``data`` (a QueryDict, a dict or None) under ``choices``: the submitted values
    of the form's fields only."""
    if data is not None:
        getlist = getattr(data, "getlist", lambda name: [data[name]])
        fields = QueueFilterForm.base_fields
        data = tuple((name, tuple(getlist(name))) for name in fields if name in data)
    choices_key = tuple((name, tuple(values)) for name, values in choices.items())
    return _FilterKey(get_language(), data, choices_key)


@lru_cache(maxsize=BULK_MEMO_SIZE)
def _bulk_options(choices: tuple[tuple[str, tuple], ...]) -> Mapping[str, SafeString]:
    """A function of ``choices`` alone (name → its (value, label) pairs)."""
    return MappingProxyType(
        {
            name: format_html_join("", '<option value="{}">{}</option>', values)
            for name, values in choices
        }
    )


@lru_cache(maxsize=FILTER_MEMO_SIZE)
def _filter_view(key: _FilterKey) -> QueueFilterView:
    """A function of ``key`` alone: the form is rebuilt from it (pure memoisation)."""
    data = None if key.data is None else MultiValueDict({k: list(v) for k, v in key.data})
    form = QueueFilterForm(data, choices={name: list(values) for name, values in key.choices})
    return QueueFilterView(
        form.filters(), tuple(form.summary()), _render(FILTER_FIELDS_TEMPLATE, form)
    )


def suggest_attrs(url_name: str, *, pole_field: str = "") -> dict[str, object]:
    """Widget attributes that make ``console/suggest.js`` offer candidates from ``url_name``
    while the field is typed in (``pole_field``: the pole input a base station narrows by and
    fills)."""
    attrs: dict[str, object] = {"data-suggest": reverse_lazy(url_name), "autocomplete": "off"}
    if pole_field:
        attrs["data-suggest-pole"] = pole_field
    return attrs


# Select fields of the edit form → their key in ``selectors.edit_choices()``.
EDIT_CHOICES = {"incident_type": "types", "subtype": "subtypes", "assignee": "dispatchers"}


def shown_values(incident: Incident) -> dict:
    """The edit card's fields as the incident has them now."""
    return {
        "incident_type": incident.incident_type_id,
        "subtype": incident.subtype_id,
        "pole": incident.pole.code if incident.pole_id else "",
        "base_station": incident.base_station.name if incident.base_station_id else "",
        "assignee": incident.assignee_id,
    }


# Fields that are resolved together: kept or taken from the form as one.
FIELD_GROUPS = (("incident_type", "subtype"), ("pole", "base_station"), ("assignee",))


class IncidentEditForm(forms.Form):
    """Type, pole, base station, dispatcher. The pole and the base station are typed (a full
    code or an unambiguous beginning) and resolved like the tracker sync does."""

    incident_type = forms.ModelChoiceField(
        label=_("Incident type"),
        queryset=IncidentType.objects.filter(is_active=True),
        required=False,
        empty_label=_("— not set —"),
    )
    subtype = forms.ModelChoiceField(
        label=_("Subtype"),
        queryset=IncidentSubtype.objects.filter(is_active=True).select_related("incident_type"),
        required=False,
        empty_label=_("— not set —"),
        help_text=_("One of the chosen type's subtypes"),
    )
    pole = forms.CharField(
        label=_("Pole"),
        required=False,
        max_length=64,
        help_text=_("Pole code or its beginning, e.g. 77-00"),
        widget=forms.TextInput(attrs=suggest_attrs("console:suggest_poles")),
    )
    base_station = forms.CharField(
        label=_("Base station"),
        required=False,
        max_length=256,
        help_text=_("Base station name or its beginning"),
        widget=forms.TextInput(
            attrs=suggest_attrs("console:suggest_base_stations", pole_field="id_pole")
        ),
    )
    assignee = forms.ModelChoiceField(
        label=_("Dispatcher"),
        queryset=selectors.assignable_dispatchers(),
        required=False,
        empty_label=_("— nobody —"),
    )

    def __init__(self, *args, incident=None, choices: dict[str, list] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.incident = incident
        self.choices = choices
        if choices is not None:  # (pk, label) lists instead of iterating model instances
            for name, key in EDIT_CHOICES.items():
                field = self.fields[name]
                field.choices = [("", field.empty_label), *choices[key]]

    @classmethod
    def for_incident(cls, incident) -> IncidentEditForm:
        return cls(
            incident=incident, initial=shown_values(incident), choices=selectors.edit_choices()
        )

    @classmethod
    def blank(cls, incident) -> BlankForm:
        """What ``for_incident(incident)`` shows (its fields and ``drawn``), without building
        the form: its fields come from the memo of ``fields_html``."""
        initial = shown_values(incident)
        return BlankForm(
            _blank_edit_fields(initial, selectors.edit_choices()),
            tuple(
                (name, "" if initial.get(name) is None else str(initial[name]))
                for name in cls.base_fields
            ),
        )

    def fields_html(self) -> SafeString:
        """The labelled fields with their help and errors. As the incident page first shows
        them (unbound, choices given) each field is rendered once per distinct (language, its
        initial value, its choices)."""
        if self.is_bound or self.choices is None:
            return _render(EDIT_FIELDS_TEMPLATE, self)
        return _blank_edit_fields(self.initial, self.choices)

    def _kept(self, name: str, text: str, attr: str):
        """The incident's current record when the field still shows it: a pole TowerStore has
        since deactivated (or one sharing its code) stays as it is."""
        current = getattr(self.incident, name, None) if self.incident is not None else None
        if current is not None and " ".join(text.split()).lower() == getattr(current, attr).lower():
            return current
        return None

    def clean(self) -> dict:
        data = super().clean()
        data["resolved_pole"], data["resolved_base_station"] = resolve_site(self, data)
        return data

    def edits(self) -> IncidentEdits:
        """The submitted values; a group of fields the dispatcher left as the page drew it
        (``initial-<name>`` posted along) keeps the incident's current values, so a status
        change carrying the card never undoes what someone else changed meanwhile."""
        data = self.cleaned_data
        edits = IncidentEdits(
            incident_type=data.get("incident_type"),
            subtype=data.get("subtype"),
            pole=data["resolved_pole"],
            base_station=data["resolved_base_station"],
            assignee=data.get("assignee"),
        )
        if self.incident is None:
            return edits
        kept = {
            name: getattr(self.incident, name)
            for group in FIELD_GROUPS
            if all(self.untouched(name) for name in group)
            for name in group
        }
        return replace(edits, **kept)

    def untouched(self, name: str) -> bool:
        """The field was posted as the page drew it (its ``initial-`` twin says what that was)."""
        drawn = self.data.get(f"initial-{name}")
        return drawn is not None and drawn.strip() == (self.data.get(name) or "").strip()

    def drawn(self) -> list[tuple[str, str]]:
        """(name, value) of each field as the page first drew it, for the ``initial-`` twins:
        the incident's values, or the twins posted with a refused form."""
        if self.is_bound:
            shown = shown_values(self.incident) if self.incident is not None else {}
            drawn = {name: self.data.get(f"initial-{name}", shown.get(name)) for name in shown}
        else:
            drawn = self.initial
        return [(name, "" if drawn.get(name) is None else str(drawn[name])) for name in self.fields]


def resolve_site(form: forms.Form, data: dict):
    """(pole, base station) from the typed ``pole`` and ``base_station`` fields of ``form``
    (a full code/name or an unambiguous beginning, as the tracker sync resolves them); errors
    are added to the form. A base station alone brings its pole. A form with a ``_kept``
    method keeps the records the incident already has when the fields still show them."""
    kept = getattr(form, "_kept", lambda *args: None)
    pole = station = None
    if data.get("pole"):
        pole = kept("pole", data["pole"], "code")
        if pole is None:
            try:
                pole = resolve_pole(data["pole"])
            except ReferenceLookupError as exc:
                form.add_error("pole", str(exc))
    if data.get("base_station") and "pole" not in form.errors:
        station = kept("base_station", data["base_station"], "name")
        if station is not None and pole is not None and station.pole_id != pole.pk:
            station = None
        if station is None:
            try:
                station = resolve_base_station(data["base_station"], pole=pole)
            except ReferenceLookupError as exc:
                form.add_error("base_station", str(exc))
    if station is not None and pole is None:
        pole = station.pole
    return pole, station


class ManualIncidentForm(forms.Form):
    """An incident registered by hand (a phone call, another channel)."""

    subject = forms.CharField(label=_("Subject"), max_length=1024)
    requester_email = forms.EmailField(
        label=_("Requester e-mail"),
        required=False,
        max_length=320,
        help_text=_("Where replies and notices go; leave empty if there is none."),
    )
    pole = IncidentEditForm.base_fields["pole"]
    base_station = IncidentEditForm.base_fields["base_station"]
    incident_type = IncidentEditForm.base_fields["incident_type"]
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=MAX_REPLY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What was reported, by whom, how to call back."),
    )
    notify = forms.BooleanField(label=_("Send the first e-mail to the requester"), required=False)
    notice = forms.CharField(
        label=_("Text of the e-mail"),
        required=False,
        max_length=MAX_REPLY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        initial=_("Good day! Your request is registered; we will keep you informed."),
        help_text=_("Sent through the outbox with the incident number in the subject."),
    )

    def clean(self) -> dict:
        data = super().clean()
        data["resolved_pole"], data["resolved_base_station"] = resolve_site(self, data)
        if data.get("notify"):
            if not data.get("requester_email") and "requester_email" not in self.errors:
                self.add_error("requester_email", _("Enter the address to send the e-mail to."))
            if not (data.get("notice") or "").strip():
                self.add_error("notice", _("Enter the text of the e-mail."))
        return data

    def incident(self) -> ManualIncident:
        data = self.cleaned_data
        return ManualIncident(
            subject=data["subject"],
            requester_email=data.get("requester_email") or "",
            description=data.get("description") or "",
            incident_type=data.get("incident_type"),
            pole=data["resolved_pole"],
            base_station=data["resolved_base_station"],
            notice=data["notice"] if data.get("notify") else "",
        )


def _blank_edit_fields(initial: dict, choices: dict[str, list]) -> SafeString:
    """The unbound edit form's fields with ``initial`` values under ``choices``
    (``selectors.edit_choices()``), each from the memo."""
    language = get_language()
    return SafeString(
        "\n".join(
            _edit_field_html(
                _EditFieldKey(
                    language,
                    name,
                    initial.get(name),
                    tuple(choices[EDIT_CHOICES[name]]) if name in EDIT_CHOICES else (),
                )
            )
            for name in IncidentEditForm.base_fields
        )
    )


class _EditFieldKey(NamedTuple):
    """Everything one rendered field of an unbound edit form depends on."""

    language: str | None
    name: str
    initial: object
    choices: tuple[tuple[int, str], ...]  # for the select fields


@lru_cache(maxsize=EDIT_MEMO_SIZE)
def _edit_field_html(key: _EditFieldKey) -> SafeString:
    """A function of ``key`` alone: the field is rebuilt from it (pure memoisation)."""
    choices = {name: [] for name in EDIT_CHOICES.values()}
    if key.name in EDIT_CHOICES:
        choices[EDIT_CHOICES[key.name]] = list(key.choices)
    form = IncidentEditForm(initial={key.name: key.initial}, choices=choices)
    return get_template(EDIT_FIELD_TEMPLATE).render({"field": form[key.name]})


def _render(template: str, form: forms.Form) -> SafeString:
    return get_template(template).render({"form": form})


@dataclass(frozen=True)
class BlankForm:
    """What the incident page shows of an unbound form, without building the form."""

    fields_html: SafeString
    drawn: tuple[tuple[str, str], ...] = ()  # the edit card's ``initial-`` twins


class _BlankFieldsMemo(forms.Form):
    """A form whose blank (unbound) fields the incident page shows on every view: ``blank()``
    renders them once per (form, language, ``memo_key``) and reuses them; ``fields_html`` of a
    form (a refused, bound one) renders it as it is."""

    fields_template = EDIT_FIELDS_TEMPLATE

    @classmethod
    def blank(cls, **values) -> BlankForm:
        """The blank form made of ``values`` (what ``memo_key`` takes), from the memo."""
        return BlankForm(
            _blank_fields_html(_BlankFieldsKey(cls, get_language(), cls.memo_key(**values)))
        )

    @classmethod
    def memo_key(cls) -> tuple:
        """Everything the blank fields show besides the language's texts (a form with
        database choices loads them here, as (pk, label) pairs)."""
        return ()

    @classmethod
    def memo_form(cls, key: tuple) -> forms.Form:
        """The blank form ``key`` stands for."""
        return cls()

    def fields_html(self) -> SafeString:
        return _render(self.fields_template, self)


class _BlankFieldsKey(NamedTuple):
    form: type[_BlankFieldsMemo]
    language: str | None
    key: tuple


@lru_cache(maxsize=BLANK_MEMO_SIZE)
def _blank_fields_html(key: _BlankFieldsKey) -> SafeString:
    """A function of ``key`` alone: the blank form is rebuilt from it (pure memoisation)."""
    return key.form.memo_form(key.key).fields_html()


class CommentForm(_BlankFieldsMemo):
    """An internal comment (new or edited); the service checks emptiness and the author."""

    fields_template = COMMENT_FIELDS_TEMPLATE

    body = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_COMMENT_LENGTH,
    )

    def __init__(self, *args, **kwargs) -> None:
        # The reply form on the same page has a "body" too: ids must stay unique on the page.
        kwargs.setdefault("auto_id", "comment_%s")
        super().__init__(*args, **kwargs)


DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class WorkForm(_BlankFieldsMemo):
    """Start, end and (РВР) priority of one work category of the incident."""

    category = forms.ChoiceField(label=_("Work category"), choices=WorkCategory.choices)
    started_at = forms.DateTimeField(label=_("Start"), widget=DATETIME_INPUT)
    ended_at = forms.DateTimeField(label=_("End"), required=False, widget=DATETIME_INPUT)
    priority = forms.ModelChoiceField(
        label=_("РВР priority"),
        queryset=RvrPriority.objects.filter(is_active=True),
        required=False,
        empty_label=_("— not set —"),
    )

    @classmethod
    def memo_key(cls) -> tuple:
        queryset = cls.base_fields["priority"].queryset
        return reference_cache.cached(
            "rvr_priorities", lambda: tuple((p.pk, str(p)) for p in queryset.all())
        )

    @classmethod
    def memo_form(cls, key: tuple) -> WorkForm:
        form = cls()
        field = form.fields["priority"]
        field.choices = [("", field.empty_label), *key]
        return form


class LinkForm(_BlankFieldsMemo):
    """Link the incident to another one, named by its code or number."""

    kind = forms.ChoiceField(
        label=_("Link"), choices=[(kind, capfirst(label)) for kind, label in LinkKind.choices]
    )
    other = forms.CharField(
        label=_("Incident"), max_length=64, help_text=_("Its code or number, e.g. DISPATCH-42")
    )

    def clean_other(self) -> Incident:
        found = find_incident(self.cleaned_data["other"])
        if found is None:
            raise forms.ValidationError(
                _("No incident «%(ref)s».") % {"ref": self.cleaned_data["other"][:64]}
            )
        return found


class StatusForm(forms.Form):
    """A status button (``to``) or «Взять себе» (``take``), with an optional comment. A result
    the outbox records («Уведомили…», «Передано…») set by hand sends no e-mail, so it needs
    ``confirm_manual``."""

    to = forms.ChoiceField(choices=StatusKey.choices, required=False)
    take = forms.BooleanField(required=False)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)
    confirm_manual = forms.BooleanField(required=False)

    def clean(self) -> dict:
        data = super().clean()
        if not self.step and (data.get("comment") or "").strip():
            self.add_error("comment", _("Choose the status this comment goes with."))
        if data.get("to") in workflow.RECORDED_RESULTS and not data.get("confirm_manual"):
            self.add_error(
                "confirm_manual",
                _("Confirm that you record «%(status)s» yourself: no e-mail is sent then.")
                % {"status": StatusKey(data["to"]).label},
            )
        return data

    @property
    def step(self) -> bool:
        """A status button or «Взять себе» was pressed (else the form only saves the edits)."""
        return bool(self.data.get("to") or self.data.get("take"))


class ReplyForm(_BlankFieldsMemo):
    """The reply goes to the incident's requester (shown in the form) and the copies the
    dispatcher picks: people of the conversation, or addresses typed in."""

    fields_template = REPLY_FIELDS_TEMPLATE

    body = forms.CharField(
        label=_("Reply text"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=MAX_REPLY_LENGTH,
    )
    cc = forms.MultipleChoiceField(
        label=_("Copy to"), required=False, widget=forms.CheckboxSelectMultiple
    )
    extra_cc = forms.CharField(
        label=_("Other addresses for the copy"),
        required=False,
        max_length=2000,
        help_text=_("Separate addresses with commas."),
    )

    def __init__(self, *args, requester: str = "", candidates: list[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.requester = requester
        self.max_recipients = settings.MAIL_MAX_RECIPIENTS  # shown in the help text
        self.fields["cc"].choices = [(address, address) for address in candidates]

    @classmethod
    def memo_key(cls, *, requester: str, candidates: list[str]) -> tuple:
        return (requester, tuple(candidates), settings.MAIL_MAX_RECIPIENTS)

    @classmethod
    def memo_form(cls, key: tuple) -> ReplyForm:
        requester, candidates, max_recipients = key
        form = cls(requester=requester, candidates=candidates)
        form.max_recipients = max_recipients
        return form

    def clean_extra_cc(self) -> list[str]:
        found = [part.strip() for part in re.split(r"[,;\s]+", self.cleaned_data["extra_cc"])]
        addresses = [address.lower() for address in found if address]
        for address in addresses:
            try:
                validate_email(address)
            except forms.ValidationError:
                raise forms.ValidationError(
                    _("«%(address)s» is not an e-mail address.") % {"address": address}
                ) from None
        return addresses

    def clean(self) -> dict:
        data = super().clean()
        copies = self.copies() if "cc" in data and "extra_cc" in data else []
        limit = settings.MAIL_MAX_RECIPIENTS
        if 1 + len(copies) > limit:
            raise forms.ValidationError(
                _("At most %(limit)s recipients (the requester and %(copies)s copies).")
                % {"limit": limit, "copies": limit - 1}
            )
        return data

    def copies(self) -> list[str]:
        """The chosen copies, each once, without the requester."""
        chosen = [*self.cleaned_data.get("cc", []), *self.cleaned_data.get("extra_cc", [])]
        unique = dict.fromkeys(address.lower() for address in chosen)
        unique.pop(self.requester.lower(), None)
        return list(unique)


BULK_MAX = 200  # incidents one bulk action may touch (the queue shows 50 a page)


class BulkForm(forms.Form):
    """A bulk action on the incidents selected in the queue: assign a dispatcher, set a type
    or change the status (the button pressed names the action)."""

    ASSIGN, SET_TYPE, STATUS = "assign", "type", "status"

    action = forms.ChoiceField(choices=[(ASSIGN, ASSIGN), (SET_TYPE, SET_TYPE), (STATUS, STATUS)])
    ids = forms.TypedMultipleChoiceField(coerce=int)
    assignee = forms.ModelChoiceField(queryset=selectors.assignable_dispatchers(), required=False)
    incident_type = forms.ModelChoiceField(
        queryset=IncidentType.objects.filter(is_active=True), required=False
    )
    status = forms.ChoiceField(choices=StatusKey.choices, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        self.fields["ids"].choices = [(v, v) for v in raw[:BULK_MAX] if v.isascii() and v.isdigit()]

    def clean(self) -> dict:
        data = super().clean()
        needed = {self.ASSIGN: "assignee", self.SET_TYPE: "incident_type", self.STATUS: "status"}
        field = needed.get(data.get("action", ""))
        if field and not data.get(field):
            self.add_error(field, _("Choose a value for the selected incidents."))
        return data

    def incidents(self) -> list[Incident]:
        return selectors.incidents_for_bulk(self.cleaned_data["ids"])
