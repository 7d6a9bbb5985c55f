"""The officers' inboxes: what waits for each officer and each agency, with filters and counts.

* to receive — online dossiers and supplements waiting for the check at the officer's points;
* to assign — handling steps of the officer's agencies that no handler has yet (leaders);
* to handle — steps assigned to the officer, and consultations asked of their agencies;
* to approve — approval steps of the officer's agencies (leaders);
* to sign — approved results of those agencies whose signature is not done yet;
* to return — results signed and waiting at the officer's points to be handed back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.core.permissions import Principal
from motcua.dossiers.models import Dossier, Result, Status, Task
from motcua.dossiers.workflow import WAITING_FOR_APPLICANT
from motcua.workcalendar.selectors import calendar_for

BOXES: dict[str, Any] = {
    "receive": _("To receive"),
    "assign": _("To assign"),
    "handle": _("To handle"),
    "approve": _("To approve"),
    "sign": _("To sign"),
    "return": _("To return"),
}
FILTERS: dict[str, Any] = {
    "due_today": _("Due today"),
    "due_soon": _("Due soon"),
    "overdue": _("Overdue"),
    "waiting": _("Waiting for the applicant"),
}
BOX_PERMISSION = {
    "receive": "dossier.receive",
    "assign": "dossier.approve",
    "handle": "dossier.process",
    "approve": "dossier.approve",
    "sign": "dossier.approve",
    "return": "dossier.receive",
}


def boxes_for(principal: Principal) -> list[str]:
    return [box for box, permission in BOX_PERMISSION.items() if principal.has(permission)]


def _open_tasks(principal: Principal, user_id: int | None, box: str) -> QuerySet[Task]:
    tasks = Task.objects.filter(state=Task.State.OPEN).select_related(
        "dossier__version", "dossier__receiving_point", "agency", "assignee"
    )
    agencies = Q(agency_id__in=sorted(principal.agency_ids))
    if box == "assign":
        return tasks.filter(agencies, kind=Task.Kind.HANDLE, assignee=None)
    if box == "handle":
        return tasks.filter(
            Q(kind=Task.Kind.HANDLE, assignee_id=user_id) | Q(agencies, kind=Task.Kind.CONSULT)
        )
    if box == "approve":
        return tasks.filter(agencies, kind=Task.Kind.APPROVE)
    # "return": results signed, waiting at the officer's points.
    return tasks.filter(
        kind=Task.Kind.RETURN,
        service_point_id__in=sorted(principal.service_point_ids),
        dossier__result__signed_at__isnull=False,
    )


def _search(rows: QuerySet[Any], prefix: str, query: str) -> QuerySet[Any]:
    text = query.strip()
    if not text:
        return rows
    return rows.filter(
        Q(**{f"{prefix}code__icontains": text})
        | Q(**{f"{prefix}applicant_id_number": text.replace(" ", "")})
        | Q(**{f"{prefix}applicant_name__icontains": text})
    )


def _deadline_filter(
    rows: QuerySet[Any], due: str, status: str, name: str, now: dt.datetime, province: str
) -> QuerySet[Any]:
    calendar = calendar_for(province or None)
    if name == "overdue":
        return rows.filter(**{f"{due}__lt": now})
    if name == "due_today":
        end = calendar.end_of_working_day(timezone.localtime(now).date())
        return rows.filter(**{f"{due}__gte": now, f"{due}__lte": end})
    if name == "due_soon":
        limit = calendar.add_working_hours(now, 8)
        return rows.filter(**{f"{due}__gte": now, f"{due}__lte": limit})
    if name == "waiting":
        return rows.filter(**{f"{status}__in": WAITING_FOR_APPLICANT})
    return rows


def inbox(
    principal: Principal,
    user_id: int | None,
    box: str,
    *,
    filter_name: str = "",
    query: str = "",
    now: dt.datetime | None = None,
) -> QuerySet[Any]:
    """The rows of one box (tasks, or dossiers for the boxes without a task), oldest due
    first. Empty for a box the principal has no permission for."""
    now = now or timezone.now()
    province = next(iter(principal.province_codes), "")
    if box not in boxes_for(principal):
        return Task.objects.none()
    if box == "receive":
        dossiers = Dossier.objects.filter(
            receiving_point_id__in=sorted(principal.service_point_ids),
            status__in=[Status.NEW, Status.SUPPLEMENT],
        ).select_related("version", "receiving_point")
        dossiers = _search(dossiers, "", query)
        return _deadline_filter(
            dossiers, "check_due_at", "status", filter_name, now, province
        ).order_by("check_due_at", "pk")
    if box == "sign":
        results = Result.objects.filter(
            agency_id__in=sorted(principal.agency_ids), signed_at=None
        ).select_related("dossier__version", "agency")
        results = _search(results, "dossier__", query)
        return _deadline_filter(
            results, "dossier__due_at", "dossier__status", filter_name, now, province
        ).order_by("approved_at", "pk")
    tasks = _search(_open_tasks(principal, user_id, box), "dossier__", query)
    return _deadline_filter(
        tasks, "due_at", "dossier__status", filter_name, now, province
    ).order_by("due_at", "pk")


def counts(principal: Principal, user_id: int | None) -> dict[str, int]:
    return {box: inbox(principal, user_id, box).count() for box in boxes_for(principal)}
