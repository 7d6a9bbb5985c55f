"""The monitoring pages: who sees which unit, the period picker and its bad input, the tiles
(and their live partial) following dossiers as they are filed, the drill-down tables and links,
the ranking, the wall display."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.test import Client
from django.urls import reverse

from motcua.core.errors import MotcuaError
from motcua.dossiers import services
from motcua.dossiers.models import Channel
from motcua.monitoring import kpis
from motcua.monitoring.kpis import Period
from motcua.monitoring.periods import Selection, following, period_label, year_before
from motcua.organisation import services as organisation
from motcua.organisation.models import Role
from tests.intake_data import certified_copy
from tests.org import Org

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 11)  # a Wednesday


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def leader(org: Org) -> Any:
    """The leader of Phường Hạ Long (a commune-wide monitoring role)."""
    user = get_user_model().objects.create_user(username="chutich_halong", password="x")
    organisation.grant_role(
        user=user, role=Role.objects.get(code="commune_leader"), scope=org.communes["halong"]
    )
    return user


def unit(kind: str, key: Any, **query: str) -> str:
    url = reverse("monitoring:unit", args=[kind, str(key)])
    return f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else url


def tile_value(html: str, metric: str) -> str:
    found = re.search(rf'data-metric="{metric}" data-value="([^"]*)"', html)
    assert found, f"no tile {metric}"
    return found.group(1)


def drill_rows(html: str, table: str) -> dict[str, bool]:
    """The rows of a drill-down table: unit slug → whether the name links to its page."""
    body = html.split(f'id="table-{table}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr data-unit="([^"]+)"[^>]*>(.*?)</tr>', body, re.S)
    return {slug: "<a href=" in cells.split("</th>", 1)[0] for slug, cells in rows}


# Who sees what -------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_staff_login(org: Org) -> None:
    client = Client()
    commune = org.communes["halong"].code
    for url in [
        reverse("monitoring:home"),
        unit("province", "22"),
        reverse("monitoring:tiles", args=["commune", commune]),
        reverse("monitoring:ranking"),
        reverse("monitoring:export", args=["commune", commune, "csv"]),
        reverse("monitoring:report", args=["commune", commune]),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("core:login")), url


def test_home_opens_each_role_on_its_own_unit(org: Org, leader: Any) -> None:
    cases = {
        org.users["monitor"]: unit("province", "22"),
        leader: unit("commune", org.communes["halong"].code),
        org.users["leader_halong"]: unit("agency", org.agencies["ubnd_halong"].pk),
        # A commune centre's manager leads the commune's monitoring.
        org.users["manager_halong"]: unit("commune", org.communes["halong"].code),
        org.users["officer_halong"]: unit("officer", org.users["officer_halong"].pk),
    }
    for user, expected in cases.items():
        response = client_of(user).get(reverse("monitoring:home"))
        assert response.status_code == 302
        assert response["Location"] == expected, user.username


def test_the_provincial_monitor_sees_the_province_and_drills_down(org: Org) -> None:
    client = client_of(org.users["monitor"])
    response = client.get(unit("province", "22"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tỉnh Quảng Ninh" in html
    communes = drill_rows(html, "communes")
    assert set(communes) == {f"commune:{c.code}" for c in org.communes.values()}
    assert all(communes.values())  # every commune links to its page
    agencies = drill_rows(html, "agencies")
    assert f"agency:{org.agencies['stp'].pk}" in agencies
    assert f"agency:{org.agencies['ubnd_halong'].pk}" not in agencies  # a commune's, not here
    for kind, key in [
        ("commune", org.communes["baichay"].code),
        ("agency", org.agencies["stp"].pk),
        ("service_point", org.points["tinh"].pk),
        ("officer", org.users["officer_stp"].pk),
    ]:
        assert client.get(unit(kind, key)).status_code == 200, kind


def test_a_commune_leader_sees_their_commune_and_the_ranking_only(org: Org, leader: Any) -> None:
    client = client_of(leader)
    halong, baichay = org.communes["halong"].code, org.communes["baichay"].code

    own = client.get(unit("commune", halong))
    assert own.status_code == 200
    html = own.content.decode()
    agencies = drill_rows(html, "agencies")
    assert agencies == {
        f"agency:{org.agencies['ca_halong'].pk}": True,
        f"agency:{org.agencies['ubnd_halong'].pk}": True,
    }
    assert drill_rows(html, "points") == {f"service_point:{org.points['halong'].pk}": True}
    # The breadcrumb's province leads to the ranking, not to the province's page.
    crumbs = html.split('class="crumbs"', 1)[1].split("</nav>", 1)[0]
    assert reverse("monitoring:ranking") in crumbs
    assert reverse("monitoring:unit", args=["province", "22"]) not in crumbs

    assert client.get(unit("commune", baichay)).status_code == 403
    # The live tiles and the wall are scoped as the page is.
    assert client.get(reverse("monitoring:tiles", args=["commune", baichay])).status_code == 403
    assert client.get(unit("commune", baichay, wall="1", part="body")).status_code == 403
    assert client.get(reverse("monitoring:tiles", args=["province", "22"])).status_code == 403
    assert client.get(unit("province", "22")).status_code == 403
    assert client.get(unit("agency", org.agencies["ubnd_baichay"].pk)).status_code == 403
    assert client.get(unit("agency", org.agencies["ubnd_halong"].pk)).status_code == 200
    assert client.get(unit("officer", org.users["officer_halong"].pk)).status_code == 200
    assert client.get(unit("officer", org.users["officer_stp"].pk)).status_code == 403

    ranking = client.get(reverse("monitoring:ranking"))
    assert ranking.status_code == 200
    body = ranking.content.decode().split('id="ranking-table"', 1)[1]
    rows = dict(re.findall(r'<tr data-unit="commune:(\d+)"[^>]*>(.*?)</tr>', body, re.S))
    assert set(rows) == {c.code for c in org.communes.values()}
    assert "<a href=" in rows[halong]  # their own commune links to its page
    assert "<a href=" not in rows[baichay]  # the others show their score only
    # Scores only: the index, its band and the points of each of the six groups, no KPIs.
    assert len(re.findall(r'<td class="num">', rows[baichay])) == 6
    assert 'class="own"' in body.split(f'data-unit="commune:{halong}"', 1)[1][:20]
    agencies_ranking = client.get(reverse("monitoring:ranking") + "?kind=agency")
    assert agencies_ranking.status_code == 200
    assert f'data-unit="agency:{org.agencies["stp"].pk}"' in agencies_ranking.content.decode()


def test_an_agency_leader_sees_the_agency_and_its_officers(org: Org) -> None:
    client = client_of(org.users["leader_halong"])
    response = client.get(unit("agency", org.agencies["ubnd_halong"].pk))
    assert response.status_code == 200
    officers = drill_rows(response.content.decode(), "officers")
    assert officers[f"officer:{org.users['officer_halong'].pk}"] is True
    assert officers[f"officer:{org.users['leader_halong'].pk}"] is True
    assert client.get(unit("agency", org.agencies["stp"].pk)).status_code == 403
    assert client.get(unit("commune", org.communes["halong"].code)).status_code == 403
    assert client.get(reverse("monitoring:ranking")).status_code == 200


def test_an_officer_sees_their_own_figures_only(org: Org) -> None:
    officer = org.users["officer_halong"]
    client = client_of(officer)
    own = client.get(unit("officer", officer.pk))
    assert own.status_code == 200
    html = own.content.decode()
    assert 'data-metric="officer_steps_done"' in html
    assert 'data-metric="filed"' not in html
    links = html.split('id="dossier-links"', 1)[1].split("</section>", 1)[0]
    assert reverse("dossiers:work") in links
    assert reverse("dossiers:list") in links
    assert "data-live-topic" not in html  # the monitoring topic needs monitoring.view
    assert client.get(unit("officer", org.users["officer_stp"].pk)).status_code == 403
    assert client.get(unit("agency", org.agencies["ubnd_halong"].pk)).status_code == 403
    assert client.get(reverse("monitoring:ranking")).status_code == 403


def test_an_unknown_unit_is_not_found(org: Org) -> None:
    client = client_of(org.users["monitor"])
    assert client.get(unit("commune", "99999")).status_code == 404
    assert client.get(unit("agency", "987654")).status_code == 404
    assert client.get("/monitoring/district/1/").status_code == 404


# Periods -------------------------------------------------------------------------------------


def read(text: str) -> Selection:
    return Selection.read(QueryDict(text), today=DAY)


def test_periods_are_read_from_the_query() -> None:
    assert read("").period == Period("month", dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert read("period=today").period == Period("today", DAY, DAY)
    assert read("period=day&date=2026-02-03").period == Period(
        "day", dt.date(2026, 2, 3), dt.date(2026, 2, 3)
    )
    assert read("period=week").period == Period("week", dt.date(2026, 3, 9), dt.date(2026, 3, 15))
    assert read("period=quarter&date=2026-05-20").period == Period(
        "quarter", dt.date(2026, 4, 1), dt.date(2026, 6, 30)
    )
    assert read("period=year").period == Period("year", dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    custom = read("period=custom&start=2026-01-15&end=2026-02-14")
    assert custom.period == Period("custom", dt.date(2026, 1, 15), dt.date(2026, 2, 14))
    assert custom.against == Period("custom", dt.date(2025, 12, 15), dt.date(2026, 1, 14))
    last_year = read("period=month&date=2026-02-05&compare=last_year")
    assert last_year.against == Period("month", dt.date(2025, 2, 1), dt.date(2025, 2, 28))
    # The query string selects the same again.
    for text in [
        "period=today",
        "period=week&date=2026-03-09",
        "period=custom&start=2026-01-15&end=2026-02-14",
        "period=month&date=2026-03-01&compare=last_year",
    ]:
        selection = read(text)
        assert read(selection.query()) == selection


def test_a_running_period_is_compared_with_as_many_days_before() -> None:
    march = read("period=month")  # 11 March: ten days and today
    assert march.against == Period("custom", dt.date(2026, 2, 1), dt.date(2026, 2, 11))
    week = read("period=week&compare=last_year")
    assert week.against.days == 3
    assert week.against.start.weekday() == 0
    assert read("period=month&date=2026-02-01").against == Period.of("month", dt.date(2026, 1, 1))
    assert read("period=today").against == Period(
        "day", DAY - dt.timedelta(1), DAY - dt.timedelta(1)
    )


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("period=fortnight", "bad_period"),
        ("period=day&date=11/03/2026", "bad_date"),
        ("period=day&date=1850-01-01", "bad_date"),
        ("period=custom&start=2026-01-01", "bad_period"),
        ("period=custom&start=2026-03-01&end=2026-02-01", "bad_period"),
        ("period=custom&start=2025-01-01&end=2026-03-01", "bad_period"),
        ("compare=tomorrow", "bad_compare"),
    ],
)
def test_bad_periods_are_refused_with_a_reason(query: str, code: str) -> None:
    with pytest.raises(MotcuaError) as refused:
        read(query)
    assert refused.value.code == code
    assert refused.value.status == 400
    assert str(refused.value.message)


def test_a_page_with_a_bad_period_explains_and_shows_this_month(org: Org) -> None:
    client = client_of(org.users["monitor"])
    response = client.get(unit("province", "22", period="custom", start="2026-03-01", end="x"))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="period-problem"' in html
    assert "&quot;x&quot;" in html or "“x”" in html
    assert period_label(Period.of("month", kpis.today())) in html
    tiles = client.get(reverse("monitoring:tiles", args=["province", "22"]) + "?period=someday")
    assert tiles.status_code == 400


def test_previous_and_next_periods() -> None:
    march = Period.of("month", DAY)
    assert following(march) == Period.of("month", dt.date(2026, 4, 1))
    assert following(Period.of("today", DAY)) == Period(
        "day", DAY + dt.timedelta(1), DAY + dt.timedelta(1)
    )
    assert Period.of("today", DAY).previous() == Period(
        "day", DAY - dt.timedelta(1), DAY - dt.timedelta(1)
    )
    assert year_before(Period("day", dt.date(2028, 2, 29), dt.date(2028, 2, 29))).start == dt.date(
        2027, 2, 28
    )
    assert year_before(Period.of("week", DAY)).start.weekday() == 0


def test_the_period_navigation_never_goes_into_the_future(org: Org) -> None:
    client = client_of(org.users["monitor"])
    html = client.get(unit("province", "22")).content.decode()
    assert 'id="period-previous"' in html
    assert 'id="period-next"' not in html  # this month: nothing after it yet
    last = Period.of("month", kpis.today()).previous()
    html = client.get(
        unit("province", "22", period="month", date=last.start.isoformat())
    ).content.decode()
    assert 'id="period-next"' in html


# Figures that follow the dossiers --------------------------------------------------------------


def test_tiles_follow_a_filed_dossier_and_the_partial_is_live(intake_org: Org) -> None:
    client = client_of(intake_org.users["monitor"])
    halong = intake_org.communes["halong"].code
    before = client.get(unit("commune", halong)).content.decode()
    assert tile_value(before, "filed") == "0"
    assert tile_value(before, "online_share") == ""  # a rate over nothing has no value

    services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)

    page = client.get(unit("commune", halong)).content.decode()
    assert tile_value(page, "filed") == "1"
    assert tile_value(page, "online_share") == "1.0000"
    assert tile_value(page, "awaiting_receipt") == "1"
    # The tiles block listens to the province's topic and re-fetches its own partial.
    tiles_url = reverse("monitoring:tiles", args=["commune", halong])
    assert 'data-live-topic="monitoring.22"' in page
    assert f'data-refresh-url="{tiles_url}?period=month' in page
    assert 'id="live-badge"' in page

    partial = client.get(tiles_url + "?period=today")
    assert partial.status_code == 200
    html = partial.content.decode()
    assert "<html" not in html
    assert tile_value(html, "filed") == "1"
    # The drill-down row of the receiving agency moved too; the other commune's did not.
    province = client.get(unit("province", "22")).content.decode()
    rows = province.split('id="table-communes"', 1)[1]
    halong_row = rows.split(f'data-unit="commune:{halong}"', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'<td class="num">([^<]*)</td>', halong_row)[0] == "1"


def test_a_past_period_is_not_live(org: Org) -> None:
    client = client_of(org.users["monitor"])
    last_year = kpis.today().year - 1
    html = client.get(
        unit("province", "22", period="year", date=f"{last_year}-06-01")
    ).content.decode()
    assert "data-live-topic" not in html
    assert 'data-live-topic="monitoring.22"' in client.get(unit("province", "22")).content.decode()
    trends = html.split('id="monitoring-trends" type="application/json">', 1)[1]
    assert json.loads(trends.split("</script>", 1)[0])["year"] == last_year


def index_rank(html: str) -> list[int] | None:
    """The numbers of the page's "rank N of M", None when the page shows no rank."""
    if 'id="index-rank"' not in html:
        return None
    shown = html.split('id="index-rank">', 1)[1].split("</p>", 1)[0].split("<a", 1)[0]
    return [int(n) for n in re.findall(r"\d+", shown)]


