"""The monitoring API: every KPI, the index, the ranking and the OKRs of a unit, read from the
rollups that real dossiers move, within each role's jurisdiction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from motcua.dossiers import services
from motcua.dossiers.models import Channel, Dossier
from motcua.monitoring import index, kpis
from motcua.monitoring.models import IndexIndicator, KeyResult, Objective
from motcua.organisation import services as organisation
from motcua.organisation.models import Role
from motcua.workcalendar.engine import VN_TZ
from tests.monitoring.flows import processed
from tests.org import Org
from tests.processing_data import judicial_record

pytestmark = pytest.mark.django_db

# A Tuesday morning: a dossier received and processed then is finished early.
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=VN_TZ)
TODAY = NOW.date()
PROVINCE = "province:22"
HALONG = "commune:06688"
BAICHAY = "commune:06673"
DECEMBER = kpis.Period.of("month", TODAY)


@pytest.fixture(autouse=True)
def frozen_and_in_tmp(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def leaders(processing_org: Org) -> Org:
    """Two commune leaders (Hạ Long and Bãi Cháy) beside the test organisation's staff."""
    role = Role.objects.get(code="commune_leader")
    for key, commune in (("leader_c_halong", "halong"), ("leader_c_baichay", "baichay")):
        user = get_user_model().objects.create_user(username=key, password="pw-" + key)
        organisation.grant_role(user=user, role=role, scope=processing_org.communes[commune])
        processing_org.users[key] = user
    return processing_org


def client(org: Org, key: str | None) -> Client:
    browser = Client()
    if key is not None:
        browser.force_login(org.users[key])
    return browser


def get(browser: Client, name: str, **params: Any) -> Any:
    return browser.get(reverse(f"api:monitoring_{name}"), params)


def officer(org: Org, key: str) -> str:
    return f"officer:{org.users[key].pk}"


def agency(org: Org, key: str) -> str:
    return f"agency:{org.agencies[key].pk}"


def filed(org: Org) -> Dossier:
    """A judicial record dossier filed and received at the Hạ Long centre, for the
    Department of Justice."""
    return services.submit_dossier(
        submission=judicial_record(),
        channel=Channel.COUNTER,
        actor=org.users["counter_halong"],
        point=org.points["halong"],
        outcome=services.Outcome("accept"),
    )


def as_numbers(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in metrics.items()}


# Values ------------------------------------------------------------------------------------


def test_kpis_follow_a_dossier_from_filing_to_return(leaders: Org) -> None:
    monitor = client(leaders, "monitor")
    before = get(monitor, "kpis", unit=HALONG)
    assert before.status_code == 200, before.json()
    assert before.json()["metrics"]["filed"] == 0
    assert before.json()["metrics"]["on_time_rate"] is None

    dossier = filed(leaders)
    received = get(monitor, "kpis", unit=HALONG).json()
    assert received["unit"] == {"kind": "commune", "key": "06688", "name": "Phường Hạ Long"}
    assert received["period"] == {"kind": "month", "start": "2026-12-01", "end": "2026-12-31"}
    metrics = received["metrics"]
    assert (metrics["filed"], metrics["filed_counter"], metrics["received"]) == (1, 1, 1)
    assert (metrics["in_progress"], metrics["finished"]) == (1, 0)
    assert metrics["online_share"] == 0.0

    processed(leaders, dossier)
    answer = get(monitor, "kpis", unit=HALONG).json()
    metrics = answer["metrics"]
    assert (metrics["finished"], metrics["finished_early"], metrics["in_progress"]) == (1, 1, 0)
    assert metrics["on_time_rate"] == 1.0
    assert metrics["results_signed_rate"] == 1.0
    expected = kpis.figures(kpis.Unit("commune", "06688"), DECEMBER).metrics()
    assert metrics == as_numbers(expected)
    # As many days of the month before, for comparison (as on the pages): on 1 December,
    # 1 November; nothing was filed then.
    assert answer["previous"]["period"] == {
        "kind": "custom",
        "start": "2026-11-01",
        "end": "2026-11-01",
    }
    assert answer["previous"]["metrics"]["filed"] == 0
    # The province counts it too; another commune does not.
    assert get(monitor, "kpis", unit=PROVINCE).json()["metrics"]["finished_early"] == 1
    assert get(monitor, "kpis", unit=BAICHAY).json()["metrics"]["filed"] == 0
    # The officers who worked on it see it in their own figures.
    steps = get(monitor, "kpis", unit=officer(leaders, "officer_stp")).json()["metrics"]
    assert steps["officer_steps_done"] >= 1
    mine = get(client(leaders, "counter_halong"), "kpis", unit=officer(leaders, "counter_halong"))
    assert mine.status_code == 200
    assert mine.json()["metrics"]["officer_received"] == 1


