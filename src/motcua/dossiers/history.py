"""What every dossier action leaves behind: an event in the dossier's history and, for the
actions the law gives a form to, a slip for the applicant (rendered and mailed after commit)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from motcua.core.access import staff_user
from motcua.core.jobs import enqueue_on_commit
from motcua.dossiers import tasks
from motcua.dossiers.models import Dossier, DossierEvent, Slip
from motcua.interop import outbox
from motcua.monitoring import tracking
from motcua.organisation.models import Agency

# The label of an event no staff member and no named system made: the applicant's own.
APPLICANT = "applicant"


def append_event(
    dossier: Dossier,
    actor: Any,
    action: str,
    before: int | None,
    *,
    at: dt.datetime | None = None,
    note: str = "",
    by: str = "",
) -> DossierEvent:
    """Events are appended, never edited: `before` → the dossier's status now. Call it once the
    dossier's new state is saved: the monitoring rollups are brought up to date from it, and
    the outbox gets the event for the systems outside (same transaction). Without a staff
    actor the event is the applicant's, unless `by` names the system that acted."""
    staff = staff_user(actor)
    event = DossierEvent.objects.create(
        dossier=dossier,
        at=at or timezone.now(),
        actor=staff,
        actor_label=staff.get_username() if staff else (by[:150] or APPLICANT),
        action=action,
        from_status=before,
        to_status=dossier.status,
        note=note,
    )
    tracking.track(dossier.pk)
    outbox.record(event)
    return event


def issue_slip(
    dossier: Dossier,
    kind: str,
    actor: Any,
    items: list[str],
    *,
    agency: Agency | None = None,
    new_due_at: dt.datetime | None = None,
) -> Slip:
    slip = Slip.objects.create(
        dossier=dossier,
        kind=kind,
        agency=agency,
        new_due_at=new_due_at,
        issued_at=timezone.now(),
        issued_by=staff_user(actor),
        items=items,
    )
    enqueue_on_commit(tasks.render_slip, slip.pk)
    if dossier.applicant_email:
        enqueue_on_commit(tasks.email_slip, slip.pk)
    return slip
