"""Every page of every registered ModelAdmin works for the default administrator.

The walk signs in as the admin ``ensure_admin`` creates and, for each model registered on the
admin site: opens the list, opens the add form and posts it back filled from its own fields and
initial data (the save must succeed), then opens the change form of an object, posts it back
unchanged (it must save), and opens the delete confirmation; at the end it confirms each deletion.
No page may answer 500; a form that refuses its own valid data fails the test with the form's
errors.
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from django import forms
from django.conf import settings as django_settings
from django.contrib import admin
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.management import call_command
from django.forms.widgets import CheckboxInput, MultiWidget, SelectMultiple
from django.test import Client
from django.urls import reverse

from emails.models import EmailMessage, MailFolder
from emails.services import quarantine
from incidents.moves import move_emails
from incidents.notifications import queue_reply
from users.models import User
from users.services import register, request_email_change
from yandex_tracker.models import (
    SyncCursor,
    TrackerComment,
    TrackerIssue,
    TrackerToken,
    TrackerUser,
)

pytestmark = pytest.mark.django_db

ADMIN_EMAIL, ADMIN_PASSWORD = "admin@tower.example", "Admin-Walk-Parol-2026"
_serial = itertools.count(1)


def _filler(field: forms.Field, name: str) -> object:
    """A valid value for a required field the form leaves empty."""
    n = next(_serial)
    if isinstance(field, forms.ModelMultipleChoiceField):
        return [str(field.queryset.first().pk)]
    if isinstance(field, forms.ModelChoiceField):
        newest = field.queryset.order_by("-pk").first()  # the seed's first rows are taken
        assert newest is not None, f"nothing to choose for {name}"
        return str(newest.pk)
    if isinstance(field, forms.ChoiceField):
        return next(str(value) for value, _label in field.choices if value not in ("", None))
    if "password" in name:
        return ADMIN_PASSWORD + "-new"
    if isinstance(field, forms.EmailField) or name in ("pattern", "address"):
        return f"walk{n}@tower.example"
    if isinstance(field, forms.URLField):
        return "https://tower.example/"
    if isinstance(field, forms.IntegerField | forms.FloatField | forms.DecimalField):
        return str(max(1, field.min_value or 1))
    if isinstance(field, forms.SplitDateTimeField):
        return [date.today().isoformat(), "10:00:00"]
    if isinstance(field, forms.DateTimeField):
        return f"{date.today().isoformat()} 10:00:00"
    if isinstance(field, forms.DateField):
        return date.today().isoformat()
    if isinstance(field, forms.TimeField):
        return "09:00"
    if isinstance(field, forms.DurationField):
        return "01:00:00"
    if isinstance(field, forms.JSONField):
        return "{}"
    if isinstance(field, forms.GenericIPAddressField):
        return "192.0.2.1"
    text = f"walk{n}"
    return text[: field.max_length] if getattr(field, "max_length", None) else text


def _put(data: dict, bound: forms.BoundField, value: object) -> None:
    widget = bound.field.widget
    if isinstance(widget, RelatedFieldWidgetWrapper):
        widget = widget.widget
    if isinstance(widget, MultiWidget):
        parts = value if isinstance(value, list | tuple) else widget.decompress(value)
        for suffix, sub, part in zip(widget.widgets_names, widget.widgets, parts, strict=True):
            data[bound.html_name + suffix] = sub.format_value(part) or ""
    elif isinstance(widget, CheckboxInput):
        if value:
            data[bound.html_name] = "on"
    elif isinstance(widget, SelectMultiple):
        data[bound.html_name] = [str(getattr(v, "pk", v)) for v in value or []]
    elif not isinstance(widget, forms.ClearableFileInput | forms.FileInput):
        formatted = widget.format_value(value)
        data[bound.html_name] = "" if formatted is None else formatted


def _form_data(form: forms.BaseForm, *, fill: bool) -> dict:
    data: dict = {}
    for bound in form:
        value = bound.value()
        blank = value in (None, "", [], ())
        if fill and blank and (bound.field.required or "password" in bound.name):
            value = _filler(bound.field, bound.name)
        _put(data, bound, value)
    return data


def page_data(response, *, fill: bool) -> dict:
    """The POST a person sends by submitting the page as shown (required blanks filled)."""
    data = _form_data(response.context["adminform"].form, fill=fill)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_data(formset.management_form, fill=False))
        for form in formset.initial_forms:
            data.update(_form_data(form, fill=False))
        data[formset.management_form["TOTAL_FORMS"].html_name] = str(len(formset.initial_forms))
    data["_save"] = "1"
    return data


def form_errors(response) -> str:
    if response.context is None or "adminform" not in response.context:
        return response.content.decode()[:2000]
    errors = [response.context["adminform"].form.errors.as_text()]
    for inline in response.context["inline_admin_formsets"]:
        errors += [str(inline.formset.errors), str(inline.formset.non_form_errors())]
    return "\n".join(error for error in errors if error and error != "[]")


@pytest.fixture
def admin_client(settings) -> Client:
    settings.ADMIN_EMAIL, settings.ADMIN_USERNAME = ADMIN_EMAIL, "admin.walk"
    settings.ADMIN_PASSWORD = ADMIN_PASSWORD
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = True  # so its admin pages have a row to open
    call_command("ensure_admin")
    client = Client(raise_request_exception=False)
    assert client.login(username=ADMIN_EMAIL, password=ADMIN_PASSWORD)
    return client


def _urls(model) -> dict[str, str]:
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    return {kind: f"{info}_{kind}" for kind in ("changelist", "add", "change", "delete")}


def _walk(client: Client, model, model_admin) -> tuple[list[str], object]:
    """Problems found on one model's pages (empty when every page works), and the id of the
    object opened."""
    problems: list[str] = []
    label = model._meta.label
    urls = _urls(model)
    listing = client.get(reverse(urls["changelist"]))
    if listing.status_code != 200:
        problems.append(f"{label} list: HTTP {listing.status_code}")
    obj_id = None
    add = client.get(reverse(urls["add"]))
    if add.status_code == 200:
        before = LogEntry.objects.filter(action_flag=ADDITION).count()
        saved = client.post(reverse(urls["add"]), page_data(add, fill=True))
        if saved.status_code != 302:
            problems.append(f"{label} add: HTTP {saved.status_code}\n{form_errors(saved)}")
        elif LogEntry.objects.filter(action_flag=ADDITION).count() > before:
            obj_id = LogEntry.objects.filter(action_flag=ADDITION).latest("pk").object_id
    elif add.status_code != 403:
        problems.append(f"{label} add form: HTTP {add.status_code}")
    if obj_id is None:
        obj = model_admin.get_queryset(add.wsgi_request).order_by("pk").first()
        if obj is None:
            return [*problems, f"{label}: no object to open (seed one)"], None
        obj_id = obj.pk
    change_url = reverse(urls["change"], args=[obj_id])
    change = client.get(change_url)
    if change.status_code != 200:
        problems.append(f"{label} change form: HTTP {change.status_code}")
    elif model_admin.has_change_permission(change.wsgi_request, change.context["original"]):
        saved = client.post(change_url, page_data(change, fill=False))
        if saved.status_code != 302:
            problems.append(f"{label} change: HTTP {saved.status_code}\n{form_errors(saved)}")
    delete = client.get(reverse(urls["delete"], args=[obj_id]))
    if delete.status_code not in (200, 403):
        problems.append(f"{label} delete confirmation: HTTP {delete.status_code}")
    return problems, obj_id


def _delete(client: Client, model, obj_id: object) -> list[str]:
    """Confirm the deletion of the object the walk opened (it may be gone by a cascade)."""
    if obj_id is None or not model._default_manager.filter(pk=obj_id).exists():
        return []
    url = reverse(_urls(model)["delete"], args=[obj_id])
    answer = client.post(url, {"post": "yes"})
    # 302: deleted; 200: "cannot delete" (protected rows listed); 403: not allowed
    if answer.status_code not in (200, 302, 403):
        return [f"{model._meta.label} delete: HTTP {answer.status_code}"]
    return []


def seed_admin_walk() -> None:
    """One object of every model, made the way the service makes them where that is cheap."""
    from incidents.defaults import load_defaults

    load_defaults()
    demo = django_settings.BASE_DIR / "data" / "demo" / "maildir"
    call_command("ingest_mail", "--source", f"maildir:{demo}", "--once")
    quarantine(MailFolder.objects.first(), 1, 999, b"not a message", "walk: unparsable")
    register(
        username="walk.guest", email="guest@tower.example", password=ADMIN_PASSWORD,
        base_url="http://testserver",
    )  # fmt: skip
    request_email_change(
        User.objects.get(email=ADMIN_EMAIL), "new-admin@tower.example", base_url="http://t"
    )
    login = {"username": ADMIN_EMAIL, "password": "wrong"}  # axes: attempt and failure logs
    Client().post(reverse("admin:login"), login)
    email = EmailMessage.objects.filter(incident__isnull=False).first()
    queue_reply(email.incident, "Принято в работу.", user=User.objects.get(email=ADMIN_EMAIL))
    issue = TrackerIssue.objects.create(incident=email.incident, key="AVRSERVICE-1")
    TrackerComment.objects.create(email=email, issue=issue, comment_id="1")
    TrackerToken.objects.create(access_token="walk-token")
    SyncCursor.objects.create(name="walk", value="1")
    TrackerUser.objects.create(login="walk.dispatcher", uid="1130000000001", display="Walk")
    stray = EmailMessage.objects.filter(incident__isnull=False).exclude(pk=email.pk).last()
    move_emails(stray, None, actor="admin")  # a move (to a new incident) for IncidentMove


def test_every_admin_page_of_every_model_works_for_the_default_admin(admin_client):
    seed_admin_walk()
    problems: list[str] = []
    opened = []
    for model, model_admin in admin.site._registry.items():
        found, obj_id = _walk(admin_client, model, model_admin)
        problems += found
        opened.append((model, obj_id))
    for model, obj_id in reversed(opened):
        problems += _delete(admin_client, model, obj_id)
    assert not problems, "\n\n".join(problems)


def test_admin_adds_an_incident_through_the_service_with_status_history_and_sla(admin_client):
    from incidents.defaults import load_defaults
    from incidents.models import Incident, IncidentType, StatusKey

    load_defaults()
    kind = IncidentType.objects.order_by("pk").first()
    url = reverse("admin:incidents_incident_add")
    form = admin_client.get(url)
    assert "is_finished" not in form.context["adminform"].form.fields  # the workflow's job
    data = page_data(form, fill=False)
    data.update(
        subject="Нет связи на опоре 02-00123", requester_email="engineer@operator.example",
        incident_date_0=date.today().isoformat(), incident_date_1="08:15:00",
        incident_type=str(kind.pk),
    )  # fmt: skip
    guest = User.objects.create_user(email="guest@tower.example", password=ADMIN_PASSWORD)
    refused = admin_client.post(url, {**data, "assignee": str(guest.pk)})
    assert refused.status_code == 200 and not Incident.objects.exists()
    assert "не может работать с инцидентами" in form_errors(refused)
    assert admin_client.post(url, data).status_code == 302
    incident = Incident.objects.get()
    assert incident.status.key == StatusKey.NEW and incident.source == "manual"
    assert incident.code == f"{django_settings.INCIDENT_CODE_PREFIX}-{incident.pk}"
    assert incident.incident_type == kind and incident.sla_deadline is not None
    (history,) = incident.status_history.all()
    assert history.actor == "admin" and history.user.email == ADMIN_EMAIL


def _hostile(data: dict, value: str) -> dict:
    """The page's POST with every value a person types replaced by ``value`` (the formsets'
    bookkeeping, the inline rows' ids and the save button kept)."""
    kept = ("_save", "-TOTAL_FORMS", "-INITIAL_FORMS", "-MIN_NUM_FORMS", "-MAX_NUM_FORMS", "-id")
    return {
        key: item if key.endswith(kept) or isinstance(item, list) else value
        for key, item in data.items()
    }


