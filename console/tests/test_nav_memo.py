"""``{% nav_links %}`` comes from a memo keyed on everything the navigation shows: equal to the
include of ``console/_nav.html`` for every page, role and language; a new role or language shows
at once."""

from __future__ import annotations

import pytest
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import translation

from console.templatetags import nav_memo
from users.models import Role

pytestmark = pytest.mark.django_db

PAGES = ("queue", "new", "mail", "quarantine", "load", "map", "stats")


def _render(source: str, user, path: str = "/") -> str:
    request = RequestFactory().get(path)
    request.user = user
    request.resolver_match = resolve(path)
    return Template(source).render(RequestContext(request))


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("path", ["/", "/reports/map/"])
def test_memoised_nav_equals_the_include(dispatcher, reader, admin_user, language, path):
    with translation.override(language):
        for user in (dispatcher, reader, admin_user):
            for page in PAGES:
                include = f'{{% include "console/_nav.html" with nav="{page}" %}}'
                memo = f'{{% load nav_memo %}}{{% nav_links "{page}" %}}'
                first = _render(memo, user, path)
                hits = nav_memo._nav_html.cache_info().hits
                assert _render(memo, user, path) == first == _render(include, user, path)
                assert nav_memo._nav_html.cache_info().hits == hits + 1


def test_nav_follows_the_role_and_the_language(client, dispatcher):
    client.force_login(dispatcher)
    url = reverse("console:load")
    assert 'id="nav-new-incident"' in client.get(url).content.decode()
    dispatcher.role = Role.USER
    dispatcher.save()
    page = client.get(url).content.decode()
    assert 'id="nav-new-incident"' not in page
    client.cookies["django_language"] = "en"
    assert ">Dispatcher load</a>" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Dispatcher load</a>" not in page
