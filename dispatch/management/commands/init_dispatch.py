"""One-shot initialisation: migrate, static files, default data, default admin, demo reference
data (only when no TowerStore feed is configured), the demo day (only on a fresh embedded
install, ``dispatch.demo``)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from dispatch.processes import prepare_directories


class Command(BaseCommand):
    help = (
        "Prepare the database and files: migrate, collectstatic, load_defaults, ensure_admin, "
        "demo TowerStore data when no feed is configured, the demo day on a fresh embedded install."
    )

    def handle(self, *args, **options) -> None:
        prepare_directories()  # a fresh checkout or volume: data/ (the SQLite file), logs/
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        call_command("load_defaults")
        call_command("ensure_admin")
        call_command("import_towerstore", demo=True)
        call_command("demo_day")
        self.stdout.write("init complete")
