"""django-helpdesk's mail intake on the benchmark's mailbox (``bench/ingest.py --helpdesk``).

Run by the Python of a throw-away virtualenv with django-helpdesk installed (never the
project's): it configures a minimal Django project around the ``helpdesk`` app on a SQLite file,
creates one IMAP queue on the benchmark's Dovecot and times ``helpdesk.email.process_email``
(what ``manage.py get_email`` runs), then prints one JSON line: messages, tickets, follow-ups,
seconds, CPU seconds, peak RSS. django-helpdesk deletes what it ingested from the mailbox, so
the parent runs this last.

    python3 -m venv /tmp/helpdesk-venv
    /tmp/helpdesk-venv/bin/pip install django-helpdesk==2.6.1 pinax-teams
    .venv/bin/python bench/ingest.py --helpdesk /tmp/helpdesk-venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

urlpatterns: list = []  # ROOT_URLCONF is this module; filled in _configure


def _configure(work: Path) -> None:
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-only",  # a throw-away process on 127.0.0.1
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.sites",
            "django.contrib.messages",
            "django.contrib.humanize",
            "rest_framework",
            "account",
            "pinax.invitations",
            "pinax.teams",  # django-helpdesk's migrations need it
            "helpdesk",
        ],
        SITE_ID=1,
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(work / "hd.sqlite3")}
        },
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        ROOT_URLCONF=__name__,
        MEDIA_ROOT=str(work / "media"),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        USE_TZ=True,
        LOGGING_CONFIG=None,
    )
    django.setup()
    from django.urls import include, path

    urlpatterns.append(path("helpdesk/", include("helpdesk.urls", namespace="helpdesk")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dispatch-bench-helpdesk-"))
    _configure(work)
    from django.core.management import call_command
    from helpdesk.email import process_email
    from helpdesk.models import FollowUp, Queue, Ticket

    call_command("migrate", verbosity=0)
    Queue.objects.create(
        title="Desk",
        slug="desk",
        email_address=args.user,
        allow_email_submission=True,
        email_box_type="imap",
        email_box_host="127.0.0.1",
        email_box_port=args.port,
        email_box_ssl=False,
        email_box_user=args.user,
        email_box_pass=args.password,
        email_box_imap_folder="INBOX",
        email_box_interval=0,
        logging_type="none",
    )
    started, cpu = time.perf_counter(), time.process_time()
    process_email(quiet=True)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        json.dumps(
            {
                "tickets": Ticket.objects.count(),
                "followups": FollowUp.objects.count(),
                "seconds": seconds,
                "cpu": cpu,
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
