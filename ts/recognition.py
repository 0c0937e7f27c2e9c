"""Recognition of poles and base stations mentioned in e-mail text.

Rules (docs/towerstore.md): a candidate token contains at least four digits; brackets,
``:|,.;``, quotes, slashes, backtick, ``№#<>«»`` and whitespace split tokens. Dates, times and
phone numbers are removed first; a token after a phone/INN/account marker (``тел.``, ``ИНН``,
``доб.`` …) is never a code. Comparison is case-insensitive with Latin look-alike letters
folded to Cyrillic and any dash folded to ``-``. A token matches a pole when it equals an active
pole code or the base-station name the poles feed gives it, when it is ``NNNNN-…`` and begins
exactly one pole code, or when it is a pole code followed by ``-suffix`` (equipment such as
``77-12345-2``); it matches a base station when it equals its name (``БС 77-12345`` is also tried
as ``БС-77-12345``). The longest match wins; a base station implies its pole; the subject is
searched first and the body only when the subject names nothing.

Matching runs against an in-memory index (codes and names only), so a message costs at most one
query, fetching the winning record, and :func:`recognize_many` fetches those of a whole ingest
batch in two. The index is rebuilt after imports and admin edits in this
process and re-validated against the database at most every ``REFRESH_SECONDS`` otherwise.
"""

from __future__ import annotations

import bisect
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection

from ts.loading import load_base_stations, load_poles
from ts.models import BaseStation, Pole

REFRESH_SECONDS = 30.0
MAX_TEXT_CHARS = 100_000

_SEPARATORS = re.compile(r"[\[\](){}:|,.;'\"/\\`<>«»!?*=№#]")
_DASHES = str.maketrans({"‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-"})
# The same for a whole text: str.translate looks a dict up per character of non-ASCII text
# (0.5 ms for an e-mail of 7,000 characters of Cyrillic); one character class is 10 times faster.
_DASH_CHARS = "‐‑‒–—―−"
_DASH = re.compile(f"[{_DASH_CHARS}]")
# Latin letters that look like Cyrillic ones are folded, so "А-1234" typed in Latin still matches.
_LOOKALIKES = str.maketrans("abcehkmoptxy", "авсенкмортху")
_LATIN_BS = re.compile(r"^bs(?=[-\d]|$)")
_PREFIX_TOKEN = re.compile(r"^\d{5}-")
# Dates, times, ISO timestamps and decimal numbers (coordinates, amounts) are never codes. (Each
# starts with a digit: the leading look-ahead lets the scan skip letters at half the cost.)
_DATE_TIME = re.compile(
    r"(?=\d)(?<![\w-])(?:\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2}(?:T[\d:.]+)?"
    r"|\d{1,2}:\d{2}(?::\d{2})?|\d+[.,]\d+)(?![\w-])"
)
# Phone numbers: +7/8 and ten digits in any grouping, or a local number such as 123-45-67.
_PHONE = re.compile(
    r"(?<![\w-])(?:(?:\+7|8)[\s-]*\(?\d{3}\)?[\s-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}"
    r"|\(\d{3,5}\)[\s-]*\d{1,3}-?\d{2}-?\d{2}|\d{2,3}-\d{2}-\d{2})(?![\w-])"
)
# A token right after one of these words is a phone number, INN, account or similar — not a code.
_NOT_A_CODE_AFTER = frozenset(
    {
        "тел",
        "телефон",
        "моб",
        "т",
        "тел-факс",
        "факс",
        "инн",
        "кпп",
        "огрн",
        "огрнип",
        "бик",
        "р-с",
        "к-с",
        "счет",
        "счёт",
        "сч",
        "окпо",
        "снилс",
        "паспорт",
        "доб",
        "phone",
        "tel",
        "fax",
        "+7",
    }
)


# A key already in its normal form: ASCII digits and hyphens (most pole codes, e.g. "77-12345").
_NORMAL_KEY = re.compile(r"[0-9-]+")


def normalize(text: str) -> str:
    """The comparison key of a code or name: case-folded, dashes and look-alikes unified."""
    if _NORMAL_KEY.fullmatch(text):  # nothing to change (a fifth of the index's build time)
        return text
    key = text.strip().translate(_DASHES).casefold()
    return _LATIN_BS.sub("бс", key).translate(_LOOKALIKES)


