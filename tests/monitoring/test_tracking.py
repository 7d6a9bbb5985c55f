"""The rollups follow a live workload exactly: after every kind of dossier change they equal a
brute-force recomputation over the raw tables, and `verify-kpis` finds nothing to report."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command

from motcua.dossiers import alerts, processing, services
from motcua.dossiers.models import Channel, Dossier
from motcua.monitoring import kpis, tracking
from motcua.monitoring.index import Definition
from motcua.monitoring.kpis import Period, Unit
from motcua.monitoring.models import TrackedDossier, UnitDay, UnitStock
from motcua.payments import services as payments
from tests.intake_data import certified_copy
from tests.monitoring import bruteforce
from tests.monitoring.flows import processed
from tests.org import Org
from tests.processing_data import judicial_record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _counter(org: Org, submission: Any, decision: str = "accept", items: tuple = ()) -> Dossier:
    return services.submit_dossier(
        submission=submission,
        channel=Channel.COUNTER,
        actor=org.users["counter_halong"],
        point=org.points["halong"],
        outcome=services.Outcome(decision, items),
    )


def _returned(org: Org) -> Dossier:
    return processed(org, _counter(org, judicial_record()))


def workload(org: Org) -> dict[str, Dossier]:
    """One dossier in each state the rollups tell apart."""
    users = org.users
    made = {"returned": _returned(org)}
    made["online"] = services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    made["refused"] = _counter(
        org,
        certified_copy(files={}, on_paper=frozenset({"ban_chinh", "ban_sao"})),
        "refuse",
        ("Không thuộc thẩm quyền",),
    )
    waiting = _counter(org, judicial_record())
    processing.assign_handler(
        dossier=waiting, assignee=users["officer_stp"], actor=users["leader_stp"]
    )
    processing.request_supplement_after_receipt(
        dossier=waiting, items=["Tờ khai thiếu chữ ký"], actor=users["officer_stp"]
    )
    made["waiting"] = waiting
    stopped = _counter(org, judicial_record())
    processing.request_stop(dossier=stopped, reason="Không cần nữa")
    made["stopped"] = processing.stop(dossier=stopped, actor=users["counter_halong"])
    made["in_progress"] = _counter(org, judicial_record())
    return made


def _units(org: Org) -> list[Unit]:
    return [
        Unit("province", org.province.code),
        Unit("commune", org.communes["halong"].code),
        Unit("agency", str(org.agencies["stp"].pk)),
        Unit("service_point", str(org.points["halong"].pk)),
        Unit("officer", str(org.users["officer_stp"].pk)),
        Unit("officer", str(org.users["counter_halong"].pk)),
    ]


def assert_rollups_match(org: Org, units: list[Unit] | None = None) -> None:
    today = kpis.today()
    periods = [Period.of(kind, today) for kind in ("day", "week", "month", "year")]
    definition = Definition.load()
    for unit in units or _units(org):
        for period in periods:
            stored, brute = kpis.figures(unit, period), bruteforce.figures(unit, period)
            assert stored.unit == brute.unit, (unit, period)
            assert stored.stock == brute.stock, (unit, period)
            assert stored.officer == brute.officer, (unit, period)
            assert stored.metrics() == brute.metrics(), (unit, period)
            assert definition.score(stored).total == definition.score(brute).total
    # The grouped reads of the drill-down tables agree with the unit's own figures.
    province = Unit("province", org.province.code)
    for kind in ("commune", "agency", "service_point"):
        for key, grouped in kpis.figures_by(kind, periods[-1], within=province).items():
            alone = kpis.figures(Unit(kind, key), periods[-1])
            assert (grouped.unit, grouped.stock) == (alone.unit, alone.stock), (kind, key)
            assert grouped.metrics() == alone.metrics(), (kind, key)
    assert tracking.verify() == []


def test_every_kind_of_change_is_counted_where_it_happened(processing_org: Org) -> None:
    made = workload(processing_org)
    assert_rollups_match(processing_org)
    today = kpis.today()
    province = kpis.figures(Unit("province", "22"), Period.of("day", today)).metrics()
    assert province["filed"] == 6
    assert province["filed_online"] == 1
    assert province["refused"] == 1
    assert province["stopped"] == 1
    assert province["finished_early"] == 1
    assert province["on_time_rate"] == 1
    assert province["results_signed_rate"] == 1
    assert province["evaluated"] == 1
    assert (province["in_progress"], province["waiting_applicant"]) == (2, 1)
    assert province["awaiting_receipt"] == 1
    officer = kpis.figures(
        Unit("officer", str(processing_org.users["officer_stp"].pk)), Period.of("day", today)
    ).metrics()
    assert officer["officer_steps_done"] >= 1
    assert officer["officer_evaluated"] == 1
    assert TrackedDossier.objects.count() == len(made)


def test_deadline_flags_move_the_overdue_stock_both_ways(processing_org: Org) -> None:
    dossier = _counter(processing_org, judicial_record())
    assert dossier.due_at is not None
    with time_machine.travel(dossier.due_at + dt.timedelta(hours=1)):
        alerts.flag_deadlines()
    assert (
        kpis.figures(Unit("province", "22"), Period.of("day", kpis.today())).stock["overdue"] == 1
    )
    assert_rollups_match(processing_org)
    Dossier.objects.filter(pk=dossier.pk).update(due_at=dossier.due_at + dt.timedelta(days=30))
    alerts.flag_deadlines()
    assert UnitStock.objects.get().overdue == 0
    assert_rollups_match(processing_org)


def test_a_fee_paid_at_the_counter_counts_on_the_day_it_was_paid(
    processing_org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    dossier = _counter(processing_org, judicial_record())
    payment = payments.create_payment(reference=dossier.code, purpose="Lệ phí", amount=20000)
    with django_capture_on_commit_callbacks(execute=True):
        payments.record_counter_payment(
            payment=payment, method="cash", actor=processing_org.users["counter_halong"]
        )
    figures = kpis.figures(Unit("province", "22"), Period.of("day", kpis.today())).metrics()
    assert (figures["payments"], figures["payments_online"]) == (1, 0)
    assert figures["online_payment_share"] == 0
    assert_rollups_match(processing_org)


def test_tracking_again_changes_nothing(processing_org: Org) -> None:
    dossier = _returned(processing_org)
    rows = list(UnitDay.objects.values())
    assert tracking.track(dossier.pk) is False
    assert list(UnitDay.objects.values()) == rows


def test_verify_kpis_reports_a_tampered_row_and_repairs_it(processing_org: Org) -> None:
    workload(processing_org)
    call_command("verify_kpis", stdout=StringIO())
    row = UnitDay.objects.filter(received__gt=0).first()
    assert row is not None
    UnitDay.objects.filter(pk=row.pk).update(received=row.received + 5)
    TrackedDossier.objects.filter(pk=Dossier.objects.first().pk).update(applied={})
    with pytest.raises(CommandError, match="differences"):
        call_command("verify_kpis", stdout=StringIO())
    differences = tracking.verify()
    assert any(d.counter == "received" and d.stored == d.expected + 5 for d in differences)
    assert any(d.row.startswith("tracked|") for d in differences)
    out = StringIO()
    call_command("verify_kpis", "--repair", stdout=out)
    assert "Rebuilt" in out.getvalue()
    assert tracking.verify() == []
    assert_rollups_match(processing_org)


def test_periods_and_comparisons() -> None:
    day = dt.date(2026, 11, 18)  # a Wednesday
    assert Period.of("week", day) == Period("week", dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert Period.of("month", day).previous() == Period(
        "month", dt.date(2026, 10, 1), dt.date(2026, 10, 31)
    )
    quarter = Period.of("quarter", day)
    assert (quarter.start, quarter.end) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert quarter.previous().start == dt.date(2026, 7, 1)
    assert Period.of("year", day).previous().start == dt.date(2025, 1, 1)
    custom = Period.custom(dt.date(2026, 11, 10), dt.date(2026, 11, 1))
    assert (custom.start, custom.days) == (dt.date(2026, 11, 1), 10)
    assert custom.previous() == Period("custom", dt.date(2026, 10, 22), dt.date(2026, 10, 31))
    with pytest.raises(ValueError, match="unknown period"):
        Period.of("decade", day)
