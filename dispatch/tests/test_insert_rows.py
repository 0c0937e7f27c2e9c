"""Rows inserted without model instances (dispatch/statements/insert.py) are the rows the ORM
writes — every column, defaults included — with their ids back in order, conflicts skipped on
request, any values (quotes, placeholders, NUL bytes) carried as values, and one statement
however many rows."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dispatch.statements.insert import _moment, insert_rows
from emails.models import EmailLocation, EmailMessage, EmailRaw, MailFolder
from incidents.defaults import load_defaults
from incidents.models import Incident, StatusKey
from incidents.selectors import get_status_id

pytestmark = pytest.mark.django_db
MOMENT = datetime(2026, 12, 4, 10, 30, 15, 123456, tzinfo=UTC)
ODD = 'It\'s "quoted" \\ 100%s $1 %% ?, Ёлка\n'


def stored(model, pk: int) -> dict:
    row = model_to_dict(model.objects.get(pk=pk))
    row.pop("id", None)
    return row


def test_every_column_is_what_the_orm_writes_defaults_included():
    load_defaults()
    status = get_status_id(StatusKey.NEW)
    values = {
        "code": "X-1", "subject": ODD, "requester_email": "a@b.ru", "source": "email",
        "incident_date": MOMENT, "status_id": status, "created_at": MOMENT,
        "updated_at": MOMENT,
    }  # fmt: skip
    orm = Incident(**values)
    Incident.objects.bulk_create([orm])
    values["code"] = "X-2"
    fields = [name.removesuffix("_id") for name in values]
    (pk,) = insert_rows(Incident, fields, [tuple(values.values())], returning=True)
    mine, theirs = stored(Incident, pk), stored(Incident, orm.pk)
    assert mine.pop("code") == "X-2" and theirs.pop("code") == "X-1"
    assert mine == theirs
    assert mine["sla_state"] == "unknown" and mine["is_finished"] is False


def test_ids_come_back_in_the_rows_order_and_datetimes_keep_their_microseconds():
    rows = [
        (f"<{n}@x>", ODD * (n % 9), MOMENT - timedelta(days=n), MOMENT, n % 2 == 0)
        for n in range(300)
    ]
    fields = ["message_id", "subject", "sent_at", "received_at", "is_first"]
    with CaptureQueriesContext(connection) as queries:
        pks = insert_rows(EmailMessage, fields, rows, returning=True)
    # PostgreSQL: the ids drawn, then one COPY; elsewhere one INSERT … RETURNING
    assert [q["sql"].split()[0] for q in queries] == (
        ["SELECT", "COPY"] if connection.vendor == "postgresql" else ["INSERT"]
    )
    assert pks == sorted(pks) and len(set(pks)) == 300
    by_pk = {email.pk: email for email in EmailMessage.objects.only(*fields).filter(pk__in=pks)}
    for pk, (mid, subject, sent_at, received_at, is_first) in zip(pks, rows, strict=True):
        email = by_pk[pk]
        assert (email.message_id, email.subject, email.sent_at) == (mid, subject, sent_at)
        assert (email.received_at, email.is_first) == (received_at, is_first)
    assert EmailMessage.objects.filter(tracker_state="pending", direction="in").count() == 300


def test_binary_values_are_stored_byte_for_byte():
    (pk,) = insert_rows(
        EmailMessage, ["message_id", "sent_at"], [("<r@x>", MOMENT)], returning=True
    )
    data = bytes(range(256)) * 50 + ODD.encode()
    insert_rows(EmailRaw, ["email", "data"], [(pk, data)])
    assert bytes(EmailRaw.objects.get(pk=pk).data) == data


def test_every_statement_goes_through_the_connections_execute_wrappers():
    seen = []

    def counter(execute, sql, params, many, context):
        seen.append(sql.split()[0])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter), CaptureQueriesContext(connection) as queries:
        insert_rows(EmailMessage, ["message_id", "sent_at"], [("<w@x>", MOMENT)], returning=True)
    assert seen == [q["sql"].split()[0] for q in queries]  # the COPY too, on PostgreSQL
    assert EmailMessage.objects.filter(message_id="<w@x>").exists()


def test_a_row_the_table_refuses_raises_djangos_error_and_writes_nothing():
    insert_rows(EmailMessage, ["message_id", "sent_at"], [("<dup@x>", MOMENT)], returning=True)
    rows = [(f"<{n}@x>", MOMENT) for n in range(50)] + [("<dup@x>", MOMENT)]
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(EmailMessage, ["message_id", "sent_at"], rows, returning=True)
    assert EmailMessage.objects.count() == 1


def test_a_nullable_column_left_to_its_default_is_null_and_search_still_fills_it():
    (pk,) = insert_rows(
        EmailMessage, ["message_id", "subject", "sent_at"], [("<s@x>", "Опора", MOMENT)],
        returning=True,
    )  # fmt: skip
    email = EmailMessage.objects.get(pk=pk)
    assert (email.incident_id, email.duplicate_of_id) == (None, None)
    if connection.vendor == "postgresql":  # the trigger wrote the search document
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT search_document IS NOT NULL FROM emails_emailmessage WHERE id = %s", [pk]
            )
            assert cursor.fetchone() == (True,)


def test_conflicting_rows_are_skipped_on_request_in_one_statement():
    folder = MailFolder.objects.create(mailbox="m", name="INBOX")
    (pk,) = insert_rows(
        EmailMessage, ["message_id", "sent_at"], [("<l@x>", MOMENT)], returning=True
    )
    fields = ["email", "folder", "uidvalidity", "uid"]
    insert_rows(EmailLocation, fields, [(pk, folder.pk, 1, 5)], ignore_conflicts=True)
    with CaptureQueriesContext(connection) as queries:
        insert_rows(
            EmailLocation, fields, [(pk, folder.pk, 1, uid) for uid in range(1, 500)],
            ignore_conflicts=True,
        )  # fmt: skip
    assert len(queries) == 1
    assert EmailLocation.objects.count() == 499
    with pytest.raises(ValueError, match="cannot be returned"):
        insert_rows(
            EmailLocation, fields, [(pk, folder.pk, 1, 1)], ignore_conflicts=True, returning=True
        )


def test_nothing_to_insert_runs_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert insert_rows(EmailMessage, ["message_id"], [], returning=True) == []
    assert len(queries) == 0


MOMENTS = [
    MOMENT,
    MOMENT.replace(microsecond=0),  # str() drops a zero fraction, as Django's adapter does
    datetime(2026, 3, 29, 1, 59, 59, tzinfo=UTC),
    datetime(2026, 10, 25, 2, 30, tzinfo=timezone.get_fixed_timezone(180)),
    datetime(1970, 1, 1, tzinfo=zoneinfo.ZoneInfo("Asia/Vladivostok")),
    datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=zoneinfo.ZoneInfo("Europe/Moscow")),
    datetime(2026, 12, 4, 10, 30),  # naive: taken in the current time zone
]


@pytest.mark.parametrize("value", MOMENTS, ids=str)
def test_a_datetime_is_written_as_djangos_adapter_writes_it(value):
    if connection.vendor == "postgresql":
        pytest.skip("psycopg binds aware datetimes as they are")
    aware = timezone.make_aware(value) if timezone.is_naive(value) else value
    expected = connection.ops.adapt_datetimefield_value(aware)
    assert _moment(value, connection.timezone) == expected
