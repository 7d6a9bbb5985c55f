"""Deadline alerts: the periodic pass that flags dossiers due soon and overdue and tells their
handlers and the leaders of the agencies holding them.

A dossier is overdue while an agency holds it past its due instant; one waiting for the
applicant (supplement, financial obligation) is not, since that time does not count against
the agency. Flags follow the dossier: a due date moved later (an extension, a restarted clock)
clears them, so the flags always mark exactly the dossiers that are late now.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from motcua.core.events import publish
from motcua.core.notifications import Message, Recipient, notify
from motcua.dossiers import printing
from motcua.dossiers.models import Dossier, Status, Task
from motcua.monitoring import tracking
from motcua.organisation.models import RoleMembership
from motcua.workcalendar.selectors import calendar_for

# The agency (or, once processed, the receiving point) holds the dossier in these statuses.
HELD = (Status.RECEIVED, Status.PROCESSING, Status.PROCESSED)
DUE_SOON_HOURS = 8  # one working day


@dataclass(frozen=True)
class Flagged:
    overdue: int
    due_soon: int
    cleared: int


@transaction.atomic
def flag_deadlines(now: dt.datetime | None = None) -> Flagged:
    now = now or timezone.now()
    late_now = Q(status__in=HELD, due_at__lt=now)
    no_longer = list(
        Dossier.objects.exclude(overdue_since=None).exclude(late_now).values_list("pk", flat=True)
    )
    cleared = Dossier.objects.filter(pk__in=no_longer).update(overdue_since=None)
    overdue = list(Dossier.objects.filter(late_now, overdue_since=None).select_related("province"))
    Dossier.objects.filter(pk__in=[d.pk for d in overdue]).update(overdue_since=now)
    tracking.track_many([*no_longer, *(d.pk for d in overdue)])
    soon = []
    for code in (
        Dossier.objects.filter(status__in=HELD).values_list("province__code", flat=True).distinct()
    ):
        limit = calendar_for(code).add_working_hours(now, DUE_SOON_HOURS)
        soon += list(
            Dossier.objects.filter(
                status__in=HELD,
                province__code=code,
                due_at__gte=now,
                due_at__lte=limit,
                due_soon_flagged_at=None,
            )
        )
    Dossier.objects.filter(pk__in=[d.pk for d in soon]).update(due_soon_flagged_at=now)
    for dossier in overdue:
        _alert(dossier, "Quá hạn", "dossier.overdue")
    for dossier in soon:
        _alert(dossier, "Sắp đến hạn", "dossier.due_soon")
    return Flagged(overdue=len(overdue), due_soon=len(soon), cleared=cleared)


def _alert(dossier: Dossier, label: str, topic: str) -> None:
    due = timezone.localtime(dossier.due_at).strftime("%H:%M %d/%m/%Y") if dossier.due_at else ""
    text = f"{label}: hồ sơ {dossier.code} hạn {due}."
    for user in _people_to_tell(dossier):
        if user.email:
            notify(
                recipient=Recipient(email=user.email),
                message=Message(
                    subject=text, body=f"{text}\n{printing.staff_url(dossier)}\n", short=text
                ),
                reference=dossier.code,
                topic=topic,
            )
    agencies = dossier.tasks.filter(state=Task.State.OPEN).values_list("agency_id", flat=True)
    for agency_id in {*agencies, dossier.competent_agency_id}:
        publish(f"agency.{agency_id}", topic, {"code": dossier.code})


def _people_to_tell(dossier: Dossier) -> list[Any]:
    """The handlers of the dossier's open steps and the leaders of the agencies holding it."""
    open_tasks = dossier.tasks.filter(state=Task.State.OPEN)
    agencies = set(open_tasks.values_list("agency_id", flat=True)) | {dossier.competent_agency_id}
    handlers = set(open_tasks.exclude(assignee=None).values_list("assignee_id", flat=True))
    leaders = {
        membership.user_id
        for membership in RoleMembership.objects.filter(agency_id__in=agencies).select_related(
            "role"
        )
        if "dossier.approve" in membership.role.permissions
    }
    return list(get_user_model().objects.filter(pk__in=handlers | leaders, is_active=True))
