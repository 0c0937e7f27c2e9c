"""Create or update the default admin from ADMIN_USERNAME / ADMIN_EMAIL / ADMIN_PASSWORD."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from users.services import ensure_admin


class Command(BaseCommand):
    help = "Create or update the default administrator (idempotent); skipped when not configured."

    def handle(self, *args, **options) -> None:
        if not (settings.ADMIN_EMAIL and settings.ADMIN_PASSWORD):
            self.stdout.write("ADMIN_EMAIL / ADMIN_PASSWORD not set: no default admin")
            return
        try:
            user, created = ensure_admin(
                settings.ADMIN_EMAIL, settings.ADMIN_USERNAME, settings.ADMIN_PASSWORD
            )
        except ValidationError as exc:
            problems = (
                "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc)
                if hasattr(exc, "error_dict")
                else " ".join(exc.messages)
            )
            raise CommandError(
                f"default admin {settings.ADMIN_EMAIL} ({settings.ADMIN_USERNAME}) cannot be "
                f"saved — {problems}. Fix ADMIN_EMAIL / ADMIN_USERNAME."
            ) from exc
        self.stdout.write(f"admin {user.email} {'created' if created else 'updated'}")
