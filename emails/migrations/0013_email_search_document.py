"""The e-mail search's document stored in a column (PostgreSQL only; nothing elsewhere).

Until now the GIN index was built on the ``to_tsvector`` expression, so every update of an e-mail
row that could not stay on its page (any change of an indexed column: the tracker push state, the
incident link) computed the document again: ~1 ms of server CPU per e-mail of a typical body.
Now a trigger fills ``search_document`` when a row is inserted and again only when its subject,
sender or body really change; the index is on the column. The column is not a model field (the
ORM never reads the document; ``emails.search`` refers to it by name).
"""

from django.db import migrations

TABLE = "emails_emailmessage"
COLUMN = "search_document"
INDEX = "email_search_idx"
OLD_INDEX = "email_fts_idx"
FUNCTION = "emails_search_document"
# Frozen copy of emails.search.fts_document() (a test keeps them equal); {r} qualifies the columns.
DOCUMENT = (
    "to_tsvector('russian'::regconfig, coalesce({r}subject, '') || ' ' || "
    "coalesce({r}from_name, '') || ' ' || coalesce({r}from_address, '') || ' ' || "
    "left(coalesce({r}body_text, ''), 100000))"
)
SOURCES = ("subject", "from_name", "from_address", "body_text")
CHANGED = " OR ".join(f"new.{name} IS DISTINCT FROM old.{name}" for name in SOURCES)

FORWARD = f"""
ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS {COLUMN} tsvector;
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR {CHANGED} THEN
        new.{COLUMN} := {DOCUMENT.format(r="new.")};
    END IF;
    RETURN new;
END
$$;
CREATE TRIGGER {FUNCTION} BEFORE INSERT OR UPDATE OF {", ".join(SOURCES)} ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {FUNCTION}();
UPDATE {TABLE} SET {COLUMN} = {DOCUMENT.format(r="")};
CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} USING gin ({COLUMN});
DROP INDEX IF EXISTS {OLD_INDEX};
"""

BACKWARD = f"""
CREATE INDEX IF NOT EXISTS {OLD_INDEX} ON {TABLE} USING gin (({DOCUMENT.format(r="")}));
DROP TRIGGER IF EXISTS {FUNCTION} ON {TABLE};
DROP FUNCTION IF EXISTS {FUNCTION}();
ALTER TABLE {TABLE} DROP COLUMN IF EXISTS {COLUMN};
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("emails", "0012_email_incident_index_once")]

    operations = [migrations.RunPython(forward, backward)]
