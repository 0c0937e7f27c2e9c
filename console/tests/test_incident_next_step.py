"""The incident page's next step and its one form: the usual step is the primary button, requests
that send an e-mail look like actions, results recorded by hand sit apart behind a confirmation,
«Взять себе» takes a new incident, a status change carries the pending edits (and is refused with
them, nothing lost), and no form address answers 405 on a reload."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from emails.outbox.models import OutboundEmail
from incidents import services
from incidents.models import IncidentType, StatusKey
from incidents.services import record_status
from incidents.tests.factories import make_site
from users.models import Role, User

pytestmark = pytest.mark.django_db

S = StatusKey


@pytest.fixture
def logged_in(client, dispatcher):
    client.force_login(dispatcher)
    return client


def _page(client, incident) -> str:
    return client.get(reverse("console:incident", args=[incident.pk])).content.decode()


def _section(page: str, start: str, end: str) -> str:
    return page[page.index(start) : page.index(end, page.index(start))]


def _buttons(html: str) -> list[str]:
    return re.findall(r'<button type="submit" name="to" value="([a-z_]+)"', html)


def _post(client, incident, **data):
    return client.post(reverse("console:status", args=[incident.pk]), data)


def _form(incident, **values) -> dict:
    """What the incident form posts: the edit card's fields with the page's values, changed."""
    data = {
        "edits": "1",
        "incident_type": incident.incident_type_id or "",
        "subtype": "",
        "pole": incident.pole.code if incident.pole_id else "",
        "base_station": "",
        "assignee": incident.assignee_id or "",
        "comment": "",
    }
    data.update(values)
    return data


def test_the_usual_next_step_is_the_primary_button(logged_in, incident):
    page = _page(logged_in, incident)
    assert 'id="take-button"' in _section(page, 'class="next-step"', "</div>")  # «Новый»
    usual = {
        S.IN_PROGRESS: S.NOTIFY_OPERATOR,
        S.NOTIFIED_OPERATOR: S.NOTIFY_CONTRACTOR,
        S.NOTIFIED_CONTRACTOR: S.NOTIFY_CLOSED,
        S.NOTIFIED_CLOSED: S.CLOSED,
        S.ERROR: S.IN_PROGRESS,
    }
    for status, primary in usual.items():
        record_status(incident, status, actor="console")
        page = _page(logged_in, incident)
        assert _buttons(_section(page, 'class="next-step"', "</div>")) == [primary], status
        assert page.count("button-primary") == 1
        assert 'id="take-button"' not in page
        others = 'aria-label="Другие шаги"'
        forward = _buttons(_section(page, others, "</div>")) if others in page else []
        if S.CLOSED in forward:
            assert forward[-1] == S.CLOSED  # «Закрыт» after every other way forward


def test_requests_look_like_actions_and_results_are_set_apart(logged_in, incident):
    record_status(incident, S.IN_PROGRESS, actor="console")
    page = _page(logged_in, incident)
    request = re.search(r'<button[^>]*value="notify_operator"[^>]*>(.*?)</button>', page)
    assert "sends-mail" in request.group(0) and "✉" in request.group(1)
    assert "отправляет письмо" in request.group(1)
    assert "Принято → заявителю" in request.group(1)  # which e-mail
    manual = _section(page, 'id="manual-results"', "</details>")
    assert _buttons(manual) == [S.NOTIFIED_OPERATOR]  # only there, behind the confirmation
    assert _buttons(page).count(S.NOTIFIED_OPERATOR) == 1
    assert "письмо не отправляется" in manual
    assert _buttons(page)[-2:] == [S.ERROR, S.NEED_ACCEPTANCE]


def test_result_set_by_hand_needs_the_confirmation(logged_in, incident):
    record_status(incident, S.IN_PROGRESS, actor="console")
    response = _post(logged_in, incident, to=S.NOTIFIED_OPERATOR, comment="По телефону")
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="manual-results" open' in page
    assert "Подтвердите, что отмечаете «Уведомили оператора» вручную" in page
    assert 'value="По телефону"' in page  # the comment is kept
    incident.refresh_from_db()
    assert incident.status.key == S.IN_PROGRESS

    response = _post(
        logged_in, incident, to=S.NOTIFIED_OPERATOR, comment="По телефону", confirm_manual="1"
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status.key == S.NOTIFIED_OPERATOR
    assert not OutboundEmail.objects.exists()  # nothing was sent


def test_take_makes_a_new_incident_mine_and_in_progress(logged_in, incident, dispatcher):
    response = _post(logged_in, incident, **_form(incident, take="1"))
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.assignee, incident.status.key) == (dispatcher, S.IN_PROGRESS)
    page = logged_in.get(response["Location"]).content.decode()
    assert "Инцидент взят: вы — его диспетчер, статус «В работе»." in page
    row = incident.status_history.order_by("-id").first()
    assert (row.user, row.actor) == (dispatcher, "console")


def test_status_change_carries_the_pending_edits(logged_in, incident, dispatcher):
    kind = IncidentType.objects.order_by("id").first()
    other = User.objects.create_user(email="boris@dispatch.example", role=Role.DISPATCH)
    pole, _ = make_site("77-012345")
    data = _form(incident, incident_type=kind.pk, assignee=other.pk, pole="77-0123")
    response = _post(logged_in, incident, to=S.IN_PROGRESS, **data)
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.incident_type, incident.assignee, incident.pole) == (kind, other, pole)
    assert incident.status.key == S.IN_PROGRESS
    page = logged_in.get(response["Location"]).content.decode()
    assert "Инцидент обновлён." in page and "Статус изменён на «В работе»." in page


def test_refused_edits_stop_the_status_change_and_keep_every_choice(logged_in, incident):
    kind = IncidentType.objects.order_by("id").first()
    other = User.objects.create_user(email="boris@dispatch.example", role=Role.DISPATCH)
    make_site("77-012345")
    make_site("77-019999")
    before = incident.assignee
    data = _form(incident, incident_type=kind.pk, assignee=other.pk, pole="77-01", comment="Беру")
    response = _post(logged_in, incident, to=S.IN_PROGRESS, **data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "Инцидент не изменён: проверьте поля ниже." in page
    assert f'<option value="{kind.pk}" selected>' in page  # the chosen type …
    assert f'<option value="{other.pk}" selected>' in page  # … and dispatcher are kept
    assert 'value="77-01"' in page and 'aria-invalid="true"' in page
    assert 'value="Беру"' in page
    incident.refresh_from_db()
    assert incident.status.key == S.NEW
    assert (incident.incident_type, incident.assignee, incident.pole) == (None, before, None)


def test_enter_saves_and_a_comment_needs_a_status(logged_in, incident):
    page = _page(logged_in, incident)
    form = _section(page, 'id="workflow"', "</section>")
    # the first submit button of the form is a hidden «Save» (what Enter presses)
    first = re.search(r'<button type="submit" form="incident-form"[^>]*>', form).group(0)
    assert "hidden" in first and "name=" not in first
    response = _post(logged_in, incident, **_form(incident, comment="Позвонил"))
    assert response.status_code == 422
    assert "Выберите статус, к которому относится комментарий." in response.content.decode()


def test_no_form_address_answers_405_on_a_reload(logged_in, incident):
    """Post/redirect/get: a GET of an address a form posts to goes back to the page."""
    comment = logged_in.post(reverse("console:comment", args=[incident.pk]), {"body": "x"})
    assert comment.status_code == 302
    pk = incident.pk
    addresses = {
        reverse("console:status", args=[pk]): "#edit",
        reverse("console:edit", args=[pk]): "#edit",
        reverse("console:reply", args=[pk]): "#reply",
        reverse("console:comment", args=[pk]): "#comments",
        reverse("console:comment_edit", args=[pk, incident.comments.get().pk]): "#comments",
        reverse("console:thread_linking", args=[pk]): "#summary",
        reverse("console:work", args=[pk]): "#works",
        reverse("console:work_remove", args=[pk, "avr"]): "#works",
        reverse("console:link", args=[pk]): "#links",
        reverse("console:unlink", args=[pk, pk]): "#links",
    }
    for address, section in addresses.items():
        response = logged_in.get(address)
        assert response.status_code == 302, address
        assert response["Location"] == f"/incidents/{pk}/{section}"


def test_fields_left_as_drawn_do_not_undo_a_change_made_meanwhile(logged_in, incident):
    """Two dispatchers: the page was drawn, then someone else assigned the incident; a status
    change carrying the card (the pole typed, the dispatcher left as drawn) keeps their choice."""
    page = _page(logged_in, incident)
    drawn = dict(re.findall(r'<input type="hidden" name="initial-(\w+)" value="([^"]*)">', page))
    assert set(drawn) == {"incident_type", "subtype", "pole", "base_station", "assignee"}
    pole, _ = make_site("77-012345")
    other = User.objects.create_user(email="boris@dispatch.example", role=Role.DISPATCH)
    services.update_incident(incident, changes={"assignee": other}, actor="console", user=other)
    data = {"edits": "1", **drawn, **{f"initial-{k}": v for k, v in drawn.items()}}
    data["pole"] = "77-0123"  # the one field this dispatcher changed
    response = _post(logged_in, incident, to=S.IN_PROGRESS, **data)
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.pole, incident.assignee, incident.status.key) == (pole, other, S.IN_PROGRESS)
