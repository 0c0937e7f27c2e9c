"""Sender search of the mail list (`from_address` matched case-insensitively) by an index."""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("emails", "0014_search_document_after_commit"),
        ("incidents", "0018_open_index_covers_queue_counters"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="emailmessage",
            index=models.Index(
                django.db.models.functions.text.Upper("from_address"), name="email_sender_upper_idx"
            ),
        ),
    ]
