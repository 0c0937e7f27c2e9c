"""Turning bytes of unknown or mislabelled encoding into text without losing what was decodable."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

# Frequent lower-case Cyrillic letters: text decoded with the right single-byte code page is
# mostly these; decoded with the wrong one (koi8-r vs windows-1251) it is mostly capitals.
_FREQUENT_CYRILLIC = frozenset("оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё")
_CYRILLIC_GUESSES = ("cp1251", "koi8_r")
_ALIASES = {
    "unknown-8bit": "",
    "x-unknown": "",
    "default": "",
    "win-1251": "cp1251",
    "windows1251": "cp1251",
    "cp-1251": "cp1251",
    "x-cp1251": "cp1251",
    "koi8r": "koi8_r",
    "utf8": "utf-8",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}


def normalise_charset(charset: str | None) -> str | None:
    """A Python codec name for a declared MIME charset, or None when unusable."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _cyrillic_score(text: str) -> int:
    return sum(1 for ch in text if ch in _FREQUENT_CYRILLIC)


def _utf8(data: bytes) -> str | None:
    """UTF-8 text, tolerating only a multi-byte character cut off at the very end."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
            return data[: exc.start].decode("utf-8", errors="strict")
        return None


def guess_decode(data: bytes) -> str:
    """Decode bytes with no trustworthy charset: UTF-8, then Cyrillic code pages, then detection."""
    text = _utf8(data)
    if text is not None:
        return text
    if not data:
        return ""
    candidates = [data.decode(name, errors="replace") for name in _CYRILLIC_GUESSES]
    best = max(candidates, key=_cyrillic_score)
    letters = sum(1 for ch in best if ch.isalpha() and ord(ch) > 127)
    if letters and _cyrillic_score(best) * 2 >= letters:
        return best
    match = from_bytes(data).best()
    if match is not None:
        return str(match)
    return data.decode("cp1252", errors="replace")


def decode_bytes(data: bytes, declared: str | None) -> str:
    """Decode with the declared charset when it fits the bytes, otherwise guess."""
    codec = normalise_charset(declared)
    if codec == "utf-8":
        text = _utf8(data)
        if text is not None:
            return text
    elif codec:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    return guess_decode(data)
