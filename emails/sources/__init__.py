"""Mail sources: IMAP and Maildir behind one interface (:mod:`emails.sources.base`)."""

from __future__ import annotations

from django.conf import settings

from emails.sources.base import FetchedMessage, FolderReader, MailSource, SourceError


def source_from_spec(spec: str) -> MailSource:
    """``imap`` (the ``PARSING_EMAIL_*`` account) or ``maildir:PATH`` (default MAILDIR_PATH)."""
    kind, _sep, rest = spec.partition(":")
    if kind == "imap":
        from emails.sources.imap import ImapSource

        if not settings.PARSING_EMAIL_SERVER or not settings.PARSING_EMAIL_LOGIN:
            raise SourceError("PARSING_EMAIL_SERVER and PARSING_EMAIL_LOGIN must be set for IMAP")
        return ImapSource(
            settings.PARSING_EMAIL_SERVER,
            settings.PARSING_EMAIL_PORT,
            settings.PARSING_EMAIL_LOGIN,
            settings.PARSING_EMAIL_PSWD,
            ssl=settings.PARSING_EMAIL_SSL,
            timeout=settings.PARSING_EMAIL_TIMEOUT,
        )
    if kind == "maildir":
        from emails.sources.maildir import MaildirSource

        return MaildirSource(rest or settings.MAILDIR_PATH)
    raise SourceError(f"unknown mail source {spec!r}: use imap or maildir:PATH")


__all__ = ["FetchedMessage", "FolderReader", "MailSource", "SourceError", "source_from_spec"]
