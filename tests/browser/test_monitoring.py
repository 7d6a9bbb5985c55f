"""Provincial monitoring in Chromium with a real event stream (uvicorn, `asgi_server`), on the
demo's Quảng Ninh (54 communes): the provincial monitor opens the overview, sees the tiles, the
charts and the ranked table of every commune, and a tile moves by itself when a dossier is
filed elsewhere; the wall display and a phone read it too; a commune leader sees the ranking
with a link to their own commune only. Screenshots (1366×768, 390×844, 1920×1080) go to
test-artifacts/."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import Browser, BrowserContext, Page, expect

from motcua.catalogue.services import import_procedures
from motcua.dossiers import services
from motcua.dossiers.models import Channel
from motcua.organisation import services as organisation
from motcua.organisation.demo import build_demo_organisation
from motcua.organisation.models import Commune, Role
from motcua.organisation.roles import DEFAULT_ROLES
from tests.browser.waiting import wait_for_js
from tests.catalogue_data import procedure
from tests.core.events_support import session_cookie
from tests.intake_data import certified_copy

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
WALL = {"width": 1920, "height": 1080}


@pytest.fixture
def quang_ninh(transactional_db: Any) -> None:
    """The demo organisation of Quảng Ninh and a procedure to file online."""
    call_command("load_units", stdout=io.StringIO())
    for role in DEFAULT_ROLES:  # a transactional test may have flushed the migrations' rows
        Role.objects.get_or_create(code=role["code"], defaults=role)
    build_demo_organisation()
    import_procedures(documents=[procedure()])


def context_of(browser: Browser, base: str, username: str, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport, is_mobile=viewport is PHONE)
    cookie = session_cookie(get_user_model().objects.get(username=username))
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])
    return context


def watched(context: BrowserContext, problems: list[str]) -> Page:
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return page


def test_the_overview_ranks_54_communes_and_its_tiles_follow_a_new_dossier(
    browser: Browser, asgi_server: str, quang_ninh: None
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    monitor = context_of(browser, asgi_server, "giamsat.tinh", DESKTOP)
    page = watched(monitor, problems)
    page.goto(f"{asgi_server}/monitoring/")
    expect(page).to_have_url(f"{asgi_server}/monitoring/province/22/")
    expect(page.locator("#unit-name")).to_contain_text("Tỉnh Quảng Ninh")
    expect(page.locator('#tiles [data-metric="filed"]')).to_have_attribute("data-value", "0")
    expect(page.locator("#table-communes tbody tr")).to_have_count(54)
    expect(page.locator("#table-communes tbody tr a")).to_have_count(54)
    wait_for_js(page, "document.querySelectorAll('canvas[data-chart]').length === 3")
    wait_for_js(page, "!!(window.Chart && Chart.getChart(document.querySelector('canvas')))")
    expect(page.locator("#tiles-panel")).to_have_attribute("data-live-state", "open", timeout=10000)
    expect(page.locator("#live-badge")).to_be_visible()

    # A dossier is filed online in Phường Hạ Long, outside the page: the tile follows.
    services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    expect(page.locator('#tiles [data-metric="filed"]')).to_have_attribute(
        "data-value", "1", timeout=10000
    )
    expect(page.locator('#tiles [data-metric="online_share"] .metric-value')).to_have_text("100,0%")
    assert page.locator("#tiles-panel").get_attribute("data-refreshes") == "1"
    page.screenshot(path=str(ARTIFACTS / "monitoring-province.png"), full_page=True)

    # Drill down: the commune, then its People's Committee.
    page.locator("#table-communes").get_by_role("link", name="Phường Hạ Long", exact=True).click()
    expect(page.locator("#unit-name")).to_contain_text("Phường Hạ Long")
    expect(page.locator('#tiles [data-metric="filed"]')).to_have_attribute("data-value", "1")
    page.locator("#table-agencies").get_by_role("link", name="UBND Phường Hạ Long").click()
    expect(page.locator("#unit-name")).to_contain_text("UBND Phường Hạ Long")
    expect(page.locator(".crumbs li")).to_have_count(3)

    # The wall display, and a phone.
    wall = watched(context_of(browser, asgi_server, "giamsat.tinh", WALL), problems)
    wall.goto(f"{asgi_server}/monitoring/province/22/?wall=1&period=today")
    expect(wall.locator("#wall-ranking li")).to_have_count(54)
    expect(wall.locator('#tiles [data-metric="filed"]')).to_have_attribute("data-value", "1")
    wall.screenshot(path=str(ARTIFACTS / "monitoring-wall.png"))
    phone = watched(context_of(browser, asgi_server, "giamsat.tinh", PHONE), problems)
    phone.goto(f"{asgi_server}/monitoring/province/22/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(ARTIFACTS / "monitoring-phone.png"), full_page=True)
    assert problems == []


def test_a_commune_leader_sees_the_ranking_and_opens_only_their_commune(
    browser: Browser, asgi_server: str, quang_ninh: None
) -> None:
    leader = get_user_model().objects.create_user(username="chutich.halong", password="x")
    organisation.grant_role(
        user=leader,
        role=Role.objects.get(code="commune_leader"),
        scope=Commune.objects.get(code="06688"),
    )
    problems: list[str] = []
    page = watched(context_of(browser, asgi_server, "chutich.halong", DESKTOP), problems)
    page.goto(f"{asgi_server}/monitoring/")
    expect(page).to_have_url(f"{asgi_server}/monitoring/commune/06688/")
    # Custom dates appear only for a custom period (CSS :has(), no script).
    expect(page.locator("#period-start")).to_be_hidden()
    page.locator("#period-kind").select_option("custom")
    expect(page.locator("#period-date")).to_be_hidden()
    page.locator("#period-start").fill("2026-01-01")
    page.locator("#period-end").fill("2026-02-15")
    page.locator("#period-form").get_by_role("button").click()
    expect(page.locator("#period-label")).to_contain_text("01/01/2026")
    assert "period=custom" in page.url
    page.locator(".crumbs").get_by_role("link").first.click()  # the province: its ranking
    expect(page.locator("#ranking-table tbody tr")).to_have_count(54)
    expect(page.locator("#ranking-table tbody tr a")).to_have_count(1)
    expect(page.locator("#ranking-table tr.own")).to_contain_text("Phường Hạ Long")
    page.screenshot(path=str(ARTIFACTS / "monitoring-ranking.png"), full_page=True)
    response = page.goto(f"{asgi_server}/monitoring/commune/06673/")
    assert response is not None
    assert response.status == 403
    assert [p for p in problems if "403" not in p] == []
