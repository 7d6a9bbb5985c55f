"""The service-quality index: the formula language refuses anything but arithmetic over KPIs,
scores follow the data, groups are capped, bands and ranks come out as the province reads
them; OKR progress; who may see which unit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from motcua.core.principal import principal_for
from motcua.monitoring import index, okrs, selectors
from motcua.monitoring.kpis import Figures, Unit
from motcua.monitoring.models import IndexGroup, IndexIndicator, KeyResult, Objective
from motcua.organisation.models import RoleMembership
from tests.org import Org

pytestmark = pytest.mark.django_db


def figures(**unit: int) -> Figures:
    result = Figures()
    result.unit.update(unit)
    return result


@pytest.mark.parametrize(
    "formula",
    [
        "__import__('os').system('true')",
        "filed.__class__",
        "open('x')",
        "filed if filed else 1",
        "[filed]",
        "'text'",
        "no_such_kpi / filed",
        "filed **",
    ],
)
def test_formulas_admit_only_arithmetic_over_kpis(formula: str) -> None:
    with pytest.raises(ValidationError):
        index.parse(formula)


def test_formula_values_are_clamped_and_empty_data_is_no_data() -> None:
    metrics = figures(filed_online=30, filed_counter=70).metrics()
    assert index.evaluate("filed_online / filed", metrics) == Decimal("0.3")
    assert index.evaluate("max(filed_online / filed * 5, 0)", metrics) == 1
    assert index.evaluate("-filed", metrics) == 0
    assert index.evaluate("finished_late / finished", metrics) is None
    assert index.evaluate("on_time_rate", metrics) is None  # a rate over nothing


def test_the_shipped_index_scores_a_unit_out_of_one_hundred() -> None:
    definition = index.Definition.load()
    assert definition.maximum == 100
    assert [g.max_points for g, _ in definition.groups] == [18, 20, 12, 10, 18, 22]
    provisional = {
        i.code for _g, indicators in definition.groups for i in indicators if i.provisional
    }
    assert "ho_so_dung_han" not in provisional
    assert "so_hoa_thanh_phan" in provisional

    perfect = figures(
        filed_online=10,
        received=10,
        finished_early=10,
        payments=4,
        payments_online=4,
        documents=20,
        documents_digitised=20,
        results=10,
        results_signed=10,
    )
    perfect.queue.ratings, perfect.queue.rating_sum = 2, Decimal(10)
    score = definition.score(perfect)
    assert score.total == 100
    assert score.band is not None
    assert score.band.name == "Tốt"

    half = figures(
        filed_online=5,
        filed_counter=5,
        received=10,
        finished_early=3,
        finished_on_time=2,
        finished_late=5,
        payments=2,
        payments_online=1,
        documents=10,
        documents_digitised=5,
        results=2,
        results_signed=1,
    )
    half.queue.ratings, half.queue.rating_sum = 1, Decimal("2.5")
    score = definition.score(half)
    by_group = {g.group.code: g.points for g in score.groups}
    assert by_group == {
        "cong_khai": 18,
        "tien_do": 10,
        "dvc_truc_tuyen": 6,
        "thanh_toan": 5,
        "hai_long": 9,
        "so_hoa": 11,
    }
    assert score.total == 59
    assert score.band is not None
    assert score.band.name == "Trung bình"


def test_no_data_scores_full_points_only_where_the_indicator_says_so() -> None:
    score = index.Definition.load().score(Figures())
    by_group = {g.group.code: g.points for g in score.groups}
    assert by_group == {
        "cong_khai": 18,
        "tien_do": 20,
        "dvc_truc_tuyen": 0,
        "thanh_toan": 0,
        "hai_long": 18,
        "so_hoa": 0,
    }


def test_a_group_never_scores_above_its_maximum() -> None:
    group = IndexGroup.objects.get(code="dvc_truc_tuyen")
    IndexIndicator.objects.create(group=group, code="extra", name="Extra", formula="1", points=12)
    score = index.Definition.load().score(figures(filed_online=1))
    assert next(g for g in score.groups if g.group == group).points == 12


def test_ranks_are_shared_by_equal_scores() -> None:
    definition = index.Definition.load()
    units = [("a", "An"), ("b", "Bình"), ("c", "Cát"), ("d", "Dương")]
    data = {
        "a": figures(filed_online=1, received=1, finished_early=1),
        "b": figures(filed_counter=1, received=1, finished_late=1),
        "c": figures(filed_counter=1, received=1, finished_late=1),
    }
    ranked = index.rank(units, data, definition)
    # d has no data: the indicators that score in full without data carry it above b and c.
    assert [(r.key, r.score.total, r.rank) for r in ranked] == [
        ("a", 68, 1),
        ("d", 56, 2),
        ("b", 36, 3),
        ("c", 36, 3),
    ]


def test_key_result_progress_runs_from_baseline_to_target() -> None:
    objective = Objective.objects.create(
        unit_kind="province",
        unit_key="22",
        title="Online",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 9, 30),
    )
    up = KeyResult(
        objective=objective,
        title="Online ≥ 70%",
        metric="online_share",
        baseline=Decimal("0.15"),
        target=Decimal("0.70"),
    )
    down = KeyResult(
        objective=objective,
        title="Late ≤ 5%",
        metric="late_rate",
        direction=KeyResult.Direction.AT_MOST,
        baseline=Decimal("0.20"),
        target=Decimal("0.05"),
    )
    metrics = figures(
        filed_online=425, filed_counter=575, finished_late=1, finished_early=9
    ).metrics()
    rising = okrs.result_progress(up, metrics)
    assert (rising.value, rising.progress, rising.met) == (Decimal("0.425"), Decimal("0.5"), False)
    falling = okrs.result_progress(down, metrics)
    assert falling.progress == Decimal("0.6667")
    assert not falling.met
    assert okrs.result_progress(down, figures(finished_early=1).metrics()).met
    assert okrs.result_progress(up, Figures().metrics()).progress is None


def test_objective_progress_is_the_weighted_mean_over_its_period() -> None:
    objective = Objective.objects.create(
        unit_kind="province",
        unit_key="22",
        title="Digital",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
    )
    KeyResult.objects.create(
        objective=objective, title="Digitised", metric="filed", baseline=0, target=10, weight=3
    )
    progress = okrs.progress(objective, today=dt.date(2026, 6, 1))
    assert progress.results[0].value == 0
    assert progress.progress == 0
    future = Objective.objects.create(
        unit_kind="province",
        unit_key="22",
        title="Later",
        starts_on=dt.date(2027, 1, 1),
        ends_on=dt.date(2027, 3, 31),
    )
    assert okrs.progress(future, today=dt.date(2026, 6, 1)).progress is None


def _member(org: Org, username: str, role: str, **scope: object) -> object:
    from django.contrib.auth import get_user_model

    from motcua.organisation.models import Role

    user = get_user_model().objects.create_user(username=username, password="x")
    RoleMembership.objects.create(user=user, role=Role.objects.get(code=role), **scope)
    return user


def test_who_sees_which_unit(org: Org) -> None:
    halong, baichay = org.communes["halong"], org.communes["baichay"]
    leader = principal_for(_member(org, "chu_tich_halong", "commune_leader", commune=halong))
    monitor = principal_for(_member(org, "giam_sat", "provincial_monitor", province=org.province))
    officer_user = _member(org, "cv_halong", "counter_officer", service_point=org.points["halong"])
    officer = principal_for(officer_user)
    halong_point = Unit("service_point", str(org.points["halong"].pk))

    assert selectors.may_view(leader, Unit("commune", halong.code))
    assert selectors.may_view(leader, halong_point)
    assert selectors.may_view(leader, Unit("officer", str(officer_user.pk)))
    assert not selectors.may_view(leader, Unit("commune", baichay.code))
    assert not selectors.may_view(leader, Unit("province", "22"))
    assert selectors.may_view_ranking(leader)
    assert selectors.home_unit(leader) == Unit("commune", halong.code)

    assert selectors.may_view(monitor, Unit("province", "22"))
    assert selectors.may_view(monitor, Unit("commune", baichay.code))
    assert selectors.home_unit(monitor) == Unit("province", "22")

    assert selectors.may_view(officer, Unit("officer", str(officer_user.pk)))
    assert not selectors.may_view(officer, halong_point)
    assert not selectors.may_view(officer, Unit("officer", str(officer_user.pk + 1000)))
    assert not selectors.may_view_ranking(officer)
    assert selectors.home_unit(officer) == Unit("officer", str(officer_user.pk))