def test_a_unit_is_ranked_among_its_parents_ranked_rows(intake_org: Org) -> None:
    services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    client = client_of(intake_org.users["monitor"])
    halong = intake_org.communes["halong"].code
    commune = client.get(unit("commune", halong)).content.decode()
    assert index_rank(commune) == [1, len(intake_org.communes)]  # the only one filed in
    # The commune's agencies are ranked among themselves, as the commune's page lists them.
    listed = drill_rows(commune, "agencies")
    own = client.get(unit("agency", intake_org.agencies["ubnd_halong"].pk)).content.decode()
    position = index_rank(own)
    assert position is not None
    assert position[1] == len(listed)
    provincial = client.get(unit("agency", intake_org.agencies["stp"].pk)).content.decode()
    position = index_rank(provincial)
    assert position is not None
    assert position[1] == len(
        drill_rows(client.get(unit("province", "22")).content.decode(), "agencies")
    )
    # The provincial centre stands in Hồng Gai: ranked among that commune's service points.
    point = client.get(unit("service_point", intake_org.points["tinh"].pk)).content.decode()
    assert index_rank(point) == [1, 1]
    # An officer has no index, so no rank.
    officer = client.get(unit("officer", intake_org.users["officer_stp"].pk)).content.decode()
    assert 'id="index-panel"' not in officer


