"""An admin's template cannot exhaust the server: saving one that would build a huge string,
loop without end or nest without end is refused with a Russian form error, quickly and with
little memory — never a 500, never a stuck web worker (the same check guards every render)."""

from __future__ import annotations

import time
import tracemalloc

import pytest
from django.urls import reverse

from emails.outbox.models import MailTemplate
from users.models import Role, User

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(60)]

LOOP = "{% for c in incident.subject|make_list %}"
HOSTILE = {
    "wide": '{{ incident.code|ljust:"20000000" }}',
    "format": '{{ 5|stringformat:"020000000d" }}',
    "loops": LOOP * 6 + "x" + "{% endfor %}" * 6,
    "nesting": "{% if 1 %}" * 3000 + "x" + "{% endif %}" * 3000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_template_bomb_is_refused_on_save(client, name):
    admin = User.objects.create_user(
        email="boss@dispatch.example", password="Correct-Horse-42", role=Role.ADMIN
    )
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    assert client.get(reverse("admin:outbox_mailtemplate_add")).status_code == 200  # warm
    tracemalloc.start()
    started = time.monotonic()
    try:
        response = client.post(
            reverse("admin:outbox_mailtemplate_add"),
            {"key": f"bomb-{name}", "name": "Бомба", "audience": "requester",
             "subject": "{{ incident.code }}", "body": HOSTILE[name], "is_active": "on"},
        )  # fmt: skip
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 200  # the form again with its error
    assert 'class="errorlist' in response.content.decode()
    assert "Ошибка в шаблоне" in response.content.decode()
    assert not MailTemplate.objects.filter(key=f"bomb-{name}").exists()
    assert time.monotonic() - started < 10
    assert peak < 16 * 1024 * 1024, f"{peak / 2**20:.0f} MiB"
