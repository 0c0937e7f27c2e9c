"""Recognition of poles and base stations in realistic Russian e-mail text."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ts.models import Pole
from ts.recognition import (
    Recognition,
    candidate_tokens,
    message_tokens,
    recognize,
    recognize_many,
)
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


@pytest.mark.parametrize("dash", ["‐", "‑", "‒", "–", "—", "―", "−"])
def test_a_code_typed_with_any_dash_names_the_pole(sites, dash):
    assert candidate_tokens(f"Авария на опоре 77{dash}12345, БС{dash}02{dash}00123") == [
        "77-12345",
        "бс-02-00123",
    ]
    assert recognize(f"Опора 77{dash}12345", "").pole == sites["moscow"]


def test_at_most_one_query_per_message(sites):
    recognize("", "77-12345")  # builds the index
    with CaptureQueriesContext(connection) as queries:
        recognize("Опора 77-12345", "")
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        recognize("Ничего", "тут нет")
    assert len(queries) == 0


def test_a_batch_is_recognised_like_each_message_in_two_queries(sites):
    messages = [
        ("Опора 77-12345", ""),
        ("", "Не работает БС-02-00123"),
        ("Ничего", "тут нет"),
        ("Химки", "опора 50001-01 и БС-77-12345"),
    ] * 10
    alone = [recognize(subject, body) for subject, body in messages]
    with CaptureQueriesContext(connection) as queries:
        together = recognize_many(messages)
    assert together == alone
    assert [found.pole for found in together[:4]] == [
        sites["moscow"], sites["ufa"], None, sites["moscow"],
    ]  # fmt: skip
    assert len(queries) == 2  # the poles, the base stations


def test_tokens_computed_elsewhere_recognise_what_the_text_does(sites):
    messages = [
        ("Опора 77-12345", "БС-02-00123"),
        ("", "Не работает БС-02-00123"),
        ("Ничего", "тут нет"),
        ("Химки", "опора 50001-01 и БС-77-12345"),
    ]
    tokens = [message_tokens(subject, body) for subject, body in messages]
    found = recognize_many(messages, [tokens[0], None, tokens[2], tokens[3]])
    assert found == recognize_many(messages)
    assert [f.pole for f in found] == [sites["moscow"], sites["ufa"], None, sites["moscow"]]
    # the tokens are what counts: a message whose tokens name nothing is recognised as nothing
    assert recognize_many([("Опора 77-12345", "")], [([], [])]) == [Recognition(None, None)]


def test_the_body_is_tokenised_only_when_the_subject_has_no_code(sites):
    assert message_tokens("Опора 77-12345", "БС-02-00123") == (["77-12345"], None)
    assert message_tokens("Авария", "БС-02-00123") == ([], candidate_tokens("БС-02-00123"))
    # a subject code that is no pole: the body, tokenised by recognize_many, names it
    messages = [("Заявка 2026-4411", "Не работает БС-02-00123")]
    found = recognize_many(messages, [message_tokens(*messages[0])])
    assert found == recognize_many(messages) and found[0].pole == sites["ufa"]


def test_a_record_deleted_after_indexing_is_not_returned_in_a_batch(sites):
    stale = make_pole("16-00002")
    assert recognize("", "опора 16-00002").pole == stale  # indexed
    with connection.cursor() as cursor:  # deleted elsewhere: no signal reaches this process
        cursor.execute(f"DELETE FROM {Pole._meta.db_table} WHERE id = %s", [stale.pk])
    found = recognize_many([("", "опора 16-00002"), ("Опора 77-12345", "")])
    assert [f.pole for f in found] == [None, sites["moscow"]]


LETTER = """Добрый день!

Прошу принять в работу аварию: с 03:15 25.11.2026 нет питания на опоре №50-00871
(Московская обл., г. Мытищи, ул. Колпакова, вблизи д. 2, индекс 141009).
Доступ согласован, пропуск заказан на 26.11.2026.

