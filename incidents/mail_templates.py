"""Admin-editable mail templates rendered in a closed room.

Templates are written by administrators in the Django template language, but rendered by an
engine of their own: no template loaders (no ``include``/``extends`` of files), no ``load`` of tag
libraries, no ``debug``/``url``/``csrf_token``; autoescape off (plain text). The context is plain
data only (strings, numbers, lists and dicts built here, never model instances), so a template
can read what ``VARIABLES`` documents and nothing else. ``register`` below is the engine's only
builtin library.

Nor can a template exhaust the process rendering it (the admin's save check, the preview, the
notification worker): the filters that pad or format to a width taken from the template
(``ljust``, ``rjust``, ``center``, ``stringformat``) are left out, every render
may run ``{% for %}`` bodies at most ``MAX_LOOP_ITERATIONS`` times in all, and a template nested
deeper than Python can compile is refused like a syntax error.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from django.conf import settings
from django.template import (
    Context,
    Engine,
    Library,
    Node,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from emails.outbox.models import MailTemplate
from incidents import mail_defaults
from incidents.mass_outage import group_context
from incidents.models import Incident
from incidents.selectors import conversation_emails
from incidents.sla import compute_sla

HISTORY_BODY_LIMIT = 1024
MAX_RENDERED = 100_000
MAX_LOOP_ITERATIONS = 10_000
UNSAFE_FILTERS = frozenset({"ljust", "rjust", "center", "stringformat"})
SAFE_TAGS = frozenset(
    {
        "autoescape",
        "comment",
        "cycle",
        "filter",
        "firstof",
        "for",
        "if",
        "ifchanged",
        "now",
        "regroup",
        "resetcycle",
        "spaceless",
        "templatetag",
        "verbatim",
        "widthratio",
        "with",
    }
)

register = Library()
register.filters.update(
    {k: v for k, v in defaultfilters.register.filters.items() if k not in UNSAFE_FILTERS}
)
register.tags.update({k: v for k, v in defaulttags.register.tags.items() if k in SAFE_TAGS})


class LoopBudgetExceeded(Exception):
    """The template ran its loops more than ``MAX_LOOP_ITERATIONS`` times."""


class _LoopBudget(Node):
    """Put first in every ``{% for %}`` body: counts the iterations of one render."""

    def render(self, context) -> str:
        spent = context.render_context.get(_LoopBudget, 0) + 1
        if spent > MAX_LOOP_ITERATIONS:
            raise LoopBudgetExceeded
        context.render_context[_LoopBudget] = spent
        return ""


@register.tag("for")
def do_for(parser, token):
    """Django's ``{% for %}``, its iterations counted against the render's budget."""
    node = defaulttags.do_for(parser, token)
    node.nodelist_loop.insert(0, _LoopBudget())
    return node


UNKNOWN = "\x00unknown:%s\x00"


class _MailEngine(Engine):
    default_builtins = ["incidents.mail_templates"]


def _engine(string_if_invalid: str = "") -> Engine:
    return _MailEngine(
        dirs=[],
        app_dirs=False,
        loaders=[],
        libraries={},
        autoescape=False,
        string_if_invalid=string_if_invalid,
    )


ENGINE = _engine()
STRICT_ENGINE = _engine(UNKNOWN)

VARIABLES: tuple[tuple[str, str], ...] = (
    ("incident.code", gettext_lazy("incident code (also in every subject)")),
    ("incident.subject", gettext_lazy("subject of the incident")),
    ("incident.description", gettext_lazy("description of the problem")),
    ("incident.requester", gettext_lazy("requester's address")),
    ("incident.status", gettext_lazy("current status")),
    ("incident.received", gettext_lazy("when it was received (dd.mm.yyyy hh:mm)")),
    ("incident.deadline", gettext_lazy("SLA deadline, empty when unknown")),
    ("incident.type", gettext_lazy("incident type")),
    ("incident.type_description", gettext_lazy("description of the type")),
    ("incident.subtype", gettext_lazy("subtype")),
    ("incident.assignee", gettext_lazy("responsible dispatcher")),
    ("pole.code", gettext_lazy("pole code")),
    ("pole.region", gettext_lazy("region")),
    ("pole.address", gettext_lazy("address")),
    ("pole.coordinates", gettext_lazy("latitude, longitude")),
    ("pole.contractor", gettext_lazy("contractor (АВР)")),
    ("base_station.name", gettext_lazy("base station")),
    ("base_station.operators", gettext_lazy("operators of the base station")),
    (
        "messages",
        gettext_lazy("the conversation: a list of number, date, body (first 1024 characters)"),
    ),
    (
        "group",
        gettext_lazy(
            "a mass outage led by this incident: a list of code, pole, base_station, registered"
        ),
    ),
    ("dispatcher.name", gettext_lazy("the dispatcher writing (empty for notifications)")),
    ("dispatcher.email", gettext_lazy("the dispatcher's e-mail")),
)


class MailTemplateError(Exception):
    """The template cannot be used; ``str()`` says why, in Russian."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def _local(moment) -> str:
    return date_format(timezone.localtime(moment), "d.m.Y H:i") if moment else ""


