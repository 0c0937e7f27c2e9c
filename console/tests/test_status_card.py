"""The status card comes from a memo keyed on (language, status): equal to Django's include of
the card for every status and language; the incident's new status and the language show at once;
a refused status form (its comment, its errors) is rendered as it is."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from console import next_step, status_card
from console.forms import StatusForm
from incidents.models import IncidentStatus, StatusKey
from incidents.services import record_status
from incidents.tests.factories import make_request

pytestmark = pytest.mark.django_db

INCLUDE = Template('{% include "console/_status_card.html" %}')


def _included(key: str, status_form=None) -> str:
    actions = next_step.actions_for(key)
    return INCLUDE.render(Context({"status_actions": actions, "status_form": status_form}))


@pytest.mark.parametrize("language", ["ru", "en"])
def test_memoised_card_equals_the_include_for_every_status(defaults, language):
    incident = make_request()
    with translation.override(language):
        for key in StatusKey:
            incident.status = IncidentStatus.objects.get(key=key)
            first = status_card.status_card(incident)
            hits = status_card._blank_card.cache_info().hits
            assert status_card.status_card(incident) == first == _included(key)
            assert status_card._blank_card.cache_info().hits == hits + 1


def test_card_follows_the_status_and_the_language(client, dispatcher):
    incident = make_request()
    url = reverse("console:incident", args=[incident.pk])
    client.force_login(dispatcher)
    assert 'id="take-button"' in client.get(url).content.decode()
    record_status(incident, StatusKey.IN_PROGRESS, actor="console")
    page = client.get(url).content.decode()
    assert 'id="take-button"' not in page and 'value="notify_operator"' in page
    with translation.override("ru"):
        ru = status_card.status_card(incident)
    with translation.override("en"):
        en = status_card.status_card(incident)
        assert en == _included("in_progress")
    assert "Next step" in en and "Next step" not in ru


def test_refused_status_form_shows_its_comment_and_errors(defaults):
    incident = make_request()
    form = StatusForm({"comment": "без <статуса>"})
    assert not form.is_valid()
    card = status_card.status_card(incident, form)
    assert 'value="без &lt;статуса&gt;"' in card and 'id="status-comment-error"' in card
    assert card == _included(incident.status.key, form)
    assert status_card.status_card(incident) == _included(incident.status.key)
