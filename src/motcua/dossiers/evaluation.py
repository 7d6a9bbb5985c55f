"""The evaluation of one finished dossier by TT 01/2018/TT-VPCP (its indices 1–4).

Each index scores 2, 1 or 0:

1. total processing time against the statutory time: early 2, on time 1, late 0;
2. time at each agency that took part: every agency early 2, none late 1, any late 0;
3. contacts the applicant needed to complete the dossier: none 2, one 1, more 0 (every
   supplement request, at receipt or after it, is a contact);
4. places the applicant had to go to: one (the one-stop point) 2, two 1, more 0.

DOMAIN.md quotes the bands of index 1 (shorter 2 / equal 1 / longer 0); those of indices 2–4
follow the same pattern as read here, and are kept in this one place should the province's
reading differ.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from motcua.dossiers import workflow
from motcua.dossiers.models import Dossier, Evaluation, Slip, Task, Timeliness
from motcua.workcalendar.engine import WorkingCalendar

SCORE = {Timeliness.EARLY: 2, Timeliness.ON_TIME: 1, Timeliness.LATE: 0}


def count_score(count: int) -> int:
    return 2 if count <= 0 else 1 if count == 1 else 0


def _agency_results(dossier: Dossier, calendar: WorkingCalendar) -> dict[str, dict[str, str]]:
    """Each agency's worst timeliness over its done steps and consultations."""
    results: dict[str, dict[str, str]] = {}
    done = dossier.tasks.filter(state=Task.State.DONE).exclude(due_at=None).select_related("agency")
    for task in done:
        assert task.closed_at
        assert task.due_at
        verdict = workflow.timeliness(task.closed_at, task.due_at, calendar)
        entry = results.setdefault(
            task.agency.code, {"name": task.agency.name, "result": Timeliness.EARLY}
        )
        if SCORE[Timeliness(verdict)] < SCORE[Timeliness(entry["result"])]:
            entry["result"] = verdict
    return results


def evaluate(dossier: Dossier, calendar: WorkingCalendar, now: dt.datetime) -> Evaluation:
    per_agency = _agency_results(dossier, calendar)
    verdicts = [Timeliness(entry["result"]) for entry in per_agency.values()]
    agency_time = (
        2
        if all(v == Timeliness.EARLY for v in verdicts)
        else 1
        if Timeliness.LATE not in verdicts
        else 0
    )
    contacts = dossier.slips.filter(kind=Slip.Kind.SUPPLEMENT).count()
    # The applicant deals with the receiving point only, unless a step at another point of
    # the province needed them (a result returned elsewhere, say).
    places = {dossier.receiving_point_id} | set(
        dossier.tasks.filter(Q(kind=Task.Kind.RECEIVE) | Q(kind=Task.Kind.RETURN))
        .exclude(service_point=None)
        .values_list("service_point_id", flat=True)
    )
    evaluation, _ = Evaluation.objects.update_or_create(
        dossier=dossier,
        defaults={
            "evaluated_at": now,
            "total_time": SCORE[Timeliness(dossier.timeliness)],
            "agency_time": agency_time,
            "contacts": count_score(contacts),
            "agencies_contacted": count_score(len(places) - 1),
            "contact_count": contacts,
            "agency_count": len(places),
            "per_agency": per_agency,
        },
    )
    return evaluation
