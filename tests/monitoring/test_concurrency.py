"""Rollups under concurrent writes on PostgreSQL, with real threads each on its own
connection: no increment is lost when many transactions move the same rollup rows at once."""

from __future__ import annotations

from typing import Any

import pytest

from motcua.dossiers import services
from motcua.dossiers.models import Channel
from motcua.monitoring import kpis, tracking
from motcua.monitoring.kpis import Period, Unit
from tests.dossiers.test_concurrency import in_threads
from tests.intake_data import certified_copy
from tests.monitoring.test_tracking import assert_rollups_match
from tests.org import Org

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_parallel_submissions_and_receipts_count_exactly(intake_org: Org) -> None:
    point = intake_org.points["halong"]
    officer = intake_org.users["counter_halong"]

    def submit(index: int) -> int:
        online = index % 3 == 0
        return services.submit_dossier(
            submission=certified_copy()
            if online
            else certified_copy(files={}, on_paper=frozenset({"ban_chinh", "ban_sao"})),
            channel=Channel.ONLINE if online else Channel.COUNTER,
            point=None if online else point,
            actor=None if online else officer,
            outcome=None if online else services.Outcome("accept"),
        ).pk

    ids = in_threads(120, submit)
    # Tracking the same dossiers again from many threads at once changes nothing.
    assert sum(in_threads(len(ids), lambda i: int(tracking.track(ids[i])))) == 0

    figures = kpis.figures(Unit("province", "22"), Period.of("day", kpis.today())).metrics()
    assert figures["filed"] == 120
    assert figures["filed_online"] == 40
    assert figures["received"] == 80
    assert figures["awaiting_receipt"] == 40
    assert tracking.verify() == []
    assert_rollups_match(
        intake_org,
        [
            Unit("province", "22"),
            Unit("commune", intake_org.communes["halong"].code),
            Unit("service_point", str(point.pk)),
            Unit("officer", str(officer.pk)),
        ],
    )
