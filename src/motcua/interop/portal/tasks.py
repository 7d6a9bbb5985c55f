"""The periodic pull of dossiers filed on the national portal."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from motcua.core.jobs import job, periodic
from motcua.interop.portal import pull
from motcua.interop.portal.transport import enabled, transport

PULL_EVERY = timedelta(minutes=settings.PORTAL_PULL_MINUTES)


# No retries: the next scheduled run is the retry, and it picks up where this one stopped.
@periodic(every=PULL_EVERY, name="interop.portal_pull")
@job(retries=0)
def pull_portal_submissions() -> dict[str, int]:
    if not enabled():
        return {"filed": 0, "rejected": 0, "reported": 0}
    report = pull.pull_submissions(transport=transport())
    return {"filed": report.filed, "rejected": report.rejected, "reported": report.reported}
