"""Jobs of the interop app."""

from __future__ import annotations

from datetime import timedelta

from motcua.core.jobs import job, periodic
from motcua.interop.portal import tasks as portal_tasks  # noqa: F401  (declares its schedule)


# Enqueued after every commit that writes deliveries; the schedule sends the retries whose wait
# is over and anything a lost worker left leased. No job retries: the deliveries keep their own.
@periodic(every=timedelta(seconds=30), name="interop.deliver_due")
@job(retries=0)
def deliver_due() -> int:
    from motcua.interop import delivery

    return delivery.deliver_due()
