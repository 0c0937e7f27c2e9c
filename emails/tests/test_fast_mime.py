"""The MIME fast path (``emails/parsing/fast_mime.py``) builds exactly the stdlib's message tree,
so ``parse_email`` gives the same result with it as without it — or it declines the message."""

from __future__ import annotations

import base64
import time
import tracemalloc
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.desk_mail import generate
from emails.parsing import ParsedEmail, ParseError, fast_mime, parse_email

CORPUS = Path(__file__).parent / "corpus"


def tree(msg: Message) -> tuple:
    """Everything the parser stores on a message and its parts."""
    payload = msg._payload
    return (
        type(msg),
        msg._headers,
        [tree(part) for part in payload] if isinstance(payload, list) else payload,
        msg.preamble,
        msg.epilogue,
        [(type(defect), str(defect)) for defect in msg.defects],
        msg._default_type,
        msg._unixfrom,
        msg._charset,
    )


def stdlib_tree(raw: bytes) -> tuple:
    return tree(BytesParser(policy=policy.compat32).parsebytes(raw))


def outcome(raw: bytes, *, fast: bool) -> ParsedEmail | str:
    try:
        return parse_email(raw, fast=fast)
    except ParseError as exc:
        return f"ParseError: {exc}"


def assert_same(raw: bytes) -> Message | None:
    """The fast tree (when taken) is the stdlib's and ``parse_email`` gives the same both ways."""
    fast = fast_mime.parse(raw)
    if fast is not None:
        assert tree(fast) == stdlib_tree(raw)
    assert outcome(raw, fast=True) == outcome(raw, fast=False)
    return fast


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_desk_mailbox_is_taken_and_parsed_as_by_the_stdlib(seed):
    for raw in generate(150, seed=seed):
        for variant in (raw, raw.replace(b"\n", b"\r\n")):  # as generated, and as IMAP sends it
            assert assert_same(variant) is not None


def test_corpus_parses_as_by_the_stdlib():
    paths = sorted(CORPUS.glob("*.eml")) + sorted((CORPUS / "cpython").glob("msg_*.txt"))
    assert len(paths) >= 50
    taken = [path.name for path in paths if assert_same(path.read_bytes()) is not None]
    assert "koi8r_qp.eml" in taken  # the plain shapes take the fast path …
    assert "forward_rfc822.eml" not in taken  # … an attached message is left to the stdlib


MULTIPART = (
    b'Subject: =?utf-8?b?0KLQtdGB0YI=?=\nContent-Type: multipart/mixed; boundary="b"\n\n'
    b"preamble\n--b\nContent-Type: text/plain; charset=koi8-r\n"
    b"Content-Transfer-Encoding: 8bit\n\n\xe1\xd7\xc1\xd2\xc9\xd1\n--b--\nepilogue\n"
)


@pytest.mark.parametrize(
    "raw",
    [
        MULTIPART,
        MULTIPART.replace(b"\n", b"\r\n"),
        b"Subject: folded\n\tover two lines\nX-8bit: \xd2\xc5\xd3\n\nbody",
        b"\nno headers at all\n",
    ],
)
def test_plain_shapes_are_taken(raw):
    assert assert_same(raw) is not None


@pytest.mark.parametrize(
    "raw",
    [
        MULTIPART.replace(b"\n", b"\r\n", 3),  # mixed line endings
        MULTIPART.replace(b"\n--b--", b""),  # no close boundary
        MULTIPART.replace(b"\n--b\n", b"\n--b\n--b\n"),  # a repeated boundary line
        MULTIPART.replace(b'"b"', b'"b b"'),  # a boundary RFC 2046 would not write
        b"From someone Thu Dec  3 10:00:00 2026\nSubject: x\n\nbody\n",  # an envelope line
        b"Subject: x\nnot a header\n\nbody\n",  # the stdlib reads this line as the body
        b"Subject: only headers\n",
        b"Content-Type: message/rfc822\n\nSubject: inner\n\nbody\n",
    ],
)
def test_unusual_shapes_are_left_to_the_stdlib(raw):
    assert assert_same(raw) is None


_BOUNDARIES = ["b", "b1", "b1x", "b--", "==b==", "b'()+_,./:=?", "b b", "", "b\x00"]
_WELLFORMED_BOUNDARIES = ["b1", "b2x", "==c=="]  # one per nesting level
_TYPES = ["text/plain", "text/html", "application/pdf", "message/rfc822", "text/plain; x"]
_SUBTYPES = ["mixed", "alternative", "related", "digest"]
_CHARSETS = ["utf-8", "koi8-r", "windows-1251", "x-unknown", "", '"utf-8"', "utf8"]
_ENCODINGS = ["base64", "quoted-printable", "7bit", "8bit", "x-uue", ""]
_TEXT = st.text(st.sampled_from("абвгдеёжАБВ abc=\t?_<>\\.\"'-:;"), max_size=60)
_FIELD = st.sampled_from(["Subject", "X-Note", "From", "To", "Message-ID", "Content-ID"])


