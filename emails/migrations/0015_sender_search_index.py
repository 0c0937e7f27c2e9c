"""The mail list's search by sender on PostgreSQL (``from_address`` equal to the text, case
folded: ``emails.search.search_emails``) answered by an index; without it that arm made the whole
search a sequential scan. Not on SQLite, whose search matches substrings (no index helps)."""

from django.db import migrations

INDEX = "email_sender_upper_idx"
FORWARD = f"CREATE INDEX IF NOT EXISTS {INDEX} ON emails_emailmessage (UPPER(from_address))"
BACKWARD = f"DROP INDEX IF EXISTS {INDEX}"


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("emails", "0014_search_document_after_commit")]

    operations = [migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD))]
