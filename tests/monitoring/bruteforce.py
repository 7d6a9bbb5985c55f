"""KPIs recomputed the slow way: straight ORM counts over the raw tables, sharing no code with
the rollups (monitoring/contribution.py), to check them against."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Q, Sum

from motcua.dossiers import workflow
from motcua.dossiers.models import Dossier, DossierDocument, Evaluation, Result, Status, Task
from motcua.monitoring.kpis import Figures, Period, Unit
from motcua.organisation.models import ServicePoint
from motcua.payments.models import Payment
from motcua.queueing.models import Rating, Ticket
from motcua.workcalendar.engine import VN_TZ
from motcua.workcalendar.selectors import calendar_for


def _range(period: Period) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(period.start, dt.time(), tzinfo=VN_TZ)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), tzinfo=VN_TZ)
    return start, end


def _in(field: str, period: Period) -> Q:
    start, end = _range(period)
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def _dossiers(unit: Unit) -> Q:
    return {
        "province": Q(province__code=unit.key),
        "commune": Q(commune__code=unit.key),
        "agency": Q(competent_agency_id=int(unit.key) if unit.key.isdigit() else 0),
        "service_point": Q(receiving_point_id=int(unit.key) if unit.key.isdigit() else 0),
    }[unit.kind]


def _points(unit: Unit) -> list[int]:
    points = ServicePoint.objects.all()
    if unit.kind == "province":
        points = points.filter(province__code=unit.key)
    elif unit.kind == "commune":
        points = points.filter(commune__code=unit.key)
    elif unit.kind == "agency":
        points = points.filter(agency_id=int(unit.key))
    else:
        points = points.filter(pk=int(unit.key))
    return list(points.values_list("pk", flat=True))


def figures(unit: Unit, period: Period) -> Figures:
    result = Figures()
    if unit.kind == "officer":
        _officer(result, int(unit.key), period)
        _queue(result, Q(officer_id=int(unit.key)), period)
        return result
    mine = Dossier.objects.filter(_dossiers(unit))
    u = result.unit
    for channel in ("online", "counter", "post", "api"):
        u[f"filed_{channel}"] = mine.filter(_in("submitted_at", period), channel=channel).count()
    u["received"] = mine.filter(_in("received_at", period)).count()
    u["refused"] = mine.filter(_in("submitted_at", period), status=Status.NOT_RECEIVED).count()
    finished = mine.filter(_in("finished_at", period))
    for timeliness in ("early", "on_time", "late"):
        u[f"finished_{timeliness}"] = (
            finished.filter(timeliness=timeliness).exclude(status=Status.STOPPED).count()
        )
    u["stopped"] = finished.filter(status=Status.STOPPED).count()
    documents = DossierDocument.objects.filter(dossier__in=mine.filter(_in("submitted_at", period)))
    held = documents.filter(state__in=["submitted", "reused"])
    u["documents"] = held.count()
    u["documents_digitised"] = held.filter(~Q(file="") | Q(stored_document__isnull=False)).count()
    u["documents_reused"] = documents.filter(state__in=["reused", "replaced"]).count()
    issued = Result.objects.filter(_in("approved_at", period), dossier__in=mine)
    u["results"] = issued.count()
    u["results_signed"] = issued.exclude(signed_at=None).count()
    paid = Payment.objects.filter(
        _in("settled_at", period),
        status=Payment.Status.PAID,
        reference__in=mine.values("code"),
    )
    u["payments"] = paid.count()
    u["payments_online"] = paid.filter(method=Payment.Method.ONLINE).count()
    evaluations = Evaluation.objects.filter(_in("evaluated_at", period), dossier__in=mine)
    sums = evaluations.aggregate(
        a=Sum("total_time"), b=Sum("agency_time"), c=Sum("contacts"), d=Sum("agencies_contacted")
    )
    u["evaluated"] = evaluations.count()
    u["eval_total_time"], u["eval_agency_time"] = sums["a"] or 0, sums["b"] or 0
    u["eval_contacts"], u["eval_places"] = sums["c"] or 0, sums["d"] or 0

    s = result.stock
    s["awaiting_receipt"] = mine.filter(status=Status.NEW).count()
    s["in_progress"] = mine.exclude(received_at=None).filter(status__in=[2, 4, 5, 6, 7, 9]).count()
    s["waiting_applicant"] = mine.filter(status__in=[5, 6]).count()
    s["overdue"] = mine.exclude(overdue_since=None).count()
    _queue(result, Q(service_point_id__in=_points(unit)), period)
    return result


def _officer(result: Figures, officer_id: int, period: Period) -> None:
    o = result.officer
    o["received"] = Dossier.objects.filter(
        _in("received_at", period), received_by=officer_id
    ).count()
    steps = Task.objects.filter(_in("closed_at", period), closed_by=officer_id, state="done")
    o["steps_done"] = steps.count()
    for name in ("early", "on_time", "late"):
        o[f"steps_{name}"] = 0
    for step in steps.exclude(due_at=None).select_related("dossier__province"):
        verdict = workflow.timeliness(
            step.closed_at, step.due_at, calendar_for(step.dossier.province.code)
        )
        o[f"steps_{verdict}"] += 1
    evaluations = Evaluation.objects.filter(
        _in("evaluated_at", period),
        dossier__tasks__closed_by=officer_id,
        dossier__tasks__state="done",
    ).distinct()
    o["evaluated"] = evaluations.count()
    o["eval_points"] = sum(e.score for e in evaluations)


def _queue(result: Figures, where: Q, period: Period) -> None:
    tickets = Ticket.objects.filter(where, day__gte=period.start, day__lte=period.end)
    q = result.queue
    q.issued = tickets.count()
    served = tickets.filter(status=Ticket.Status.FINISHED)
    q.served = served.count()
    q.no_shows = tickets.filter(status=Ticket.Status.NO_SHOW).count()
    q.cancelled = tickets.filter(status=Ticket.Status.CANCELLED).count()
    waits = [
        int((t.called_at - t.issued_at).total_seconds()) for t in served.exclude(called_at=None)
    ]
    q.wait_seconds, q.max_wait_seconds = sum(waits), max(waits, default=0)
    timed = served.exclude(started_at=None).exclude(finished_at=None)
    q.service_seconds = sum(int((t.finished_at - t.started_at).total_seconds()) for t in timed)
    q.service_count = timed.count()
    ratings = Rating.objects.filter(ticket__in=tickets)
    q.ratings = ratings.count()
    q.rating_sum = sum((r.average for r in ratings), Decimal(0))
