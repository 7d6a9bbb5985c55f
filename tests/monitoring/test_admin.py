"""The monitoring admin: index formulas checked by the index's parser, key results bound to
KPIs that exist, objectives to units that exist, every change audited; rollups read only."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from motcua.core.models import AuditEntry
from motcua.monitoring import index
from motcua.monitoring.models import IndexGroup, IndexIndicator, KeyResult, Objective, UnitDay
from tests.org import Org

pytestmark = pytest.mark.django_db

INDICATOR = {
    "code": "ho_so_khong_tre",
    "name": "Hồ sơ không trễ hạn",
    "formula": "1 - late_rate",
    "points": "5",
    "provisional": "on",
    "source": "Tỉnh đề xuất",
    "order": "9",
}


@pytest.fixture
def root(org: Org) -> Client:
    """A Django superuser: the province's administrator (organisation.selectors), reading
    the admin in English so that the tests can quote its reasons."""
    browser = Client()
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    browser.force_login(get_user_model().objects.create_superuser("root", password="pw-root"))
    return browser


def add_indicator(browser: Client, **changes: str) -> Any:
    group = IndexGroup.objects.get(code="tien_do")
    data = INDICATOR | {"group": str(group.pk)} | changes
    return browser.post(reverse("admin:monitoring_indexindicator_add"), data)


@pytest.mark.parametrize(
    ("formula", "reason"),
    [
        ("late_rate +", "cannot be read"),
        ("1 - lateness", "lateness"),
        ("__import__('os').getcwd()", "min() and max()"),
        ("finished ** 2", "min() and max()"),
    ],
)
def test_a_bad_formula_is_refused_with_its_reason(root: Client, formula: str, reason: str) -> None:
    refused = add_indicator(root, formula=formula)
    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors
    assert reason in " ".join(errors["formula"])
    assert not IndexIndicator.objects.filter(code="ho_so_khong_tre").exists()


def test_a_good_formula_is_saved_audited_and_scored(root: Client) -> None:
    form = root.get(reverse("admin:monitoring_indexindicator_add")).content.decode()
    assert "online_share" in form  # the KPI names a formula may use are listed
    saved = add_indicator(root, formula="  1 - late_rate ")
    assert saved.status_code == 302
    indicator = IndexIndicator.objects.get(code="ho_so_khong_tre")
    assert (indicator.formula, indicator.provisional) == ("1 - late_rate", True)
    entry = AuditEntry.objects.get(action="monitoring.indexindicator.create")
    assert entry.actor_label == "root"
    definition = index.Definition.load()
    (_, indicators) = next(g for g in definition.groups if g[0].code == "tien_do")
    assert "ho_so_khong_tre" in [i.code for i in indicators]


def group_form(group: IndexGroup, **extra: str) -> dict[str, str]:
    indicators = list(group.indicators.all())
    data = {
        "code": group.code,
        "name": group.name,
        "max_points": str(group.max_points),
        "order": str(group.order),
        "indicators-TOTAL_FORMS": str(len(indicators) + 1),
        "indicators-INITIAL_FORMS": str(len(indicators)),
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": "1000",
    }
    for n, indicator in enumerate(indicators):
        data |= {
            f"indicators-{n}-id": str(indicator.pk),
            f"indicators-{n}-group": str(group.pk),
            f"indicators-{n}-code": indicator.code,
            f"indicators-{n}-name": indicator.name,
            f"indicators-{n}-formula": indicator.formula,
            f"indicators-{n}-points": str(indicator.points),
            f"indicators-{n}-source": indicator.source,
            f"indicators-{n}-order": str(indicator.order),
        }
        if indicator.full_when_empty:
            data[f"indicators-{n}-full_when_empty"] = "on"
    new = len(indicators)
    data |= {f"indicators-{new}-{name}": value for name, value in INDICATOR.items()}
    data[f"indicators-{new}-group"] = str(group.pk)
    return data | extra


def test_the_group_edits_its_indicators_inline_with_the_same_checks(root: Client) -> None:
    group = IndexGroup.objects.get(code="tien_do")
    url = reverse("admin:monitoring_indexgroup_change", args=[group.pk])
    refused = root.post(url, group_form(group, **{"indicators-1-formula": "late_rate / zzz"}))
    assert refused.status_code == 200
    assert "zzz" in str(refused.context["inline_admin_formsets"][0].formset.errors)
    assert group.indicators.count() == 1

    edited = group_form(group, **{"indicators-0-formula": "finished_early / finished"})
    assert root.post(url, edited).status_code == 302
    assert sorted(group.indicators.values_list("code", "formula")) == [
        ("ho_so_dung_han", "finished_early / finished"),
        ("ho_so_khong_tre", "1 - late_rate"),
    ]
    assert AuditEntry.objects.filter(action="monitoring.indexindicator.create").count() == 1
    update = AuditEntry.objects.get(action="monitoring.indexindicator.update")
    assert update.old_values == {"formula": "(finished_early + finished_on_time) / finished"}
    assert update.new_values == {"formula": "finished_early / finished"}


def objective_form(org: Org, **changes: str) -> dict[str, str]:
    return {
        "unit_kind": "commune",
        "unit_key": org.communes["halong"].code,
        "title": "Tỷ lệ hồ sơ trực tuyến ≥ 70% vào cuối quý III",
        "owner": str(org.users["leader_halong"].pk),
        "owner_label": "",
        "starts_on": "2026-01-01",
        "ends_on": "2026-09-30",
        "results-TOTAL_FORMS": "1",
        "results-INITIAL_FORMS": "0",
        "results-MIN_NUM_FORMS": "0",
        "results-MAX_NUM_FORMS": "1000",
        "results-0-title": "Hồ sơ nộp trực tuyến",
        "results-0-metric": "online_share",
        "results-0-direction": "at_least",
        "results-0-baseline": "0.15",
        "results-0-target": "0.70",
        "results-0-weight": "1",
    } | changes


def test_an_objective_is_saved_with_its_key_results_and_audited(root: Client, org: Org) -> None:
    form = root.get(reverse("admin:monitoring_objective_add")).content.decode()
    assert "online_share" in form
    saved = root.post(reverse("admin:monitoring_objective_add"), objective_form(org))
    assert saved.status_code == 302
    objective = Objective.objects.get()
    (result,) = objective.results.all()
    assert (result.metric, str(result.target)) == ("online_share", "0.7000")
    assert AuditEntry.objects.filter(action="monitoring.objective.create").count() == 1
    assert AuditEntry.objects.filter(action="monitoring.keyresult.create").count() == 1


@pytest.mark.parametrize(
    ("changes", "inline", "field"),
    [
        ({"results-0-metric": "online_shares"}, True, "metric"),
        ({"results-0-target": "70"}, True, "target"),
        ({"unit_key": "99999"}, False, "unit_key"),
        ({"unit_kind": "agency", "unit_key": "x1"}, False, "unit_key"),
        ({"ends_on": "2025-12-31"}, False, "ends_on"),
    ],
)
def test_a_key_result_or_objective_that_measures_nothing_is_refused(
    root: Client, org: Org, changes: dict[str, str], inline: bool, field: str
) -> None:
    refused = root.post(reverse("admin:monitoring_objective_add"), objective_form(org, **changes))
    assert refused.status_code == 200
    if inline:
        (errors,) = refused.context["inline_admin_formsets"][0].formset.errors
    else:
        errors = refused.context["adminform"].form.errors
    assert field in errors
    assert not Objective.objects.exists()
    assert not KeyResult.objects.exists()


def test_an_agency_objective_names_the_agency_by_number(root: Client, org: Org) -> None:
    data = objective_form(org, unit_kind="agency", unit_key=str(org.agencies["stp"].pk))
    assert root.post(reverse("admin:monitoring_objective_add"), data).status_code == 302
    assert Objective.objects.get().unit_key == str(org.agencies["stp"].pk)


def test_the_rollups_are_read_only(root: Client) -> None:
    assert root.get(reverse("admin:monitoring_unitday_changelist")).status_code == 200
    assert root.get(reverse("admin:monitoring_unitday_add")).status_code == 403
    assert root.get(reverse("admin:monitoring_unitstock_changelist")).status_code == 200
    assert root.get(reverse("admin:monitoring_officerday_changelist")).status_code == 200
    assert not UnitDay.objects.exists()


def test_monitors_read_figures_but_do_not_edit_the_index(org: Org) -> None:
    monitor = Client()
    monitor.force_login(org.users["monitor"])
    url = reverse("admin:monitoring_indexindicator_changelist")
    assert monitor.get(url).status_code == 302  # the admin's login, which refuses staff


def test_system_administrators_edit_the_index(org: Org) -> None:
    """Needs the monitoring app mapped to a permission in core.backends.APP_PERMISSION."""
    admin = Client()
    admin.force_login(org.users["sysadmin"])
    assert admin.get(reverse("admin:monitoring_indexindicator_changelist")).status_code == 200
    assert admin.get(reverse("admin:monitoring_objective_add")).status_code == 200