@st.composite
def _header(draw) -> list[bytes]:
    """One header field: name, value in one of several charsets or encoded words, folded."""
    text = draw(_TEXT)
    encoded = base64.b64encode(text.encode("koi8_r"))
    values = [text.encode("utf-8"), text.encode("cp1251", "replace"), b"=?koi8-r?b?%b?=" % encoded]
    lines = [draw(_FIELD).encode() + b": " + draw(st.sampled_from([*values, b""]))]
    lines += [draw(st.sampled_from([b" ", b"\t", b"  "])) + b"more"] * draw(st.integers(0, 2))
    return lines


@st.composite
def _part(draw, depth: int, wellformed: bool) -> list[bytes]:
    """The lines of a MIME part: headers, blank line, a body or nested multipart. Not
    ``wellformed``: odd boundaries and types, boundaries missing, repeated or shared."""
    lines: list[bytes] = []
    for _ in range(draw(st.integers(0, 2))):
        lines += draw(_header())
    if depth < 3 and draw(st.booleans()):
        boundaries = _WELLFORMED_BOUNDARIES[depth : depth + 1] if wellformed else _BOUNDARIES
        boundary = draw(st.sampled_from(boundaries)).encode()
        subtype = draw(st.sampled_from(_SUBTYPES[:3] if wellformed else _SUBTYPES)).encode()
        lines.append(b"Content-Type: multipart/" + subtype + b'; boundary="' + boundary + b'"')
        lines.append(b"")
        if draw(st.booleans()):
            lines.append(b"preamble")
        tails = [b"", b"  "] if wellformed else [b"", b"  ", b"x", b"\t"]
        for _ in range(draw(st.integers(1 if wellformed else 0, 3))):
            lines.append(b"--" + boundary + draw(st.sampled_from(tails)))
            lines += draw(_part(depth + 1, wellformed))
        if wellformed or draw(st.booleans()):
            closes = tails if wellformed else [b"", b" ", b"-"]
            lines.append(b"--" + boundary + b"--" + draw(st.sampled_from(closes)))
        if draw(st.booleans()):
            lines.append(b"epilogue")
        return lines
    ctype = draw(st.sampled_from(_TYPES[:3] if wellformed else _TYPES)).encode()
    charset = draw(st.sampled_from(_CHARSETS)).encode()
    lines.append(b"Content-Type: " + ctype + b"; charset=" + charset)
    lines.append(b"Content-Transfer-Encoding: " + draw(st.sampled_from(_ENCODINGS)).encode())
    lines.append(b"")
    lines += [draw(_TEXT).encode("koi8_r", "replace") for _ in range(draw(st.integers(0, 3)))]
    lines += [b"0KLQtdGB0YI=", b"=D0=A2=\t"][: draw(st.integers(0, 2))]
    return lines


@st.composite
def _mime(draw, wellformed: bool = False) -> bytes:
    """A generated message, its lines ending in LF or CRLF; not ``wellformed``: also CR or a
    mix, a line dropped, repeated or cut, the message cut anywhere."""
    lines = draw(_part(0, wellformed))
    if wellformed:
        ending = draw(st.sampled_from([b"\n", b"\r\n"]))
        return ending.join(lines) + ending
    if draw(st.booleans()):
        index = draw(st.integers(0, len(lines) - 1))
        lines[index : index + 1] = draw(
            st.sampled_from([[], [lines[index]] * 2, [lines[index][: len(lines[index]) // 2]]])
        )
    style = draw(st.sampled_from([b"\n", b"\r\n", b"\r", None]))
    endings = [style or draw(st.sampled_from([b"\n", b"\r\n", b"\r"])) for _ in lines]
    raw = b"".join(line + end for line, end in zip(lines, endings, strict=True))
    if draw(st.booleans()):
        raw = raw[: draw(st.integers(0, len(raw)))]
    return raw


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mime())
def test_generated_and_mutated_mime_parses_as_by_the_stdlib(raw):
    assert_same(raw)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mime(wellformed=True))
def test_wellformed_generated_mime_is_taken(raw):
    assert assert_same(raw) is not None


@pytest.mark.parametrize(
    "raw",
    [
        MULTIPART.replace(b"preamble", b"--b" * 300_000),  # boundary text inside one line
        MULTIPART.replace(b"preamble", b"--bx\n" * 200_000),  # near-boundary lines
        b"Subject: x\n" + b" folded\n" * 300_000 + b"\nbody",
        b"X: y\n" * 300_000 + b"\nbody",
        MULTIPART.replace(b"epilogue", b"\n" * 1_000_000),
    ],
)
def test_hostile_shapes_cost_linear_time(raw):
    started = time.process_time()
    fast_mime.parse(raw)
    assert time.process_time() - started < 2


@pytest.mark.parametrize("subject", [b"x", "Тема".encode("cp1251")])
def test_memory_is_no_more_than_the_stdlib_path(subject):
    """Only the stored pieces are decoded: a raw 8-bit header does not widen the whole message."""
    msg = EmailMessage()
    msg["Subject"] = "x"
    msg.set_content("Текст " * 1000)
    msg.add_attachment(bytes(range(256)) * 16_000, "application", "pdf", filename="a.pdf")
    raw = msg.as_bytes().replace(b"Subject: x", b"Subject: " + subject)
    peaks = {}
    for fast in (False, True):
        tracemalloc.start()
        try:
            parse_email(raw, fast=fast)
            peaks[fast] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert fast_mime.parse(raw) is not None
    assert peaks[True] <= peaks[False] * 1.05
