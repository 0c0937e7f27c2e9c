"""Recognition of poles and base stations in realistic Russian e-mail text."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ts.recognition import candidate_tokens, recognize
from ts.tests.factories import make_base_station, make_pole

pytestmark = pytest.mark.django_db


@pytest.fixture
def sites():
    moscow = make_pole("77-12345", address="г. Москва, ул. Профсоюзная, д. 12")
    ufa = make_pole("02-00123", address="г. Уфа, ул. Ленина, д. 3")
    long_code = make_pole("50001-01", address="МО, г. Химки")
    return {
        "moscow": moscow,
        "ufa": ufa,
        "long": long_code,
        "bs_moscow": make_base_station("БС-77-12345", moscow),
        "bs_ufa": make_base_station("БС-02-00123", ufa),
        "bs_ufa_2": make_base_station("02-00123-2", ufa),
    }


def test_pole_code_in_subject(sites):
    found = recognize("Авария на опоре 77-12345", "Прошу принять в работу.")
    assert found.pole == sites["moscow"]
    assert found.base_station is None


def test_base_station_implies_its_pole(sites):
    found = recognize("Нет питания", "Не работает БС-02-00123 с 10:30 25.11.2026.")
    assert found.base_station == sites["bs_ufa"]
    assert found.pole == sites["ufa"]


def test_subject_wins_over_body(sites):
    found = recognize("Опора 02-00123: обрыв", "Рядом также 77-12345.")
    assert found.pole == sites["ufa"]


def test_body_searched_when_subject_names_nothing(sites):
    found = recognize("Срочно!", "Адрес: г. Москва, ул. Профсоюзная, д. 12, опора 77-12345.")
    assert found.pole == sites["moscow"]


def test_longest_match_wins(sites):
    found = recognize("", "Опора 02-00123, оборудование 02-00123-2 отключено")
    assert found.base_station == sites["bs_ufa_2"]
    assert found.pole == sites["ufa"]


def test_phone_date_inn_and_time_are_not_codes(sites):
    make_pole("1234567")
    make_pole("2026")
    make_pole("7701234567")
    text = (
        "Звонить по тел. +7 (495) 123-45-67 или 8-800-123-45-67, 25.11.2026 в 14:35. "
        "ООО «Ромашка», ИНН 7701234567, доб. 1234"
    )
    found = recognize("Заявка от 25.11.2026", text)
    assert found == recognize("", "")
    assert found.pole is None


def test_truncated_code_prefix_matches_single_pole(sites):
    found = recognize("", "Опора 50001- не отвечает")
    assert found.pole == sites["long"]


def test_nothing_found():
    assert recognize("Привет", "Как дела?").pole is None


def test_base_station_name_with_space_and_latin_letters(sites):
    assert recognize("", "Не работает БС 77-12345").base_station == sites["bs_moscow"]
    assert recognize("", "bs-77-12345 down").base_station == sites["bs_moscow"]


def test_tokens_skip_short_numbers():
    assert candidate_tokens("д. 12, кв. 345, опора 77-12345") == ["77-12345"]


def test_at_most_one_query_per_message(sites):
    recognize("", "77-12345")  # builds the index
    with CaptureQueriesContext(connection) as queries:
        recognize("Опора 77-12345", "")
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        recognize("Ничего", "тут нет")
    assert len(queries) == 0
