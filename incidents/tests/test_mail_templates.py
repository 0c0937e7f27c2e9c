"""Admin-editable mail templates: the workflow notifications render from the database row of
their kind (the shipped text when it is missing or inactive), the engine reaches nothing beyond
the documented context, and the admin checks syntax on save and previews on a real incident."""

from __future__ import annotations

import pytest
from django.urls import reverse

from emails.outbox.models import MailTemplate
from incidents import mail_defaults
from incidents.mail_templates import MailTemplateError, check_template, render_template
from incidents.notifications import build_notification
from incidents.tests.factories import make_request, make_site
from users.models import Role, User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notification_setup")]


def test_the_data_migration_ships_every_default_template():
    stored = {t.key: t for t in MailTemplate.objects.all()}
    for shipped in mail_defaults.SHIPPED:
        assert stored[shipped.key].body == shipped.body
        assert stored[shipped.key].audience == shipped.audience
        assert stored[shipped.key].is_active


def test_notification_uses_the_edited_row_then_the_shipped_text_when_it_is_off():
    incident = make_request()
    MailTemplate.objects.filter(key="accepted").update(
        subject="Принято: {{ incident.subject }}",
        body="Добрый день! {{ incident.code }} у нас, ответственный {{ incident.assignee }}.",
    )
    draft = build_notification(incident, "accepted")
    assert draft.body == f"Добрый день! {incident} у нас, ответственный ."
    # the code is put in front of a subject that lost it, so replies still find the incident
    assert draft.subject == f"{incident}: Принято: Нет питания на опоре 77-0001"

    MailTemplate.objects.filter(key="accepted").update(is_active=False)
    assert f'Заявка "{incident}" принята в работу.' in build_notification(incident, "accepted").body
    MailTemplate.objects.filter(key="accepted").delete()
    draft = build_notification(incident, "accepted")
    assert f'Заявка "{incident}" принята в работу.' in draft.body
    assert draft.subject == f"Re: {incident}: Нет питания на опоре 77-0001"


def test_a_broken_row_does_not_stop_the_workflow():
    pole, station = make_site()
    incident = make_request(pole=pole, base_station=station)
    MailTemplate.objects.filter(key="contractor").update(body="{% if %}")
    assert "Шифр опоры: 77-0001" in build_notification(incident, "contractor").body


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{% if %}", "Ошибка в шаблоне"),
        ("{% include 'base.html' %}", "include"),
        ("{% load i18n %}", "load"),
        ("{% debug %}", "debug"),
        ("{% url 'admin:index' %}", "url"),
        ("{{ settings.SECRET_KEY }}", "settings.SECRET_KEY"),
        ("{{ incident.__class__ }}", "__class__"),
        ("{{ incident.requester.upper|default:'x' }}x{{ nope }}", "nope"),
    ],
)
def test_template_syntax_and_unknown_variables_are_refused(text, fragment):
    with pytest.raises(MailTemplateError) as caught:
        check_template(text)
    assert fragment in str(caught.value)


def test_templates_cannot_change_the_context_they_read():
    context = {"messages": [{"number": 1}, {"number": 2}], "incident": {"code": "X"}}
    rendered = render_template(
        "{{ messages.pop }}{{ incident.clear }}{{ incident.popitem }}",
        "{{ messages|length }} {{ incident.code }}",
        context,
    )
    assert rendered.body == "2 X"
    assert len(context["messages"]) == 2 and context["incident"] == {"code": "X"}


@pytest.fixture
def admin_client(client):
    admin = User.objects.create_user(
        email="boss@dispatch.example", password="Correct-Horse-42", role=Role.ADMIN
    )
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    return client


def test_admin_add_change_and_preview_pages(admin_client):
    pole, station = make_site()
    incident = make_request(pole=pole, base_station=station)
    add = admin_client.get(reverse("admin:outbox_mailtemplate_add"))
    assert add.status_code == 200
    assert "{{ incident.code }}" in add.content.decode()  # the variables are listed

    response = admin_client.post(
        reverse("admin:outbox_mailtemplate_add"),
        {
            "key": "gen",
            "name": "Генератор",
            "audience": "contractor",
            "subject": "{{ incident.code }}: генератор",
            "body": "{% for m in messages %}{{ m.body }}{% endfor %",
            "is_active": "on",
        },
    )
    assert response.status_code == 200  # the form again, with the error: not a 500
    assert "Ошибка в шаблоне" in response.content.decode()
    assert not MailTemplate.objects.filter(key="gen").exists()

    template = MailTemplate.objects.get(key="rvr_contractor")
    change_url = reverse("admin:outbox_mailtemplate_change", args=[template.pk])
    assert admin_client.get(change_url).status_code == 200
    response = admin_client.post(
        change_url,
        {
            "name": template.name,
            "audience": template.audience,
            "subject": template.subject,
            "body": "Опора {{ pole.code }}, {{ pole.secret }}",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "Неизвестная переменная «pole.secret»" in response.content.decode()
    response = admin_client.post(
        change_url,
        {
            "name": template.name,
            "audience": template.audience,
            "subject": template.subject,
            "body": "Опора {{ pole.code }}, адрес {{ pole.address }}",
            "is_active": "on",
        },
    )
    assert response.status_code == 302

    preview_url = reverse("admin:outbox_mailtemplate_preview", args=[template.pk])
    page = admin_client.get(preview_url, {"incident": incident.code}).content.decode()
    assert "Опора 77-0001, адрес Москва, ул. Тверская, 1" in page
    assert f"{incident.code}: ремонтные работы на опоре 77-0001" in page
    missing = admin_client.get(preview_url, {"incident": "NOPE-1"})
    assert missing.status_code == 200
    assert '<ul class="errorlist"><li>' in missing.content.decode()
    assert 'id="preview-body"' not in missing.content.decode()
