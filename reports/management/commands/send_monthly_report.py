"""Mail last month's statistics to REPORT_RECIPIENTS (a cron job; see ``CRONJOBS``)."""

from django.core.management.base import BaseCommand

from reports.periodic import send_monthly_report


class Command(BaseCommand):
    help = "Mail last month's statistics (XLSX attached) to REPORT_RECIPIENTS."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"monthly reports sent: {send_monthly_report()}")
