"""MIME → :class:`ParsedEmail`: everything the pipeline stores, decoded and normalised."""

from __future__ import annotations

import binascii
import hashlib
import re
from dataclasses import dataclass, field, fields
from datetime import datetime
from email import policy
from email.feedparser import BytesFeedParser
from email.message import Message
from operator import attrgetter

from emails.parsing import fast_mime
from emails.parsing.attachments import sanitise_filename
from emails.parsing.charsets import decode_bytes
from emails.parsing.headers import (
    Headers,
    addresses,
    decode_header_value,
    message_id_list,
    normalise_message_id,
    parse_date,
)
from emails.parsing.html import html_to_text
from emails.parsing.text import extract_form, normalise_text

SYNTHETIC_DOMAIN = "synthetic.dispatch.invalid"
MAX_PARTS = 500
TNEF_TYPES = ("application/ms-tnef", "application/vnd.ms-tnef")

# The budget of one message, a small multiple of its size. Parser work is counted as bytes fed
# times the MIME nesting depth at that point (the stdlib parser passes every chunk through each
# open level); stored bytes are the attachments' total. Real mail needs a few times its size.
FEED_CHUNK = 16 * 1024
MAX_DEPTH = 32
MAX_PARSED_PARTS = 5000  # the parser builds an object per part: 300,000 tiny parts cost 6 s
WORK_FACTOR = 24
STORE_FACTOR = 3
BUDGET_SLACK = 4 * 2**20


class ParseError(Exception):
    """The bytes are not an e-mail we can store (the raw message is quarantined)."""


class OverBudget(ParseError):
    """Parsing or storing the message would cost more than its budget (it is quarantined)."""


@dataclass
class ParsedAttachment:
    """An attachment's bytes and metadata. Where the message is parsed for ingestion its file
    is written to storage at once (:func:`emails.attachment_files.store_attachment_files`):
    then ``file`` holds the stored name ("" when not stored, ``rejected_reason`` says why) and
    ``data`` is emptied, so only the metadata travels on."""

    filename: str
    content_type: str
    data: bytes
    is_inline: bool = False
    content_id: str = ""
    size: int = field(init=False)
    sha256: str = field(init=False)
    file: str | None = None  # None: not stored yet
    rejected_reason: str = ""

    def __post_init__(self) -> None:
        self.size = len(self.data)
        self.sha256 = hashlib.sha256(self.data).hexdigest()

    def __reduce__(self) -> tuple:
        """Pickled as a tuple of its fields (see :meth:`ParsedEmail.__reduce__`)."""
        return _rebuilt, (ParsedAttachment, _ATTACHMENT_VALUES(self))


@dataclass
class ParsedEmail:
    message_id: str
    has_synthetic_id: bool
    in_reply_to: str
    references: list[str]
    subject: str
    from_name: str
    from_address: str
    to: list[tuple[str, str]]
    cc: list[tuple[str, str]]
    bcc: list[tuple[str, str]]
    date: datetime | None
    body_text: str
    headers: Headers
    content_types: list[str]
    attachments: list[ParsedAttachment] = field(default_factory=list)
    form: dict | None = None
    notes: list[str] = field(default_factory=list)
    thread_root: str = ""
    # ts.recognition.message_tokens when the parser process computed them: of subject and body
    # for a message that answers none (an incident it opens), of subject and the reply's own
    # text (emails.parsing.text.strip_quoted) for a reply (the pole it may fill in)
    pole_tokens: tuple[list[str], list[str] | None] | None = None
    reply_tokens: tuple[list[str], list[str] | None] | None = None

    def header(self, name: str) -> str:
        return self.headers.get(name)

    def __reduce__(self) -> tuple:
        """Pickled as a tuple of its fields, the body as UTF-16 (:func:`_packed`): the parser
        process's results (:mod:`emails.parse_ahead`) are unpickled on the ingest worker's
        main thread, the busier of the two, where a dataclass's default pickle (its ``__dict__``
        set attribute by attribute, the body as UTF-8) cost ≈ 7 µs a message more
        (``bench/parse_reply.py``)."""
        values = _EMAIL_VALUES(self)
        return _rebuilt_email, (values[:_BODY], _packed(self.body_text), values[_BODY + 1 :])


def _packed(text: str) -> str | bytes:
    """``text`` to pickle: non-ASCII as UTF-16 bytes (decoded several times faster than the
    UTF-8 that pickle writes for a ``str``: Cyrillic 5 against 17 µs a 12 KB body); ASCII, and
    text with lone surrogates (no UTF-16 for them), as it is."""
    if text.isascii():
        return text
    try:
        return text.encode("utf-16-le")
    except UnicodeEncodeError:
        return text


