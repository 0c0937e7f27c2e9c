"""Importing the three TowerStore feeds: mapping, idempotence, deactivation and refusal."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from incidents.defaults import load_defaults
from incidents.services import create_incident
from ts.feeds import FeedError, base_station_rows, contractor_rows, pole_rows
from ts.models import BaseStation, Contractor, Operator, Pole
from ts.services import (
    import_base_stations,
    import_contractors,
    import_poles,
    import_towerstore,
)

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "towerstore"


def pole_record(site_id: int, code: str, **extra: object) -> dict:
    record = {
        "SiteId": site_id,
        "Шифр": code,
        "Имя БС": f"БС-{code}",
        "Статус опоры": "Действующая",
        "Широта": 55.75,
        "Долгота": 37.61,
        "Высота опоры": 40.0,
        "Регион": "Moscow",
        "Адрес": "г. Москва, ул. Тверская, д. 7",
        "Инфраструктурная компания": "ООО «Башенная компания»",
        "Якорный оператор": "МТС",
        "RegionRu": "Москва",
    }
    record.update(extra)
    return record


def avr_record(code: str, contractor: str | None, email: str = "", phone: str = "") -> dict:
    return {
        "Подрядчик": contractor,
        "Исключен из договора": "нет",
        "Шифр опоры": code,
        "Контактные данные подрядчика Email": email,
        "Контактные данные подрядчика Телефон": phone,
    }


def bs_record(code: str, name: str, operator: str | None, group: str | None) -> dict:
    return {
        "Шифр опоры": code,
        "Имя БС/Оборудование": name,
        "Оператор": operator,
        "Группа операторов": group,
    }


def poles(*records: dict):
    return import_poles(pole_rows(list(records)))


def snapshot() -> dict:
    return {
        "poles": list(Pole.objects.order_by("pk").values()),
        "stations": list(BaseStation.objects.order_by("pk").values()),
        "links": sorted(
            BaseStation.operators.through.objects.values_list("basestation", "operator")
        ),
        "contractors": list(Contractor.objects.order_by("pk").values()),
        "emails": sorted(Contractor.objects.values_list("name", "emails__email")),
        "phones": sorted(Contractor.objects.values_list("name", "phones__phone")),
        "operators": list(Operator.objects.order_by("pk").values()),
    }


def test_pole_rows_map_to_poles():
    report = poles(pole_record(1, "77-12345", Широта="55,67", **{"Высота опоры": ""}))
    pole = Pole.objects.get(site_id=1)
    assert report.created == 1
    assert (pole.code, pole.bs_name, pole.region_ru, pole.anchor_operator) == (
        "77-12345",
        "БС-77-12345",
        "Москва",
        "МТС",
    )
    assert (pole.latitude, pole.longitude, pole.height) == (55.67, 37.61, None)
    assert pole.address == "г. Москва, ул. Тверская, д. 7"
    assert pole.is_active


def test_a_macroregion_column_is_kept_when_the_feed_has_one():
    poles(
        pole_record(1, "77-1", MacroRegion="Центр"),
        pole_record(2, "23-2", Макрорегион="Юг"),
        pole_record(3, "50-3"),
    )
    assert dict(Pole.objects.values_list("code", "macroregion")) == {
        "77-1": "Центр",
        "23-2": "Юг",
        "50-3": "",
    }


def test_records_without_site_id_or_code_are_skipped_with_a_note():
    report = poles(pole_record(1, "77-1"), pole_record("abc", "77-2"), pole_record(3, ""))
    assert Pole.objects.count() == 1
    assert len(report.skipped) == 2
    assert "record 2" in report.skipped[0] or "запись 2" in report.skipped[0]


def test_contractor_rows_map_contacts_and_poles(settings):
    settings.DEFAULT_CONTRACTOR_EMAILS = ["duty@dispatch.local"]
    poles(pole_record(1, "77-1"), pole_record(2, "77-2"), pole_record(3, "77-3"))
    import_contractors(
        contractor_rows(
            [
                avr_record(
                    "77-1", "ООО «СтройСвязьМонтаж»", "AVR@ssm.ru; bad-email", "8 (495) 123-45-67"
                ),
                avr_record(
                    "77-2", "ООО «СтройСвязьМонтаж»", "chief@ssm.ru", "+7 916 555-12-34, 12"
                ),
                avr_record("77-3", None),
            ]
        )
    )
    contractor = Contractor.objects.get(name="ООО «СтройСвязьМонтаж»")
    # contacts are the union over every row of the contractor, not the last row's
    assert sorted(contractor.emails.values_list("email", flat=True)) == [
        "avr@ssm.ru",
        "chief@ssm.ru",
    ]
    assert sorted(contractor.phones.values_list("phone", flat=True)) == [
        "+74951234567",
        "+79165551234",
    ]
    assert Pole.objects.get(site_id=1).contractor == contractor
    assert Pole.objects.get(site_id=2).contractor == contractor
    default = Pole.objects.get(site_id=3).contractor
    assert default.is_default
    assert list(default.emails.values_list("email", flat=True)) == ["duty@dispatch.local"]


def test_duplicate_pole_codes_all_get_the_contractor():
    poles(pole_record(1, "77-1", **{"Имя БС": "A"}), pole_record(2, "77-1", **{"Имя БС": "B"}))
    import_contractors(contractor_rows([avr_record("77-1", "ООО «Невская АВР»")]))
    assert {p.contractor.name for p in Pole.objects.all()} == {"ООО «Невская АВР»"}


def test_base_station_rows_map_stations_and_operators():
    poles(pole_record(1, "77-1"), pole_record(2, "77-2"))
    import_base_stations(
        base_station_rows(
            [
                bs_record("77-1", "БС-77-1", "МТС", "ПАО «МТС»"),
                bs_record("77-1", "БС-77-1", "Т2", "ООО «Т2 Мобайл»"),
                bs_record("77-1", "БС-77-1", "МТС", "ПАО «МТС»"),
                bs_record("77-2", "БС-77-2", None, None),
                bs_record("99-9", "БС-99-9", "МТС", "ПАО «МТС»"),
            ]
        )
    )
    station = BaseStation.objects.get(name="БС-77-1")
    assert station.pole.code == "77-1"
    assert sorted(str(o) for o in station.operators.all()) == [
        "МТС (ПАО «МТС»)",
        "Т2 (ООО «Т2 Мобайл»)",
    ]
    assert not BaseStation.objects.get(name="БС-77-2").operators.exists()
    assert not BaseStation.objects.filter(name="БС-99-9").exists()


def test_operator_set_is_replaced_not_accumulated():
    poles(pole_record(1, "77-1"))
    import_base_stations(base_station_rows([bs_record("77-1", "БС-77-1", "МТС", "ПАО «МТС»")]))
    import_base_stations(base_station_rows([bs_record("77-1", "БС-77-1", "Т2", "ООО «Т2 Мобайл»")]))
    assert [o.name for o in BaseStation.objects.get().operators.all()] == ["Т2"]


def test_second_import_of_the_same_feeds_changes_nothing(settings):
    settings.DEFAULT_CONTRACTOR_EMAILS = ["duty@dispatch.local"]
    first = import_towerstore(from_dir=DEMO)
    assert all(outcome.report and outcome.report.changed for outcome in first)
    before = snapshot()
    second = import_towerstore(from_dir=DEMO)
    assert [outcome.report.changed for outcome in second] == [False, False, False]
    assert snapshot() == before


def test_demo_feeds_give_a_complete_data_set():
    import_towerstore(from_dir=DEMO)
    assert Pole.objects.count() == 10
    assert set(Operator.objects.values_list("name", flat=True)) == {
        "МТС",
        "Билайн",
        "МегаФон",
        "Т2",
    }
    pole = Pole.objects.get(code="02-00123")
    assert pole.contractor.name == "ООО «БашСвязьРемонт»"
    assert pole.base_stations.filter(name="БС-02-00123").exists()


def test_pole_missing_from_feed_is_deactivated_and_incidents_keep_it(settings):
    settings.TS_MAX_DELETE_SHARE = 0.5
    load_defaults()
    poles(pole_record(1, "77-1"), pole_record(2, "77-2"))
    gone = Pole.objects.get(site_id=2)
    incident = create_incident(incident_date=timezone.now(), pole=gone)
    report = poles(pole_record(1, "77-1"))
    gone.refresh_from_db()
    incident.refresh_from_db()
    assert report.deactivated == 1
    assert not gone.is_active
    assert incident.pole == gone
    poles(pole_record(1, "77-1"), pole_record(2, "77-2"))
    gone.refresh_from_db()
    assert gone.is_active


def test_base_station_missing_from_feed_is_deactivated(settings):
    settings.TS_MAX_DELETE_SHARE = 0.5
    poles(pole_record(1, "77-1"))
    import_base_stations(
        base_station_rows([bs_record("77-1", "A", None, None), bs_record("77-1", "B", None, None)])
    )
    import_base_stations(base_station_rows([bs_record("77-1", "A", None, None)]))
    assert dict(BaseStation.objects.values_list("name", "is_active")) == {"A": True, "B": False}


def test_feed_deactivating_too_many_poles_is_refused(settings):
    settings.TS_MAX_DELETE_SHARE = 0.2
    poles(*(pole_record(n, f"77-{n}") for n in range(1, 11)))
    before = snapshot()
    with pytest.raises(FeedError) as refused:
        poles(*(pole_record(n, f"77-{n}", Адрес="новый адрес") for n in range(1, 8)))
    assert "3" in str(refused.value) and "10" in str(refused.value)
    assert "TS_MAX_DELETE_SHARE" in str(refused.value)
    assert snapshot() == before


def test_feed_unlinking_too_many_contractors_is_refused(settings):
    settings.TS_MAX_DELETE_SHARE = 0.2
    poles(*(pole_record(n, f"77-{n}") for n in range(1, 6)))
    import_contractors(contractor_rows([avr_record(f"77-{n}", "ООО «А»") for n in range(1, 6)]))
    before = snapshot()
    with pytest.raises(FeedError):
        import_contractors(contractor_rows([avr_record("77-1", "ООО «Б»")]))
    assert snapshot() == before


def test_feed_deactivating_too_many_base_stations_is_refused(settings):
    settings.TS_MAX_DELETE_SHARE = 0.2
    poles(pole_record(1, "77-1"))
    names = ["A", "B", "C"]
    import_base_stations(base_station_rows([bs_record("77-1", n, None, None) for n in names]))
    before = snapshot()
    with pytest.raises(FeedError):
        import_base_stations(base_station_rows([bs_record("77-1", "A", "МТС", "ПАО «МТС»")]))
    assert snapshot() == before


def test_feed_with_no_usable_records_is_refused():
    with pytest.raises(FeedError):
        pole_rows([{"Шифр": "77-1"}, {"SiteId": None}])
    assert not Pole.objects.exists()


def test_command_reports_a_refused_feed_and_imports_the_others(tmp_path, capsys):
    for name in ("poles.json", "avr.json", "base_stations.json"):
        (tmp_path / name).write_bytes((DEMO / name).read_bytes())
    (tmp_path / "avr.json").write_text('[{"Подрядчик": "ООО', encoding="utf-8")
    with pytest.raises(CommandError, match="avr"):
        call_command("import_towerstore", from_dir=tmp_path)
    _out, err = capsys.readouterr()
    assert "JSON" in err
    assert Pole.objects.count() == 10
    assert BaseStation.objects.exists()
    assert not Contractor.objects.exclude(is_default=True).exists()


def test_default_contractor_exists_after_migrate_with_configured_emails(settings):
    assert Contractor.objects.filter(is_default=True).count() == 1
    settings.DEFAULT_CONTRACTOR_EMAILS = ["Duty@Dispatch.local", "noc@dispatch.local"]
    call_command("migrate", verbosity=0)
    default = Contractor.objects.get(is_default=True)
    assert sorted(default.emails.values_list("email", flat=True)) == [
        "duty@dispatch.local",
        "noc@dispatch.local",
    ]


def test_demo_option_loads_the_bundled_feeds_only_without_configured_urls(settings, capsys):
    settings.TS_POLES_TL_URL = "http://127.0.0.1:9/poles.json"
    call_command("import_towerstore", demo=True)
    assert not Pole.objects.exists()
    settings.TS_POLES_TL_URL = settings.TS_AVR_REPORT_URL = settings.TS_BS_REPORT_URL = ""
    call_command("import_towerstore", demo=True)
    call_command("import_towerstore", demo=True)  # idempotent: safe at every start
    assert Pole.objects.count() == 10
    assert "создано 0, обновлено 0, деактивировано 0" in capsys.readouterr().out
