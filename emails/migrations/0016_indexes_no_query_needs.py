"""Indexes no query needs, written for every stored e-mail: dropped.

- The e-mail's own index on a foreign key that a unique constraint already starts with
  (a location's folder, a reference's, recipient's and attachment's e-mail): the constraint's
  index answers every lookup and join by that key.
- PostgreSQL only: the ``varchar_pattern_ops`` copies Django adds beside each indexed text
  column, for ``LIKE 'prefix%'`` under a non-C collation. Message-IDs, In-Reply-To, Exchange
  conversations and sender addresses are only ever compared whole (the sender search has its own
  ``UPPER`` index, migration 0015).

Five index entries fewer a message at ingest, more for a reply with references (issue #23:
7 of 8 alternated runs faster, median +6 %). The model state changes with them (``db_index=False``);
the database drops the index instead of rebuilding the table as SQLite's AlterField would.
Recipients and attachments are read in the order they were written (``ordering = ["id"]``):
without an ORDER BY they came in the order of whichever index found them.
"""

from importlib import import_module

import django.db.models.deletion
from django.db import migrations, models

# Run only on PostgreSQL, as migration 0014's SQL is.
_on_postgresql = import_module("emails.migrations.0014_search_document_after_commit")._on_postgresql

# (table, column, index) of each foreign key's own index
FOREIGN_KEY_INDEXES = [
    ("emails_emailattachment", "email_id", "emails_emailattachment_email_id_e588925a"),
    ("emails_emaillocation", "folder_id", "emails_emaillocation_folder_id_e989a962"),
    ("emails_emailrecipient", "email_id", "emails_emailrecipient_email_id_0c18e363"),
    ("emails_emailreference", "email_id", "emails_emailreference_email_id_cd88af5a"),
]
LIKE_INDEXES = [
    ("emails_emailmessage", "message_id", "emails_emailmessage_message_id_15b8b3ed_like"),
    ("emails_emailmessage", "in_reply_to", "emails_emailmessage_in_reply_to_79b630f0_like"),
    ("emails_emailmessage", "thread_root", "emails_emailmessage_thread_root_a6514c84_like"),
    ("emails_emailmessage", "from_address", "emails_emailmessage_from_address_84a8d129_like"),
    ("emails_emailreference", "message_id", "emails_emailreference_message_id_6fa8ad24_like"),
]


def drop_indexes(foreign_keys, like):
    """Operations dropping ``foreign_keys``' indexes everywhere and the ``like`` ones on
    PostgreSQL (where Django made them); backwards they are made again."""
    return [
        migrations.RunSQL(
            f'DROP INDEX IF EXISTS "{index}"',
            reverse_sql=f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" ("{column}")',
        )
        for table, column, index in foreign_keys
    ] + [
        migrations.RunPython(
            _on_postgresql(f'DROP INDEX IF EXISTS "{index}"'),
            _on_postgresql(
                f'CREATE INDEX IF NOT EXISTS "{index}" ON "{table}" ("{column}" varchar_pattern_ops)'
            ),
        )
        for table, column, index in like
    ]


def without_index(model_name: str, name: str, **foreign_key) -> migrations.AlterField:
    """The model state of foreign key ``model_name.name`` with ``db_index=False``."""
    return migrations.AlterField(
        model_name=model_name, name=name, field=models.ForeignKey(db_index=False, **foreign_key)
    )


CASCADE = django.db.models.deletion.CASCADE


class Migration(migrations.Migration):
    dependencies = [("emails", "0015_sender_search_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                without_index(
                    "emailattachment",
                    "email",
                    on_delete=CASCADE,
                    related_name="attachments",
                    to="emails.emailmessage",
                ),
                without_index(
                    "emaillocation",
                    "folder",
                    on_delete=CASCADE,
                    related_name="locations",
                    to="emails.mailfolder",
                ),
                without_index(
                    "emailrecipient",
                    "email",
                    on_delete=CASCADE,
                    related_name="recipients",
                    to="emails.emailmessage",
                ),
                without_index(
                    "emailreference",
                    "email",
                    on_delete=CASCADE,
                    related_name="references",
                    to="emails.emailmessage",
                ),
            ],  # fmt: skip
            database_operations=drop_indexes(FOREIGN_KEY_INDEXES, LIKE_INDEXES),
        ),
        # read in the order they were written, not in the unique index's, which now finds them
        migrations.AlterModelOptions(
            name="emailattachment",
            options={
                "ordering": ["id"],
                "verbose_name": "attachment",
                "verbose_name_plural": "attachments",
            },
        ),
        migrations.AlterModelOptions(
            name="emailrecipient",
            options={
                "ordering": ["id"],
                "verbose_name": "recipient",
                "verbose_name_plural": "recipients",
            },
        ),
    ]
