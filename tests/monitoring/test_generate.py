"""The synthetic province (monitoring/generate.py): a small generated year over the test
organisation plus the demo catalogue and queues, seen from the raw tables."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any

import pytest
from django.db.models import Max

from motcua.core.errors import MotcuaError
from motcua.dossiers import evaluation
from motcua.dossiers.models import (
    DailySequence,
    Dossier,
    DossierDocument,
    DossierEvent,
    Evaluation,
    Result,
    Status,
    Task,
)
from motcua.dossiers.numbering import next_code
from motcua.monitoring import demo, generate, kpis, tracking
from motcua.monitoring.index import Definition
from motcua.monitoring.kpis import Period, Unit
from motcua.monitoring.models import KeyResult, Objective
from motcua.organisation.models import Agency, Province
from motcua.payments.models import Payment
from motcua.queueing.models import DailyQueueStat, QueueService, Rating, Ticket
from motcua.queueing.services import issue_ticket
from motcua.workcalendar.engine import VN_TZ
from motcua.workcalendar.selectors import calendar_for
from tests.monitoring import bruteforce
from tests.org import Org

YEAR = 2026
TET = dt.date(2026, 2, 17)
NOW = dt.datetime(2026, 12, 31, 16, 30, tzinfo=VN_TZ)  # the year as seen at its very end
SIZE = 400


@pytest.fixture
def province(org: Org, settings: Any, tmp_path: Any) -> Org:
    """The test organisation with the demo catalogue and the demo's queues at every centre."""
    from motcua.catalogue import demo as catalogue_demo
    from motcua.queueing import demo as queue_demo

    settings.MEDIA_ROOT = tmp_path / "media"
    catalogue_demo.load_demo()
    queue_demo.build_demo_queues()
    return org


def run(seed: int = 7, **options: Any) -> generate.Report:
    values: dict[str, Any] = {"dossiers": SIZE, "now": NOW, **options}
    return generate.generate(province_code="22", year=YEAR, seed=seed, **values)


@pytest.fixture
def generated(province: Org) -> generate.Report:
    return run()


def month_share(month: int) -> float:
    dossiers = Dossier.objects.filter(submitted_at__month=month, submitted_at__year=YEAR)
    online = dossiers.filter(channel__in=["online", "api"]).count()
    return online / dossiers.count()


def test_a_generated_year_holds_every_record_and_the_rollups_match_it(
    generated: generate.Report,
) -> None:
    assert generated.dossiers == SIZE == Dossier.objects.count()
    assert generated.rows[Dossier._meta.db_table] == SIZE
    assert generated.officers_created > 0  # the test organisation's staff is thin
    assert generate.generated_dossiers("22").count() == SIZE
    returned = Dossier.objects.filter(status=Status.RETURNED).count()
    assert returned > SIZE * 0.8
    assert Evaluation.objects.count() == returned
    assert Result.objects.count() >= returned
    assert DossierEvent.objects.filter(action="submitted").count() == SIZE
    assert DossierEvent.objects.filter(action="returned").count() == returned
    assert Task.objects.filter(kind="approve", state="done").count() >= returned
    assert DossierDocument.objects.filter(dossier__status=Status.RETURNED).count() >= returned
    assert Payment.objects.filter(status=Payment.Status.PAID).exists()
    # Queue tickets for ~0.6 of the dossiers, ratings on ~30 % of those served, closed days.
    tickets = Ticket.objects.count()
    assert generated.tickets == tickets
    assert 0.45 * SIZE < tickets < 0.75 * SIZE
    served = Ticket.objects.filter(status="finished").count()
    assert 0.2 * served < Rating.objects.count() < 0.4 * served
    waits = [
        (t.called_at - t.issued_at).total_seconds() / 60
        for t in Ticket.objects.filter(status="finished")
    ]
    assert min(waits) >= 5
    assert max(waits) <= 25
    assert DailyQueueStat.objects.exists()
    closed = set(Ticket.objects.filter(day__lt=NOW.date()).values_list("day", flat=True))
    assert set(DailyQueueStat.objects.values_list("day", flat=True)) == closed  # today is live
    assert tracking.verify() == []


def test_the_online_share_grows_over_the_year(generated: generate.Report) -> None:
    assert month_share(1) < 0.3
    assert month_share(12) > month_share(1) + 0.3


