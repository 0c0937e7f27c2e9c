"""Plain-text clean-up: line endings, web-form JSON, reply prefixes and quoted history."""

from __future__ import annotations

import json
import re

_BLANKS = re.compile(r"\n{4,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|wg|tr|rv|sv|vs|ha|отв|ответ|пересл|переслать|автоответ|"
    r"automatic reply|auto)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+",
    re.IGNORECASE,
)
_QUOTE_MARKERS = re.compile(
    r"^(?:-{2,}\s*(?:Исходное сообщение|Original Message|Пересылаемое сообщение|"
    r"Forwarded message)\s*-{2,}"
    r"|>.*"
    r"|.{0,120}(?:пишет|написал|написала|wrote)\s*:\s*"
    r"|(?:От|From)\s*:.+\n(?:(?:Отправлено|Sent|Дата|Date|Кому|To)\s*:))",
    re.IGNORECASE | re.MULTILINE,
)
# Web forms send their fields as one JSON object in the body (docs/mail.md, «parse»).
FORM_REQUESTER_KEY = "E-mail для обратной связи"
FORM_WATCHER_PREFIX = "E-mail наблюдателя по заявке"
FORM_WINDOW = 64 * 1024  # a form's JSON is far smaller; a longer object stays plain text
MAX_FORMS = 10
MAX_FORM_ATTEMPTS = 200
_OBJECT_START = re.compile(r'\{\s*["}]')


def normalise_text(text: str) -> str:
    """Unix line endings, no trailing spaces, at most two blank lines in a row."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    if "\n\n\n\n" in text:  # (the substring test is ten times cheaper than the search)
        text = _BLANKS.sub("\n\n\n", text)
    return text.strip()


def clean_subject(subject: str) -> str:
    """The subject without reply/forward prefixes (``Re:``, ``RE[2]:``, ``Ответ:``, ``Fwd:`` …)."""
    return _PREFIX.sub("", subject).strip()


def has_reply_prefix(subject: str) -> bool:
    return bool(_PREFIX.match(subject))


def strip_quoted(text: str) -> str:
    """The new part of a reply: everything before the first quoted-history marker."""
    match = _QUOTE_MARKERS.search(text)
    if match is None:
        return text.strip()
    head = text[: match.start()].strip()
    return head or text.strip()


def _json_spans(text: str) -> list[tuple[int, int, dict]]:
    """(start, end, object) of the first top-level JSON objects in ``text``, with bounded work:
    at most ``MAX_FORM_ATTEMPTS`` candidate ``{"`` positions, each decoded within
    ``FORM_WINDOW`` characters (a failed decode costs as much as the text before the error, so
    a body of two million braces would otherwise take hours)."""
    spans: list[tuple[int, int, dict]] = []
    decoder = json.JSONDecoder()
    position = attempts = 0
    while len(spans) < MAX_FORMS and attempts < MAX_FORM_ATTEMPTS:
        match = _OBJECT_START.search(text, position)
        if match is None:
            break
        start, attempts = match.start(), attempts + 1
        try:
            value, length = decoder.raw_decode(text[start : start + FORM_WINDOW])
        except (ValueError, RecursionError):  # not JSON, or nested deeper than Python recurses
            position = start + 1
            continue
        spans.append((start, start + length, value))
        position = start + length
    return spans


def _render(value: object, indent: int = 0) -> str:
    pad = "  " * indent
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, dict | list):
                lines.append(f"{pad}{key}:\n{_render(item, indent + 1)}")
            else:
                lines.append(f"{pad}{key}: {'' if item is None else item}")
        return "\n".join(lines)
    if isinstance(value, list):
        return "\n".join(f"{pad}- {_render(item).strip()}" for item in value)
    return f"{pad}{value}"


def extract_form(text: str) -> tuple[dict | None, str]:
    """The first web-form JSON object in the body and the body with JSON rendered readably."""
    spans = _json_spans(text)
    if not spans:
        return None, text
    parts: list[str] = []
    last = 0
    for start, end, value in spans:
        parts += [text[last:start], _render(value)]
        last = end
    parts.append(text[last:])
    return spans[0][2], "".join(parts)


def form_addresses(form: dict) -> tuple[str, list[str]]:
    """Requester and watcher addresses named by a web form."""
    requester = str(form.get(FORM_REQUESTER_KEY) or "").strip()
    watchers = [
        str(value).strip()
        for key, value in form.items()
        if str(key).startswith(FORM_WATCHER_PREFIX) and value
    ]
    return requester, watchers