def _rebuilt(cls: type, values: tuple) -> object:
    """An instance of dataclass ``cls`` with its fields' ``values``, without ``__init__``."""
    instance = cls.__new__(cls)
    instance.__dict__.update(zip(_FIELD_NAMES[cls], values, strict=True))
    return instance


def _rebuilt_email(before: tuple, body: str | bytes, after: tuple) -> ParsedEmail:
    body_text = body.decode("utf-16-le") if isinstance(body, bytes) else body
    return _rebuilt(ParsedEmail, (*before, body_text, *after))  # type: ignore[return-value]


_FIELD_NAMES = {cls: tuple(f.name for f in fields(cls)) for cls in (ParsedEmail, ParsedAttachment)}
_EMAIL_VALUES = attrgetter(*_FIELD_NAMES[ParsedEmail])
_ATTACHMENT_VALUES = attrgetter(*_FIELD_NAMES[ParsedAttachment])
_BODY = _FIELD_NAMES[ParsedEmail].index("body_text")


def _base64(text: str) -> bytes:
    """Lenient base64: junk characters ignored, missing padding added, a dangling char dropped."""
    cleaned = re.sub(r"[^A-Za-z0-9+/]", "", text.split("=", 1)[0])
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    cleaned += "=" * (-len(cleaned) % 4)
    return binascii.a2b_base64(cleaned) if cleaned else b""


