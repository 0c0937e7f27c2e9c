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
# Web forms send their fields as one JSON object in the body (reference §2.5).
FORM_REQUESTER_KEY = "E-mail для обратной связи"
FORM_WATCHER_PREFIX = "E-mail наблюдателя по заявке"


def normalise_text(text: str) -> str:
    """Unix line endings, no trailing spaces, at most two blank lines in a row."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANKS.sub("\n\n\n", text).strip()


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


def _json_objects(text: str) -> list[dict]:
    """Top-level ``{...}`` blocks of ``text`` that parse as JSON objects."""
    found: list[dict] = []
    decoder = json.JSONDecoder()
    index = text.find("{")
    while index != -1 and len(found) < 10:
        try:
            value, end = decoder.raw_decode(text, index)
        except ValueError:
            index = text.find("{", index + 1)
            continue
        if isinstance(value, dict):
            found.append(value)
        index = text.find("{", end)
    return found


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
    objects = _json_objects(text)
    if not objects:
        return None, text
    rendered = text
    decoder = json.JSONDecoder()
    index = rendered.find("{")
    while index != -1:
        try:
            value, end = decoder.raw_decode(rendered, index)
        except ValueError:
            index = rendered.find("{", index + 1)
            continue
        block = _render(value) if isinstance(value, dict) else rendered[index:end]
        rendered = rendered[:index] + block + rendered[end:]
        index = rendered.find("{", index + len(block))
    return objects[0], rendered


def form_addresses(form: dict) -> tuple[str, list[str]]:
    """Requester and watcher addresses named by a web form."""
    requester = str(form.get(FORM_REQUESTER_KEY) or "").strip()
    watchers = [
        str(value).strip()
        for key, value in form.items()
        if str(key).startswith(FORM_WATCHER_PREFIX) and value
    ]
    return requester, watchers
