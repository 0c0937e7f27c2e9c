"""Attachment names made safe to store and show."""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
MAX_NAME = 150


def sanitise_filename(name: str, fallback: str) -> str:
    """A file name with no path, control or reserved characters, at most 150 characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name:
        return fallback
    if len(name) > MAX_NAME:
        suffix = PurePosixPath(name).suffix[:16]
        name = name[: MAX_NAME - len(suffix)] + suffix
    return name
