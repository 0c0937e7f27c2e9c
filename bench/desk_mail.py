"""A generated mailbox shaped like the mail a tower dispatch desk really receives.

Message sizes are log-normal around 20 KB (2–200 KB); text parts are base64 or quoted-printable
in UTF-8, KOI8-R or windows-1251; 40 % carry an HTML alternative, 10 % an attachment; 30 % answer
an earlier message (In-Reply-To, References, the quoted history below the answer). Headers look
like real mail: several ``Received`` lines, an RFC 2047 subject, Cc, a DKIM signature, an Outlook
``Thread-Index`` on some. Bodies name a pole (``77-01234``; :func:`pole_code` gives the codes a
database seeded for the benchmark knows), phone numbers and dates.

Only the standard library is used, so the parent process of ``bench/ingest.py`` can generate the
mailbox without Django.
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

SIZE_MEDIAN_KB = 20
SIZE_SIGMA = 0.6
SIZE_RANGE_KB = (2, 200)
HTML_SHARE = 0.4
ATTACHMENT_SHARE = 0.1
REPLY_SHARE = 0.3
CHARSETS = (("utf-8", 0.6), ("koi8-r", 0.2), ("windows-1251", 0.2))
MAILBOX = "dispatch@example.test"

REGIONS = ("77", "50", "02", "78", "16", "66", "54", "23")
WORDS = (
    "авария",
    "опора",
    "связь",
    "питание",
    "бригада",
    "подрядчик",
    "антенна",
    "кабель",
    "площадка",
    "отключение",
    "восстановление",
    "заявка",
    "просим",
    "проверить",
    "срочно",
    "оборудование",
    "диспетчер",
    "инженер",
    "дежурный",
    "объект",
    "доступ",
    "ключ",
    "замок",
    "генератор",
    "РРЛ",
    "БС",
    "выезд",
    "сектор",
    "аккумуляторы",
    "контроллер",
    "сигнал",
    "транспорт",
    "пропуск",
    "охрана",
    "электроснабжение",
    "фидер",
    "подстанция",
    "ремонт",
    "замена",
    "работы",
)
GREETINGS = ("Добрый день!", "Здравствуйте.", "Коллеги, добрый вечер.", "Доброе утро!")
SIGNATURES = (
    "С уважением,\nинженер службы эксплуатации\nтел. +7 (916) 123-45-67, доб. 1234",
    "--\nДежурный инженер ЦУС\n8 800 555-35-35",
    'С уважением, диспетчер.\nООО "Ромашка", ИНН 7701234567',
)
SUBJECTS = (
    "Авария на опоре {code}",
    "Нет питания на БС {code}",
    "Заявка на доступ, опора {code}",
    "Отключение электроснабжения {code}",
    "Не в сети БС-{code}",
    "Прошу организовать выезд на {code}",
)
ATTACHMENTS = (
    ("application", "pdf", "Акт_{n}.pdf"),
    ("image", "jpeg", "фото_{n}.jpg"),
    ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet", "отчёт_{n}.xlsx"),
)


def pole_code(n: int) -> str:
    """The code of pole number ``n`` in the benchmark's reference data."""
    return f"{REGIONS[n % len(REGIONS)]}-{n:05d}"


@dataclass
class _Thread:
    message_id: str
    references: list[str]
    subject: str
    text: str
    code: str


def _size(rng: random.Random) -> int:
    low, high = SIZE_RANGE_KB
    kb = math.exp(rng.gauss(math.log(SIZE_MEDIAN_KB), SIZE_SIGMA))
    return int(min(high, max(low, kb)) * 1024)


def _charset(rng: random.Random) -> str:
    pick = rng.random()
    for name, share in CHARSETS:
        if pick < share:
            return name
        pick -= share
    return CHARSETS[0][0]


def _paragraphs(rng: random.Random, chars: int, code: str) -> list[str]:
    paragraphs = [rng.choice(GREETINGS), f"На опоре {code} с 10:30 25.11.2026 нет связи."]
    total = sum(len(p) for p in paragraphs)
    while total < chars:
        words = [rng.choice(WORDS) for _ in range(rng.randrange(20, 60))]
        if rng.random() < 0.1:
            words.insert(rng.randrange(len(words)), pole_code(rng.randrange(1, 100_000)))
        sentence = " ".join(words).capitalize() + "."
        paragraphs.append(sentence)
        total += len(sentence) + 2
    paragraphs.append(rng.choice(SIGNATURES))
    return paragraphs


