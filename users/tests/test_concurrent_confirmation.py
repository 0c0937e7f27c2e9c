"""Two clicks on one confirmation link at the same moment create one account (PostgreSQL)."""

from __future__ import annotations

import pytest

from dispatch.testing.threads import run_together
from users import services
from users.models import PendingRegistration, User
from users.tests.conftest import PASSWORD


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_activations_create_one_user(mailoutbox):
    services.register(
        username="ivanov.a", email="ivanov@example.com", password=PASSWORD, base_url="http://t"
    )
    token = mailoutbox[0].body.split("/accounts/activate/", 1)[1].split("/", 1)[0]
    created, refused = run_together(
        lambda: services.activate(token, base_url="http://t"), 4, timeout=30
    )
    assert all(isinstance(exc, services.AccountError) for exc in refused)
    outcomes = ["created"] * len(created) + [type(exc).__name__ for exc in refused]
    assert sorted(outcomes) == ["InvalidLink"] * 3 + ["created"]
    assert User.objects.filter(username="ivanov.a").count() == 1
    assert PendingRegistration.objects.count() == 0
