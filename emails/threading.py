"""Which incident a message belongs to.

Order: In-Reply-To → References (newest first, following stored ancestors, cycle-safe) → our
own outgoing Message-IDs (the outbox, which records the incident) → the incident code in the
subject (``INCIDENT_CODE_PATTERN``, e.g. ``AVRSERVICE-123``) → the Exchange conversation
(``Thread-Index`` root, for Outlook replies that carry no References) → none. An incident marked
"do not link by thread" (``Incident.no_thread_linking``) is never found: its mail is new. The
code or our own Message-ID of an incident merged into another leads to that other one; replies
to a moved e-mail follow it (its stored row names its current incident).
Lookups are batched: one :class:`ThreadIndex` answers for a whole batch with a handful of
queries.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from django.conf import settings
from django.db.models import BigIntegerField, OuterRef
from django.db.models.functions import Coalesce

from dispatch.statements import CompiledQuery, Many
from emails.models import EmailMessage, EmailReference
from emails.outbox.models import OutboundEmail
from emails.parsing import ParsedEmail
from incidents.models import Incident
from incidents.moves import merged_into

MAX_ANCESTOR_ROUNDS = 5
HEADERS, CODE, CONVERSATION = "headers", "code", "conversation"
_CHUNK = 500


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def code_pattern() -> re.Pattern[str]:
    return _pattern(settings.INCIDENT_CODE_PATTERN)


@functools.lru_cache(maxsize=4)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


def subject_codes(subject: str) -> list[str]:
    """Incident codes named in a subject, leftmost first, upper-cased."""
    return [match.group(0).upper() for match in code_pattern().finditer(subject)]


def thread_ids(parsed: ParsedEmail) -> list[str]:
    """Message-IDs this message answers, most specific first."""
    ids = [parsed.in_reply_to] if parsed.in_reply_to else []
    ids += [mid for mid in reversed(parsed.references) if mid != parsed.in_reply_to]
    return [mid for mid in ids if mid != parsed.message_id]


# A batch's reads, compiled once a process (dispatch.statements); the querysets are what they were.
_ID = "\x00thread-id"
_STORED = CompiledQuery(
    lambda mids: EmailMessage.objects.filter(message_id__in=mids).values_list(
        "message_id", "incident_id"
    ),
    Many(_ID),
)
_OUTBOX = CompiledQuery(
    lambda mids: (
        OutboundEmail.objects.filter(message_id__in=mids, incident__isnull=False)
        .annotate(
            goes_to=Coalesce(
                merged_into(OuterRef("incident_id")), "incident_id", output_field=BigIntegerField()
            )
        )
        .values_list("message_id", "goes_to")
    ),
    Many(_ID),
)
_ROOTS = CompiledQuery(
    lambda roots: (
        EmailMessage.objects.filter(thread_root__in=roots, incident__isnull=False)
        .order_by("sent_at", "pk")
        .values_list("thread_root", "incident_id")
    ),
    Many(_ID),
)
_UNLINKED = CompiledQuery(lambda: Incident.objects.filter(no_thread_linking=True).values_list("pk"))
_CODES = CompiledQuery(
    lambda codes: (
        Incident.objects.filter(code__in=codes)
        .annotate(
            goes_to=Coalesce(merged_into(OuterRef("pk")), "pk", output_field=BigIntegerField())
        )
        .values_list("code", "goes_to")
    ),
    Many(_ID),
)


class ThreadIndex:
    """Known Message-IDs → incident for one batch, plus what the batch itself links."""

    def __init__(self, batch: list[ParsedEmail]) -> None:
        ids = sorted({mid for parsed in batch for mid in thread_ids(parsed)})
        self.stored: dict[str, int | None] = {}
        self.outbox: dict[str, int] = {}
        self._looked_up: set[str] = set()
        self._load(ids)
        codes = sorted({code for parsed in batch for code in subject_codes(parsed.subject)})
        self.roots: dict[str, int] = {}
        roots = sorted({parsed.thread_root for parsed in batch if parsed.thread_root})
        for chunk in _chunks(roots):
            for root, incident_id in _ROOTS.rows(chunk):
                self.roots.setdefault(root, incident_id)
        self.unlinked = {pk for (pk,) in _UNLINKED.rows()}
        self.codes: dict[str, int] = {}
        for chunk in _chunks(codes):
            self.codes.update((code.upper(), pk) for code, pk in _CODES.rows(chunk))

    def _load(self, ids: list[str]) -> None:
        missing = [mid for mid in ids if mid not in self._looked_up and mid not in self.stored]
        self._looked_up.update(missing)
        for chunk in _chunks(missing):
            self.stored.update(_STORED.rows(chunk))
            self.outbox.update(_OUTBOX.rows(chunk))

    def remember(self, parsed: ParsedEmail, incident_id: object) -> None:
        """A message of this batch is stored (so later ones in the batch can thread on it).
        ``incident_id`` may also be an incident the batch opens but has not created yet
        (``emails.services.Opening``): it is returned as found for the messages answering."""
        self.stored[parsed.message_id] = incident_id
        if incident_id is not None and parsed.thread_root:
            self.roots.setdefault(parsed.thread_root, incident_id)

    def _ancestors(self, message_ids: list[str]) -> list[str]:
        """Message-IDs that stored-but-unlinked messages answer (one more level up)."""
        ids = EmailMessage.objects.filter(message_id__in=message_ids, incident__isnull=True)
        parents = list(ids.exclude(in_reply_to="").values_list("in_reply_to", flat=True))
        parents += EmailReference.objects.filter(
            email__message_id__in=message_ids, email__incident__isnull=True
        ).values_list("message_id", flat=True)
        return parents

    def find(self, parsed: ParsedEmail) -> int | None:
        """The incident the message belongs to, or None."""
        return self.match(parsed)[0]

    def match(self, parsed: ParsedEmail) -> tuple[int | None, str]:
        """(incident, how it was found): ``headers``, ``code`` (the subject, which anyone can
        write), ``conversation`` (Thread-Index) or ``""`` — never an incident that must not be
        linked to by thread."""
        incident_id, how = self._match(parsed)
        if incident_id in self.unlinked:
            return None, ""
        return incident_id, how

    def _match(self, parsed: ParsedEmail) -> tuple[int | None, str]:
        ids = thread_ids(parsed)
        visited: set[str] = {parsed.message_id}
        for _round in range(MAX_ANCESTOR_ROUNDS):
            fresh = [mid for mid in ids if mid not in visited]
            if not fresh:
                break
            visited.update(fresh)
            self._load(fresh)
            for mid in fresh:
                if self.stored.get(mid):
                    return self.stored[mid], HEADERS
            for mid in fresh:
                if mid in self.outbox:
                    return self.outbox[mid], HEADERS
            unlinked = [mid for mid in fresh if mid in self.stored]
            ids = self._ancestors(unlinked) if unlinked else []
        for code in subject_codes(parsed.subject):
            if code in self.codes:
                return self.codes[code], CODE
        root = self.roots.get(parsed.thread_root) if parsed.thread_root else None
        return root, (CONVERSATION if root is not None else "")
