"""Search of stored e-mails: subject, sender, body and the incident code.

PostgreSQL: full-text search with the ``russian`` configuration (so «опора» finds «опоре»,
«опоры»), over the same expression as the ``email_fts_idx`` GIN index (bodies cut at
``FTS_BODY_CHARS``, so that no message can exceed the tsvector size limit), plus the incident
code and the sender's address. Elsewhere (SQLite): a case-insensitive substring search.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from emails.models import EmailMessage
from emails.threading import subject_codes

FTS_CONFIG = "russian"
FTS_BODY_CHARS = 100_000


def fts_document(table: str = "") -> str:
    """The indexed document; the index (migration emails 0008) is built on exactly this
    expression (its columns unqualified; queries qualify them with ``table``)."""
    t = f'"{table}".' if table else ""
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
    """(annotations, filter) finding e-mails whose indexed document (subject, sender, body)
    matches ``text``: Russian word forms on PostgreSQL (the GIN index answers it), a
    case-insensitive substring elsewhere."""
    if connection.vendor == "postgresql":
        table = EmailMessage._meta.db_table
        # A constant of this module (no input in it): the indexed expression.
        document = RawSQL(fts_document(table), [], output_field=SearchVectorField())  # noqa: S611
        query = SearchQuery(text, config=FTS_CONFIG, search_type="websearch")
        return {"document": document}, Q(document=query)
    q = Q(pk__in=[])
    for spelling in {text, text.lower(), text.upper(), text.capitalize()}:
        q |= (
            Q(subject__icontains=spelling)
            | Q(body_text__icontains=spelling)
            | Q(from_address__icontains=spelling)
            | Q(from_name__icontains=spelling)
        )
    return {}, q
