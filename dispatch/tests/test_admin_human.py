"""The admin speaks to an administrator in Russian: human messages for every database rule,
the product's name, sign-ups waiting for approval on the index, the role when adding a user, a
warning for a dispatcher without shifts, and a stated rule for open incidents when a type's SLA
changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.db.models import BaseConstraint
from django.urls import reverse
from django.utils import timezone, translation

from dispatch.tests.test_admin_walk import form_errors, page_data
from incidents.defaults import load_defaults
from incidents.models import Actor, Incident, IncidentChange, IncidentType, StatusKey
from incidents.services import create_incident, record_status, update_incident
from incidents.sla_sweep import sweep_sla
from users.models import Role, User

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"dispatch", "users", "ts", "incidents", "emails", "outbox", "yandex_tracker"}


def test_every_constraint_of_the_project_has_a_russian_message():
    default = BaseConstraint.default_violation_error_message
    missing = []
    with translation.override("ru"):
        for model in apps.get_models():
            if model._meta.app_label not in PROJECT_APPS:
                continue
            for constraint in model._meta.constraints:
                message = str(constraint.violation_error_message)
                if message == str(default) or not any("а" <= c <= "я" for c in message.lower()):
                    missing.append(f"{model._meta.label}: {constraint.name} → {message}")
    assert not missing, "\n".join(missing)


def test_shift_that_starts_when_it_ends_is_refused_in_words_not_by_constraint_name(admin_client):
    admin = User.objects.get(role=Role.ADMIN)
    url = reverse("admin:users_user_change", args=[admin.pk])
    data = page_data(admin_client.get(url), fill=False)
    data.update({
        "shifts-TOTAL_FORMS": "1", "shifts-0-weekday": "0",
        "shifts-0-start_time": "09:00", "shifts-0-end_time": "09:00",
    })  # fmt: skip
    answer = admin_client.post(url, data)
    assert answer.status_code == 200 and not admin.shifts.exists()
    errors = form_errors(answer)
    assert "Смена не может начинаться и заканчиваться в одно и то же время." in errors
    assert "users_shift_not_empty" not in answer.content.decode()


def test_zero_minute_sla_is_refused_in_words_not_by_constraint_name(admin_client):
    url = reverse("admin:incidents_incidenttype_add")
    data = {"name": "Пожар", "sla_minutes": "0", "sla_clock": "calendar", "is_active": "on"}
    answer = admin_client.post(url, data)
    assert answer.status_code == 200 and not IncidentType.objects.filter(name="Пожар").exists()
    assert "SLA должен быть не меньше одной минуты." in form_errors(answer)
    assert "incidents_type_sla_positive" not in answer.content.decode()


def test_index_names_the_product_and_counts_sign_ups_waiting_with_a_link_to_them(admin_client):
    User.objects.create_user(email="guest1@tower.example", password="x" * 12)
    User.objects.create_user(email="guest2@tower.example", password="x" * 12)
    User.objects.create_user(email="gone@tower.example", password="x" * 12, is_active=False)
    User.objects.create_user(email="disp@tower.example", password="x" * 12, role=Role.DISPATCH)
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert "Администрирование DISPATCH" in index and "Django" not in index
    assert "2 учётные записи ждут одобрения." in index
    link = reverse("admin:users_user_changelist") + "?approval=waiting"
    assert link in index
    listed = admin_client.get(link).context["cl"].result_list
    assert sorted(u.email for u in listed) == ["guest1@tower.example", "guest2@tower.example"]


def test_admin_phrases_read_right_for_every_gender(admin_client):
    page = admin_client.get(reverse("admin:ts_pole_add")).content.decode()
    assert "Добавить: опора" in page and "Добавить опора" not in page
    listing = admin_client.get(reverse("admin:ts_basestation_changelist")).content.decode()
    assert "Выберите для изменения: базовая станция" in listing


def test_user_is_added_with_a_role_and_a_dispatcher_without_shifts_is_warned(admin_client):
    url = reverse("admin:users_user_add")
    form = admin_client.get(url)
    assert "role" in form.context["adminform"].form.fields
    data = page_data(form, fill=False)
    data.update({
        "email": "new.dispatcher@tower.example", "username": "new.dispatcher",
        "role": Role.DISPATCH, "password1": "Dlinnyj-Parol-2026", "password2": "Dlinnyj-Parol-2026",
    })  # fmt: skip
    answer = admin_client.post(url, data, follow=True)
    assert answer.redirect_chain, form_errors(answer)
    user = User.objects.get(email="new.dispatcher@tower.example")
    assert user.role == Role.DISPATCH
    shown = [str(m) for m in answer.context["messages"]]
    assert any("нет рабочих смен" in m for m in shown), shown


def test_changed_sla_moves_open_deadlines_at_once_with_a_record_and_keeps_finished_ones(
    admin_client,
):
    load_defaults()
    kind = IncidentType.objects.create(name="Авария питания", sla_minutes=240)
    start = timezone.now() - timedelta(hours=1)
    open_one, closed = (create_incident(incident_date=start, subject=s) for s in ("О", "З"))
    for incident in (open_one, closed):
        update_incident(incident, changes={"incident_type": kind}, actor=Actor.CONSOLE)
    record_status(closed, StatusKey.CLOSED, actor=Actor.SYSTEM)
    closed.refresh_from_db()
    kept = closed.sla_deadline
    assert kept == start + timedelta(minutes=240)

    url = reverse("admin:incidents_incidenttype_change", args=[kind.pk])
    data = {"name": kind.name, "sla_minutes": "30", "sla_clock": "calendar", "is_active": "on"}
    data.update({"subtypes-TOTAL_FORMS": "0", "subtypes-INITIAL_FORMS": "0"})  # subtype inline
    answer = admin_client.post(url, data, follow=True)
    shown = [str(m) for m in answer.context["messages"]]
    assert "Новый SLA применён к 1 открытому инциденту этого типа." in shown, shown

    open_one.refresh_from_db()
    assert open_one.sla_deadline == start + timedelta(minutes=30)
    assert open_one.sla_state == "expired"
    (change,) = IncidentChange.objects.filter(incident=open_one, field="sla_deadline")
    assert change.actor == Actor.ADMIN and change.user.role == Role.ADMIN
    assert change.old_value != change.new_value
    sweep_sla()  # the sweep follows the same rule
    closed.refresh_from_db()
    assert closed.sla_deadline == kept
    assert Incident.objects.get(pk=open_one.pk).sla_deadline == open_one.sla_deadline
