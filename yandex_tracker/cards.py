"""What an incident and its e-mails look like in the tracker (texts dispatchers read)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings

from emails.models import EmailMessage, EmailRecipient
from incidents.models import Incident

FENCE = "```"


def _local(moment) -> str:
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%d.%m.%Y %H:%M")


def _code_block(text: str) -> str:
    """Body text inside a ```text fence (fences in the body are defused)."""
    return f"{FENCE}text\n{text.replace(FENCE, 'ʼʼʼ').rstrip()}\n{FENCE}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def recipients(email: EmailMessage, kind: str) -> list[str]:
    return [r.address for r in email.recipients.all() if r.kind == kind]


def issue_summary(incident: Incident) -> str:
    return (incident.subject or "").strip()[:255] or f"Инцидент №{incident.pk}"


def issue_description(email: EmailMessage | None) -> str:
    if email is None or not email.body_text.strip():
        return "*Тело письма отсутствует*"
    return _code_block(email.body_text)


def email_card(email: EmailMessage) -> str:
    """The markdown comment for a later e-mail (upstream §5.5), with its Message-ID as a marker."""
    subject = email.subject.strip()
    heading = f'### 📧 "**{_cell(subject)}**"' if subject else "### 📧 *Без темы*"
    sender = email.from_address
    if email.from_name:
        sender = f"{email.from_name} <{email.from_address}>"
    rows = [("От", sender), ("Кому", ", ".join(recipients(email, EmailRecipient.Kind.TO)))]
    cc = recipients(email, EmailRecipient.Kind.CC)
    if cc:
        rows.append(("Копия", ", ".join(cc)))
    rows.append(("Дата", _local(email.sent_at)))
    rows.append(("Message-ID", f"`{email.message_id}`"))
    table = "\n".join(f"| **{name}** | {_cell(value)} |" for name, value in rows)
    body = _code_block(email.body_text) if email.body_text.strip() else "*Тело письма отсутствует*"
    warning = (
        f"> ⚠ **Проверьте письмо:** {_cell(email.get_review_display())}\n\n" if email.review else ""
    )
    return f"{heading}\n\n{warning}| | |\n|---|---|\n{table}\n\n{body}"


def card_marker(email: EmailMessage) -> str:
    """The text by which a posted card is recognised after a crash."""
    return f"`{email.message_id}`"
