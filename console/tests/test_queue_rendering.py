"""The queue renders cheaply without ever showing stale data: memoised rows and filter fields,
a fixed number of queries however many rows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone, translation

from console import forms, rows, selectors
from console.forms import QueueFilterForm
from incidents.models import Incident, IncidentStatus, SlaState, StatusKey
from incidents.tests.factories import make_request, make_site

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, dispatcher):
    client.force_login(dispatcher)
    return client


def _row(incident: Incident) -> selectors.QueueRow:
    ids = Incident.objects.filter(pk=incident.pk).values("pk")
    (row,) = selectors.queue_rows(ids, selectors.QueueFilters())
    return row


def _html(row: selectors.QueueRow) -> str:
    return str(rows.render_rows([row])[0])


def test_queue_row_shows_every_column(dispatcher):
    pole, station = make_site("77-012345")
    incident = make_request(subject="Авария", pole=pole, base_station=station)
    Incident.objects.filter(pk=incident.pk).update(
        assignee=dispatcher, sla_state=SlaState.EXPIRED, sla_deadline=timezone.now()
    )
    html = _html(_row(incident))
    assert f'data-incident="{incident.pk}"' in html
    assert f'href="{reverse("console:incident", args=[incident.pk])}"' in html
    assert "Авария" in html and "noc@operator.example" in html
    assert 'class="sla-badge sla-expired">Просрочен' in html
    assert "77-012345" in html and station.name in html
    assert "Анна Петрова" in html
    assert 'data-label="Номер"' in html


def test_queue_row_memo_follows_every_displayed_value(dispatcher):
    incident = make_request(subject="Авария")
    before = _html(_row(incident))
    assert _html(_row(incident)) == before  # unchanged row: the memoised HTML

    IncidentStatus.objects.filter(key=StatusKey.NEW).update(name="Свежий")
    renamed = _html(_row(incident))
    assert ">Свежий</span>" in renamed and renamed != before

    Incident.objects.filter(pk=incident.pk).update(sla_state=SlaState.LESS_THAN_HOUR)
    assert 'class="sla-badge sla-less_than_hour"' in _html(_row(incident))

    dispatcher.first_name = "Мария"
    dispatcher.save()
    Incident.objects.filter(pk=incident.pk).update(assignee=dispatcher)
    assert "Мария Петрова" in _html(_row(incident))

    with translation.override("en"):
        english = _html(_row(incident))
    assert 'data-label="Number"' in english and "Less than an hour" in english


def test_queue_row_dates_follow_the_time_zone(dispatcher):
    incident = make_request()
    row = _row(incident)
    with timezone.override("Europe/Moscow"):
        moscow = _html(row)
    with timezone.override("Asia/Vladivostok"):
        vladivostok = _html(row)
    assert moscow != vladivostok
    local = timezone.localtime(row.incident_date, timezone=timezone.get_fixed_timezone(600))
    assert f'<time datetime="{local.isoformat()}">{local:%d.%m.%Y %H:%M}</time>' in vladivostok


def test_queue_row_memo_is_bounded():
    info = rows.memo_info()
    assert info.maxsize == rows.ROW_MEMO_SIZE
    assert info.currsize <= info.maxsize


def test_queue_columns_match_the_row_fields():
    assert len(selectors.QUEUE_COLUMNS) == len(selectors.QueueRow._fields)


def test_page_shows_a_changed_row_at_once(logged_in, dispatcher):
    incident = make_request(subject="Авария")
    assert ">Новый</span>" in logged_in.get("/").content.decode()
    IncidentStatus.objects.filter(key=StatusKey.NEW).update(name="Только что")
    Incident.objects.filter(pk=incident.pk).update(
        sla_state=SlaState.EXPIRED, sla_deadline=timezone.now() - timedelta(hours=1)
    )
    page = logged_in.get(reverse("console:queue_rows")).content.decode()
    assert ">Только что</span>" in page and 'class="sla-badge sla-expired"' in page


@pytest.mark.parametrize(
    "query", ["", "scope=all&sort=status", "status=nonsense&q=%3Cb%3E", "type=abc", "page=2"]
)
def test_memoised_filter_fields_equal_a_fresh_rendering(rf, dispatcher, query):
    from django.template.loader import get_template

    data = rf.get(f"/?{query}").GET or None
    memoised = QueueFilterForm(data).fields_html()
    fresh = get_template("console/_queue_filters.html").render({"form": QueueFilterForm(data)})
    assert memoised == fresh
    assert QueueFilterForm(data).fields_html() == memoised
    shown = forms.queue_filter_view(rf.get(f"/?{query}").GET, selectors.filter_choices())
    assert shown.fields_html == fresh
    assert shown.filters == QueueFilterForm(data).filters()
    assert list(shown.summary) == QueueFilterForm(data).summary()


def test_filter_summary_follows_the_language_and_the_choices(logged_in, dispatcher):
    make_request()
    summary = 'class="filter-summary">Статус: Новый · Показать: Все</span>'
    assert summary in logged_in.get("/", {"status": "new", "scope": "all"}).text
    IncidentStatus.objects.filter(key=StatusKey.NEW).update(name="Поступил")
    page = logged_in.get("/", {"status": "new", "scope": "all"}).text
    assert 'class="filter-summary">Статус: Поступил · Показать: Все</span>' in page
    with translation.override("en"):
        shown = forms.queue_filter_view(
            QueryDict("status=new&scope=all"), selectors.filter_choices()
        )
    assert shown.summary == ("Status: Поступил", "Show: All")
    assert forms._filter_view.cache_info().maxsize == forms.FILTER_MEMO_SIZE


def test_filter_fields_follow_new_choices(logged_in, dispatcher):
    assert "Новый" in logged_in.get("/").content.decode()
    IncidentStatus.objects.filter(key=StatusKey.NEW).update(name="Поступил")
    page = logged_in.get("/").content.decode()
    assert '<option value="new">Поступил</option>' in page


def _row_count(response) -> int:
    return len(re.findall(r'<tr class="sla-[a-z_]+" data-incident="\d+"', response.text))


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?scope=all&sort=status",
        "?q=77-0&assignee=none",
        "?type=none&sla=expired&sort=sla_deadline",
    ],
)
def test_queue_queries_do_not_grow_with_rows(
    logged_in, dispatcher, django_assert_max_num_queries, query
):
    pole, station = make_site("77-0001")
    make_request(message_id="<first@x>", pole=pole, base_station=station)
    Incident.objects.update(  # unassigned, untyped and late for the dispatcher SLA
        assignee=None, incident_type=None, incident_date=timezone.now() - timedelta(days=1)
    )
    # A search adds the mail-text match and the hidden-matches COUNT (its own mail match too).
    with django_assert_max_num_queries(14) as one_row:
        assert _row_count(logged_in.get(f"/{query}")) == 1
    for n in range(59):
        make_request(message_id=f"<n{n}@x>", pole=pole, base_station=station)
    Incident.objects.update(  # unassigned, untyped and late for the dispatcher SLA
        assignee=None, incident_type=None, incident_date=timezone.now() - timedelta(days=1)
    )
    for url in (f"/{query}", reverse("console:queue_rows") + query):
        with django_assert_max_num_queries(len(one_row.captured_queries)):
            response = logged_in.get(url)
        assert _row_count(response) == 50


def test_default_queue_counts_open_incidents_once(
    logged_in, dispatcher, django_assert_max_num_queries
):
    for n in range(3):
        make_request(message_id=f"<c{n}@x>")
    with django_assert_max_num_queries(20) as default:
        page = logged_in.get("/").content.decode()
    counts = [q["sql"] for q in default.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1
    assert '<strong data-count="open">3</strong>' in page and 'data-total="3"' in page


def test_bulk_selects_offer_every_choice_escaped_and_readers_get_none(
    client, dispatcher, reader, incident_type
):
    make_request()
    dispatcher.first_name = '<b>"Анна"</b>'
    dispatcher.save()
    IncidentStatus.objects.filter(key=StatusKey.NEW).update(name="Новый & свежий")
    client.force_login(dispatcher)
    page = client.get("/").text
    bulk = page.split('id="bulk-form"')[1].split("</form>")[0]
    assert (
        f'<option value="{dispatcher.pk}">&lt;b&gt;&quot;Анна&quot;&lt;/b&gt; Петрова</option>'
        in bulk
    )
    assert f'<option value="{incident_type.pk}">{incident_type.name}</option>' in bulk
    assert '<option value="new">Новый &amp; свежий</option>' in bulk
    assert "<b>" not in bulk
    client.force_login(reader)
    assert 'id="bulk-form"' not in client.get("/").text


def test_empty_queue_says_so(logged_in):
    page = logged_in.get("/", {"q": "no-such-incident"}).text
    assert '<td colspan="9" class="empty">Нет инцидентов, подходящих под фильтры.</td>' in page


def test_bulk_options_follow_new_choices_at_once(logged_in, incident_type):
    make_request()
    assert ">Опора упала</option>" not in logged_in.get("/").text
    added = type(incident_type).objects.create(name="Опора упала", sla_minutes=240)
    bulk = logged_in.get("/").text.split('id="bulk-type"')[1].split("</select>")[0]
    assert f'<option value="{added.pk}">Опора упала</option>' in bulk
    info = forms._bulk_options.cache_info()
    assert info.maxsize == forms.BULK_MEMO_SIZE and info.currsize <= info.maxsize