def _payload(part: Message) -> bytes:
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    raw = part.get_payload()
    if encoding == "base64" and isinstance(raw, str):
        try:
            return binascii.a2b_base64(raw.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            return _base64(raw)
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if not name:
        return ""
    return decode_header_value(str(name))


@dataclass
class _Walk:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _attached_message(part: Message) -> ParsedAttachment:
    """An attached message (``message/rfc822``) as one ``.eml`` file."""
    inner = part.get_payload()[0]
    subject = decode_header_value(inner.get("Subject", ""))
    return ParsedAttachment(
        filename=sanitise_filename(f"{subject}.eml" if subject else "", "message.eml"),
        content_type="message/rfc822",
        data=inner.as_bytes(policy=policy.compat32),
    )


def _leaf(part: Message, ctype: str, state: _Walk) -> None:
    disposition = (part.get_content_disposition() or "").lower()
    name = _filename(part)
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and not name:
        text = decode_bytes(_payload(part), part.get_content_charset())
        (state.plain if ctype == "text/plain" else state.html).append(text)
        return
    if ctype == "message/delivery-status" or ctype.startswith("text/rfc822-headers"):
        state.plain.append(decode_bytes(_payload(part), part.get_content_charset()))
        return
    data = _payload(part)
    if ctype in TNEF_TYPES or name.lower() == "winmail.dat":
        state.notes.append("TNEF (winmail.dat) attachment kept as is")
    number = len(state.attachments) + 1
    extension = {"message/rfc822": ".eml"}.get(ctype, "")
    fallback = f"attachment-{number}{extension or '.bin'}"
    cid = normalise_message_id(part.get("Content-ID", ""))
    state.attachments.append(
        ParsedAttachment(
            filename=sanitise_filename(name, fallback),
            content_type=ctype[:255],
            data=data,
            is_inline=disposition == "inline" or (not name and bool(cid)),
            content_id=cid,
        )
    )


def _walk(msg: Message, state: _Walk) -> None:
    """Every part in order. An attached message is kept once, as the ``.eml`` of the outermost
    one: messages attached inside it are already in its bytes and are not stored again."""
    stack: list[tuple[Message, bool]] = [(msg, False)]  # (part, inside a kept .eml)
    count = 0
    while stack:
        part, inside_eml = stack.pop()
        count += 1
        if count > MAX_PARTS:
            state.notes.append(f"more than {MAX_PARTS} MIME parts; the rest ignored")
            break
        ctype = part.get_content_type()
        state.content_types.append(ctype)
        if not part.is_multipart():
            _leaf(part, ctype, state)
            continue
        children = [child for child in part.get_payload() if isinstance(child, Message)]
        attached = ctype == "message/rfc822" and bool(children)
        if attached and not inside_eml:
            state.attachments.append(_attached_message(part))
        stack.extend((child, inside_eml or attached) for child in reversed(children))


def _check_stored(raw: bytes, state: _Walk) -> None:
    stored = sum(attachment.size for attachment in state.attachments)
    budget = STORE_FACTOR * len(raw) + BUDGET_SLACK
    if stored > budget:
        raise OverBudget(
            f"over budget: attachments would store {stored} bytes for a {len(raw)}-byte message "
            f"(at most {budget})"
        )


class _CountedParts:
    """The parser's message factory, refusing more than ``MAX_PARSED_PARTS`` parts."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, **kwargs) -> Message:  # the parser passes ``policy``
        self.count += 1
        if self.count > MAX_PARSED_PARTS:
            raise OverBudget(f"over budget: more than {MAX_PARSED_PARTS} MIME parts")
        return Message(**kwargs)


def _feed(raw: bytes) -> Message:
    """The stdlib parser fed in chunks, its work, nesting and parts bounded (``OverBudget``)."""
    parser = BytesFeedParser(_factory=_CountedParts(), policy=policy.compat32)
    budget = WORK_FACTOR * len(raw) + BUDGET_SLACK
    work = 0
    for start in range(0, len(raw), FEED_CHUNK):
        chunk = raw[start : start + FEED_CHUNK]
        parser.feed(chunk)
        depth = len(getattr(parser, "_msgstack", ()))  # the parts open at this point
        if depth > MAX_DEPTH:
            raise OverBudget(f"over budget: MIME parts nested more than {MAX_DEPTH} levels deep")
        work += len(chunk) * max(1, depth)
        if work > budget:
            raise OverBudget(
                f"over budget: parsing a {len(raw)}-byte message took more than {budget} units "
                f"of work (bytes × nesting depth)"
            )
    return parser.close()


def thread_root(thread_index: str) -> str:
    """The conversation part of an Exchange ``Thread-Index`` (its first 22 bytes), as hex."""
    data = _base64(thread_index.strip()) if thread_index else b""
    return data[:22].hex() if len(data) >= 22 else ""


def _synthetic_id(headers: Headers, body: bytes) -> str:
    digest = hashlib.sha256()
    for name in ("from", "to", "date", "subject"):
        digest.update(headers.get(name).encode("utf-8", "surrogatepass") + b"\0")
    digest.update(body)
    return f"<{digest.hexdigest()[:40]}@{SYNTHETIC_DOMAIN}>"


def parse_email(raw: bytes, *, fast: bool = True) -> ParsedEmail:
    """Parse raw RFC 5322 bytes. Raises :class:`ParseError` for input that is not an e-mail.

    ``fast``: build the message tree with :mod:`emails.parsing.fast_mime` when it takes the
    message (the same tree as the stdlib's, several times cheaper); False: always the stdlib.
    """
    if not raw or raw.isspace():  # (no .strip(): it would copy the whole message)
        raise ParseError("empty message")
    msg = fast_mime.parse(raw) if fast else None
    try:
        if msg is None:
            msg = _feed(raw)
    except ParseError:
        raise
    except RecursionError as exc:
        raise ParseError("MIME structure nested too deeply") from exc
    except Exception as exc:  # the stdlib parser is lenient; anything else is a real failure
        raise ParseError(f"MIME parser failed: {type(exc).__name__}: {exc}") from exc
    headers = Headers(msg.raw_items())
    state = _Walk()
    try:
        _walk(msg, state)
    except RecursionError as exc:
        raise ParseError("MIME structure nested too deeply") from exc
    _check_stored(raw, state)
    if state.plain and any(text.strip() for text in state.plain):
        body = "\n\n".join(text for text in state.plain if text.strip())
    else:
        body = "\n\n".join(html_to_text(text) for text in state.html)
    form, body = extract_form(normalise_text(body))
    message_id = normalise_message_id(headers.get("message-id"))
    synthetic = not message_id
    if synthetic:
        message_id = _synthetic_id(headers, raw.partition(b"\n\n")[2] or raw)
    sender = addresses(msg.get_all("From", []))
    from_name, from_address = sender[0] if sender else ("", "")
    if not from_address:
        from_name = headers.get("from")[:256]
    return ParsedEmail(
        message_id=message_id,
        has_synthetic_id=synthetic,
        in_reply_to=normalise_message_id(headers.get("in-reply-to")),
        references=message_id_list(headers.get("references")),
        subject=headers.get("subject")[:1024],
        from_name=from_name,
        from_address=from_address,
        to=addresses(msg.get_all("To", [])),
        cc=addresses(msg.get_all("Cc", [])),
        bcc=addresses(msg.get_all("Bcc", [])),
        date=parse_date(headers.get("date")),
        body_text=body,
        headers=headers,
        content_types=state.content_types,
        attachments=state.attachments,
        form=form,
        notes=state.notes,
        thread_root=thread_root(headers.get("thread-index")),
    )
