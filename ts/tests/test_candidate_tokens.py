"""candidate_tokens reads only the pieces around digits: the same tokens as the whole-text
reference (reference_recognition.py) on generated text and on a generated desk mailbox."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.desk_mail import generate
from emails.parsing import parse_email
from ts.recognition import MAX_TEXT_CHARS, candidate_tokens
from ts.tests.reference_recognition import reference_candidate_tokens

DASHES = list("-‐‑‒–—―−")
SPACES = [" ", "  ", "\n", "\r\n", "\t", "\xa0", "\u2003", "\x1c", ""]
SEPARATORS = list("[](){}:|,.;'\"/\\`<>«»!?*=№#+")
WORDS = [
    "опора", "авария", "Москва", "ул", "д", "кв", "тел", "тел.", "Тел:", "телефон", "моб",
    "т.", "факс", "тел-факс", "ИНН", "инн:", "КПП", "ОГРН", "р/с", "р-с", "к/с", "счёт", "сч",
    "доб.", "phone", "Tel", "fax", "+7", "БС", "бс", "BS", "Bs", "bs", "ВS", "б", "KZN",
    "Kremlin", "аbс", "оптех", "TOP", "XMAS", "Т2", "РРЛ", "T", "e",
]  # fmt: skip
PHONES = [
    "+7 (495) 123-45-67", "+7(495)1234567", "8 800 555-35-35", "8-916-123-45-67",
    "+7 916 123 45 67", "8(495)123 45 67", "(495) 123-45-67", "(3473) 25-00-11",
    "(34731) 2-50-11", "123-45-67", "25-00-11", "+7 - 495 - 123 - 45 - 67", "8\n495\t1234567",
]  # fmt: skip
NUMBERS = [
    "25.11.2026", "1/2/26", "2026-11-25", "2026-11-25T10:30:00.5", "10:30", "10:30:15",
    "55.670200", "37,552100", "12 345,67", "10.20.30.40", "77-12345", "02-00123-2",
    "50001-01", "50001-", "77-12345-7", "БС-77-12345", "БС 02-00123", "KZN-Kremlin-0042",
    "1234", "123", "12345678901", "٣٤٥٦", "１２３４", "7７-12345", "x1234", "_1234", "1234_",
]  # fmt: skip
DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=6)
# A phone number in any grouping: +7/8/(code) and digit groups joined by spaces and any dashes.
GROUPINGS = st.lists(
    st.tuples(st.sampled_from(["", " ", "  ", "\n", *DASHES, " - ", " – ", "—\t"]), DIGITS),
    min_size=1,
    max_size=5,
)
DIALLED = st.tuples(
    st.sampled_from(["", "+7", "8", "+7 (495)", "8(3473)", "(495)", "("]), GROUPINGS
)
PHONE_LIKE = DIALLED.map(lambda p: p[0] + "".join(join + digits for join, digits in p[1]))
FRAGMENTS = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(PHONES),
    PHONE_LIKE,
    st.text(alphabet=[*DASHES, "а", "т", "е", "л"], min_size=40, max_size=120),
    st.sampled_from(NUMBERS),
    st.sampled_from(DASHES),
    st.sampled_from(SEPARATORS),
    DIGITS,
    st.text(alphabet="0123456789-–—()+ .:/,", max_size=12),
    st.text(max_size=6),
)
TEXTS = st.lists(st.tuples(FRAGMENTS, st.sampled_from(SPACES)), max_size=40).map(
    lambda parts: "".join(fragment + space for fragment, space in parts)
)
MANY = settings(max_examples=1500, deadline=None)


def assert_same(text: str) -> None:
    assert candidate_tokens(text) == reference_candidate_tokens(text)


@MANY
@given(TEXTS)
def test_generated_text_gives_the_reference_tokens(text):
    assert_same(text)


@MANY
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_any_text_gives_the_reference_tokens(text):
    assert_same(text)


@settings(max_examples=60, deadline=None)
@given(TEXTS, TEXTS, st.integers(min_value=-40, max_value=40))
def test_the_text_limit_cuts_the_same_way(head, tail, shift):
    filler = "Ответ: ок, тел. " * (MAX_TEXT_CHARS // 16)
    text = (head + filler)[: MAX_TEXT_CHARS + shift - len(tail)] + tail
    assert_same(text)


@pytest.mark.parametrize("seed", [3, 7, 11])
def test_a_desk_mailbox_gives_the_reference_tokens(seed):
    for raw in generate(120, seed=seed):
        parsed = parse_email(raw)
        assert_same(parsed.subject)
        assert_same(parsed.body_text)


@pytest.mark.parametrize(
    "text",
    [
        "1 " * 50_000,
        "1-" * 50_000,
        "1 - " * 25_000,
        "(1) " * 25_000,
        "a1" * 50_000,
        "1" * 100_000,
        "12:30 ; " * 12_000 + "опора 1234",
        "1234 " + "." * 99_990 + " 1234",
        "—" * 99_990 + "1234",
        ("тел " + " " * 1000 + "1 ") * 98,
        "12 34 " * 16_000 + "тел. 1234",
        "а" + "—" * 60 + "тел 1234",  # the tail of a long word is a marker, the word is not
        "8 495— 1234567",
    ],
)
def test_hostile_text_costs_linear_time(text):
    started = time.process_time()
    tokens = candidate_tokens(text)
    assert time.process_time() - started < 1
    assert tokens == reference_candidate_tokens(text)
