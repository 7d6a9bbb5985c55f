"""The whole queue in Chromium, with a real event stream (uvicorn, `asgi_server`): a citizen
takes a number at the kiosk and follows it on a phone; the counter officer calls the tickets
ahead, then theirs; the display board shows each call and requests its voice clip, and the
phone page shows the place falling until the citizen is called to the counter."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from motcua.queueing import services
from motcua.queueing.models import Ticket
from tests.org import Org
from tests.queueing.test_console_browser import logged_in, watch

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_kiosk_counter_board_and_phone(
    browser: Browser, asgi_server: str, queue_org: Org, settings: object
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    base = asgi_server
    settings.PUBLIC_URL = base  # type: ignore[attr-defined]
    problems: list[str] = []
    point = queue_org.points["halong"]
    counter = queue_org.counters[0]  # type: ignore[attr-defined]
    for _ in range(2):  # two citizens came earlier
        services.issue_ticket(service=queue_org.queue_services["chung-thuc"])  # type: ignore[attr-defined]

    # The display board in the waiting room, sound enabled.
    board_context = browser.new_context(viewport={"width": 1920, "height": 1080})
    board = watch(board_context.new_page(), problems)
    board.goto(f"{base}/queue/display/{point.code}/")
    if board.locator("#board-sound-button").is_visible():
        board.locator("#board-sound-button").click()
    expect(board.locator("[data-live-topic]").first).to_have_attribute(
        "data-live-state", "open", timeout=10000
    )

    # The kiosk: a service, no priority, the ticket.
    kiosk_context = browser.new_context(viewport={"width": 1080, "height": 1920})
    kiosk = watch(kiosk_context.new_page(), problems)
    kiosk.add_init_script("window.print = () => {};")  # no print dialog in the test
    kiosk.goto(f"{base}/queue/kiosk/{point.code}/")
    kiosk.locator('a[data-service="chung-thuc"]').click()
    kiosk.locator("#no-priority").click()
    expect(kiosk.get_by_text("A003").first).to_be_visible()
    ticket = Ticket.objects.get(number="A003")

    # The citizen's phone, from the ticket's QR code.
    phone_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = watch(phone_context.new_page(), problems)
    phone.goto(f"{base}/queue/t/{ticket.secret}/")
    expect(phone.locator("#place-ahead")).to_have_text("2")

    # The counter officer opens the counter and calls: each call reaches the board (with its
    # voice clip) and moves the citizen up.
    officer = logged_in(browser, base, queue_org.users["counter_halong"])
    console = watch(officer.new_page(), problems)
    console.goto(f"{base}/queue/counters/{counter.pk}/")
    console.locator("#open-counter").click()
    for number, ahead in [("A001", "1"), ("A002", "0")]:
        with board.expect_request(re.compile(rf"/queue/voice/{number}-{counter.number}\.wav")):
            console.locator("#call-next").click()
            expect(console.locator("#current-number")).to_have_text(number)
        expect(board.get_by_text(number).first).to_be_visible()
        expect(phone.locator("#place-ahead")).to_have_text(ahead, timeout=10000)
        console.locator("#finish-ticket").click()
        expect(console.locator("#call-next")).to_be_visible()
    phone.screenshot(path=str(ARTIFACTS / "queue-phone-next.png"), full_page=True)
    with board.expect_request(re.compile(rf"/queue/voice/A003-{counter.number}\.wav")):
        console.locator("#call-next").click()
    expect(phone.locator("#place-call")).to_have_attribute(
        "data-counter", str(counter.number), timeout=10000
    )
    expect(board.get_by_text("A003").first).to_be_visible()
    board.screenshot(path=str(ARTIFACTS / "queue-board-called.png"))
    phone.screenshot(path=str(ARTIFACTS / "queue-phone-called.png"), full_page=True)
    for context in (board_context, kiosk_context, phone_context, officer):
        context.close()
    assert not problems, problems