def incident_pole(incident: Incident):
    if incident.pole_id:
        return incident.pole
    if incident.base_station_id:
        return incident.base_station.pole
    return None


def _messages(incident: Incident) -> list[dict[str, object]]:
    return [
        {
            "number": number,
            "date": _local(email.sent_at),
            "body": email.body_text[:HISTORY_BODY_LIMIT]
            + (" ..." if len(email.body_text) > HISTORY_BODY_LIMIT else ""),
        }
        for number, email in enumerate(conversation_emails(incident), start=1)
    ]


def template_context(incident: Incident, *, user=None) -> dict[str, object]:
    """The documented context (``VARIABLES``) of ``incident`` as plain data."""
    pole = incident_pole(incident)
    station = incident.base_station
    kind = incident.incident_type
    has_coordinates = pole is not None and None not in (pole.latitude, pole.longitude)
    return {
        "incident": {
            "code": str(incident),
            "subject": incident.subject,
            "description": incident.description,
            "requester": incident.requester_email,
            "status": incident.status.name if incident.status_id else "",
            "received": _local(incident.incident_date),
            "deadline": _local(compute_sla(incident).deadline),
            "type": kind.name if kind else "",
            "type_description": kind.description if kind else "",
            "subtype": incident.subtype.name if incident.subtype_id else "",
            "assignee": incident.assignee.display_name if incident.assignee_id else "",
        },
        "pole": {
            "code": pole.code,
            "region": pole.region_ru or pole.region,
            "address": pole.address,
            "coordinates": f"{pole.latitude}, {pole.longitude}" if has_coordinates else "",
            "contractor": pole.contractor.name if pole.contractor_id else "",
        }
        if pole
        else {},
        "base_station": {
            "name": station.name,
            "operators": ", ".join(str(o) for o in station.operators.all()),
        }
        if station
        else {},
        "messages": _messages(incident),
        "group": [
            {
                "code": member["code"],
                "pole": member["pole"],
                "base_station": member["base_station"],
                "registered": _local(member["registered"]),
            }
            for member in group_context(incident)
        ],
        "dispatcher": {"name": user.display_name, "email": user.email} if user else {},
    }


