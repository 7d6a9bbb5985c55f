"""The counter console, the rating tablet and the live view in Chromium with a real event stream:
the counter opens, calls the elderly citizen first, a ticket issued at the kiosk appears in the
waiting list by itself, finishing brings the rating form to the tablet; the province's live view
lists the centre and follows a new ticket. Screenshots at 1280×800 go to test-artifacts/.

Served by uvicorn (`asgi_server`): under pytest-django's WSGI `live_server` the event stream
would never deliver."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, expect

from motcua.queueing import services
from motcua.queueing.models import Rating, Ticket
from tests.org import Org

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZE = {"width": 1280, "height": 800}


def logged_in(browser: Browser, base: str, user: Any) -> BrowserContext:
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=SIZE)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base,
            }
        ]
    )
    return context


def watch(page: Page, problems: list[str]) -> Page:
    page.on(
        "console",
        lambda msg: (
            problems.append(f"{page.url}: {msg.text} {msg.location}")
            if msg.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    return page


def test_console_tablet_and_live_view(browser: Browser, asgi_server: str, queue_org: Org) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    base = asgi_server
    problems: list[str] = []
    queues = queue_org.queue_services  # type: ignore[attr-defined]
    counter = queue_org.counters[0]  # type: ignore[attr-defined]
    for service in [queues["chung-thuc"], queues["chung-thuc"], queues["dat-dai"]]:
        services.issue_ticket(service=service)
    services.issue_ticket(service=queues["ho-tich"], priority=queue_org.priorities["elderly"])  # type: ignore[attr-defined]

    officer = logged_in(browser, base, queue_org.users["counter_halong"])
    console = watch(officer.new_page(), problems)
    console.goto(f"{base}/queue/counters/{counter.pk}/")
    expect(console.locator(".console-session")).to_have_attribute("data-state", "closed")
    console.locator("#open-counter").click()
    expect(console.locator(".console-session")).to_have_attribute("data-state", "open")
    console.locator("#call-next").click()
    expect(console.locator("#current-number")).to_have_text("B001")  # the elderly citizen
    console.locator("#start-ticket").click()
    expect(console.locator("#finish-ticket")).to_be_enabled()

    # A ticket issued at the kiosk shows up in the waiting list by itself.
    expect(console.locator("#console-queue")).to_have_attribute("data-live-state", "open")
    services.issue_ticket(service=queues["chung-thuc"])
    expect(console.locator("#waiting-list")).to_contain_text("A003", timeout=10000)
    expect(console.locator("#waiting-number")).to_have_text("4")
    console.screenshot(path=str(ARTIFACTS / "queue-console-1280.png"), full_page=True)
    console.locator("#pause-toggle").click()
    expect(console.locator("#pause-counter")).to_be_visible()
    console.screenshot(path=str(ARTIFACTS / "queue-console-pause.png"))
    console.locator("#pause-toggle").click()
    console.set_viewport_size({"width": 390, "height": 844})
    console.screenshot(path=str(ARTIFACTS / "queue-console-390.png"), full_page=True)
    console.set_viewport_size(SIZE)
    # Another device pauses this counter: the console follows.
    services.pause_counter(counter=counter, actor=queue_org.users["counter_halong"], reason="Họp")
    expect(console.locator(".console-session")).to_have_attribute("data-state", "paused")
    services.resume_counter(counter=counter, actor=queue_org.users["counter_halong"])
    expect(console.locator(".console-session")).to_have_attribute("data-state", "open")

    # The tablet at the counter waits; finishing brings the rating form.
    tablet_context = browser.new_context(viewport={"width": 1024, "height": 768})
    tablet = watch(tablet_context.new_page(), problems)
    tablet.goto(f"{base}/queue/rate/{counter.pk}/")
    expect(tablet.locator("#rate-idle")).to_be_visible()
    expect(tablet.locator("#rate-screen")).to_have_attribute("data-live-state", "open")
    console.locator("#finish-dossier").fill("000.01.30.H22-260101-0001")
    console.locator("#finish-ticket").click()
    expect(console.locator("#call-next")).to_be_visible()
    expect(tablet.locator("#rate-number")).to_have_text("B001", timeout=10000)
    for criterion, value in [("attitude", 5), ("guidance", 4), ("speed", 4), ("overall", 5)]:
        tablet.locator(f'input[name="{criterion}"][value="{value}"]').check(force=True)
    tablet.screenshot(path=str(ARTIFACTS / "queue-rating-tablet.png"), full_page=True)
    tablet.locator("#rate-send").click()
    expect(tablet.locator("#rate-idle")).to_be_visible()
    rating = Rating.objects.get()
    assert rating.ticket.number == "B001"
    assert str(rating.average) == "4.50"
    assert Ticket.objects.get(number="B001").dossier_code == "000.01.30.H22-260101-0001"

    # The province's live view.
    monitor = logged_in(browser, base, queue_org.users["monitor"])
    live = watch(monitor.new_page(), problems)
    live.goto(f"{base}/queue/live/?sort=longest_wait")
    point = queue_org.points["halong"]
    row = live.locator(f'#live-points tr[data-point="{point.pk}"]')
    expect(row.locator('[data-measure="waiting"]')).to_have_text("4")
    expect(live.locator("#live-table")).to_have_attribute("data-live-state", "open")
    services.issue_ticket(service=queues["dat-dai"])
    expect(row.locator('[data-measure="waiting"]')).to_have_text("5", timeout=10000)
    live.screenshot(path=str(ARTIFACTS / "queue-live-1280.png"), full_page=True)
    live.set_viewport_size({"width": 390, "height": 844})
    live.screenshot(path=str(ARTIFACTS / "queue-live-390.png"), full_page=True)
    live.set_viewport_size(SIZE)
    row.get_by_role("link").click()
    expect(live.locator("#point-counters")).to_contain_text("counter_halong")
    live.screenshot(path=str(ARTIFACTS / "queue-live-point-1280.png"), full_page=True)
    live.get_by_role("link", name=re.compile("reports|báo cáo", re.IGNORECASE)).first.click()
    expect(live.locator("#report-days")).to_contain_text(point.name)
    live.screenshot(path=str(ARTIFACTS / "queue-reports-1280.png"), full_page=True)

    for context in (officer, tablet_context, monitor):
        context.close()
    assert problems == []
