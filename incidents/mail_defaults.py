"""The shipped mail templates: created by a data migration, and the fallback of the workflow
notifications when their row is missing or inactive. Syntax: ``incidents.mail_templates``."""

from __future__ import annotations

from dataclasses import dataclass

REQUESTER, CONTRACTOR, RVR_CONTRACTOR, OPERATOR = (
    "requester",
    "contractor",
    "rvr_contractor",
    "operator",
)
REPLY_SUBJECT = (
    "Re: {{ incident.code }}{% if incident.subject %}: {{ incident.subject }}{% endif %}"
)
SIGNATURE = """{% if dispatcher.name %}
--
{{ dispatcher.name }}
Диспетчерская служба, заявка {{ incident.code }}
{% endif %}"""


@dataclass(frozen=True)
class Shipped:
    key: str
    name: str
    audience: str
    subject: str
    body: str


ACCEPTED = Shipped(
    "accepted",
    "Заявка принята в работу → заявителю",
    REQUESTER,
    REPLY_SUBJECT,
    """Здравствуйте!

Заявка "{{ incident.code }}" принята в работу.

Это автоматическое уведомление диспетчерской службы. При ответе не меняйте тему письма.
""",
)
CLOSED = Shipped(
    "closed",
    "Заявка закрыта → заявителю",
    REQUESTER,
    REPLY_SUBJECT,
    """Здравствуйте!

Заявка "{{ incident.code }}" закрыта.

Это автоматическое уведомление диспетчерской службы. При ответе не меняйте тему письма.
""",
)
CONTRACTOR_CARD = Shipped(
    "contractor",
    "Карточка инцидента → подрядчику АВР",
    CONTRACTOR,
    REPLY_SUBJECT,
    """Здравствуйте!

Вам назначен новый инцидент {{ incident.code }}.

ИНФОРМАЦИЯ ОБ ОПОРЕ
• Шифр опоры: {{ pole.code }}
{% if pole.region %}• Регион: {{ pole.region }}
{% endif %}{% if pole.address %}• Адрес: {{ pole.address }}
{% endif %}{% if pole.coordinates %}• Координаты: {{ pole.coordinates }}
{% endif %}{% if base_station.name %}
ИНФОРМАЦИЯ О БАЗОВОЙ СТАНЦИИ
• Базовая станция: {{ base_station.name }}
{% if base_station.operators %}• Операторы: {{ base_station.operators }}
{% endif %}{% endif %}
ДЕТАЛИ ИНЦИДЕНТА
• Время регистрации: {{ incident.received }}
{% if incident.deadline %}• Срок устранения (SLA): {{ incident.deadline }}
{% endif %}{% if incident.type %}• Тип: {{ incident.type }}
{% if incident.type_description %}• Описание типа: {{ incident.type_description }}
{% endif %}{% endif %}{% if group %}
МАССОВАЯ АВАРИЯ — в группу {{ incident.code }} входят также обращения ({{ group|length }}):
{% for member in group %}• {{ member.code }}\
{% if member.pole %}, опора {{ member.pole }}{% endif %}\
{% if member.base_station %}, БС {{ member.base_station }}{% endif %}, {{ member.registered }}
{% endfor %}{% endif %}{% if messages %}
ИСТОРИЯ ПЕРЕПИСКИ
------------------------------
{% for message in messages %}
Сообщение №{{ message.number }} ({{ message.date }}):
{{ message.body }}
{% endfor %}{% endif %}
ВАЖНО: НЕ МЕНЯЙТЕ ТЕМУ ПИСЬМА ПРИ ОТВЕТЕ
""",
)
RVR_REQUEST = Shipped(
    "rvr_contractor",
    "Заявка на ремонтные работы (РВР) → подрядчику РВР",
    RVR_CONTRACTOR,
    "{{ incident.code }}: ремонтные работы на опоре {{ pole.code|default:'—' }}",
    """Здравствуйте!

Просим провести ремонтно-восстановительные работы по инциденту {{ incident.code }}.

• Шифр опоры: {{ pole.code|default:"не указан" }}
{% if pole.region %}• Регион: {{ pole.region }}
{% endif %}{% if pole.address %}• Адрес: {{ pole.address }}
{% endif %}{% if base_station.name %}• Базовая станция: {{ base_station.name }}
{% endif %}{% if incident.type %}• Тип: {{ incident.type }}
{% endif %}• Описание: {{ incident.description|default:incident.subject }}

Просим сообщить сроки выполнения работ ответом на это письмо, не меняя его тему.
"""
    + SIGNATURE,
)
OPERATOR_NOTICE = Shipped(
    "operator",
    "Информация по инциденту → оператору",
    OPERATOR,
    "{{ incident.code }}: {{ incident.subject|default:'инцидент на опоре' }}",
    """Здравствуйте!

Сообщаем о ходе работ по инциденту {{ incident.code }}{% if base_station.name %} \
(базовая станция {{ base_station.name }}){% endif %}.

Текущий статус: {{ incident.status }}.
{% if incident.deadline %}Плановый срок устранения: {{ incident.deadline }}.
{% endif %}
При ответе, пожалуйста, не меняйте тему письма.
"""
    + SIGNATURE,
)
REQUESTER_LETTER = Shipped(
    "requester",
    "Письмо заявителю",
    REQUESTER,
    REPLY_SUBJECT,
    """Здравствуйте!

По заявке {{ incident.code }} сообщаем:

"""
    + SIGNATURE,
)

SHIPPED: tuple[Shipped, ...] = (
    ACCEPTED,
    CLOSED,
    CONTRACTOR_CARD,
    RVR_REQUEST,
    OPERATOR_NOTICE,
    REQUESTER_LETTER,
)
BY_KEY: dict[str, Shipped] = {template.key: template for template in SHIPPED}


def ensure_shipped_templates() -> int:
    """Create the shipped templates that are missing (a migration made them once; an admin may
    have deleted one); never touch an existing row. Returns how many were created."""
    from emails.outbox.models import MailTemplate

    created = 0
    for shipped in SHIPPED:
        _row, made = MailTemplate.objects.get_or_create(
            key=shipped.key,
            defaults={
                "name": shipped.name,
                "audience": shipped.audience,
                "subject": shipped.subject,
                "body": shipped.body,
            },
        )
        created += made
    return created
