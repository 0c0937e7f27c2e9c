"""Indexes no query needs, written for every new incident: dropped (as emails 0016 does for
every e-mail). An incident's status and dispatcher, and a status change's incident, are the
first columns of ``inc_status_date_idx``, ``inc_load_idx`` and ``inc_hist_order_idx``; the
``varchar_pattern_ops`` copy of the code (PostgreSQL) served ``LIKE 'prefix%'``, and codes are
searched as substrings (``icontains``) or whole."""

from importlib import import_module

import django.db.models.deletion
from django.conf import settings
from django.db import migrations

_emails_0016 = import_module("emails.migrations.0016_indexes_no_query_needs")
drop_indexes, without_index = _emails_0016.drop_indexes, _emails_0016.without_index

FOREIGN_KEY_INDEXES = [
    ("incidents_incident", "assignee_id", "incidents_incident_assignee_id_34068d21"),
    ("incidents_incident", "status_id", "incidents_incident_status_id_311d19ae"),
    (
        "incidents_incidentstatushistory",
        "incident_id",
        "incidents_incidentstatushistory_incident_id_09e74e36",
    ),
]
LIKE_INDEXES = [("incidents_incident", "code", "incidents_incident_code_e0c5565e_like")]


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0018_open_index_covers_queue_counters"),
        ("emails", "0016_indexes_no_query_needs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                without_index(
                    "incident", "assignee", blank=True, null=True,
                    on_delete=django.db.models.deletion.SET_NULL, related_name="incidents",
                    to=settings.AUTH_USER_MODEL, verbose_name="dispatcher",
                ),
                without_index(
                    "incident", "status", on_delete=django.db.models.deletion.PROTECT,
                    related_name="incidents", to="incidents.incidentstatus",
                    verbose_name="status",
                ),
                without_index(
                    "incidentstatushistory", "incident",
                    on_delete=django.db.models.deletion.CASCADE, related_name="status_history",
                    to="incidents.incident",
                ),
            ],  # fmt: skip
            database_operations=drop_indexes(FOREIGN_KEY_INDEXES, LIKE_INDEXES),
        )
    ]
