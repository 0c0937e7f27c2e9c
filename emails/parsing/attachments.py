"""Attachment names made safe to store and show."""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
MAX_NAME = 150
# Format (bidi overrides and isolates, zero-width, soft hyphen, BOM …), surrogate, private-use and
# line/paragraph separator characters: invisible, they make "\u202egnp.exe" read as "exe.png".
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cs", "Co", "Zl", "Zp"})
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")  # blank-looking letters


def strip_invisible(text: str) -> str:
    """``text`` without characters that are invisible or reorder what is shown."""
    return "".join(
        ch
        for ch in text
        if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES and ch not in _INVISIBLE_LETTERS
    )


def sanitise_filename(name: str, fallback: str) -> str:
    """A file name with no path, control, invisible or reserved characters, at most 150 long."""
    name = strip_invisible(unicodedata.normalize("NFC", name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name:
        return fallback
    if len(name) > MAX_NAME:
        suffix = PurePosixPath(name).suffix[:16]
        name = name[: MAX_NAME - len(suffix)] + suffix
    return name