def test_periods_today_custom_and_the_week(leaders: Org) -> None:
    filed(leaders)
    monitor = client(leaders, "monitor")
    today = get(monitor, "kpis", unit=HALONG, period="today", date="2020-01-01").json()
    assert today["period"] == {"kind": "today", "start": "2026-12-01", "end": "2026-12-01"}
    assert today["metrics"]["filed"] == 1
    assert today["previous"]["period"]["start"] == "2026-11-30"
    custom = get(
        monitor, "kpis", unit=HALONG, period="custom", start="2026-11-25", end="2026-12-10"
    ).json()
    assert custom["period"] == {"kind": "custom", "start": "2026-11-25", "end": "2026-12-10"}
    assert custom["metrics"]["filed"] == 1
    # Still running on 1 December: compared with its first seven days' length before it.
    assert custom["previous"]["period"] == {
        "kind": "custom",
        "start": "2026-11-09",
        "end": "2026-11-15",
    }
    ended = get(
        monitor, "kpis", unit=HALONG, period="custom", start="2026-11-15", end="2026-11-30"
    ).json()
    assert ended["previous"]["period"] == {
        "kind": "custom",
        "start": "2026-10-30",
        "end": "2026-11-14",
    }
    week = get(monitor, "kpis", unit=HALONG, period="week", date="2026-11-20").json()
    assert (week["period"]["start"], week["metrics"]["filed"]) == ("2026-11-16", 0)


def test_children_break_a_unit_down(leaders: Org) -> None:
    processed(leaders, filed(leaders))
    monitor = client(leaders, "monitor")
    communes = get(monitor, "children", unit=PROVINCE, kind="commune").json()
    assert communes["kind"] == "commune"
    by_key = {row["key"]: row for row in communes["children"]}
    assert set(by_key) == {"06688", "06673", "06685"}  # every commune, with data or not
    assert by_key["06688"]["name"] == "Phường Hạ Long"
    grouped = kpis.figures_by("commune", DECEMBER, within=kpis.Unit("province", "22"))
    assert by_key["06688"]["metrics"] == as_numbers(grouped["06688"].metrics())
    assert by_key["06688"]["metrics"]["finished_early"] == 1
    assert by_key["06673"]["metrics"]["filed"] == 0

    # The commune's agencies, and the department that handled its dossier.
    agencies = get(monitor, "children", unit=HALONG, kind="agency").json()["children"]
    names = {row["name"]: row["metrics"]["finished"] for row in agencies}
    assert names == {"UBND Phường Hạ Long": 0, "Công an Phường Hạ Long": 0, "Sở Tư pháp": 1}

    officers = get(monitor, "children", unit=agency(leaders, "stp"), kind="officer").json()
    steps = {row["key"]: row["metrics"]["officer_steps_done"] for row in officers["children"]}
    assert steps[str(leaders.users["officer_stp"].pk)] >= 1
    assert str(leaders.users["leader_stp"].pk) in steps