--
С уважением,
Иванов Иван Иванович, инженер ООО «Ромашка»
ИНН 7701234567, КПП 770101001, ОГРН 1027700132195
тел.: 8 (495) 765-43-21, моб. +7 916 555-12-34, доб. 2041
-----Исходное сообщение-----
От: noc@operator.ru
Отправлено: 24.11.2026 23:59
Тема: Заявка 2026-11-24
"""


def test_realistic_letter_names_only_the_pole(sites):
    target = make_pole("50-00871")
    for decoy in ("7701234567", "770101001", "1027700132195", "141009", "2041", "2026-11-24"):
        make_pole(decoy)
    found = recognize("Авария, Мытищи", LETTER)
    assert found.pole == target


def test_quoted_reply_with_number_sign_and_brackets(sites):
    found = recognize("RE[2]: Ответ: авария", "> Не работает БС [БС-77-12345], опора (77-12345).")
    assert found.base_station == sites["bs_moscow"]


def test_deactivated_pole_is_not_recognised(sites):
    sites["moscow"].is_active = False
    sites["moscow"].save()
    assert recognize("Опора 77-12345", "").pole is None


def test_station_on_another_pole_loses_to_a_longer_pole_code(sites):
    found = recognize("", "опора 50001-01 рядом с 02-00123-2")
    # the station name is longer than the pole code, so the station and its pole win
    assert found.base_station == sites["bs_ufa_2"]
    found = recognize("", "опора 77-12345 и 1234")
    assert found.pole == sites["moscow"] and found.base_station is None


def test_same_station_name_on_two_poles_is_settled_by_the_pole_code(sites):
    on_moscow = make_base_station("RRL-5001", sites["moscow"])
    make_base_station("RRL-5001", sites["ufa"])
    assert recognize("", "не работает RRL-5001").base_station is None
    found = recognize("", "опора 77-12345, не работает RRL-5001")
    assert found.base_station == on_moscow


def test_ambiguous_truncated_prefix_matches_nothing(sites):
    make_pole("50001-02")
    assert recognize("", "Опора 50001- не отвечает").pole is None


def test_import_in_this_process_refreshes_the_index(sites, django_capture_on_commit_callbacks):
    from ts.feeds import pole_rows
    from ts.services import import_poles

    assert recognize("", "опора 66-00001").pole is None
    record = {"SiteId": 7, "Шифр": "66-00001"}
    existing = [{"SiteId": p.site_id, "Шифр": p.code} for p in Pole.objects.all()]
    with django_capture_on_commit_callbacks(execute=True):
        import_poles(pole_rows([*existing, record]))
    assert recognize("", "опора 66-00001").pole.site_id == 7


def test_changes_by_another_process_are_seen_after_the_refresh_interval(sites, monkeypatch):
    from ts import recognition

    assert recognize("", "опора 16-00001").pole is None
    Pole.objects.bulk_create([Pole(site_id=8, code="16-00001")])  # no signals, like another process
    assert recognize("", "опора 16-00001").pole is None  # still within the refresh interval
    monkeypatch.setattr(recognition, "REFRESH_SECONDS", 0.0)
    assert recognize("", "опора 16-00001").pole.site_id == 8


def test_record_deleted_after_indexing_is_not_returned(sites):
    stale = make_pole("16-00002")
    assert recognize("", "опора 16-00002").pole == stale  # indexed
    with connection.cursor() as cursor:  # deleted elsewhere: no signal reaches this process
        cursor.execute(f"DELETE FROM {Pole._meta.db_table} WHERE id = %s", [stale.pk])
    assert recognize("", "опора 16-00002").pole is None


def test_pole_code_with_an_equipment_suffix_names_the_pole(sites):
    found = recognize("", "Не работает оборудование 77-12345-7 (RRL), прошу выехать")
    assert found.pole == sites["moscow"] and found.base_station is None


def test_base_station_name_from_the_poles_feed_names_the_pole():
    pole = make_pole("16-00042", bs_name="KZN-Kremlin-0042")
    assert recognize("Авария KZN-Kremlin-0042", "").pole == pole


def test_coordinates_amounts_and_local_phones_are_not_codes(sites):
    for decoy in ("670200", "552100", "1234567", "123-45-67", "25-00-11", "30-40"):
        make_pole(decoy)
    text = (
        "Координаты 55.670200, 37.552100; сумма 12 345,67 руб.; тел. (495) 123-45-67, "
        "123-45-67, (3473) 25-00-11; IP 10.20.30.40"
    )
    assert recognize("Выезд", text).pole is None
    assert candidate_tokens(text) == []


def test_huge_body_is_read_only_up_to_the_limit(sites):
    from ts.recognition import MAX_TEXT_CHARS

    filler = "Ответ: ок. " * (MAX_TEXT_CHARS // 10)
    assert recognize("", "опора 77-12345 " + filler).pole == sites["moscow"]
    assert recognize("", filler + " опора 77-12345").pole is None


def test_thread_takes_the_first_message_that_names_a_pole(sites):
    from ts.recognition import recognize_thread

    thread = [
        ("Авария", "Нет связи, уточняем адрес."),
        ("RE: Авария", "Это опора 02-00123."),
        ("RE: Авария", "Поправка: 77-12345."),
    ]
    assert recognize_thread(thread).pole == sites["ufa"]
    assert recognize_thread(thread[:1]) == Recognition(None, None)
