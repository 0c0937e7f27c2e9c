"""Run DISPATCH in the foreground on this machine: initialise, then serve the web app."""

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Initialise and run the web app (gunicorn) in the foreground."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bind", default=os.environ.get("GUNICORN_BIND", "127.0.0.1:8000"))

    def handle(self, *args, bind: str, **options) -> None:
        call_command("init_dispatch")
        self.stdout.write(f"DISPATCH on http://{bind}/admin/ (data in {settings.DATA_DIR})")
        gunicorn = os.path.join(os.path.dirname(os.sys.executable), "gunicorn")
        os.execv(gunicorn, [gunicorn, "dispatch.wsgi:application", "--bind", bind])  # noqa: S606
