"""The incident page's status card (``console/_status_card.html``), rendered once per distinct
(language, current status) while no status form was refused: its buttons are a function of the
status alone (``next_step.status_actions``) and it carries no CSRF token and no user's data."""

from __future__ import annotations

from functools import lru_cache

from django import forms
from django.template.loader import get_template
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from console import next_step
from incidents.models import Incident

STATUS_CARD_TEMPLATE = "console/_status_card.html"
STATUS_CARD_MEMO_SIZE = 128  # (language, status key): a dozen statuses, two languages


def status_card(incident: Incident, status_form: forms.Form | None = None) -> SafeString:
    """The card for ``incident``; with a refused ``status_form`` (its comment, its errors) it is
    rendered as it is."""
    if status_form is not None:
        return _render(incident.status.key, status_form)
    return _blank_card(get_language(), incident.status.key)


@lru_cache(maxsize=STATUS_CARD_MEMO_SIZE)
def _blank_card(language: str | None, status_key: str) -> SafeString:
    """A function of its arguments alone (``language`` is the active one: part of the key)."""
    return _render(status_key, None)


def _render(status_key: str, status_form: forms.Form | None) -> SafeString:
    actions = next_step.actions_for(status_key)
    return get_template(STATUS_CARD_TEMPLATE).render(
        {"status_actions": actions, "status_form": status_form}
    )