def test_tet_empties_its_week_after_a_rush(generated: generate.Report) -> None:
    def per_day(first: dt.date, last: dt.date) -> float:
        start = dt.datetime.combine(first, dt.time(), tzinfo=VN_TZ)
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=VN_TZ)
        filed = Dossier.objects.filter(submitted_at__gte=start, submitted_at__lt=end).count()
        return filed / ((last - first).days + 1)

    around = per_day(TET - dt.timedelta(days=3), TET + dt.timedelta(days=7))
    rush = per_day(TET - dt.timedelta(days=30), TET - dt.timedelta(days=8))
    usual = per_day(dt.date(2026, 3, 16), dt.date(2026, 6, 14))
    assert around < usual / 4
    assert rush > usual


def test_finished_dossiers_are_mostly_early_and_few_late(generated: generate.Report) -> None:
    mix = Counter(Dossier.objects.exclude(timeliness="").values_list("timeliness", flat=True))
    total = sum(mix.values())
    assert mix["early"] / total > 0.45
    assert mix["on_time"] / total > 0.25
    assert 0.01 < mix["late"] / total < 0.1
    # What "now" finds: some at receipt or in progress, waiting, refused or stopped.
    statuses = Counter(Dossier.objects.values_list("status", flat=True))
    assert statuses[Status.NOT_RECEIVED] + statuses[Status.STOPPED] > 0
    assert statuses[Status.SUPPLEMENT] > 0
    assert sum(statuses[s] for s in (Status.NEW, Status.RECEIVED, Status.PROCESSING)) > 0


