"""The embedded demo plays one dispatcher's day, through the normal pipeline only.

On a fresh embedded install (local Maildir at its default place, not created yet, no incidents)
``init_dispatch`` runs :func:`play_demo_day`:

1. two demo dispatchers (no shifts = always on shift; no password — an admin may set one);
2. the ``ingest_mail`` worker reads the demo Maildir (``data/demo/maildir``, created by the
   worker itself): incidents are opened and assigned to the dispatchers;
3. the dispatchers do what they would in the console, through the same services: set each
   incident's type, take it «В работе», open it (read), close the Tele2 power incident;
4. the afternoon's mail (``data/demo/later``) is delivered into the Maildir's ``new/`` and the
   worker reads it: a reply on an incident in work (unread again), a late reply on the closed
   incident (one automatic answer queued in the outbox) and a message too deeply nested to
   parse (quarantined with the reason).

Nothing is written into the database but by those services and the worker.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.core.management import call_command

from incidents import workflow
from incidents.models import Actor, Incident, IncidentType, StatusKey
from incidents.services import mark_read, update_incident
from users.models import Role, User

LATER_MAIL = Path(settings.BASE_DIR) / "data" / "demo" / "later"
DISPATCHERS = (
    ("anna.petrova@demo.example", "Анна", "Петрова"),
    ("boris.smirnov@demo.example", "Борис", "Смирнов"),
)
# Words of the subject/first mail → the type a dispatcher would choose (first match wins).
TYPE_BY_WORD = (
    ("питани", "Авария по питанию РФ"),
    ("антенн", "Угроза гибели / гибель объекта"),
    ("связ", "Авария ВОЛС"),
)
OTHER_TYPE = "Запрос на организацию доступа к объекту"
CLOSED_BY_MESSAGE = "<AM0PR01MB77@tele2.example>"  # the incident closed before its late reply
LEFT_NEW_BY_MESSAGE = "<form-20261123-17@towers.example>"  # nobody has taken it yet


def is_fresh_embedded_install() -> bool:
    """The default local Maildir, not created yet, and no incidents."""
    maildir = Path(settings.MAILDIR_PATH).resolve()
    return (
        settings.MAIL_SOURCE == "maildir"
        and maildir == (Path(settings.DATA_DIR) / "maildir").resolve()
        and not maildir.exists()
        and not Incident.objects.exists()
    )


def _dispatchers() -> list[User]:
    existing = list(User.objects.dispatchers())
    if existing:
        return existing
    return [
        User.objects.create_user(email=email, role=Role.DISPATCH, first_name=first, last_name=last)
        for email, first, last in DISPATCHERS
    ]


def _type_for(incident: Incident) -> IncidentType | None:
    first = incident.emails.order_by("id").first()
    text = f"{incident.subject} {first.body_text if first else ''}".lower()
    name = next((kind for word, kind in TYPE_BY_WORD if word in text), OTHER_TYPE)
    return IncidentType.objects.filter(name=name).first()


def _work_the_morning(fallback: User) -> None:
    for incident in Incident.objects.select_related("assignee", "status").order_by("id"):
        dispatcher = incident.assignee or fallback
        update_incident(
            incident,
            changes={"incident_type": _type_for(incident)},
            actor=Actor.CONSOLE,
            user=dispatcher,
        )
        first = incident.emails.order_by("id").values_list("message_id", flat=True).first()
        if first != LEFT_NEW_BY_MESSAGE:
            workflow.change_status(
                incident, StatusKey.IN_PROGRESS, actor=Actor.CONSOLE, user=dispatcher
            )
            mark_read(Incident.objects.get(pk=incident.pk), dispatcher)
        if first == CLOSED_BY_MESSAGE:
            workflow.change_status(
                incident,
                StatusKey.CLOSED,
                actor=Actor.CONSOLE,
                user=dispatcher,
                comment="Питание восстановлено, подтверждено подрядчиком.",
            )


def _deliver_later_mail(maildir: Path) -> int:
    target = maildir / "new"
    target.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in LATER_MAIL.iterdir() if p.is_file())
    for file in files:
        shutil.copyfile(file, target / file.name)
    return len(files)


def play_demo_day(stdout: TextIO) -> bool:
    """Play the demo day if this is a fresh embedded install; whether it was played."""
    if not is_fresh_embedded_install():
        return False
    dispatchers = _dispatchers()
    ingest = ("ingest_mail", "--source", "maildir", "--folder", "INBOX", "--once")
    call_command(*ingest, stdout=stdout)
    _work_the_morning(dispatchers[0])
    delivered = _deliver_later_mail(Path(settings.MAILDIR_PATH))
    call_command(*ingest, stdout=stdout)
    stdout.write(f"demo day: {len(dispatchers)} dispatchers, {delivered} afternoon messages\n")
    return True
