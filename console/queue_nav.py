"""The queue a dispatcher last looked at, kept in the session: the incident page's «back to the
queue» link and its previous / next incident follow those filters."""

from __future__ import annotations

from django.http import HttpRequest, QueryDict
from django.utils.http import url_has_allowed_host_and_scheme

from console import selectors
from console.forms import QueueFilterForm

SESSION_KEY = "console_queue_query"
MAX_QUERY_CHARS = 2000


def remember_queue(request: HttpRequest, query: str) -> None:
    """Keep the queue's query string (without the page); the session is written only when it
    changes."""
    if len(query) <= MAX_QUERY_CHARS and request.session.get(SESSION_KEY) != query:
        request.session[SESSION_KEY] = query


def queue_query(request: HttpRequest) -> str:
    return request.session.get(SESSION_KEY, "")


def queue_filters(request: HttpRequest) -> selectors.QueueFilters:
    """The remembered filters, validated again (choices may have changed since)."""
    query = queue_query(request)
    if not query:
        return selectors.QueueFilters()
    return QueueFilterForm(QueryDict(query)).filters()


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` URL of a POST when it stays on this site, else ``fallback``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