_FOUR_DIGITS = re.compile(r"(?:\D*\d){4}")
# A digit and what follows it up to the first whitespace no phone number or date can span: a
# phone number spans a run of whitespace and dashes only from a digit or ")" before it to a digit
# or "(" after it (the [\s-]* of _PHONE); dates, times and words never span whitespace. So: a
# digit, then words, runs of dashes alone and such runs, then the dashes before that whitespace.
_D = re.escape("-" + _DASH_CHARS)
_PIECE = re.compile(rf"\d(?:[^\s{_D}]+|[{_D}]+(?![\s{_D}])|(?<=[\d)])[\s{_D}]+(?=[\d(]))*[{_D}]*")


def _words(text: str) -> list[str]:
    """The words of a text: dashes unified, phone numbers and dates removed, separators split."""
    text = _DATE_TIME.sub(" ", _PHONE.sub(" ", _DASH.sub("-", text)))
    return _SEPARATORS.sub(" ", text).split()


def _pieces(text: str) -> list[tuple[int, int]]:
    """(start, end) of the stretches holding every digit of ``text``, cut at whitespace.

    No phone number or date spans a cut, so the words of ``text`` are those of its pieces and of
    the digit-free stretches between them, in order. A piece starts at the last space or newline
    before its first digit: any whitespace there would do (a phone number spanning it would hold
    a digit before it), the nearest keeps the piece short.
    """
    pieces = []
    end = 0
    while (piece := _PIECE.search(text, end)) is not None:
        digit = piece.start()
        start = max(text.rfind(" ", end, digit), text.rfind("\n", end, digit), end)
        end = piece.end()
        pieces.append((start, end))
    return pieces


def _last_word(text: str, lo: int, hi: int) -> str | None:
    """The last word of the digit-free ``text[lo:hi]`` (a short tail first), or None."""
    size = 48
    while True:
        start = max(lo, hi - size)
        words = _SEPARATORS.sub(" ", text[start:hi]).split()  # dashes are normalize()'s
        if start == lo:
            return words[-1] if words else None
        if len(words) > 1:  # the first may be cut, the last is whole
            return words[-1]
        size *= 4


