"""Concurrent intake on PostgreSQL, with real threads each on its own connection: codes are
never duplicated, and concurrent retries of one submission make one dossier."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection

from motcua.dossiers import services
from motcua.dossiers.models import Channel, Dossier
from tests.intake_data import certified_copy
from tests.org import Org

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_threads(count: int, work: Callable[[int], Any], workers: int = 16) -> list[Any]:
    def run(index: int) -> Any:
        try:
            return work(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, range(count)))


def test_two_hundred_parallel_submissions_get_two_hundred_codes(intake_org: Org) -> None:
    point = intake_org.points["halong"]
    officer = intake_org.users["counter_halong"]

    def submit(index: int) -> str:
        channel = Channel.ONLINE if index % 2 else Channel.COUNTER
        return services.submit_dossier(
            submission=certified_copy(files={}, on_paper=frozenset({"ban_chinh", "ban_sao"}))
            if channel == Channel.COUNTER
            else certified_copy(),
            channel=channel,
            point=point if channel == Channel.COUNTER else None,
            actor=officer if channel == Channel.COUNTER else None,
        ).code

    codes = in_threads(200, submit)
    assert len(set(codes)) == 200
    numbers = sorted(int(code.rsplit("-", 1)[1]) for code in codes)
    assert numbers == list(range(1, 201))  # consecutive: no number lost or given twice
    assert Dossier.objects.count() == 200


def test_concurrent_retries_of_one_submission_make_one_dossier(intake_org: Org) -> None:
    def submit(_: int) -> int:
        return services.submit_dossier(
            submission=certified_copy(), channel=Channel.ONLINE, key="retry-key"
        ).pk

    ids = in_threads(12, submit, workers=12)
    assert len(set(ids)) == 1
    assert Dossier.objects.count() == 1


def test_two_officers_deciding_at_once_one_wins(intake_org: Org) -> None:
    dossier = services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    officer = intake_org.users["counter_halong"]

    def decide(index: int) -> str:
        try:
            if index % 2:
                services.accept_dossier(dossier=dossier, actor=officer)
            else:
                services.refuse_dossier(dossier=dossier, actor=officer, items=("lý do",))
        except services.Conflict as error:
            return error.code
        return "applied"

    results = in_threads(6, decide, workers=6)
    assert results.count("applied") == 1
    assert results.count("illegal_transition") == 5
    assert Dossier.objects.get().slips.count() == 1


def test_two_simultaneous_approvals_apply_exactly_one(processing_org: Org) -> None:
    """Two leaders (or one leader's double click) approve the same proposal at once: the
    dossier's row lock serialises them; the second finds no open approval step (409) and
    nothing of it is half-applied: one result, one event, one signing job."""
    from motcua.dossiers import processing
    from motcua.dossiers.models import DossierEvent, Result
    from tests.dossiers.test_processing import received

    users = processing_org.users
    dossier = received(processing_org)
    processing.assign_handler(
        dossier=dossier, assignee=users["officer_stp"], actor=users["leader_stp"]
    )
    processing.propose(dossier=dossier, decision="grant", note="", actor=users["officer_stp"])
    revision = Dossier.objects.get(pk=dossier.pk).revision

    def approve(index: int) -> str:
        try:
            processing.approve(
                dossier=dossier,
                actor=users["leader_stp"],
                revision=revision if index % 2 else None,
            )
        except services.Conflict as error:
            return error.code
        return "applied"

    outcomes = in_threads(8, approve, workers=8)
    assert outcomes.count("applied") == 1
    assert set(outcomes) - {"applied"} <= {"illegal_transition", "stale_dossier"}
    assert Result.objects.filter(dossier=dossier).count() == 1
    assert DossierEvent.objects.filter(dossier=dossier, action="approved").count() == 1
    assert Dossier.objects.get(pk=dossier.pk).revision == revision + 1
