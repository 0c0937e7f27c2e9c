"""The one way a person is named on screen, in the API and in e-mails: name, else login."""

from __future__ import annotations


def display_name(first_name: str | None, last_name: str | None, username: str | None) -> str:
    """``"First Last"`` when the person has a name, else their login (username)."""
    full = f"{first_name or ''} {last_name or ''}".strip()
    return full or username or ""
