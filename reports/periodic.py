"""Scheduled reports: the monthly statistics by e-mail and the quarterly archive under data/."""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from incidents.models import Incident
from reports.exports import write_xlsx
from reports.periods import Period, period_for
from reports.statistics import statistics
from reports.tables import queue_table, statistics_tables
from reports.templatetags.reports import duration, percent
from reports.views import XLSX_TYPE

logger = logging.getLogger(__name__)


def previous(kind: str, today: date | None = None) -> Period:
    """The last whole month or quarter before ``today`` (local)."""
    today = today or timezone.localdate()
    current = period_for(kind, today)
    return period_for(kind, current.first_day - timedelta(days=1))


def monthly_report(period: Period, recipients: list[str]) -> EmailMessage:
    """The statistics of ``period`` as a short Russian text with the tables attached (XLSX)."""
    stats = statistics(period)
    totals, sla = stats.totals, stats.totals.primary
    month = formats.date_format(period.first_day, "F Y")
    lines = [
        _("Statistics of the dispatch desk, %(month)s.") % {"month": month},
        "",
        _("Opened: %(n)s") % {"n": totals.opened},
        _("Closed: %(n)s") % {"n": totals.closed},
        _("Open at the end of the month: %(n)s") % {"n": totals.open},
        _("Closed on time: %(n)s, after the deadline: %(late)s, share on time: %(share)s")
        % {
            "n": sla.closed_on_time,
            "late": sla.expired_closed,
            "share": percent(sla.share_on_time),
        },
        _("Mean time to close: %(mean)s; 90th percentile: %(p90)s")
        % {"mean": duration(totals.mean_to_close), "p90": duration(totals.p90_to_close)},
        "",
        _("The tables per contractor, dispatcher and type are attached."),
    ]
    message = EmailMessage(
        subject=_("DISPATCH report: %(month)s") % {"month": month},
        body="\n".join(lines),
        to=recipients,
    )
    with tempfile.TemporaryFile() as out:
        write_xlsx(statistics_tables(stats), out)
        out.seek(0)
        name = f"statistics-{period.first_day:%Y-%m}.xlsx"
        message.attach(name, out.read(), XLSX_TYPE)
    return message


def send_monthly_report(today: date | None = None) -> int:
    """Mail last month's report to ``REPORT_RECIPIENTS``; the number of messages sent."""
    recipients = list(settings.REPORT_RECIPIENTS)
    if not recipients:
        logger.info("monthly report: REPORT_RECIPIENTS is empty, nothing sent")
        return 0
    return monthly_report(previous("month", today), recipients).send()


def archive_path(period: Period, directory: Path | None = None) -> Path:
    directory = Path(directory or settings.REPORT_ARCHIVE_DIR)
    quarter = (period.first_day.month - 1) // 3 + 1
    return directory / f"{period.first_day.year}-Q{quarter}.xlsx"


def archive_quarter(period: Period, directory: Path | None = None, *, force: bool = False):
    """Write the quarter's statistics and every incident opened in it to ``YYYY-Qn.xlsx``
    (written beside, then renamed: a reader never sees half a file). An existing archive is
    kept unless ``force``. Returns the path, or None when it existed."""
    path = archive_path(period, directory)
    if path.exists() and not force:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    incidents = Incident.objects.filter(
        incident_date__gte=period.start, incident_date__lt=period.end
    ).order_by("incident_date", "id")
    tables = [*statistics_tables(statistics(period)), queue_table(incidents)]
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=".archive-", suffix=".xlsx")
    try:
        with os.fdopen(handle, "wb") as out:
            write_xlsx(tables, out)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return path