def test_the_page_shows_the_index_trends_and_okrs(org: Org) -> None:
    from motcua.monitoring.models import KeyResult, Objective

    today = kpis.today()
    objective = Objective.objects.create(
        unit_kind="province",
        unit_key="22",
        title="Dịch vụ công trực tuyến",
        owner_label="UBND tỉnh",
        starts_on=today.replace(month=1, day=1),
        ends_on=today.replace(month=12, day=31),
    )
    KeyResult.objects.create(
        objective=objective,
        title="Tỷ lệ hồ sơ trực tuyến ≥ 70%",
        metric="online_share",
        baseline="0.15",
        target="0.70",
    )
    html = client_of(org.users["monitor"]).get(unit("province", "22")).content.decode()
    assert 'id="index-score"' in html
    assert html.count("<details>") >= 6  # the six groups of the index
    assert 'id="monitoring-trends"' in html
    assert 'data-chart="online_share"' in html
    assert "Dịch vụ công trực tuyến" in html
    assert "Tỷ lệ hồ sơ trực tuyến ≥ 70%" in html
    assert "15.0%" in html or "15,0%" in html  # the baseline, as a rate


def test_the_wall_display_and_its_body(org: Org) -> None:
    client = client_of(org.users["monitor"])
    page = client.get(unit("province", "22", wall="1"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="wall monitoring-wall"' in html
    assert 'id="period-form"' not in html  # no controls on the wall
    assert html.count('<li data-unit="commune:') == len(org.communes)
    body = client.get(unit("province", "22", wall="1", part="body")).content.decode()
    assert "<html" not in body
    assert 'id="wall-ranking"' in body
