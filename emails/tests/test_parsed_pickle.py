"""What the parser process sends the worker (``emails.parse_ahead``) pickles compactly and comes
back equal, every field of every message."""

from __future__ import annotations

import dataclasses
import pickle

from bench.desk_mail import generate
from emails.parsing import parse_email
from ts.recognition import message_tokens


def _same(loaded, original) -> None:
    assert type(loaded) is type(original)
    assert loaded == original
    for item in dataclasses.fields(original):
        value, expected = getattr(loaded, item.name), getattr(original, item.name)
        assert type(value) is type(expected), item.name
        assert value == expected, item.name
    assert vars(loaded.headers) == vars(original.headers)  # raw and decoded values
    for attachment, expected in zip(loaded.attachments, original.attachments, strict=True):
        assert vars(attachment) == vars(expected)


def test_generated_desk_mail_round_trips_through_pickle():
    parsed = [parse_email(raw) for raw in generate(200, seed=11)]
    for email in parsed:
        email.pole_tokens = message_tokens(email.subject, email.body_text)
        email.headers.get("x-mailer")  # a decoded value travels too
    assert sum(bool(email.attachments) for email in parsed) >= 10
    assert any(email.date is not None for email in parsed)
    for loaded, original in zip(pickle.loads(pickle.dumps(parsed, 5)), parsed, strict=True):
        _same(loaded, original)


def test_ascii_and_unencodable_bodies_round_trip():
    [email] = [parse_email(raw) for raw in generate(1, seed=3)]
    for body in ("plain ASCII", "", "лишний \udcff байт", "эмодзи 🚒 и \ud83d одиночка"):
        changed = dataclasses.replace(email, body_text=body)
        _same(pickle.loads(pickle.dumps(changed, 5)), changed)


def test_the_body_crosses_as_utf16():
    [email] = [parse_email(raw) for raw in generate(1, seed=3)]
    assert not email.body_text.isascii()
    assert email.body_text.encode("utf-16-le") in pickle.dumps(email, 5)