def sample_context() -> dict[str, object]:
    """A made-up context with every variable filled: syntax checks and the variables' list."""
    return {
        "incident": {
            "code": f"{settings.INCIDENT_CODE_PREFIX}-123",
            "subject": "Нет питания на опоре 77-0001",
            "description": "На опоре пропало питание.",
            "requester": "noc@operator.example",
            "status": "В работе",
            "received": "01.12.2026 09:30",
            "deadline": "01.12.2026 13:30",
            "type": "Авария по питанию",
            "type_description": "Отключение электропитания",
            "subtype": "",
            "assignee": "Анна Петрова",
        },
        "pole": {
            "code": "77-0001",
            "region": "Москва",
            "address": "Москва, ул. Тверская, 1",
            "coordinates": "55.7575, 37.6136",
            "contractor": "АВР Центр",
        },
        "base_station": {"name": "БС 77-0001", "operators": "МТС, Билайн"},
        "messages": [{"number": 1, "date": "01.12.2026 09:30", "body": "Нет питания."}],
        "group": [
            {
                "code": f"{settings.INCIDENT_CODE_PREFIX}-124",
                "pole": "77-0002",
                "base_station": "БС 77-0002",
                "registered": "01.12.2026 09:40",
            }
        ],
        "dispatcher": {"name": "Анна Петрова", "email": "anna@dispatch.example"},
    }


def _freeze(value: object) -> object:
    """Read-only copies: a template may call methods it finds (``messages.pop``), so no list
    or dict of the context may have one that changes it."""
    if isinstance(value, dict):
        return MappingProxyType({key: _freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(item) for item in value)
    return value


def _compile(text: str, engine: Engine = ENGINE):
    try:
        return engine.from_string(text)
    except TemplateSyntaxError as exc:
        raise MailTemplateError(_("Template error: %(error)s") % {"error": exc}) from exc
    except RecursionError:
        raise MailTemplateError(
            _("Template error: %(error)s") % {"error": _("the tags are nested too deeply")}
        ) from None


def _render(text: str, context: dict[str, object], engine: Engine = ENGINE) -> str:
    template = _compile(text, engine)
    try:
        out = template.render(Context(dict(_freeze(context)), autoescape=False))
    except LoopBudgetExceeded:
        error = _("the loops run more than %(limit)s times") % {"limit": MAX_LOOP_ITERATIONS}
        raise MailTemplateError(_("Template error: %(error)s") % {"error": error}) from None
    except RecursionError:
        error = _("the tags are nested too deeply")
        raise MailTemplateError(_("Template error: %(error)s") % {"error": error}) from None
    except Exception as exc:  # a filter given the wrong value, a bad argument …
        raise MailTemplateError(_("Template error: %(error)s") % {"error": exc}) from exc
    if len(out) > MAX_RENDERED:
        raise MailTemplateError(
            _("The rendered text is longer than %(limit)s characters.") % {"limit": MAX_RENDERED}
        )
    return out


def check_template(text: str) -> None:
    """MailTemplateError when ``text`` has a syntax error or reads an undocumented variable."""
    out = _render(text, sample_context(), STRICT_ENGINE)
    start = out.find("\x00unknown:")
    if start >= 0:
        name = out[start + len("\x00unknown:") :].split("\x00", 1)[0]
        raise MailTemplateError(
            _("Unknown variable «%(name)s»: only the listed variables can be used.")
            % {"name": name}
        )


def one_line(subject: str) -> str:
    return " ".join(subject.split())[:1024]


def render_template(subject: str, body: str, context: dict[str, object]) -> Rendered:
    return Rendered(subject=one_line(_render(subject, context)), body=_render(body, context))


def active_template(key: str) -> MailTemplate | None:
    return MailTemplate.objects.filter(key=key, is_active=True).first()


def render_kind(key: str, incident: Incident, *, user=None) -> Rendered:
    """The ``key`` template (its database row; the shipped text when the row is missing,
    inactive or broken) rendered on ``incident``."""
    context = template_context(incident, user=user)
    row = active_template(key)
    if row is not None:
        try:
            return render_template(row.subject, row.body, context)
        except MailTemplateError:
            pass  # an admin's broken edit must not stop the workflow: the shipped text goes
    shipped = mail_defaults.BY_KEY[key]
    return render_template(shipped.subject, shipped.body, context)