class _Pieces:
    """The pieces of a text, with their words and the word before each computed on demand."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.bounds = _pieces(text)
        self._words: dict[int, list[str]] = {}
        self._before: dict[int, str] = {}

    def words(self, k: int) -> list[str]:
        """The words of piece ``k``."""
        if k not in self._words:
            start, end = self.bounds[k]
            self._words[k] = _words(self.text[start:end])
        return self._words[k]

    def _last_word_before(self, k: int) -> str | None:
        """The last word between pieces ``k - 1`` and ``k``, else of piece ``k - 1``, or None."""
        gap_start = self.bounds[k - 1][1] if k else 0
        word = _last_word(self.text, gap_start, self.bounds[k][0])
        if word is None and k:
            words = self.words(k - 1)
            word = words[-1] if words else None
        return word

    def word_before(self, k: int) -> str:
        """The word before piece ``k`` in the text (``""`` at its start); each gap read once."""
        pending = []
        j = k
        while j not in self._before:
            pending.append(j)
            word = self._last_word_before(j)
            if word is not None or j == 0:
                self._before[j] = word or ""
                break
            j -= 1
        for p in pending:
            self._before[p] = self._before[j]
        return self._before[k]


def _candidates(word: str, previous: str) -> tuple[str, ...]:
    """The keys a word of four digits or more stands for, given the word before it."""
    previous = normalize(previous).strip("-")
    if previous in _NOT_A_CODE_AFTER:
        return ()
    key = normalize(word).lstrip("-")
    return (f"бс-{key}", key) if previous == "бс" else (key,)


def candidate_tokens(text: str) -> list[str]:
    """Normalised tokens that may be a pole code or base-station name, in text order.

    Only the first ``MAX_TEXT_CHARS`` characters are read (a code sits near the top; huge quoted
    threads or pasted logs must not stall ingestion). Only the pieces around digits are read
    word by word: a word with fewer than four digits is never a candidate.
    """
    text = text[:MAX_TEXT_CHARS]
    pieces = _Pieces(text)
    tokens: dict[str, None] = {}
    for k, (start, end) in enumerate(pieces.bounds):
        if not _FOUR_DIGITS.match(text, start, end):
            continue
        words = pieces.words(k)
        for position, word in enumerate(words):
            if _FOUR_DIGITS.match(word):
                previous = words[position - 1] if position else pieces.word_before(k)
                tokens.update(dict.fromkeys(_candidates(word, previous)))
    return list(tokens)


@dataclass(frozen=True)
class Recognition:
    """What a message names: a pole and/or a base station (a base station implies its pole)."""

    pole: Pole | None
    base_station: BaseStation | None


@dataclass
class _Index:
    """Normalised codes and names of active poles and base stations (ids only)."""

    pole_by_code: dict[str, int] = field(default_factory=dict)
    # the base-station name the poles feed gives each pole ("Имя БС")
    pole_by_bs_name: dict[str, int] = field(default_factory=dict)
    sorted_codes: list[str] = field(default_factory=list)
    # name → ((base station id, pole id), ...)
    stations_by_name: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    version: tuple = ()
    checked_at: float = 0.0

    def pole_for(self, token: str) -> tuple[int, int] | None:
        """(pole id, length of the matched text) for a token, or None."""
        for key in (token, token.rstrip("-")):
            pole_id = self.pole_by_code.get(key) or self.pole_by_bs_name.get(key)
            if pole_id is not None:
                return pole_id, len(key)
        if _PREFIX_TOKEN.match(token):  # a truncated code: only when it begins a single code
            start = bisect.bisect_left(self.sorted_codes, token)
            following = self.sorted_codes[start : start + 2]
            matches = [code for code in following if code.startswith(token)]
            if len(matches) == 1:
                return self.pole_by_code[matches[0]], len(token)
            return None
        key = token  # a pole code with a suffix, e.g. equipment "77-12345-2"
        while "-" in key:
            key = key.rsplit("-", 1)[0]
            if not _FOUR_DIGITS.match(key):
                break
            if key in self.pole_by_code:
                return self.pole_by_code[key], len(key)
        return None


def _current_version() -> tuple:
    """A cheap stamp that changes whenever poles or base stations change (one indexed query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(updated_at) FROM {Pole._meta.db_table}),"  # noqa: S608
            f" (SELECT MAX(updated_at) FROM {BaseStation._meta.db_table})"
        )
        return tuple(cursor.fetchone())


def _build_index() -> _Index:
    index = _Index(version=_current_version(), checked_at=time.monotonic())
    poles = Pole.objects.filter(is_active=True).order_by("site_id")
    for pole_id, code, bs_name in poles.values_list("id", "code", "bs_name").iterator(10_000):
        index.pole_by_code.setdefault(normalize(code), pole_id)
        if _FOUR_DIGITS.match(bs_name):
            index.pole_by_bs_name.setdefault(normalize(bs_name), pole_id)
    index.sorted_codes = sorted(index.pole_by_code)
    stations: dict[str, list[tuple[int, int]]] = {}
    rows = (
        BaseStation.objects.filter(is_active=True, pole__is_active=True)
        .order_by("id")
        .values_list("id", "pole_id", "name")
    )
    for station_id, pole_id, name in rows.iterator(chunk_size=10_000):
        stations.setdefault(normalize(name), []).append((station_id, pole_id))
    index.stations_by_name = {name: tuple(ids) for name, ids in stations.items()}
    return index


_lock = threading.Lock()
_index: _Index | None = None


def invalidate_index() -> None:
    """Forget the in-memory index; the next recognition rebuilds it (call after writes)."""
    global _index
    with _lock:
        _index = None


def index_ready() -> bool:
    """Whether this process holds the index (built and not invalidated since)."""
    return _index is not None


def prepare_index() -> None:
    """Build the index now (or check it is current), e.g. while the process waits anyway."""
    _get_index()


