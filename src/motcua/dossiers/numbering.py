"""Dossier codes: `<receiving agency code>-YYMMDD-XXXX` (DOMAIN.md), XXXX a daily sequence per
receiving agency in Vietnamese local time, at least four digits.

The sequence is a counter row per (agency, day) locked with SELECT … FOR UPDATE, never a count or
a max over dossiers: two concurrent receipts queue on the row and get consecutive numbers.
"""

from __future__ import annotations

import datetime as dt

from motcua.dossiers.models import DailySequence
from motcua.organisation.models import Agency
from motcua.workcalendar.engine import VN_TZ


def next_code(agency: Agency, at: dt.datetime) -> str:
    """The next dossier code of `agency` on the local day of `at` (inside the caller's
    transaction, which holds the counter row's lock until it commits)."""
    day = at.astimezone(VN_TZ).date()
    # Create the day's row if it is missing without failing when a concurrent writer created
    # it first; then lock it.
    DailySequence.objects.bulk_create(
        [DailySequence(agency=agency, day=day, last=0)], ignore_conflicts=True
    )
    sequence = DailySequence.objects.select_for_update().get(agency=agency, day=day)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"{agency.code}-{day:%y%m%d}-{sequence.last:04d}"
