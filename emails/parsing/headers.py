"""Header decoding: RFC 2047 words, raw 8-bit values, Message-IDs, addresses and dates."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email.header import decode_header
from email.utils import getaddresses, parsedate_to_datetime

from emails.parsing.charsets import decode_bytes, guess_decode

_MSGID = re.compile(r"<([^<>\s]+)>")
_WS = re.compile(r"\s+")
_ENCODED_WORD_GAP = re.compile(r"(\?=)\s+(=\?)")
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def raw_header_text(value: str) -> str:
    """A header value as stored by the compat32 parser (8-bit bytes as surrogates) → text."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = guess_decode(value.encode("ascii", "surrogateescape"))
    return value


def decode_header_value(value: str | None) -> str:
    """Decode a header value: every RFC 2047 word (each with its own charset), raw 8-bit text."""
    if not value:
        return ""
    value = raw_header_text(str(value))
    value = _ENCODED_WORD_GAP.sub(r"\1\2", value.replace("\r", "").replace("\n", " "))
    if "=?" not in value:
        return _WS.sub(" ", _CONTROL.sub("", value)).strip()
    try:
        chunks = decode_header(value)
    except Exception:  # a malformed encoded word: keep the text as it is
        return _WS.sub(" ", _CONTROL.sub("", value)).strip()
    parts = []
    for chunk, charset in chunks:
        parts.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk)
    return _WS.sub(" ", _CONTROL.sub("", "".join(parts))).strip()


class Headers:
    """The first value of each header, decoded (:func:`decode_header_value`) when first asked
    for: a message carries dozens (``Received``, ``DKIM-Signature`` …) that are never read."""

    def __init__(self, raw_items: Iterable[tuple[str, str]]) -> None:
        self._raw: dict[str, str] = {}
        for name, value in raw_items:
            self._raw.setdefault(str(name).lower(), value)
        self._decoded: dict[str, str] = {}

    def get(self, name: str) -> str:
        """The decoded value of header ``name`` (any case); "" when the message has none."""
        key = name.lower()
        if key not in self._decoded:
            raw = self._raw.get(key)
            self._decoded[key] = decode_header_value(raw) if raw is not None else ""
        return self._decoded[key]

    def __eq__(self, other: object) -> bool:
        """Equal when both hold the same raw first values (what every decoded value is from)."""
        return isinstance(other, Headers) and self._raw == other._raw

    def __reduce__(self) -> tuple:
        """Pickled as its two dicts (cheaper to load than an object's state)."""
        return _rebuilt_headers, (self._raw, self._decoded)


def _rebuilt_headers(raw: dict[str, str], decoded: dict[str, str]) -> Headers:
    headers = Headers.__new__(Headers)
    headers._raw, headers._decoded = raw, decoded
    return headers


def normalise_message_id(value: str | None) -> str:
    """``<local@domain>`` with the domain lower-cased; "" when there is none."""
    if not value:
        return ""
    value = _CONTROL.sub("", raw_header_text(str(value))).strip()
    found = _MSGID.findall(value)
    token = found[-1] if found else (value.split()[-1] if value.split() else "")
    token = token.strip("<>")
    if not token:
        return ""
    local, at, domain = token.rpartition("@")
    if at:
        token = f"{local}@{domain.lower()}"
    return f"<{token}>"[:998]


def message_id_list(value: str | None, limit: int = 100) -> list[str]:
    """All Message-IDs in a References-like header, in order, without repeats."""
    if not value:
        return []
    seen: dict[str, None] = {}
    for token in _MSGID.findall(_CONTROL.sub("", raw_header_text(str(value)))):
        seen.setdefault(normalise_message_id(f"<{token}>"), None)
    return list(seen)[-limit:]


# The plain forms of an address list (``Name <a@b>``, ``"Last, First" <a@b>``, ``a@b``, comma
# separated), read by one regular expression; anything else (comments, groups, routes, escapes,
# empty items, odd whitespace) goes to the stdlib's ``getaddresses``, which gives the same pairs
# for the plain forms (``emails/tests/test_parsing.py`` compares both) at several times the cost.
_FWS = r"[ \t]"
_QUOTED = r'"[^"\\\r\n]*"'
_WORD = r'[^ \t()<>@,:;"\[\]\\\r\n]+'
_PHRASE_WORD = rf"(?:{_QUOTED}|{_WORD})"
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDR_SPEC = rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
# (two unquoted words need whitespace between them: one way to read a phrase, no backtracking)
_PHRASE = rf"{_PHRASE_WORD}(?:{_FWS}*{_QUOTED}|{_FWS}+{_WORD})*"
_PLAIN_ITEM = re.compile(
    rf"{_FWS}*(?:(?P<phrase>{_PHRASE}){_FWS}*<(?P<route>{_ADDR_SPEC})>|(?P<bare>{_ADDR_SPEC})){_FWS}*"
)
_ITEM = rf"{_FWS}*(?:{_PHRASE}{_FWS}*<{_ADDR_SPEC}>|{_ADDR_SPEC}){_FWS}*"
_PLAIN_LIST = re.compile(rf"{_ITEM}(?:,{_ITEM})*")
_PHRASE_WORDS = re.compile(_PHRASE_WORD)


def _plain_addresses(value: str) -> list[tuple[str, str]] | None:
    """The (name, address) pairs of a plain address list, as ``getaddresses`` gives them; None
    when ``value`` is not one."""
    if not _PLAIN_LIST.fullmatch(value):
        return None
    pairs = []
    for item in _PLAIN_ITEM.finditer(value):
        if item["bare"]:
            pairs.append(("", item["bare"]))
            continue
        words = [w[1:-1] if w[0] == '"' else w for w in _PHRASE_WORDS.findall(item["phrase"])]
        pairs.append((" ".join(words), item["route"]))
    return pairs


def addresses(values: list[str]) -> list[tuple[str, str]]:
    """(name, address) pairs from raw address headers; invalid addresses dropped, no repeats.

    The list is split on the raw value and only then are the display names RFC 2047-decoded, so
    an encoded name such as ``=?utf-8?q?boss=40corp=2Eexample=2C?=`` stays a name: it can neither
    become the address nor add a recipient.
    """
    result: dict[str, str] = {}
    raw = [_unfold(raw_header_text(str(v))) for v in values if v]
    pairs = _plain_addresses(", ".join(raw)) if raw else []
    for name, address in getaddresses(raw) if pairs is None else pairs:
        address = address.strip().strip("<>").lower()
        if len(address) > 320 or not _ADDRESS.match(address):
            continue
        result.setdefault(address, decode_header_value(name)[:256])
    return [(name, address) for address, name in result.items()]


def _unfold(value: str) -> str:
    return _CONTROL.sub("", value.replace("\r", "").replace("\n", " "))


def parse_date(value: str | None) -> datetime | None:
    """The Date header as an aware datetime, None when unparseable."""
    if not value:
        return None
    text = re.sub(r"\([^)]*\)\s*$", "", raw_header_text(str(value))).strip()
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment is None or not 1970 <= moment.year <= 2100:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment
