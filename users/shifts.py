"""Whether a dispatcher is on shift: a weekly schedule in local time (settings.TIME_ZONE).

A user without any ``WorkShift`` is always on shift. A shift whose end is earlier than its start
crosses midnight and ends on the next weekday.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from users.models import WorkShift


def shift_covers(shift: WorkShift, moment: datetime) -> bool:
    """Whether ``shift`` covers the aware ``moment``."""
    local = timezone.localtime(moment)
    weekday, now = local.weekday(), local.time()
    if shift.start_time < shift.end_time:
        return weekday == shift.weekday and shift.start_time <= now < shift.end_time
    return (weekday == shift.weekday and now >= shift.start_time) or (
        weekday == (shift.weekday + 1) % 7 and now < shift.end_time
    )


def is_on_shift(shifts: Iterable[WorkShift], moment: datetime | None = None) -> bool:
    """Whether a user with these shifts works at ``moment`` (no shifts = always)."""
    moment = moment or timezone.now()
    shifts = list(shifts)
    return not shifts or any(shift_covers(shift, moment) for shift in shifts)
