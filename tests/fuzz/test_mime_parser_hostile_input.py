"""The MIME parser on hostile input: random and mutated messages, deep nesting, huge headers,
compressed bombs and path traversal in attachment names. It either returns a ParsedEmail or raises
its typed ParseError — never anything else — in bounded time and memory."""

from __future__ import annotations

import gzip
import time
import tracemalloc
from email.message import EmailMessage as MimeMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emails.parsing import ParsedEmail, ParseError, parse_email

CORPUS = sorted((Path(__file__).resolve().parents[2] / "emails" / "tests" / "corpus").rglob("*"))
SEEDS = [p.read_bytes() for p in CORPUS if p.is_file() and p.stat().st_size < 200_000]
FUZZ = settings(
    max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def _parse(raw: bytes) -> ParsedEmail | None:
    try:
        return parse_email(raw)
    except ParseError:
        return None


def parse_bounded(
    raw: bytes, *, seconds: float = 5.0, memory_factor: int = 40
) -> ParsedEmail | None:
    """Parse ``raw``; only ParseError may escape; time and peak memory stay bounded (the memory
    is measured in a second pass: tracing allocations slows the parser several times)."""
    started = time.perf_counter()
    parsed = _parse(raw)
    elapsed = time.perf_counter() - started
    assert elapsed < seconds, f"{elapsed:.1f} s for {len(raw)} bytes"
    tracemalloc.start()
    try:
        _parse(raw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < memory_factor * len(raw) + 16 * 2**20, f"peak {peak} B for {len(raw)} bytes"
    if parsed is not None:
        assert parsed.message_id.startswith("<") and parsed.message_id.endswith(">")
        assert len(parsed.subject) <= 1024
        for attachment in parsed.attachments:
            assert attachment.filename and "/" not in attachment.filename
            assert "\\" not in attachment.filename and "\x00" not in attachment.filename
    return parsed


def test_corpus_seeds_are_loaded():
    assert len(SEEDS) >= 40


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes(raw):
    parse_bounded(raw)


@st.composite
def mutated(draw) -> bytes:
    """A corpus message with random byte edits: flips, cuts, inserted MIME syntax."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert", "truncate"]))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 200))]
        elif action == "truncate":
            del data[at:]
        else:
            snippet = draw(
                st.sampled_from(
                    [b"\r\n--", b"boundary=\"", b"=?utf-8?b?", b"=?koi8-r?q?=FF=", b"\r\n\r\n",
                     b"Content-Transfer-Encoding: base64\r\n", b"charset=\"x-unknown\"",
                     b"Content-Type: multipart/mixed; boundary=\"b\"\r\n", b"\x00", b"\xff\xfe",
                     b"filename*=UTF-8''..%2F..%2Fetc%2Fpasswd", b"=\r\n", b"\r\n "]
                )
            )  # fmt: skip
            data[at:at] = snippet
    return bytes(data)


@FUZZ
@given(mutated())
def test_mutated_corpus_messages(raw):
    parse_bounded(raw)


def _nested(depth: int, kind: str) -> bytes:
    """``depth`` levels of multipart (or attached messages) around one text part."""
    inner = b"Content-Type: text/plain; charset=utf-8\r\n\r\ndeep\r\n"
    for level in range(depth):
        if kind == "multipart":
            inner = (
                f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'.encode()
                + inner
                + f"\r\n--b{level}--\r\n".encode()
            )
        else:
            inner = b"Content-Type: message/rfc822\r\n\r\nSubject: level\r\n" + inner
    return b"From: a@b.example\r\nMessage-ID: <deep@b.example>\r\n" + inner


@pytest.mark.parametrize("kind", ["multipart", "rfc822"])
@pytest.mark.parametrize("depth", [50, 500, 2000])
def test_deep_nesting(kind, depth):
    parse_bounded(_nested(depth, kind), seconds=5)


def test_huge_headers_are_bounded():
    many = b"".join(f"X-Header-{n}: {'v' * 50}\r\n".encode() for n in range(20_000))
    refs = b" ".join(f"<id{n}@x.example>".encode() for n in range(50_000))
    raw = (
        b"From: " + b"a" * 200_000 + b"@example.test\r\n"
        b"Subject: " + "Тема ".encode() * 200_000 + b"\r\n"
        b"References: " + refs + b"\r\n" + many + b"\r\nbody\r\n"
    )
    parsed = parse_bounded(raw, seconds=20)
    assert parsed is not None
    assert len(parsed.subject) <= 1024
    assert len(parsed.references) <= 100


def test_compressed_bomb_attachment_is_kept_compressed():
    bomb = gzip.compress(b"\0" * (200 * 2**20), compresslevel=9)  # 200 MiB of zeros, ~200 KiB
    msg = MimeMessage()
    msg["From"] = "a@b.example"
    msg["Subject"] = "bomb"
    msg.set_content("см. вложение")
    msg.add_attachment(bomb, maintype="application", subtype="gzip", filename="logs.tar.gz")
    msg.add_attachment(bomb, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    parsed = parse_bounded(msg.as_bytes(), seconds=10)
    assert parsed is not None
    assert [len(a.data) for a in parsed.attachments] == [len(bomb), len(bomb)]


@FUZZ
@given(
    st.text(
        alphabet=st.sampled_from(list("../\\\x00\x1f:*?<>|\"' ~$%Ёё\u202e")),
        max_size=60,
    )
)
def test_attachment_names_never_escape(name):
    msg = MimeMessage()
    msg["From"] = "a@b.example"
    msg.set_content("x")
    msg.add_attachment(b"data", maintype="application", subtype="octet-stream", filename=name)
    parsed = parse_bounded(msg.as_bytes())
    assert parsed is not None
    for attachment in parsed.attachments:
        assert not attachment.filename.startswith(".")  # no "..", no hidden files
        assert not attachment.filename.endswith((" ", "."))
