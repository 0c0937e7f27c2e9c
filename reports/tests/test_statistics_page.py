"""The statistics page: who may see it, the figures it shows, its form, charts and navigation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from users.models import Role, User

pytestmark = pytest.mark.django_db
URL = "/reports/"
NOVEMBER = {"period": "month", "date": "2026-11-17"}


def login(client, email: str) -> None:
    client.force_login(User.objects.get(email=email))


def test_the_page_shows_the_hand_computed_figures(client, seed, frozen):
    login(client, "anna@dispatch.example")
    response = client.get(URL, NOVEMBER)
    assert response.status_code == 200
    html = response.content.decode()
    assert "01.11.2026 — 30.11.2026" in html
    assert '<dd id="fig-opened">8</dd>' in html
    assert '<dd id="fig-closed">5</dd>' in html
    assert '<dd id="fig-open">5</dd>' in html
    assert '<dd id="fig-mean">1 д 01 ч 36 мин</dd>' in html  # 25.6 h
    assert '<dd id="fig-p90">2 д 11 ч 24 мин</dd>' in html  # 59.4 h
    assert "60,0 %" in html  # share on time
    assert "АВР Север" in html and "Петрова Анна" in html and "Рабочие 8ч" in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 2
    assert "Инциденты по дням" in html and "Закрыто после срока" in html
    assert 'href="/reports/export/statistics.xlsx?period=month&amp;date=2026-11-17"' in html


def test_filters_change_the_figures(client, seed, frozen):
    login(client, "anna@dispatch.example")
    html = client.get(URL, {**NOVEMBER, "contractor": seed.south.pk}).content.decode()
    assert '<dd id="fig-opened">3</dd>' in html
    assert '<dd id="fig-closed">2</dd>' in html


def test_a_bad_request_is_explained_and_answered_400(client, seed, frozen):
    login(client, "anna@dispatch.example")
    response = client.get(URL, {"period": "custom", "date": "2026-11-20", "end": "2026-11-01"})
    assert response.status_code == 400
    assert "Для произвольного периода нужен последний день" in response.content.decode()
    response = client.get(URL, {"operator": "9999999"})
    assert response.status_code == 400


@pytest.mark.parametrize(("role", "status"), [(Role.ADMIN, 200), (Role.USER, 403)])
def test_dispatchers_and_admins_only(client, seed, role, status):
    user = User.objects.create_user(email=f"{role}@x.example", password="x-Secret-123", role=role)
    client.force_login(user)
    assert client.get(URL).status_code == status
    nav = client.get("/").content.decode()
    assert (f'href="{reverse("reports:statistics")}"' in nav) == (status == 200)


def test_anonymous_visitors_go_to_the_login_page(client, seed):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
