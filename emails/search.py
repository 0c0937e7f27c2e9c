"""Search of stored e-mails: subject, sender, body and the incident code.

PostgreSQL: full-text search with the ``russian`` configuration (so «опора» finds «опоре»,
«опоры») over the ``search_document`` column (GIN index ``email_search_idx``), which a trigger
fills with :func:`fts_document` when a row is inserted and again only when its subject, sender or
body change (migrations emails 0013, 0014) — updates of other columns never compute it again. The
ingest stores its e-mails without it and the next cycle fills it (:mod:`emails.search_index`);
until then a search computes the document of those rows (the partial index
``email_search_pending_idx`` finds them), so an e-mail is found the moment it is stored. Bodies
are cut at ``FTS_BODY_CHARS`` so that no message can exceed the tsvector size limit. Plus the
incident code and the sender's address. Elsewhere (SQLite): a case-insensitive substring search.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from emails.models import EmailMessage
from emails.threading import subject_codes

FTS_CONFIG = "russian"
FTS_BODY_CHARS = 100_000
FTS_COLUMN = "search_document"


def fts_document(record: str = "") -> str:
    """The document stored in ``search_document`` (migration emails 0013 holds a frozen copy):
    subject, sender and body; ``record`` qualifies the columns (the trigger's ``new``)."""
    t = f"{record}." if record else ""
    return (
        f"to_tsvector('{FTS_CONFIG}'::regconfig, coalesce({t}subject, '') || ' ' || "
        f"coalesce({t}from_name, '') || ' ' || coalesce({t}from_address, '') || ' ' || "
        f"left(coalesce({t}body_text, ''), {FTS_BODY_CHARS}))"
    )


def search_emails(text: str) -> tuple[dict, Q]:
    """(annotations, filter) finding e-mails that match ``text``: apply ``.alias(**annotations)
    .filter(q)``."""
    text = text.strip()
    codes = subject_codes(text)
    by_code = Q(incident__code__in=codes) if codes else Q(pk__in=[])
    annotations, by_text = search_text(text)
    if connection.vendor == "postgresql":
        return annotations, by_text | Q(from_address__iexact=text) | by_code
    return annotations, by_text | by_code


def search_text(text: str) -> tuple[dict, Q]:
    """(annotations, filter) finding e-mails whose document (subject, sender, body) matches
    ``text``: Russian word forms on PostgreSQL (the GIN index answers it; a row still without
    its stored document is matched on the document computed now), a case-insensitive substring
    elsewhere."""
    if connection.vendor == "postgresql":
        table = f'"{EmailMessage._meta.db_table}"'
        # Constants of this module (no input in them): the stored and the computed document.
        column = f"{table}.{FTS_COLUMN}"
        document = RawSQL(column, [], output_field=SearchVectorField())  # noqa: S611
        computed = RawSQL(fts_document(table), [], output_field=SearchVectorField())  # noqa: S611
        pending = RawSQL(f"{column} IS NULL", [], output_field=BooleanField())  # noqa: S611
        query = SearchQuery(text, config=FTS_CONFIG, search_type="websearch")
        annotations = {"document": document, "computed_document": computed}
        return annotations, Q(document=query) | (Q(pending) & Q(computed_document=query))
    q = Q(pk__in=[])
    for spelling in {text, text.lower(), text.upper(), text.capitalize()}:
        q |= (
            Q(subject__icontains=spelling)
            | Q(body_text__icontains=spelling)
            | Q(from_address__icontains=spelling)
            | Q(from_name__icontains=spelling)
        )
    return {}, q
