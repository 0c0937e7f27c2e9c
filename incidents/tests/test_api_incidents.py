"""Incident API: representation with report fields, filters, pagination, fixed query counts,
e-mails."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dispatch.api import pagination
from dispatch.api.filters import day_start
from dispatch.api.testing import client_for, make_incident, make_site, make_user
from emails.models import EmailAttachment, EmailMessage, EmailRecipient
from incidents.defaults import load_defaults
from incidents.models import Incident, IncidentType, SlaState, StatusKey

pytestmark = pytest.mark.django_db

LIST = "api:incident-list"


@pytest.fixture(autouse=True)
def _defaults():
    load_defaults()


@pytest.fixture
def api():
    return client_for(make_user())


# Token, the shared rate-limit counter, count, the page's ids, those rows joined with status,
# type, subtype and dispatcher, then one each: poles with contractors, contractor e-mails, base
# stations, operators, and the status changes the report needs.
LIST_QUERIES = 10
# Token, the rate-limit counter, the status history with its users, the incident joined with
# status, type, subtype and dispatcher, then pole with contractor, contractor e-mails, base
# station, operators, e-mails, recipients, attachments.
DETAIL_QUERIES = 11


def populated_incident(n: int, kind: IncidentType, dispatcher):
    """An incident with every relation, three status changes and two e-mails with files."""
    pole, station = make_site(f"MSK-{n:04d}")
    incident = make_incident(
        pole=pole,
        base_station=station,
        incident_type=kind,
        assignee=dispatcher,
        statuses=(StatusKey.IN_PROGRESS, StatusKey.NOTIFIED_CONTRACTOR, StatusKey.CLOSED),
    )
    for m in range(2):
        email = EmailMessage.objects.create(
            message_id=f"<{n}.{m}@example.com>",
            subject="Авария",
            from_address="noc@operator.example",
            sent_at=timezone.now(),
            incident=incident,
        )
        EmailRecipient.objects.create(email=email, kind="to", address="dispatch@localhost")
        EmailAttachment.objects.create(
            email=email, filename="a.jpg", content_type="image/jpeg", size=1, sha256="0" * 64
        )
    return incident


def test_list_query_count_is_fixed_for_1_and_30_incidents(api, django_assert_num_queries):
    kind = IncidentType.objects.create(name="Авария БС", sla_minutes=240)
    dispatcher = make_user()
    populated_incident(1, kind, dispatcher)
    with django_assert_num_queries(LIST_QUERIES):
        assert api.get(reverse(LIST)).json()["count"] == 1
    for n in range(2, 31):
        populated_incident(n, kind, dispatcher)
    with django_assert_num_queries(LIST_QUERIES):
        body = api.get(reverse(LIST)).json()
    assert body["count"] == 30 and len(body["results"]) == 30
    assert all(
        row["contractor"] and row["report"]["is_vendor_sla_expired"] is False
        for row in body["results"]
    )


def test_detail_query_count_does_not_grow_with_history_and_emails(api, django_assert_num_queries):
    kind = IncidentType.objects.create(name="Авария БС", sla_minutes=240)
    incident = populated_incident(1, kind, make_user())
    with django_assert_num_queries(DETAIL_QUERIES):
        body = api.get(reverse("api:incident-detail", args=[incident.pk])).json()
    assert len(body["status_history"]) == 4 and len(body["emails"]) == 2


def test_incident_carries_relations_and_the_original_report_fields(api):
    kind = IncidentType.objects.create(name="Авария", sla_minutes=60)
    pole, station = make_site("SPB-7", region="Санкт-Петербург")
    incident = make_incident(
        pole=pole,
        base_station=station,
        incident_type=kind,
        statuses=(StatusKey.IN_PROGRESS, StatusKey.NOTIFIED_CONTRACTOR),
    )
    row = api.get(reverse(LIST)).json()["results"][0]
    assert row["id"] == incident.pk and row["code"] == incident.code
    assert row["status"] == {"key": "notified_contractor", "name": "Передано подрядчику"}
    assert row["pole"]["code"] == "SPB-7" and row["pole"]["region_ru"] == "Санкт-Петербург"
    assert {o["name"] for o in row["base_station"]["operators"]} == {"МТС", "Билайн"}
    assert len(row["contractor"]["emails"]) == 2
    report = row["report"]
    assert report["registration_method"] == "email"
    assert report["is_transferred_to_contractor"] is True
    assert report["transferred_to_contractor_at"] is not None
    assert report["vendor_sla_deadline"] is not None
    assert report["is_vendor_sla_expired"] is False


def test_vendor_sla_is_expired_when_the_contractor_finished_late(api):
    kind = IncidentType.objects.create(name="Авария", sla_minutes=30)
    incident = make_incident(incident_type=kind, statuses=(StatusKey.NOTIFIED_CONTRACTOR,))
    transfer = incident.status_history.get(status__key=StatusKey.NOTIFIED_CONTRACTOR)
    transfer.created_at = timezone.now() - timedelta(hours=2)
    transfer.save()
    from incidents.services import record_status

    record_status(incident, StatusKey.CLOSED, actor="console")
    report = api.get(reverse("api:incident-detail", args=[incident.pk])).json()["report"]
    assert report["is_vendor_sla_expired"] is True


def test_no_transfer_means_no_vendor_sla(api):
    make_incident(incident_type=IncidentType.objects.create(name="Т", sla_minutes=30))
    report = api.get(reverse(LIST)).json()["results"][0]["report"]
    assert report["is_transferred_to_contractor"] is False
    assert report["vendor_sla_deadline"] is None and report["is_vendor_sla_expired"] is None


def ids(api, **params) -> set[int]:
    response = api.get(reverse(LIST), params)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_filters_by_status_type_dispatcher_pole_region_sla_and_text(api):
    kind = IncidentType.objects.create(name="Питание", sla_minutes=60)
    dispatcher = make_user()
    msk_pole, msk_bs = make_site("MSK-1", region="Москва")
    spb_pole, _ = make_site("SPB-1", region="Санкт-Петербург")
    a = make_incident(subject="Нет питания", pole=msk_pole, base_station=msk_bs)
    b = make_incident(
        subject="Обрыв",
        pole=spb_pole,
        incident_type=kind,
        assignee=dispatcher,
        statuses=(StatusKey.IN_PROGRESS,),
    )
    b.sla_state = SlaState.EXPIRED
    b.save(update_fields=["sla_state"])

    assert ids(api, status="in_progress") == {b.pk}
    assert ids(api, status=["new", "in_progress"]) == {a.pk, b.pk}
    assert ids(api, type=kind.pk) == {b.pk}
    assert ids(api, dispatcher=dispatcher.pk) == {b.pk}
    assert ids(api, assigned="false") == {a.pk}
    assert ids(api, pole="msk-1") == {a.pk}
    assert ids(api, base_station=msk_bs.name) == {a.pk}
    assert ids(api, region="Петербург") == {b.pk}
    assert ids(api, sla_state="expired") == {b.pk}
    assert ids(api, is_finished="false") == {a.pk, b.pk}
    assert ids(api, search="питания") == {a.pk}
    assert ids(api, search=b.code) == {b.pk}


def test_date_range_is_inclusive_local_days(api):
    now = timezone.localtime()
    old = make_incident(when=now - timedelta(days=10))
    new = make_incident(when=now)
    today = now.date().isoformat()
    assert ids(api, incident_date_after=today) == {new.pk}
    assert ids(api, incident_date_before=today) == {old.pk, new.pk}
    earlier = (now - timedelta(days=10)).date().isoformat()
    assert ids(api, incident_date_before=earlier) == {old.pk}


def test_last_month_starts_on_the_first_day_of_the_previous_month(api):
    today = timezone.localdate()
    first_previous = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    before = make_incident(when=day_start(first_previous) - timedelta(minutes=1))
    inside = make_incident(when=day_start(first_previous))
    assert ids(api, last_month="true") == {inside.pk}
    assert ids(api, last_month="false") == {before.pk, inside.pk}


@pytest.mark.parametrize(
    "params",
    [
        {"status": "nonsense"},
        {"type": "abc"},
        {"dispatcher": "99999999999999999999999"},
        {"is_finished": "maybe"},
        {"incident_date_after": "2026-13-45"},
        {"sla_state": "green"},
        {"search": "a\x00b"},
        {"page": "0"},
        {"page": "x"},
        {"page_size": "201"},
        {"ordering": "password"},
        {"ordering": ""},
        {"ordering": "id,created_at"},
        {"type": ""},
        {"is_finished": ""},
        {"status": ""},
        {"dispatcher": ["1", "2"]},
        {"pole": ["a", "b"]},
        {"page": ["1", "2"]},
    ],
)
def test_bad_filter_values_are_400_with_the_error_schema(api, params):
    response = api.get(reverse(LIST), params)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["code"] == "invalid"
    assert set(body["errors"]) == set(params)


def test_pagination_pages_and_page_size(api):
    for n in range(5):
        make_incident(subject=f"#{n}")
    first = api.get(reverse(LIST), {"page_size": 2}).json()
    assert first["count"] == 5 and len(first["results"]) == 2 and first["next"]
    third = api.get(reverse(LIST), {"page_size": 2, "page": 3}).json()
    assert len(third["results"]) == 1 and third["next"] is None
    missing = api.get(reverse(LIST), {"page_size": 2, "page": 4})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


@pytest.fixture
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_small_counts_are_always_fresh(api, fresh_cache):
    make_incident()
    assert api.get(reverse(LIST)).json()["count"] == 1
    make_incident()
    assert api.get(reverse(LIST)).json()["count"] == 2


def test_a_large_count_is_reused_for_a_moment_per_query(api, fresh_cache, monkeypatch):
    monkeypatch.setattr(pagination, "LARGE_COUNT", 2)
    make_incident(subject="Питание"), make_incident(subject="Питание")
    assert api.get(reverse(LIST)).json()["count"] == 2
    make_incident(subject="Обрыв")
    with CaptureQueriesContext(connection) as ctx:
        body = api.get(reverse(LIST), {"page": 1}).json()
    assert body["count"] == 2 and len(body["results"]) == 3  # the count is reused…
    assert not any("COUNT(" in q["sql"] for q in ctx.captured_queries)
    assert api.get(reverse(LIST), {"search": "Обрыв"}).json()["count"] == 1  # …per query
    monkeypatch.setattr(pagination, "COUNT_REUSE_SECONDS", 0)
    cache.clear()
    assert api.get(reverse(LIST)).json()["count"] == 3


def test_detail_has_history_emails_and_attachment_metadata(api):
    incident = make_incident(statuses=(StatusKey.IN_PROGRESS,))
    email = EmailMessage.objects.create(
        message_id="<1@example.com>",
        subject="Авария",
        from_address="noc@operator.example",
        sent_at=timezone.now(),
        body_text="Нет связи",
        incident=incident,
        is_first=True,
    )
    EmailRecipient.objects.create(email=email, kind="to", address="dispatch@localhost")
    EmailAttachment.objects.create(
        email=email, filename="photo.jpg", content_type="image/jpeg", size=10, sha256="0" * 64
    )
    body = api.get(reverse("api:incident-detail", args=[incident.pk])).json()
    assert [h["status"]["key"] for h in body["status_history"]] == ["new", "in_progress"]
    assert body["emails"][0]["recipients"] == [
        {"kind": "to", "address": "dispatch@localhost", "name": ""}
    ]
    attachment = body["emails"][0]["attachments"][0]
    assert attachment["filename"] == "photo.jpg" and attachment["is_stored"] is False
    assert "body_text" not in body["emails"][0]
    emails = api.get(reverse("api:incident-emails", args=[incident.pk])).json()
    assert emails["count"] == 1 and emails["results"][0]["body_text"] == "Нет связи"


@pytest.mark.parametrize("pk", ["0", "abc", "9" * 30])
def test_unknown_or_malformed_ids_are_404_json(api, pk):
    response = api.get(f"/api/v1/incidents/{pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_unknown_api_path_is_404_json(api):
    response = api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response.json()["status"] == 404


def test_ordering_by_one_field_either_way(api):
    first, second = make_incident(), make_incident()
    rows = api.get(reverse(LIST), {"ordering": "id"}).json()["results"]
    assert [r["id"] for r in rows] == [first.pk, second.pk]
    rows = api.get(reverse(LIST), {"ordering": "-id"}).json()["results"]
    assert [r["id"] for r in rows] == [second.pk, first.pk]


def test_the_unfiltered_list_pages_in_the_lists_order_with_ties_by_id(api, fresh_cache):
    moment = timezone.now()
    for n in range(5):
        incident = make_incident(subject=f"#{n}")
        Incident.objects.filter(pk=incident.pk).update(incident_date=moment)
    make_incident(subject="newer")
    expected = list(Incident.objects.order_by("-incident_date", "-id").values_list("pk", flat=True))
    seen = []
    for page in (1, 2, 3):
        body = api.get(reverse(LIST), {"page_size": 2, "page": page}).json()
        assert body["count"] == 6
        seen += [row["id"] for row in body["results"]]
    assert seen == expected
    same = api.get(reverse(LIST), {"page_size": 6, "search": ""}).json()  # the filtered path
    assert [row["id"] for row in same["results"]] == expected
