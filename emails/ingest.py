"""The ingestion pipeline for one mailbox folder.

Steps per cycle: lock the folder → open it read-only → check UIDVALIDITY (a change restarts the
cursor; known messages are recognised by Message-ID and not downloaded again) → list new UIDs →
per batch: fetch Message-IDs, skip what is stored (after a re-sync), fetch the rest, parse, then
in ONE transaction store + thread + create incidents + quarantine failures + advance the UID
cursor. Nothing is acknowledged before it is committed, so a killed worker loses and duplicates
nothing. With more than one part the next part is parsed in a parser process while the worker
commits the one before (:mod:`emails.parse_ahead`), and the part after it downloads on a thread
(:mod:`emails.fetch_ahead`); parts are still committed in UID order. On PostgreSQL the e-mails'
search documents are left out of the intake: the worker's next cycle fills them before it reads
the mailbox, and search computes the document of an e-mail still without one
(:mod:`emails.search_index`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from emails.fetch_ahead import FetchAhead
from emails.folders import decode_folder_name
from emails.locks import folder_lock, lock_mailbox_for_transaction
from emails.models import EmailLocation, EmailMessage, MailFolder, QuarantinedEmail
from emails.parse_ahead import Outcome, ParseAhead, parse_outcomes
from emails.parsing.headers import normalise_message_id
from emails.search_index import defer_in_transaction, deferred_on
from emails.services import (
    Incoming,
    StoreResult,
    add_locations,
    advance_cursor,
    get_folder,
    quarantine,
    store_messages,
)
from emails.sources.base import FetchedMessage, FolderReader, MailSource
from ts.recognition import index_ready, prepare_index

logger = logging.getLogger(__name__)

# Messages downloaded and committed together stay under this many bytes (one bigger message is
# still taken alone), so a mailbox full of large attachments cannot exhaust memory.
MAX_BATCH_BYTES = 32 * 1024 * 1024
_CHUNK = 500


@dataclass
class IngestReport:
    folder: str
    fetched: int = 0
    quarantined: int = 0
    skipped_known: int = 0
    locked: bool = False
    resynced: bool = False
    batches: int = 0
    parsed_ahead: int = 0  # parts parsed in the parser process (emails.parse_ahead)
    result: StoreResult = field(default_factory=StoreResult)

    def summary(self) -> str:
        if self.locked:
            return f"{self.folder}: busy (another worker holds the lock)"
        r = self.result
        return (
            f"{self.folder}: fetched={self.fetched} stored={r.stored} incidents={r.incidents} "
            f"linked={r.linked} duplicates={r.duplicates} known={self.skipped_known} "
            f"quarantined={self.quarantined}{' resynced' if self.resynced else ''}"
        )


def _known_uids(folder: MailFolder, uidvalidity: int, uids: list[int]) -> set[int]:
    known: set[int] = set()
    for start in range(0, len(uids), _CHUNK):
        chunk = uids[start : start + _CHUNK]
        known.update(
            EmailLocation.objects.filter(
                folder=folder, uidvalidity=uidvalidity, uid__in=chunk
            ).values_list("uid", flat=True)
        )
        known.update(
            QuarantinedEmail.objects.filter(
                folder=folder, uidvalidity=uidvalidity, uid__in=chunk
            ).values_list("uid", flat=True)
        )
    return known


def _parse(
    fetched: list[FetchedMessage], outcomes: list[Outcome] | None = None
) -> tuple[list[Incoming], list[tuple[FetchedMessage, str]]]:
    """Parsed messages and failures (quarantined) of a part, parsed here unless ``outcomes``
    come from the parser process."""
    if outcomes is None:
        outcomes = parse_outcomes([(message.raw, message.internal_date) for message in fetched])
    good, bad = [], []
    for message, outcome in zip(fetched, outcomes, strict=True):
        if isinstance(outcome, str):
            bad.append((message, outcome))
        else:
            good.append(Incoming(message.uid, message.raw, outcome, message.internal_date))
    return good, bad


def _commit_batch(
    folder: MailFolder,
    uidvalidity: int,
    last_uid: int,
    incoming: list[Incoming],
    failed: list[tuple[FetchedMessage, str]],
    known: list[tuple[int, int]],
    *,
    defer_search: bool = False,
) -> StoreResult:
    """Store a parsed batch, its quarantine and the cursor in one transaction; with
    ``defer_search`` its e-mails' search documents are left for the sweep
    (:func:`emails.search_index.sweep`)."""
    with transaction.atomic():
        lock_mailbox_for_transaction(folder.mailbox)
        if defer_search:
            defer_in_transaction()
        result = store_messages(folder, uidvalidity, incoming)
        add_locations(folder, uidvalidity, known)
        for message, error in failed:
            quarantine(folder, uidvalidity, message.uid, message.raw, error, _raw_mid(message.raw))
        advance_cursor(folder, uidvalidity, last_uid)
    return result


def _commit_one_by_one(
    folder: MailFolder,
    uidvalidity: int,
    last_uid: int,
    incoming: list[Incoming],
    failed: list[tuple[FetchedMessage, str]],
    known: list[tuple[int, int]],
    *,
    defer_search: bool = False,
) -> tuple[StoreResult, int]:
    """After a batch failed: each message in its own transaction; failures are quarantined."""
    result = StoreResult()
    for item in incoming:
        try:
            result.add(
                _commit_batch(folder, uidvalidity, 0, [item], [], [], defer_search=defer_search)
            )
        except DatabaseError as exc:
            logger.warning("store failed uid=%s: %s", item.uid, type(exc).__name__)
            failed.append((FetchedMessage(item.uid or 0, item.raw), f"store failed: {exc}"))
    _commit_batch(folder, uidvalidity, last_uid, [], failed, known)
    return result, len(failed)


def _raw_mid(raw: bytes) -> str:
    for line in raw[:65536].splitlines():
        if not line.strip():
            break
        if line[:11].lower() == b"message-id:":
            return normalise_message_id(line[11:].decode("ascii", "replace"))
    return ""


@dataclass
class _Part:
    """A fetched part of a folder on its way to one transaction."""

    uids: list[int]
    known: list[tuple[int, int]]  # (stored e-mail, UID) of messages not downloaded again
    fetched: list[FetchedMessage]


class _Pipeline:
    """Parts flow fetch → parse → commit, committed in order. With ``ahead`` the next part is
    parsed in the parser process while this process parses or commits the one before (the
    first part is held until a second comes, so a poll of one part starts no process). A worker
    that has not built its pole index yet sends the first part to the parser process too and
    builds the index meanwhile, instead of parsing the part and then building the index."""

    def __init__(
        self,
        folder: MailFolder,
        uidvalidity: int,
        report: IngestReport,
        ahead: bool,
        defer_search: bool = False,
    ) -> None:
        self.folder, self.uidvalidity, self.report = folder, uidvalidity, report
        self.ahead = ParseAhead() if ahead else None
        self.defer_search = defer_search  # search documents left for the next cycle's sweep
        self.held: _Part | None = None  # fetched, not parsed
        self.parsing: _Part | None = None  # in the parser process

    def add(self, part: _Part) -> None:
        if self.ahead is None:
            self._commit(part, None)
        elif self.parsing is not None:
            previous, outcomes = self.parsing, self.ahead.result()
            self._send(part)
            self._commit(previous, outcomes)
        elif self.held is not None:
            previous, self.held = self.held, None
            if index_ready():
                self._send(part)
                self._commit(previous, None)
            else:  # a cold worker builds the pole index while the parser process takes this part
                self._send(previous)
                with contextlib.suppress(DatabaseError):  # the commit meets it, as it would
                    prepare_index()
                outcomes = self.ahead.result()
                self._send(part)
                self._commit(previous, outcomes)
        else:
            self.held = part

    def finish(self) -> None:
        """Commit what is in hand (in order)."""
        if self.held is not None:
            part, self.held = self.held, None
            self._commit(part, None)
        if self.parsing is not None:
            if self.ahead is None:
                raise RuntimeError("a part is being parsed without a parser process")
            part, outcomes = self.parsing, self.ahead.result()
            self.parsing = None
            self._commit(part, outcomes)

    def close(self) -> None:
        """Stop the parser process; a part not committed is dropped (its UIDs stay new)."""
        if self.ahead is not None:
            self.ahead.close()

    def _send(self, part: _Part) -> None:
        if self.ahead is None:
            raise RuntimeError("no parser process to send the part to")
        self.ahead.submit([(message.raw, message.internal_date) for message in part.fetched])
        self.parsing = part
        self.report.parsed_ahead += 1

    def _commit(self, part: _Part, outcomes: list[Outcome] | None) -> None:
        """Parse (unless parsed) and commit one part: one transaction, cursor advanced to its
        last UID."""
        folder, uidvalidity, report = self.folder, self.uidvalidity, self.report
        incoming, failed = _parse(part.fetched, outcomes)
        last_uid = max(part.uids)
        defer = self.defer_search
        try:
            result = _commit_batch(
                folder, uidvalidity, last_uid, incoming, list(failed), part.known,
                defer_search=defer,
            )  # fmt: skip
            quarantined = len(failed)
        except DatabaseError:
            logger.exception("batch failed in %s; storing one by one", folder)
            result, quarantined = _commit_one_by_one(
                folder, uidvalidity, last_uid, incoming, list(failed), part.known,
                defer_search=defer,
            )  # fmt: skip
        report.batches += 1
        report.result.add(result)
        report.quarantined += quarantined


def window_parts(reader: FolderReader, uids: list[int], report: IngestReport) -> Iterator[_Part]:
    """Fetch one window of UIDs in parts of bounded size. After a UIDVALIDITY change messages
    whose Message-ID is stored are not downloaded again (the same mailbox, renumbered);
    otherwise they are, since a new message may reuse a stored Message-ID with other content
    (``emails.reused_ids`` tells a copy from a different message)."""
    headers = reader.fetch_headers(uids)
    ids = {uid: normalise_message_id(info.message_id) for uid, info in headers.items()}
    wanted = [mid for mid in ids.values() if mid] if report.resynced else []
    stored = (
        dict(EmailMessage.objects.filter(message_id__in=wanted).values_list("message_id", "pk"))
        if wanted
        else {}
    )
    part: list[int] = []
    part_bytes = 0
    for uid in uids:
        size = 0 if ids.get(uid, "") in stored or uid not in headers else headers[uid].size
        if part and part_bytes + size > MAX_BATCH_BYTES:
            yield _fetch_part(reader, part, ids, stored, report)
            part, part_bytes = [], 0
        part.append(uid)
        part_bytes += size
    if part:
        yield _fetch_part(reader, part, ids, stored, report)


def folder_parts(
    reader: FolderReader, uids: list[int], batch_size: int, report: IngestReport
) -> Generator[_Part]:
    """Every part of the new ``uids``, window by window of ``batch_size`` UIDs."""
    for start in range(0, len(uids), batch_size):
        yield from window_parts(reader, uids[start : start + batch_size], report)


def _fetch_part(
    reader: FolderReader,
    uids: list[int],
    ids: dict[int, str],
    stored: dict[str, int],
    report: IngestReport,
) -> _Part:
    """Download one part (messages already stored are only located)."""
    known = [(stored[ids[uid]], uid) for uid in uids if ids.get(uid, "") in stored]
    report.skipped_known += len(known)
    to_fetch = [uid for uid in uids if ids.get(uid, "") not in stored]
    fetched = list(reader.fetch(to_fetch)) if to_fetch else []
    report.fetched += len(fetched)
    return _Part(uids, known, fetched)


def ingest_folder(
    source: MailSource,
    name: str,
    *,
    batch_size: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> IngestReport:
    """Ingest everything new in folder ``name`` (any form :mod:`emails.folders` accepts). On
    PostgreSQL the new e-mails are stored without their search documents: the worker's next
    cycle fills them (:func:`emails.search_index.fill_pending`); search finds them meanwhile
    (:func:`emails.search.search_text`)."""
    name = decode_folder_name(name)
    report = IngestReport(folder=name)
    folder = get_folder(source.identity, name)
    batch_size = batch_size or settings.PARSING_EMAIL_BATCH_SIZE
    with folder_lock(source.identity, name) as acquired:
        if not acquired:
            report.locked = True
            return report
        folder.refresh_from_db()
        with source.open_folder(name) as reader:
            if folder.uidvalidity is not None and folder.uidvalidity != reader.uidvalidity:
                logger.warning(
                    "UIDVALIDITY of %s changed %s → %s: re-syncing by Message-ID",
                    folder,
                    folder.uidvalidity,
                    reader.uidvalidity,
                )
                folder.last_uid = 0
                MailFolder.objects.filter(pk=folder.pk).update(
                    last_uid=0, uidvalidity=reader.uidvalidity
                )
                report.resynced = True
            uids = reader.uids_after(folder.last_uid)
            known = _known_uids(folder, reader.uidvalidity, uids)
            uids = [uid for uid in uids if uid not in known]
            ahead = settings.PARSING_EMAIL_PARSE_AHEAD
            pipeline = _Pipeline(folder, reader.uidvalidity, report, ahead, deferred_on())
            parts = folder_parts(reader, uids, batch_size, report)
            # the next part downloads while this one commits; a re-sync's parts read the database
            fetched: Generator[_Part] | FetchAhead[_Part] = (
                parts if report.resynced else FetchAhead(parts)
            )
            try:
                for part in fetched:
                    if should_stop():
                        break
                    pipeline.add(part)
                pipeline.finish()
            finally:
                fetched.close()  # a download in hand is waited for; a part not taken is dropped
                pipeline.close()
        MailFolder.objects.filter(pk=folder.pk).update(last_polled_at=timezone.now())
    return report
