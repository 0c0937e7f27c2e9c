"""Benchmark: TowerStore import and pole/base-station recognition at production scale.

Creates a throw-away database (SQLite in a temporary directory, or a temporary PostgreSQL
cluster with ``TEST_DB=postgres``), imports POLES poles and STATIONS base stations through the
real feed import, then recognises MESSAGES realistic Russian e-mails and prints messages/s,
queries per message and accuracy against the known answer of every message.

    .venv/bin/python bench/recognize.py                       # 10,000 msgs, 50,000 / 100,000
    TEST_DB=postgres .venv/bin/python bench/recognize.py
    .venv/bin/python bench/recognize.py --messages 2000 --poles 5000 --stations 10000
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dispatch.testing.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from ts.feeds import base_station_rows, contractor_rows, pole_rows  # noqa: E402
from ts.recognition import invalidate_index, recognize  # noqa: E402
from ts.services import import_base_stations, import_contractors, import_poles  # noqa: E402

REGIONS = ["77", "50", "02", "78", "16", "66", "54", "23"]
STREETS = ["ул. Ленина", "пр-т Мира", "ул. Профсоюзная", "Ленинградское ш.", "ул. Гагарина"]
OPERATORS = [
    ("МТС", "ПАО «МТС»"),
    ("Билайн", "ПАО «ВымпелКом»"),
    ("МегаФон", "ПАО «МегаФон»"),
    ("Т2", "ООО «Т2 Мобайл»"),
]


def pole_code(n: int) -> str:
    return f"{REGIONS[n % len(REGIONS)]}-{n:05d}"


def feeds(poles: int, stations: int) -> tuple[list[dict], list[dict], list[dict]]:
    pole_records = [
        {
            "SiteId": n,
            "Шифр": pole_code(n),
            "Имя БС": f"БС-{pole_code(n)}",
            "Статус опоры": "Действующая",
            "Широта": 55 + n % 1000 / 1000,
            "Долгота": 37 + n % 997 / 1000,
            "Высота опоры": 30 + n % 40,
            "Регион": "Moscow",
            "Адрес": f"г. Москва, {STREETS[n % len(STREETS)]}, д. {n % 200 + 1}",
            "Инфраструктурная компания": "ООО «Башенная компания»",
            "Якорный оператор": OPERATORS[n % 4][0],
            "RegionRu": "Москва",
        }
        for n in range(1, poles + 1)
    ]
    avr_records = [
        {
            "Подрядчик": f"ООО «АВР-{n % 40}»",
            "Исключен из договора": "нет",
            "Шифр опоры": pole_code(n),
            "Контактные данные подрядчика Email": f"avr{n % 40}@contractor.ru",
            "Контактные данные подрядчика Телефон": f"+7 (495) 100-{n % 40:02d}-00",
        }
        for n in range(1, poles + 1)
    ]
    bs_records = []
    for k in range(stations):
        n = k % poles + 1
        name = f"БС-{pole_code(n)}" if k < poles else f"{pole_code(n)}-RRL{k // poles}"
        operator = OPERATORS[k % 4]
        bs_records.append(
            {
                "Шифр опоры": pole_code(n),
                "Имя БС/Оборудование": name,
                "Оператор": operator[0],
                "Группа операторов": operator[1],
            }
        )
    return pole_records, avr_records, bs_records


def messages(count: int, poles: int, rng: random.Random) -> list[tuple[str, str, str | None]]:
    """(subject, body, expected pole code or None)."""
    noise = (
        "Контактный тел. +7 (916) 123-45-67, доб. 1234. Дата: 25.11.2026 14:35. "
        "ООО «Ромашка», ИНН 7701234567, КПП 770101001. Адрес: г. Москва, ул. Тверская, д. 7."
    )
    quoted = "\n> ".join(["-----Исходное сообщение-----", noise, "С уважением, диспетчер"] * 4)
    result = []
    for i in range(count):
        n = rng.randint(1, poles)
        code = pole_code(n)
        kind = i % 5
        if kind == 0:
            result.append((f"Авария на опоре {code}", f"Прошу принять.\n{noise}", code))
        elif kind == 1:
            result.append(("Нет питания", f"{noise}\nНе работает БС-{code} с 10:30.", code))
        elif kind == 2:
            result.append((f"RE: Заявка от 25.11.2026 №{i}", f"{noise}\n{quoted}", None))
        elif kind == 3:
            result.append(("Ответ: авария", f"Оборудование {code}-RRL1 отключено.\n{quoted}", code))
        else:
            result.append((f"Fwd: БС {code} не в сети", quoted, code))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--poles", type=int, default=50_000)
    parser.add_argument("--stations", type=int, default=100_000)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}")
    pole_records, avr_records, bs_records = feeds(args.poles, args.stations)
    for label, records, parse, apply in [
        ("poles", pole_records, pole_rows, import_poles),
        ("avr", avr_records, contractor_rows, import_contractors),
        ("base stations", bs_records, base_station_rows, import_base_stations),
    ]:
        started = time.perf_counter()
        report = apply(parse(records))
        elapsed = time.perf_counter() - started
        print(
            f"import {label}: {len(records):,} records in {elapsed:.2f} s"
            f" ({len(records) / elapsed:,.0f} records/s); {report.summary()}"
        )
        started = time.perf_counter()
        report = apply(parse(records))
        elapsed = time.perf_counter() - started
        print(f"  re-import of the same feed: {elapsed:.2f} s, changed anything: {report.changed}")

    invalidate_index()
    started = time.perf_counter()
    recognize("", "")  # builds the in-memory index
    print(f"index build: {time.perf_counter() - started:.2f} s")

    batch = messages(args.messages, args.poles, random.Random(42))
    correct = 0
    with CaptureQueriesContext(connection) as queries:
        started, cpu_started = time.perf_counter(), time.process_time()
        for subject, body, expected in batch:
            found = recognize(subject, body)
            correct += (found.pole.code if found.pole else None) == expected
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(
        f"recognition: {len(batch):,} messages in {elapsed:.2f} s ="
        f" {len(batch) / elapsed:,.0f} messages/s (this process's CPU: {cpu:.2f} s);"
        f" {len(queries) / len(batch):.2f} queries/message;"
        f" correct {correct / len(batch):.1%}"
    )


if __name__ == "__main__":
    main()
