"""Remove rate-limit counters of windows that are over (a cron job; see ``CRONJOBS``)."""

from django.core.management.base import BaseCommand

from dispatch.ratelimit import purge_expired


class Command(BaseCommand):
    help = "Remove rate-limit counters of windows that are over."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"rate counters removed: {purge_expired()}")
