"""The queue's counters and rows come from statements compiled once a process
(``selectors._COUNTS``, ``selectors._ROWS``): they give what the ORM gives for the same
querysets, with this request's deadline, viewer and page, so a change shows at once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count, Index, Q
from django.urls import reverse
from django.utils import timezone

from console import selectors
from console.forms import QueueFilterForm
from dispatch.testing.postgres import vacuum
from incidents.models import Incident, SlaState
from incidents.tests.factories import make_request

pytestmark = pytest.mark.django_db
QUEUE = reverse("console:queue")


@pytest.fixture
def desk(dispatcher, incident_type):
    """Six open incidents, typed and unassigned, one of each counted kind (unread; untyped and
    late for the dispatcher SLA of 30 minutes; expired on the type's clock; two the
    dispatcher's own), and one finished."""
    now = timezone.now()
    made = [
        make_request(message_id=f"<s{n}@x>", sent_at=now - timedelta(hours=n)) for n in range(7)
    ]
    ids = [incident.pk for incident in made]
    Incident.objects.update(
        incident_type=incident_type, assignee=None, unread_since=None, sla_state=SlaState.UNKNOWN
    )
    Incident.objects.filter(pk=ids[0]).update(unread_since=now)
    Incident.objects.filter(pk=ids[2]).update(incident_type=None, first_action_at=None)
    Incident.objects.filter(pk=ids[3]).update(sla_state=SlaState.EXPIRED)
    Incident.objects.filter(pk__in=ids[4:6]).update(assignee=dispatcher)
    Incident.objects.filter(pk=ids[6]).update(is_finished=True, finished_at=now)
    return made


def _orm_counts(user) -> dict[str, int]:
    """The counters as a plain ORM aggregate (what the compiled statement must equal)."""
    return Incident.objects.filter(is_finished=False).aggregate(
        open=Count("id"),
        unread=Count("id", filter=Q(unread_since__isnull=False)),
        unassigned=Count("id", filter=Q(assignee__isnull=True)),
        untyped=Count("id", filter=Q(incident_type__isnull=True)),
        expired=Count("id", filter=selectors.overdue()),
        mine=Count("id", filter=Q(assignee=user)),
    )


def test_counters_equal_the_orm_and_follow_changes_at_once(desk, dispatcher, settings):
    settings.DISPATCHER_SLA_MINUTES = 30
    counts = selectors.queue_counts(dispatcher)
    assert counts == _orm_counts(dispatcher)
    assert counts == {
        "open": 6, "unread": 1, "unassigned": 4, "untyped": 1, "expired": 2, "mine": 2
    }  # fmt: skip

    settings.DISPATCHER_SLA_MINUTES = 60 * 24  # the untyped one is no longer late
    Incident.objects.filter(pk=desk[0].pk).update(assignee=dispatcher, unread_since=None)
    counts = selectors.queue_counts(dispatcher)
    assert counts == _orm_counts(dispatcher)
    assert counts["expired"] == 1 and counts["mine"] == 3 and counts["unread"] == 0


def test_counters_without_a_viewer_have_no_mine(desk):
    counts = selectors.queue_counts()
    assert "mine" not in counts and counts["open"] == 6


def test_header_links_show_the_counts_of_this_viewer(client, desk, dispatcher, admin_user):
    client.force_login(dispatcher)
    assert '<strong data-count="mine">2</strong>' in client.get(QUEUE).text
    client.force_login(admin_user)
    assert '<strong data-count="mine">0</strong>' in client.get(QUEUE).text


@pytest.mark.parametrize("sort", [key for key, _ in QueueFilterForm.base_fields["sort"].choices])
def test_every_sort_lists_the_rows_in_the_queues_order(client, desk, dispatcher, sort):
    Incident.objects.filter(pk=desk[1].pk).update(sla_deadline=None)  # empty sorts last
    client.force_login(dispatcher)
    page = client.get(QUEUE, {"sort": sort, "scope": "all"}).text
    shown = [int(pk) for pk in re.findall(r'data-incident="(\d+)"', page)]
    filters = selectors.QueueFilters(sort=sort, scope=selectors.SCOPE_ALL)
    expected = list(selectors.queue_incidents(filters, dispatcher).values_list("pk", flat=True))
    assert shown == expected and len(shown) == 7


def test_a_page_past_the_filters_matches_shows_no_rows(client, desk, dispatcher):
    client.force_login(dispatcher)
    page = client.get(QUEUE, {"q": "nothing-matches-this"}).text
    assert "data-incident=" not in page


def test_each_statement_is_compiled_once(client, desk, dispatcher):
    """A rows statement a sort order and the counters, compiled by the first view alone."""
    client.force_login(dispatcher)
    statements = [*selectors._ROWS.values(), selectors._COUNTS]
    assert list(selectors._ROWS) == list(selectors.SORTS)
    compiled = []
    for _ in range(2):
        for sort in selectors.SORTS:
            client.get(QUEUE, {"sort": sort})
        compiled.append([query._compiled.get(Incident.objects.db) for query in statements])
    first, second = compiled
    assert first[-1] is not None and sum(found is not None for found in first) > 2
    assert all(was is now for was, now in zip(first, second, strict=True))


def test_rows_statement_joins_nothing(client, desk, dispatcher):
    """The page's references are read by a subquery each: PostgreSQL planned the seven-way
    join anew on every view (1.8-3 ms, ten times what it took to run)."""
    client.force_login(dispatcher)
    client.get(QUEUE)
    sql = selectors._ROWS[selectors.DEFAULT_SORT].sql(Incident.objects.db)
    assert " JOIN " not in sql.upper()
    assert sql.count("(SELECT ") == 9  # 8 references and the page's ids


def _open_index() -> Index:
    (index,) = (found for found in Incident._meta.indexes if found.name == "inc_open_idx")
    return index


def test_counters_read_only_columns_the_open_index_holds(dispatcher):
    """The counters are an index-only scan of the open incidents' index on PostgreSQL: it
    must hold every column the statement reads (a counter reading a new column needs it too)."""
    sql = selectors._COUNTS.sql(Incident.objects.db)
    read = set(re.findall(r'"incidents_incident"\."(\w+)"', sql))
    index = _open_index()
    held = {Incident._meta.get_field(name).column for name in (*index.fields, *index.include)}
    assert read and read <= held, read - held
    assert index.condition == Q(is_finished=False) and " WHERE NOT " in sql


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
@pytest.mark.django_db(transaction=True)
def test_counters_are_an_index_only_scan_without_heap_fetches(desk, dispatcher):
    """Vacuumed (as autovacuum keeps the table: migration 0018), the counters read the open
    incidents' index alone: no heap page, so their cost does not grow with the table."""
    sql, params = selectors._COUNTS.bind(
        selectors.dispatcher_deadline(), dispatcher.pk, using=Incident.objects.db
    )
    with connection.cursor() as cursor:
        vacuum(cursor, "incidents_incident")
        cursor.execute("SET enable_seqscan = off")  # seven rows: a plain scan would be cheaper
        try:
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", params)
            plan = "\n".join(line for (line,) in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
    assert "Index Only Scan using inc_open_idx" in plan, plan
    assert "Heap Fetches: 0" in plan, plan
