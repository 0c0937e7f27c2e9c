"""Mailbox folder names: the configured INBOX and Sent folders, and the forms their names take.

Every worker reads the folders named by ``PARSING_EMAIL_INBOX_FOLDER_NAME`` and
``PARSING_EMAIL_SENT_FOLDER_NAME`` (``ingest_mail --role sent``), never a name written elsewhere.
A name may be written as Unicode («Исходящие»), as IMAP modified UTF-7 (RFC 3501 §5.1.3,
``&BBgEQQRFBD4ENARPBEkEOAQ1-``) or as the lenient form some configurations use, without the
closing ``-`` (``&BBgEQQRFBD4ENARPBEkEOAQ1``); all three mean the same folder. Inside the
project a folder is always named by its decoded Unicode form.
"""

from __future__ import annotations

import binascii
import re

from django.conf import settings
from imap_tools.imap_utf7 import utf7_encode

from emails.models import MailFolder

Role = MailFolder.Role

# The setting that names each role's folder.
ROLE_SETTINGS: dict[str, str] = {
    Role.INBOX: "PARSING_EMAIL_INBOX_FOLDER_NAME",
    Role.SENT: "PARSING_EMAIL_SENT_FOLDER_NAME",
}
# A shifted (base64) run: "&", modified-base64 letters, and the closing "-" that may be missing.
_SHIFT = re.compile(r"&([A-Za-z0-9+,]*)(-?)")


class _NotUtf7(ValueError):
    """The name is not modified UTF-7 (it is taken literally)."""


def _unbase64(run: str) -> str:
    """One shifted run decoded; anything but whole UTF-16 units of non-ASCII text is refused."""
    bits = len(run) * 6
    if bits < 16 or (bits // 8) % 2:
        raise _NotUtf7(run)
    padded = run.replace(",", "/") + "=" * (-len(run) % 4)
    try:
        data = binascii.a2b_base64(padded)
        text = data.decode("utf-16-be")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise _NotUtf7(run) from exc
    if binascii.b2a_base64(data, newline=False).decode().rstrip("=").replace("/", ",") != run:
        raise _NotUtf7(run)  # stray low bits: not what an encoder writes
    if any(0x20 <= ord(char) <= 0x7E for char in text):
        raise _NotUtf7(run)  # printable ASCII is never shifted
    return text


def decode_folder_name(name: str) -> str:
    """The Unicode name of a folder written as Unicode, modified UTF-7, or modified UTF-7 with
    shifted runs left unclosed. A name that is not valid modified UTF-7 (``R&D``) is literal."""
    name = name.strip()
    if "&" not in name or not name.isascii():
        return name

    def shifted(match: re.Match[str]) -> str:
        run, closed = match.groups()
        if not run:
            if not closed:
                raise _NotUtf7(name)
            return "&"
        return _unbase64(run)

    try:
        return _SHIFT.sub(shifted, name)
    except _NotUtf7:
        return name


def encode_folder_name(name: str) -> str:
    """The modified UTF-7 form of a Unicode folder name (what IMAP servers and Maildir++ use)."""
    return utf7_encode(name).decode("ascii")


def same_folder(first: str, second: str) -> bool:
    """True when two names mean one folder (``INBOX`` is case-insensitive, RFC 3501 §5.1)."""
    first, second = decode_folder_name(first), decode_folder_name(second)
    if first.upper() == "INBOX" or second.upper() == "INBOX":
        return first.upper() == second.upper()
    return first == second


def configured_folder(role: str) -> str:
    """The decoded name of the folder the settings give ``role`` (``inbox`` or ``sent``)."""
    return decode_folder_name(getattr(settings, ROLE_SETTINGS[role]))


def folder_role(name: str) -> str:
    """The role of a folder by the configured names (``other`` for any folder not configured)."""
    for role in ROLE_SETTINGS:
        if same_folder(name, configured_folder(role)):
            return role
    if name.upper() == "INBOX":
        return Role.INBOX
    return Role.OTHER


def role_setting(name: str) -> str:
    """The setting that configures folder ``name`` ("" when none does)."""
    for role, setting in ROLE_SETTINGS.items():
        if same_folder(name, configured_folder(role)):
            return setting
    return ""