def test_the_trend_carries_the_day_counters_per_bucket(leaders: Org) -> None:
    processed(leaders, filed(leaders))
    monitor = client(leaders, "monitor")
    trend = get(monitor, "trend", unit=HALONG).json()
    assert (trend["bucket"], trend["period"]["kind"]) == ("month", "year")
    (december,) = trend["series"]
    assert december["start"] == "2026-12-01"
    assert december["metrics"]["filed"] == 1
    assert december["metrics"]["online_share"] == 0.0
    assert december["metrics"]["on_time_rate"] == 1.0
    # Stocks and queue figures are not in a trend (they would read as zeros).
    assert "in_progress" not in december["metrics"]
    assert "tickets_issued" not in december["metrics"]
    days = get(monitor, "trend", unit=HALONG, period="month", bucket="day").json()
    assert [point["start"] for point in days["series"]] == ["2026-12-01"]
    mine = get(monitor, "trend", unit=officer(leaders, "officer_stp")).json()["series"]
    assert mine[0]["metrics"]["officer_steps_done"] >= 1
    assert "filed" not in mine[0]["metrics"]


def test_the_index_is_the_definition_scored_over_the_rollups(leaders: Org) -> None:
    processed(leaders, filed(leaders))
    answer = get(client(leaders, "monitor"), "index", unit=HALONG).json()
    expected = index.Definition.load().score(kpis.figures(kpis.Unit("commune", "06688"), DECEMBER))
    assert answer["total"] == float(expected.total)
    assert answer["maximum"] == 100.0
    assert answer["band"]["name"] == (expected.band.name if expected.band else None)
    groups = {group["code"]: group for group in answer["groups"]}
    assert [g["code"] for g in answer["groups"]] == [g.group.code for g in expected.groups]
    assert {code: group["points"] for code, group in groups.items()} == {
        g.group.code: float(g.points) for g in expected.groups
    }
    (on_time,) = groups["tien_do"]["indicators"]
    assert on_time == {
        "code": "ho_so_dung_han",
        "name": "Hồ sơ giải quyết trước và đúng hạn",
        "formula": "(finished_early + finished_on_time) / finished",
        "provisional": False,
        "rate": 1.0,
        "points": 20.0,
        "max": 20.0,
    }
    (online,) = groups["dvc_truc_tuyen"]["indicators"]
    assert (online["rate"], online["points"]) == (0.0, 0.0)  # filed at the counter
    assert groups["so_hoa"]["indicators"][0]["provisional"] is True


def test_the_ranking_ranks_every_commune_and_agency(leaders: Org) -> None:
    processed(leaders, filed(leaders))
    # Commune leaders measure their commune against the others.
    answer = get(client(leaders, "leader_c_baichay"), "ranking", kind="commune")
    assert answer.status_code == 200, answer.json()
    rows = answer.json()["rows"]
    province = kpis.Unit("province", "22")
    expected = index.rank(
        [(c.code, c.name) for c in leaders.communes.values()],
        kpis.figures_by("commune", DECEMBER, within=province),
        index.Definition.load(),
    )
    assert [(r["rank"], r["key"], r["total"]) for r in rows] == [
        (e.rank, e.key, float(e.score.total)) for e in expected
    ]
    assert rows[0]["key"] == "06688"  # the only commune with a dossier finished early
    assert rows[1]["rank"] == rows[2]["rank"] == 2  # the two without data tie
    assert set(rows[0]) == {"rank", "key", "name", "total", "band"}

    agencies = get(client(leaders, "monitor"), "ranking", kind="agency").json()["rows"]
    assert len(agencies) == len(leaders.agencies)
    assert agencies[0]["name"] == "Sở Tư pháp"
    provincial = get(client(leaders, "monitor"), "ranking", kind="agency", level="province")
    names = {row["name"] for row in provincial.json()["rows"]}
    assert "Sở Tư pháp" in names
    assert "UBND Phường Hạ Long" not in names


