"""Background work of the queues: closing the local days for the reports."""

from __future__ import annotations

from datetime import timedelta

from motcua.core.jobs import job, periodic
from motcua.queueing import reports


@periodic(every=timedelta(hours=1), name="queueing.close_days")
@job(retries=2)
def close_days() -> list[str]:
    """Close every local day (Asia/Ho_Chi_Minh) before today that has tickets and no
    DailyQueueStat rows yet: the first run after local midnight closes yesterday. Idempotent."""
    return [day.isoformat() for day in reports.close_pending_days()]
