"""MIME parsing details: ids, headers in any encoding, text clean-up, safe file names."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emails.parsing import parse_email
from emails.parsing.attachments import sanitise_filename
from emails.parsing.charsets import decode_bytes, guess_decode
from emails.parsing.headers import decode_header_value, message_id_list, normalise_message_id
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
