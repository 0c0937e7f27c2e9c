"""The incident page's blank forms (edit card, reply, comment, work, link) come from a memo keyed
on everything they show: the memoised HTML equals a fresh rendering of the form, and a change of
what they show (a copy candidate, the language, a priority renamed, the recipient limit, the
incident edited) shows at once."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from console import forms as console_forms
from console.forms import CommentForm, IncidentEditForm, LinkForm, ReplyForm, WorkForm
from emails.models import EmailMessage, EmailRecipient
from incidents.models import RvrPriority
from incidents.tests.factories import make_request

pytestmark = pytest.mark.django_db


def _twice(make) -> str:
    """``make()`` twice; the second must come from the memo and equal the first."""
    first = make().fields_html
    hits = console_forms._blank_fields_html.cache_info().hits
    second = make().fields_html
    assert console_forms._blank_fields_html.cache_info().hits == hits + 1
    assert second == first
    return second


@pytest.mark.parametrize("language", ["ru", "en"])
def test_memoised_blank_forms_equal_a_fresh_rendering(defaults, language):
    RvrPriority.objects.create(name="Срочный <1>", is_active=True, sla_minutes=240)
    candidates = ["copy@corp.example", "o'neil&co@corp.example"]
    with translation.override(language):
        reply = _twice(lambda: ReplyForm.blank(requester="noc@x.example", candidates=candidates))
        assert reply == ReplyForm(requester="noc@x.example", candidates=candidates).fields_html()
        assert "o&#x27;neil&amp;co@corp.example" in reply and "noc@x.example" in reply
        for form in (CommentForm, WorkForm, LinkForm):
            assert _twice(form.blank) == form().fields_html()
        assert "Срочный &lt;1&gt;" in WorkForm.blank().fields_html


def test_blank_forms_follow_what_they_show(defaults):
    with translation.override("ru"):
        ru = CommentForm.blank().fields_html
        reply = ReplyForm.blank(requester="noc@x.example", candidates=[]).fields_html
    with translation.override("en"):
        assert CommentForm.blank().fields_html != ru
        assert (
            "New comment (seen by the desk only, never mailed)" in CommentForm.blank().fields_html
        )
    with translation.override("ru"):
        copied = ReplyForm.blank(requester="noc@x.example", candidates=["a@corp.example"])
        assert 'id="reply-cc"' not in reply and 'value="a@corp.example"' in copied.fields_html
        with override_settings(MAIL_MAX_RECIPIENTS=7):
            limited = ReplyForm.blank(requester="noc@x.example", candidates=[]).fields_html
        assert limited != reply and "7" in limited.replace(reply, "")
        priority = RvrPriority.objects.create(name="Обычный", is_active=True, sla_minutes=240)
        assert "Обычный" in WorkForm.blank().fields_html
        priority.name = "Плановый"
        priority.save()
        assert "Плановый" in WorkForm.blank().fields_html
        assert "Обычный" not in WorkForm.blank().fields_html


def test_blank_edit_card_equals_the_form_and_follows_the_incident(dispatcher):
    incident = make_request()
    blank = IncidentEditForm.blank(incident)
    form = IncidentEditForm.for_incident(incident)
    assert blank.fields_html == form.fields_html() and blank.drawn == tuple(form.drawn())
    incident.assignee = dispatcher
    incident.save()
    edited = IncidentEditForm.blank(incident)
    assert ("assignee", str(dispatcher.pk)) in edited.drawn
    assert f'<option value="{dispatcher.pk}" selected>Анна Петрова</option>' in edited.fields_html
    assert edited.fields_html == IncidentEditForm.for_incident(incident).fields_html()


def test_a_new_copy_candidate_shows_on_the_next_page_view(client, dispatcher):
    incident = make_request(to=(), cc=())
    url = reverse("console:incident", args=[incident.pk])
    client.force_login(dispatcher)
    assert 'id="reply-cc"' not in client.get(url).content.decode()
    email = EmailMessage.objects.create(
        message_id="<later@x>",
        from_address="engineer@corp.example",
        sent_at=incident.incident_date,
        body_text="Добавьте меня",
        incident=incident,
    )
    EmailRecipient.objects.create(email=email, kind="cc", address="boss@corp.example")
    page = client.get(url).content.decode()
    assert 'id="reply-cc"' in page
    assert 'value="engineer@corp.example"' in page and 'value="boss@corp.example"' in page