def _get_index() -> _Index:
    global _index
    with _lock:
        index = _index
        now = time.monotonic()
        if index is not None and now - index.checked_at >= REFRESH_SECONDS:
            if _current_version() == index.version:
                index.checked_at = now
            else:
                index = None
        if index is None:
            index = _index = _build_index()
        return index


def _match(
    index: _Index, text: str, tokens: list[str] | None = None
) -> tuple[int | None, int | None]:
    """(pole id, base station id) named by ``text`` (its :func:`candidate_tokens` when known
    already), or (None, None)."""
    if tokens is None:
        tokens = candidate_tokens(text)
    pole_id: int | None = None
    pole_len = -1
    for token in tokens:
        found = index.pole_for(token)
        if found is not None and found[1] > pole_len:
            pole_id, pole_len = found
    station: tuple[int, int] | None = None
    station_len = -1
    for token in tokens:
        entries = index.stations_by_name.get(token, ())
        if pole_id is not None:
            entries = tuple(e for e in entries if e[1] == pole_id) or entries
        if len(entries) != 1:
            continue  # unknown, or the same name on several poles with nothing to tell them apart
        if len(token) > station_len:
            station, station_len = entries[0], len(token)
    if station is not None:
        if pole_id is not None and station[1] != pole_id and pole_len > station_len:
            return pole_id, None
        return station[1], station[0]
    return pole_id, None


def _fetch(matches: list[tuple[int | None, int | None]]) -> list[Recognition | None]:
    """Load the winning records of every match (two queries at most); None where a record
    vanished since the index was built."""
    stations = load_base_stations(sorted({s for _p, s in matches if s is not None}))
    poles = load_poles(sorted({p for p, s in matches if p is not None and s is None}))
    found: list[Recognition | None] = []
    for pole_id, station_id in matches:
        if pole_id is None:
            found.append(Recognition(None, None))
        elif station_id is not None:
            station = stations.get(station_id)
            found.append(Recognition(station.pole, station) if station else None)
        else:
            pole = poles.get(pole_id)
            found.append(Recognition(pole, None) if pole else None)
    return found


def recognize(subject: str, body: str) -> Recognition:
    """Find the pole and base station a message is about (subject first, then body)."""
    return recognize_many([(subject, body)])[0]


# The candidate tokens of a message's (subject, body), computed elsewhere (the mail parser
# process); the body's None when not computed.
Tokens = tuple[list[str], list[str] | None]


def message_tokens(subject: str, body: str) -> Tokens:
    """What :func:`recognize_many` needs of a message's text, computable without the database.
    The body's only when the subject has none: a subject with a code mostly names the pole, and
    when it names none :func:`recognize_many` tokenises the body itself."""
    subject_tokens = candidate_tokens(subject or "")
    return subject_tokens, None if subject_tokens else candidate_tokens(body or "")


def recognize_many(
    messages: list[tuple[str, str]], tokens: list[Tokens | None] | None = None
) -> list[Recognition]:
    """:func:`recognize` for each (subject, body), with at most two queries for all of them;
    ``tokens`` (parallel to ``messages``, None where unknown) spares tokenising their text."""
    found: list[Recognition | None] = [None] * len(messages)
    known = tokens or [None] * len(messages)
    for _attempt in range(2):
        index = _get_index()
        todo = [n for n, result in enumerate(found) if result is None]
        matches = []
        for n in todo:
            subject, body = messages[n]
            subject_tokens, body_tokens = known[n] or (None, None)
            match = _match(index, subject or "", subject_tokens)
            if match[0] is None:
                match = _match(index, body or "", body_tokens)
            matches.append(match)
        for n, result in zip(todo, _fetch(matches), strict=True):
            found[n] = result
        if all(result is not None for result in found):
            break
        invalidate_index()  # a record was deleted after the index was built
    return [result or Recognition(None, None) for result in found]


def recognize_thread(messages: Iterable[tuple[str, str]]) -> Recognition:
    """The first message (subject, body) of a thread, in thread order, that names a pole.

    For an incident whose opening message named nothing: a later reply may (docs/towerstore.md).
    """
    for subject, body in messages:
        found = recognize(subject, body)
        if found.pole is not None:
            return found
    return Recognition(None, None)
