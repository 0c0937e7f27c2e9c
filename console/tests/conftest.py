"""Fixtures for console tests: default statuses/types, users of every role, a site."""

from __future__ import annotations

import pytest

from emails.tests.conftest import dovecot, imap_source  # noqa: F401 (real Dovecot)
from incidents.defaults import load_defaults
from incidents.models import IncidentType
from incidents.tests.factories import make_request, make_site
from users.models import Role, User

PASSWORD = "Correct-Horse-42"


@pytest.fixture
def defaults(db) -> None:
    load_defaults()


def _user(email: str, role: str, **extra) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, role=role, **extra)


@pytest.fixture
def dispatcher(defaults) -> User:
    return _user("anna@dispatch.example", Role.DISPATCH, first_name="Анна", last_name="Петрова")


@pytest.fixture
def reader(defaults) -> User:
    return _user("reader@dispatch.example", Role.USER)


@pytest.fixture
def guest(defaults) -> User:
    return _user("guest@dispatch.example", Role.GUEST)


@pytest.fixture
def admin_user(defaults) -> User:
    return _user("boss@dispatch.example", Role.ADMIN, is_staff=True)


@pytest.fixture
def site(defaults):
    return make_site("77-0001")


@pytest.fixture
def incident(dispatcher):
    return make_request()


@pytest.fixture
def incident_type(defaults) -> IncidentType:
    return IncidentType.objects.order_by("id").first()
