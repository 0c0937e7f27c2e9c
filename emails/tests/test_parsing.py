"""MIME parsing details: ids, headers in any encoding, text clean-up, safe file names."""

from __future__ import annotations

import base64
import re
from email.utils import getaddresses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emails.parsing import parse_email
from emails.parsing.attachments import sanitise_filename
from emails.parsing.charsets import decode_bytes, guess_decode
from emails.parsing.headers import (
    _plain_addresses,
    addresses,
    decode_header_value,
    message_id_list,
    normalise_message_id,
)
from emails.parsing.text import clean_subject, strip_quoted

_SURROGATES = re.compile(r"[\ud800-\udfff]")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<ABC@Mail.Example.COM>", "<ABC@mail.example.com>"),
        ("  <a@b>  ", "<a@b>"),
        ("bare@Host", "<bare@host>"),
        ("(comment) <x@y> ", "<x@y>"),
        ("", ""),
    ],
)
def test_message_id_is_normalised(raw, expected):
    assert normalise_message_id(raw) == expected


def test_references_keep_order_and_drop_repeats():
    assert message_id_list("<a@x> <b@x>\r\n <a@x> junk <c@X>") == ["<a@x>", "<b@x>", "<c@x>"]


def test_every_encoded_word_is_decoded_with_its_own_charset():
    koi8 = base64.b64encode("Авария ".encode("koi8_r")).decode()
    cp1251 = base64.b64encode("на опоре".encode("cp1251")).decode()
    value = f"=?koi8-r?B?{koi8}?=\r\n =?windows-1251?B?{cp1251}?= 02-00123"
    assert decode_header_value(value) == "Авария на опоре 02-00123"


def test_raw_8bit_header_falls_back_on_detection():
    raw = "Нет связи на БС".encode("cp1251")
    assert decode_header_value(raw.decode("ascii", "surrogateescape")) == "Нет связи на БС"


@pytest.mark.parametrize("codec", ["cp1251", "koi8_r", "utf-8"])
def test_russian_text_without_a_declared_charset(codec):
    text = "Прошу проверить опору 77-12345, нет электропитания на площадке."
    assert guess_decode(text.encode(codec)) == text


def test_mislabelled_and_unknown_charsets():
    assert decode_bytes("Заявка".encode("cp1251"), "utf-8") == "Заявка"
    assert decode_bytes("Заявка".encode(), "x-unknown-charset") == "Заявка"
    assert decode_bytes("Заявка".encode("koi8_r"), "koi8-r") == "Заявка"


@pytest.mark.parametrize(
    ("subject", "clean"),
    [
        ("Re: Нет связи", "Нет связи"),
        ("RE[2]: Нет связи", "Нет связи"),
        ("Ответ: RE: Fwd: Нет связи", "Нет связи"),
        ("Отв: Пересл: Нет связи", "Нет связи"),
        ("FW: AW: Нет связи", "Нет связи"),
        ("Нет связи: RE: внутри", "Нет связи: RE: внутри"),
    ],
)
def test_reply_and_forward_prefixes(subject, clean):
    assert clean_subject(subject) == clean


@pytest.mark.parametrize(
    "body",
    [
        "Принято.\n\n-----Исходное сообщение-----\nОт: NOC\nТема: старое",
        "Принято.\n\n23.11.2026 08:27, Диспетчерская служба пишет:\n> старое",
        "Принято.\n\nОт: Диспетчер\nОтправлено: 20 ноября 2026 г.\nТема: старое",
        "Принято.\n\nOn Mon, 23 Nov 2026 at 08:27, NOC wrote:\n> старое",
    ],
)
def test_quoted_history_is_recognised(body):
    assert strip_quoted(body) == "Принято."


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ivanov\\Акт.pdf", "Акт.pdf"),
        ('bad<>:"|?*name.doc', "bad_name.doc"),
        ("", "attachment-1.bin"),
        ("..", "attachment-1.bin"),
        ("я" * 300 + ".xlsx", "я" * 145 + ".xlsx"),
    ],
)
def test_attachment_names_are_sanitised(name, safe):
    assert sanitise_filename(name, "attachment-1.bin") == safe


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash_the_parser(data):
    parsed = parse_email(b"Subject: x\r\n\r\n" + data)  # headers present: always parses
    assert isinstance(parsed.body_text, str)
    assert parsed.message_id.startswith("<")
    assert not _SURROGATES.search(parsed.body_text + parsed.subject)


_ADDRESS_PIECES = [
    "a", "b.c", "@", "x@y.z", "<", ">", '"', '"q, r"', " ", "  ", "\t", ",", "Имя", "é", "\xa0",
    "=?utf-8?b?QQ==?=", ".", "(c)", "\\", "a@b", "<a@b.c>", '""', ";", ":", "[", "]",
]  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_ADDRESS_PIECES), min_size=1, max_size=10).map("".join))
def test_plain_address_lists_read_fast_exactly_as_the_stdlib_reads_them(value):
    """The regular-expression reading of plain address lists (ingestion's fast path) gives
    the stdlib's pairs, or declines and leaves the value to ``getaddresses``."""
    plain = _plain_addresses(value)
    assert plain is None or plain == getaddresses([value])


@pytest.mark.parametrize(
    "value",
    [
        'Иван Петров <ivan@op.example>, "Petrov, Ivan" <p@op.example>, cc@op.example',
        "=?utf-8?q?boss=40corp=2Eexample=2C?= <x@y.example>",
        "J. Smith\t<j@x.org> ,  k@y.org",
    ],
)
def test_the_fast_path_takes_the_plain_forms(value):
    assert _plain_addresses(value) == getaddresses([value])
    assert addresses([value]) == [
        (decode_header_value(name), address.lower()) for name, address in getaddresses([value])
    ]


def test_hostile_address_lists_cost_linear_time():
    """Long runs of what almost is an address list are declined at once (no backtracking)."""
    import time

    for value in ("a " * 50000 + "<", '"x" ' * 20000 + "<", "N <a@b>, " * 20000 + "x"):
        started = time.process_time()
        assert _plain_addresses(value) is None
        assert time.process_time() - started < 1