def _not_russian(response) -> list[str]:
    form = response.context["adminform"].form
    errors = [str(e) for errs in form.errors.values() for e in errs]
    for inline in response.context["inline_admin_formsets"]:
        errors += [str(e) for f in inline.formset.errors for errs in f.values() for e in errs]
        errors += [str(e) for e in inline.formset.non_form_errors()]
    return [e for e in errors if not any("а" <= c.lower() <= "я" for c in e)]


@pytest.mark.parametrize("value", ["", "x" * 5000 + "\x00"])
def test_every_admin_form_refuses_cleared_or_hostile_input_in_russian(admin_client, value):
    """An admin clearing every field (or pasting junk) and saving: each add and change page
    answers with its Russian form errors or saves — never a 500 (e.g. a NOT NULL column)."""
    seed_admin_walk()
    problems: list[str] = []
    for model, model_admin in admin.site._registry.items():
        urls = _urls(model)
        pages = [reverse(urls["add"])]
        obj = model_admin.get_queryset(admin_client.get("/admin/").wsgi_request).first()
        if obj is not None:
            pages.append(reverse(urls["change"], args=[obj.pk]))
        for url in pages:
            shown = admin_client.get(url)
            if shown.status_code != 200 or "adminform" not in (shown.context or {}):
                continue
            answer = admin_client.post(url, _hostile(page_data(shown, fill=False), value))
            if answer.status_code == 200 and answer.context and "adminform" in answer.context:
                problems += [f"{url}: not in Russian: {e}" for e in _not_russian(answer)]
            elif answer.status_code not in (302, 403):
                problems.append(f"{url}: HTTP {answer.status_code}")
    assert not problems, "\n".join(problems)
