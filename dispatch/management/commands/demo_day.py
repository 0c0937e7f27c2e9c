"""Play the embedded demo's day (only on a fresh embedded install; see ``dispatch.demo``)."""

from django.core.management.base import BaseCommand

from dispatch.demo import play_demo_day


class Command(BaseCommand):
    help = "On a fresh embedded install: demo dispatchers, the demo mailbox worked through."

    def handle(self, *args, **options) -> None:
        if not play_demo_day(self.stdout):
            self.stdout.write("demo day: not a fresh embedded install, nothing done")