def test_codes_are_unique_and_numbered_like_real_ones(generated: generate.Report) -> None:
    rows = list(
        Dossier.objects.values_list("code", "receiving_agency__code", "submitted_at", "channel")
    )
    codes = [code for code, *_rest in rows]
    assert len(set(codes)) == len(codes)
    for code, agency_code, submitted_at, _channel in rows:
        day = submitted_at.astimezone(VN_TZ).date()
        assert re.fullmatch(rf"{re.escape(agency_code)}-{day:%y%m%d}-\d{{4}}", code), code
    # The agencies' daily sequences went on: the next real dossier of a generated day gets a
    # new number.
    code, agency_code, submitted_at, _channel = rows[len(rows) // 2]
    agency = Agency.objects.get(code=agency_code)
    last = DailySequence.objects.filter(agency=agency).aggregate(m=Max("last"))["m"]
    assert last is not None
    assert next_code(agency, submitted_at) not in set(codes)
    # Every daily counter stands at the last number generated for its agency and day.
    highest: dict[tuple[str, str], int] = {}
    for code in codes:
        agency_code, stamp, number = code.rsplit("-", 2)
        key = (agency_code, stamp)
        highest[key] = max(highest.get(key, 0), int(number))
    counters = {
        (row.agency.code, f"{row.day:%y%m%d}"): row.last
        for row in DailySequence.objects.select_related("agency")
    }
    counters[(agency.code, f"{submitted_at.astimezone(VN_TZ):%y%m%d}")] -= 1  # next_code's
    assert counters == highest
    # Online filings happen on days off too; counter ones only on working days.
    counter_days = {s.astimezone(VN_TZ).weekday() for _c, _a, s, ch in rows if ch == "counter"}
    assert counter_days <= {0, 1, 2, 3, 4, 5}  # a make-up Saturday is a working day


def test_evaluations_score_as_dossiers_evaluation_does(generated: generate.Report) -> None:
    calendar = calendar_for("22")
    fields = (
        "total_time",
        "agency_time",
        "contacts",
        "agencies_contacted",
        "contact_count",
        "agency_count",
        "per_agency",
    )
    stored = {e.dossier_id: e for e in Evaluation.objects.all()}
    assert len(stored) > SIZE * 0.8
    scores: Counter[int] = Counter()
    for dossier in Dossier.objects.filter(pk__in=list(stored)):
        generated_row = stored[dossier.pk]
        scores[generated_row.agency_time] += 1
        recomputed = evaluation.evaluate(dossier, calendar, NOW)
        assert [getattr(generated_row, f) for f in fields] == [
            getattr(recomputed, f) for f in fields
        ], dossier.code
    assert scores[2] > 0
    assert scores[0] + scores[1] > 0


def test_the_rollups_agree_with_a_brute_force_count(generated: generate.Report) -> None:
    year = Period.of("year", NOW.date())
    halong = Dossier.objects.filter(commune__code="06688").values_list(
        "competent_agency_id", flat=True
    )
    units = [Unit("province", "22"), Unit("agency", str(halong[0]))]
    units += [Unit("commune", code) for code in ("06688", "06673", "06685")]
    definition = Definition.load()
    for unit in units:
        for period in (
            year,
            Period.of("month", dt.date(2026, 3, 15)),
            Period.of("quarter", NOW.date()),
        ):
            stored, brute = kpis.figures(unit, period), bruteforce.figures(unit, period)
            assert stored.unit == brute.unit, (unit, period)
            assert stored.stock == brute.stock, (unit, period)
            assert stored.metrics() == brute.metrics(), (unit, period)
            assert definition.score(stored).total == definition.score(brute).total
        stored = kpis.figures(unit, year)
        assert stored.unit["filed_online"] > 0
        assert stored.unit["finished_early"] > 0


def test_the_same_seed_gives_the_same_year(province: Org) -> None:
    def signature() -> list[tuple[Any, ...]]:
        return sorted(
            Dossier.objects.values_list(
                "procedure__code",
                "channel",
                "status",
                "submitted_at",
                "finished_at",
                "timeliness",
                "receiving_point_id",
                "applicant_name",
            )
        )

    def tickets() -> list[tuple[Any, ...]]:
        return sorted(Ticket.objects.values_list("issued_at", "status", "service_point_id"))

    run(seed=3, dossiers=200)
    first, first_tickets = signature(), tickets()
    report = run(seed=3, dossiers=200, replace=True)
    assert report.deleted == 200
    assert report.officers_created == 0  # those of the first run are found again
    assert signature() == first
    assert tickets() == first_tickets
    run(seed=4, dossiers=200, replace=True)
    assert signature() != first


def test_replace_removes_only_what_was_generated(province: Org) -> None:
    run(dossiers=150)
    service = QueueService.objects.filter(service_point=province.points["halong"]).first()
    assert service is not None
    real = issue_ticket(service=service)
    report = run(dossiers=120, replace=True)
    assert report.deleted == 150
    assert Dossier.objects.count() == 120
    # The closed days are those of the tickets there now, not of those deleted.
    tickets = generate.generated_tickets("22").filter(day__lt=NOW.date())
    closed = set(DailyQueueStat.objects.values_list("day", flat=True))
    assert closed == set(tickets.values_list("day", flat=True))
    assert Ticket.objects.filter(pk=real.pk).exists()
    assert tracking.verify() == []
    # Without --replace a second batch is added, numbered after the first.
    run(dossiers=80, seed=9)
    assert Dossier.objects.count() == 200
    assert tracking.verify() == []


def test_a_province_without_an_organisation_is_refused(province: Org) -> None:
    with pytest.raises(MotcuaError) as unknown:
        generate.generate(province_code="99", year=YEAR, dossiers=10, now=NOW)
    assert unknown.value.code == "province_not_set_up"
    Province.objects.create(code="01", name="Thành phố Hà Nội", short_name="Hà Nội", kind="tinh")
    with pytest.raises(MotcuaError) as empty:
        generate.generate(province_code="01", year=YEAR, dossiers=10, now=NOW)
    assert empty.value.code == "province_not_set_up"
    with pytest.raises(MotcuaError):
        generate.generate(province_code="22", year=2030, dossiers=10, now=NOW)
    assert not Dossier.objects.exists()


def test_the_demo_generates_once_and_seeds_its_okrs_once(province: Org, settings: Any) -> None:
    settings.MONITORING_DEMO_DOSSIERS = 150
    first = demo.load_demo()
    dossiers, objectives = Dossier.objects.count(), Objective.objects.count()
    assert dossiers > 0
    assert objectives == 4
    assert KeyResult.objects.filter(metric="online_share", target="0.70").exists()
    second = demo.load_demo()
    assert (Dossier.objects.count(), Objective.objects.count()) == (dossiers, objectives)
    assert KeyResult.objects.count() == 10
    assert first != second
