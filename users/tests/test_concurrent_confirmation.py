"""Two clicks on one confirmation link at the same moment create one account (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

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
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def click() -> None:
        try:
            barrier.wait(timeout=10)
            services.activate(token, base_url="http://t")
            outcomes.append("created")
        except services.AccountError as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["InvalidLink"] * 3 + ["created"]
    assert User.objects.filter(username="ivanov.a").count() == 1
    assert PendingRegistration.objects.count() == 0
