"""MIME parsing: raw bytes → :class:`ParsedEmail` (decoded headers, text, attachments)."""

from emails.parsing.message import ParsedAttachment, ParsedEmail, ParseError, parse_email

__all__ = ["ParseError", "ParsedAttachment", "ParsedEmail", "parse_email"]