def _html(paragraphs: list[str]) -> str:
    body = "".join(
        f'<p class="MsoNormal"><span style="font-family:Calibri;font-size:11pt">{p}</span></p>\n'
        for p in paragraphs
    )
    return (
        '<html><head><meta http-equiv=Content-Type content="text/html">'
        "<style>p.MsoNormal{margin:0cm;font-size:11.0pt}</style></head>\n"
        f"<body lang=RU><div class=WordSection1>\n{body}</div></body></html>"
    )


def _expansion(charset: str, cte: str) -> float:
    """Encoded bytes per character of Russian text."""
    per_char = 1.8 if charset == "utf-8" else 1.0
    encoded = per_char * (1.37 if cte == "base64" else 2.6 if charset == "utf-8" else 2.2)
    return encoded * 1.6  # the headers, the quoted history of a reply, the markup


def _received(rng: random.Random, moment: datetime) -> list[str]:
    hops = []
    for hop in range(rng.randrange(2, 6)):
        host = f"mx{rng.randrange(1, 9)}.relay{hop}.example.net"
        hops.append(
            f"from {host} ({host} [10.{hop}.{rng.randrange(256)}.{rng.randrange(256)}]) "
            f"by mx.example.test with ESMTPS id {rng.getrandbits(48):012x} "
            f"for <{MAILBOX}>; {format_datetime(moment)}"
        )
    return hops


def generate(count: int, seed: int = 7) -> Iterator[bytes]:
    """``count`` raw messages, the same for the same seed."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    threads: list[_Thread] = []
    for n in range(count):
        moment = start + timedelta(minutes=n)
        msg = EmailMessage()
        for hop in _received(rng, moment):
            msg["Received"] = hop
        sender = f"engineer{rng.randrange(500)}@operator{rng.randrange(5)}.example"
        message_id = f"<{rng.getrandbits(64):016x}.{n}@operator.example>"
        msg["From"] = f"Инженер {rng.randrange(500)} <{sender}>"
        msg["To"] = f"Диспетчерская <{MAILBOX}>"
        msg["Cc"] = ", ".join(
            f"cc{rng.randrange(50)}@operator{rng.randrange(5)}.example"
            for _ in range(rng.randrange(0, 4))
        )
        msg["Date"] = format_datetime(moment)
        msg["Message-ID"] = message_id
        msg["X-Mailer"] = rng.choice(("Microsoft Outlook 16.0", "Thunderbird 115", "Roundcube"))
        digest = hashlib.sha256(message_id.encode()).digest()
        msg["DKIM-Signature"] = (
            "v=1; a=rsa-sha256; c=relaxed/relaxed; d=operator.example; s=mail; "
            f"bh={base64.b64encode(digest).decode()}; b={base64.b64encode(digest[:18]).decode()}"
        )
        target = _size(rng)
        charset = _charset(rng)
        cte = "base64" if rng.random() < 0.6 else "quoted-printable"
        parent = rng.choice(threads) if threads and rng.random() < REPLY_SHARE else None
        code = parent.code if parent else pole_code(rng.randrange(1, 100_000))
        references: list[str] = []
        if parent is not None:
            references = [*parent.references[-9:], parent.message_id]
            msg["Subject"] = f"RE: {parent.subject}"
            msg["In-Reply-To"] = parent.message_id
            msg["References"] = " ".join(references)
            subject = parent.subject
        else:
            subject = rng.choice(SUBJECTS).format(code=code)
            msg["Subject"] = subject
        if rng.random() < 0.2:
            msg["Thread-Index"] = base64.b64encode(digest[:22]).decode()
        with_html = rng.random() < HTML_SHARE
        attachment = rng.random() < ATTACHMENT_SHARE
        share = (0.45 if with_html else 1.0) * (0.3 if attachment else 1.0)
        chars = max(200, int(target * share / _expansion(charset, cte)))
        paragraphs = _paragraphs(rng, chars, code)
        if parent is not None:
            quoted = "\n".join(f"> {line}" for line in parent.text.splitlines()[:40])
            paragraphs += [f"{format_datetime(moment)}, {sender} пишет:", quoted]
        text = "\n\n".join(paragraphs)
        msg.set_content(text, charset=charset, cte=cte)
        if with_html:
            msg.add_alternative(_html(paragraphs), subtype="html", charset=charset, cte=cte)
        if attachment:
            maintype, subtype, name = rng.choice(ATTACHMENTS)
            data = rng.randbytes(max(1024, int(target * 0.7 / 1.37)))
            msg.add_attachment(data, maintype, subtype, filename=name.format(n=n))
        threads.append(_Thread(message_id, references, subject, text, code))
        if len(threads) > 2000:
            threads = threads[-2000:]
        yield msg.as_bytes()