def test_the_definition_is_the_index_as_stored(leaders: Org) -> None:
    # Any logged-in staff member may read it, monitoring role or not.
    answer = get(client(leaders, "counter_halong"), "index_definition")
    assert answer.status_code == 200
    data = answer.json()
    assert data["maximum"] == 100.0
    assert [g["code"] for g in data["groups"]] == [
        "cong_khai",
        "tien_do",
        "dvc_truc_tuyen",
        "thanh_toan",
        "hai_long",
        "so_hoa",
    ]
    assert sum(g["max"] for g in data["groups"]) == 100.0
    assert [b["minimum"] for b in data["bands"]] == [90.0, 70.0, 50.0, 0.0]
    assert "online_share" in data["kpis"]
    IndexIndicator.objects.filter(code="ho_so_truc_tuyen").update(
        formula="min(1, 2 * online_share)", provisional=True
    )
    online = next(
        g
        for g in get(client(leaders, "monitor"), "index_definition").json()["groups"]
        if g["code"] == "dvc_truc_tuyen"
    )["indicators"][0]
    assert (online["formula"], online["provisional"]) == ("min(1, 2 * online_share)", True)


def test_okrs_progress_from_the_kpis(leaders: Org) -> None:
    objective = Objective.objects.create(
        unit_kind="commune",
        unit_key="06688",
        title="Hai hồ sơ trong tháng 12",
        owner=leaders.users["leader_c_halong"],
        starts_on=dt.date(2026, 12, 1),
        ends_on=dt.date(2026, 12, 31),
    )
    result = KeyResult.objects.create(
        objective=objective, title="Hồ sơ tiếp nhận", metric="filed", baseline=0, target=2
    )
    Objective.objects.create(
        unit_kind="commune",
        unit_key="06673",
        title="Bãi Cháy",
        starts_on=dt.date(2026, 12, 1),
        ends_on=dt.date(2026, 12, 31),
    )
    filed(leaders)
    answer = get(client(leaders, "leader_c_halong"), "okrs", unit=HALONG)
    assert answer.status_code == 200, answer.json()
    (only,) = answer.json()["objectives"]
    assert (only["id"], only["title"], only["owner"]) == (
        objective.pk,
        "Hai hồ sơ trong tháng 12",
        "leader_c_halong",
    )
    assert (only["progress"], only["ended"]) == (0.5, False)
    (key_result,) = only["results"]
    assert key_result["id"] == result.pk
    assert (key_result["metric"], key_result["value"], key_result["met"]) == ("filed", 1.0, False)
    assert (key_result["baseline"], key_result["target"], key_result["progress"]) == (
        0.0,
        2.0,
        0.5,
    )


# Who sees what -----------------------------------------------------------------------------

UNIT_ROUTES = [
    ("kpis", {}),
    ("children", {"kind": "agency"}),
    ("trend", {}),
    ("index", {}),
    ("okrs", {}),
]


@pytest.mark.parametrize(("name", "extra"), UNIT_ROUTES)
def test_a_commune_leader_sees_their_commune_and_no_other(
    leaders: Org, name: str, extra: dict[str, str]
) -> None:
    leader = client(leaders, "leader_c_halong")
    assert get(leader, name, unit=HALONG, **extra).status_code == 200
    other = get(leader, name, unit=BAICHAY, **extra)
    assert other.status_code == 403
    assert other.json()["error"] == "outside_jurisdiction"
    if name != "children":
        assert get(leader, name, unit=PROVINCE).status_code == 403
        assert get(leader, name, unit=agency(leaders, "ubnd_halong")).status_code == 200
        assert get(leader, name, unit=agency(leaders, "ubnd_baichay")).status_code == 403
    assert get(client(leaders, "monitor"), name, unit=BAICHAY, **extra).status_code == 200


