"""The ingest's e-mails get their search document after their batch commits (PostgreSQL only).

The trigger of migration 0013 computed ``to_tsvector`` (≈ 0.7 ms of server CPU per e-mail) inside
the ingest's transaction while the worker waited. Now a transaction that sets
``dispatch.search_deferred`` to ``on`` (the ingest's batch, ``emails.ingest``) inserts its e-mails
with ``search_document`` NULL, and the ingest's indexing thread fills them on its own connection
(``emails.search_index``) while the worker goes on; a sweep fills whatever is still NULL, through
the partial index added here. Every other insert (console, outbox, fixtures) and every change of
subject, sender or body still computes it at once, as before.
"""

from importlib import import_module

from django.db import migrations

# The table, trigger and frozen document of migration 0013 (a test keeps it equal to
# emails.search.fts_document()).
_0013 = import_module("emails.migrations.0013_email_search_document")
TABLE, COLUMN, FUNCTION = _0013.TABLE, _0013.COLUMN, _0013.FUNCTION
DOCUMENT, CHANGED = _0013.DOCUMENT, _0013.CHANGED
PENDING_INDEX = "email_search_pending_idx"
SETTING = "dispatch.search_deferred"


def _function(insert_test: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF {insert_test} THEN
            new.{COLUMN} := {DOCUMENT.format(r="new.")};
        END IF;
    ELSIF {CHANGED} THEN
        new.{COLUMN} := {DOCUMENT.format(r="new.")};
    END IF;
    RETURN new;
END
$$;
"""


FORWARD = _function(f"coalesce(current_setting('{SETTING}', true), '') <> 'on'") + (
    f"CREATE INDEX IF NOT EXISTS {PENDING_INDEX} ON {TABLE} (id) WHERE {COLUMN} IS NULL;"
)

BACKWARD = (
    f"UPDATE {TABLE} SET {COLUMN} = {DOCUMENT.format(r='')} WHERE {COLUMN} IS NULL;"
    f"DROP INDEX IF EXISTS {PENDING_INDEX};" + _function("true")
)


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("emails", "0013_email_search_document")]

    operations = [migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD))]
