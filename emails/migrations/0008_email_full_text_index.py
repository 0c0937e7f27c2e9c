"""A GIN index for the e-mail search on PostgreSQL (``emails.search``); nothing elsewhere."""

from django.db import migrations

INDEX = "email_fts_idx"
# Frozen copy of emails.search.fts_document() (a test keeps them equal).
DOCUMENT = (
    "to_tsvector('russian'::regconfig, coalesce(subject, '') || ' ' || coalesce(from_name, '') "
    "|| ' ' || coalesce(from_address, '') || ' ' || left(coalesce(body_text, ''), 100000))"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON emails_emailmessage USING gin (({DOCUMENT}))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("emails", "0007_emailmessage_review_duplicate_of")]

    operations = [migrations.RunPython(create, drop)]