def test_an_agency_leader_sees_the_agency_and_its_officers(leaders: Org) -> None:
    leader = client(leaders, "leader_halong")
    own = agency(leaders, "ubnd_halong")
    assert get(leader, "kpis", unit=own).status_code == 200
    assert get(leader, "children", unit=own, kind="officer").status_code == 200
    assert get(leader, "kpis", unit=officer(leaders, "officer_halong")).status_code == 200
    assert get(leader, "kpis", unit=agency(leaders, "stp")).status_code == 403
    assert get(leader, "kpis", unit=HALONG).status_code == 403
    assert get(leader, "ranking").status_code == 200


def test_an_officer_sees_only_their_own_figures(leaders: Org) -> None:
    mine = client(leaders, "officer_stp")
    assert get(mine, "kpis", unit=officer(leaders, "officer_stp")).status_code == 200
    assert get(mine, "trend", unit=officer(leaders, "officer_stp")).status_code == 200
    for unit in (officer(leaders, "officer_halong"), agency(leaders, "stp"), HALONG, PROVINCE):
        assert get(mine, "kpis", unit=unit).status_code == 403, unit
    ranking = get(mine, "ranking")
    assert ranking.status_code == 403
    assert ranking.json()["error"] == "forbidden"


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("kpis", {"unit": HALONG}),
        ("children", {"unit": PROVINCE, "kind": "commune"}),
        ("trend", {"unit": HALONG}),
        ("index", {"unit": HALONG}),
        ("ranking", {}),
        ("index_definition", {}),
        ("okrs", {"unit": HALONG}),
    ],
)
def test_the_anonymous_are_asked_to_log_in(leaders: Org, name: str, params: dict[str, str]) -> None:
    answer = get(client(leaders, None), name, **params)
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthenticated"


# Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("kpis", {}, "unit"),
        ("kpis", {"unit": "06688"}, "unit"),
        ("kpis", {"unit": "district:1"}, "unit"),
        ("kpis", {"unit": "agency:abc"}, "unit"),
        ("kpis", {"unit": HALONG, "period": "fortnight"}, "period"),
        ("kpis", {"unit": HALONG, "date": "2026-13-01"}, "date"),
        ("kpis", {"unit": HALONG, "date": "1999-12-31"}, "date"),
        ("kpis", {"unit": HALONG, "period": "custom", "start": "2026-01-01"}, "__all__"),
        (
            "kpis",
            {"unit": HALONG, "period": "custom", "start": "2026-12-10", "end": "2026-11-25"},
            "__all__",
        ),
        (
            "kpis",
            {"unit": HALONG, "period": "custom", "start": "2025-01-01", "end": "2026-01-02"},
            "__all__",
        ),
        ("children", {"unit": HALONG, "kind": "commune"}, "__all__"),
        ("children", {"unit": HALONG, "kind": "officer"}, "__all__"),
        ("children", {"unit": officer, "kind": "agency"}, "__all__"),
        ("children", {"unit": HALONG}, "kind"),
        ("trend", {"unit": HALONG, "bucket": "hour"}, "bucket"),
        ("index", {"unit": officer}, "unit"),
        ("ranking", {"kind": "service_point"}, "kind"),
        ("okrs", {"unit": "commune"}, "unit"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(
    leaders: Org, name: str, params: dict[str, Any], field: str
) -> None:
    params = {
        key: value(leaders, "officer_stp") if callable(value) else value
        for key, value in params.items()
    }
    answer = get(client(leaders, "monitor"), name, **params)
    assert answer.status_code == 422, answer.json()
    body = answer.json()
    assert body["error"] == "invalid"
    assert field in body["fields"], body


@pytest.mark.parametrize(
    "unit", ["commune:99999", "agency:999999", "officer:999999", "province:01"]
)
def test_an_unknown_unit_is_not_found(leaders: Org, unit: str) -> None:
    answer = get(client(leaders, "monitor"), "kpis", unit=unit)
    assert answer.status_code == 404
    assert answer.json()["error"] == "unknown_unit"
