"""The mail list's search by sender on PostgreSQL (``from_address`` equal to the text, case
folded: ``emails.search.search_emails``) answered by an index; without it that arm made the whole
search a sequential scan. Not on SQLite, whose search matches substrings (no index helps)."""

from importlib import import_module

from django.db import migrations

# Run only on PostgreSQL, as migration 0014's SQL is.
_on_postgresql = import_module("emails.migrations.0014_search_document_after_commit")._on_postgresql

INDEX = "email_sender_upper_idx"
FORWARD = f"CREATE INDEX IF NOT EXISTS {INDEX} ON emails_emailmessage (UPPER(from_address))"
BACKWARD = f"DROP INDEX IF EXISTS {INDEX}"


class Migration(migrations.Migration):
    dependencies = [("emails", "0014_search_document_after_commit")]

    operations = [migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD))]
