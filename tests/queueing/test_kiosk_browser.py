"""The kiosk and the citizen's phone in Chromium: a citizen takes a number on the portrait touch
screen (1080 × 1920), the ticket prints itself (80 mm), and the phone page follows the ticket
until a counter calls it. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from motcua.queueing import services
from motcua.queueing.models import PriorityCategory, Ticket
from tests.browser.waiting import wait_for_js
from tests.org import Org

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Recorded instead of opening the print dialog / shaking a phone that is not there.
RECORD = """
window.__printed = 0;
window.print = function () { window.__printed += 1; };
window.__vibrations = [];
Object.defineProperty(navigator, "vibrate", {
  value: function (pattern) { window.__vibrations.push(pattern); return true; }
});
"""


@pytest.fixture
def served(live_server: Any, settings: Any, queue_org: Org) -> str:
    settings.PUBLIC_URL = live_server.url  # the QR code and the printed link
    ARTIFACTS.mkdir(exist_ok=True)
    return str(live_server.url)


class Stream:
    """Stands in for /events/stream (the WSGI test server cannot stream): empty answers that ask
    to reconnect soon, until `send` queues an event, which the next reconnection delivers."""

    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []
        self.next_id = 1

    def send(self, topic: str, name: str, data: dict[str, Any]) -> None:
        self.pending.append({"id": self.next_id, "topic": topic, "name": name, "data": data})
        self.next_id += 1

    def handle(self, route: Route) -> None:
        body = "retry: 300\n\n"
        while self.pending:
            event = self.pending.pop(0)
            body += f"id: {event['id']}\ndata: {json.dumps(event)}\n\n"
        route.fulfill(status=200, content_type="text/event-stream", body=body)

    def attach(self, context: BrowserContext) -> None:
        context.route("**/events/stream*", self.handle)


def watch(page: Page, problems: list[str]) -> None:
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))


def test_take_a_number_print_it_and_follow_it_on_a_phone(
    page: Page, served: str, queue_org: Org
) -> None:
    point = queue_org.points["halong"]
    priorities = queue_org.priorities  # type: ignore[attr-defined]
    PriorityCategory.objects.filter(pk=priorities["elderly"].pk).update(colour="#0b57d0")
    PriorityCategory.objects.filter(pk=priorities["pregnant"].pk).update(colour="#c2185b")
    PriorityCategory.objects.create(
        code="disability", name="Người khuyết tật", weight=3, colour="#f2c94c", order=1
    )
    ahead = services.issue_ticket(service=queue_org.queue_services["chung-thuc"])  # type: ignore[attr-defined]
    problems: list[str] = []

    # The kiosk: portrait touch screen.
    kiosk = page.context.browser.new_context(  # type: ignore[union-attr]
        viewport={"width": 1080, "height": 1920}, has_touch=True
    )
    kiosk.add_init_script(RECORD)
    screen = kiosk.new_page()
    watch(screen, problems)
    screen.goto(f"{served}/queue/kiosk/{point.code}/")
    expect(screen.locator(".kiosk-service")).to_have_count(3)
    expect(screen.locator("[data-clock]")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    screen.screenshot(path=str(ARTIFACTS / "kiosk-start.png"))

    screen.get_by_role("link", name=re.compile("Chứng thực")).tap()
    expect(screen.locator("#no-priority")).to_be_visible()
    elderly = screen.locator('[data-priority="elderly"]')
    expect(elderly).to_have_css("background-color", "rgb(11, 87, 208)")
    expect(elderly).to_have_css("color", "rgb(255, 255, 255)")
    # A light colour gets dark text.
    expect(screen.locator('[data-priority="disability"]')).to_have_css("color", "rgb(0, 0, 0)")
    for button in screen.locator(".kiosk-button").all():
        box = button.bounding_box()
        assert box
        assert box["height"] >= 72
    screen.screenshot(path=str(ARTIFACTS / "kiosk-priority.png"))

    screen.locator("#no-priority").tap()
    screen.wait_for_url(re.compile(r"/queue/t/[^/]+/print\?kiosk=1$"))
    ticket = Ticket.objects.exclude(pk=ahead.pk).get()
    expect(screen.locator("#ticket-number")).to_have_text(ticket.number)
    expect(screen.locator("#ticket-ahead")).to_have_attribute("data-ahead", "1")
    wait_for_js(screen, "window.__printed === 1")
    # After printing, the countdown back to the start screen runs.
    expect(screen.locator("[data-countdown-seconds]")).not_to_have_text("30", timeout=3000)
    qr = screen.locator("#ticket-qr")
    assert screen.evaluate("(img) => img.complete && img.naturalWidth > 0", qr.element_handle())
    screen.screenshot(path=str(ARTIFACTS / "kiosk-ticket.png"))
    # The paper: 80 mm wide, as long as the ticket.
    screen.emulate_media(media="print")
    screen.locator("#ticket").screenshot(path=str(ARTIFACTS / "ticket-print.png"))
    pdf = screen.pdf(prefer_css_page_size=True)
    (ARTIFACTS / "ticket.pdf").write_bytes(pdf)
    box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert box
    width_mm, height_mm = (float(v) * 25.4 / 72 for v in box.groups())
    assert round(width_mm) == 80
    assert 60 < height_mm < 150
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # one page
    screen.emulate_media(media="screen")
    follow_url = screen.locator("#follow-link").get_attribute("href")
    assert follow_url == f"{served}/queue/t/{ticket.secret}/"
    screen.locator("#kiosk-done").tap()
    screen.wait_for_url(f"{served}/queue/kiosk/{point.code}/")

    # The citizen's phone, following the ticket from the QR code.
    stream = Stream()
    phone_context = page.context.browser.new_context(  # type: ignore[union-attr]
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    phone_context.add_init_script(RECORD)
    stream.attach(phone_context)
    phone = phone_context.new_page()
    watch(phone, problems)
    phone.goto(follow_url)
    expect(phone.locator("#place-number")).to_have_text(ticket.number)
    expect(phone.locator("#place-ahead")).to_have_text("1")
    expect(phone.locator("#place-near")).to_be_visible()
    expect(phone.locator("#place")).to_have_attribute(
        "data-live-state", re.compile("open|reconnecting")
    )
    phone.locator("#leave summary").tap()
    expect(phone.locator("#confirm-leave")).to_be_visible()
    phone.screenshot(path=str(ARTIFACTS / "phone-waiting.png"), full_page=True)
    phone.locator("#leave summary").tap()  # not now

    officer = queue_org.users["counter_halong"]
    counter = queue_org.counters[0]  # type: ignore[attr-defined]
    services.open_counter(counter=counter, actor=officer)
    called = services.call_next(counter=counter, actor=officer)
    assert called == ahead
    topic = f"board.{point.pk}"
    stream.send(topic, "ticket.called", {"number": ahead.number, "counter": counter.number})
    expect(phone.locator("#place-wait")).to_have_text(re.compile("."))
    expect(phone.locator("#place-ahead")).to_have_text("0")
    assert phone.evaluate("window.__vibrations.length") == 0

    services.finish(ticket=called, counter=counter, actor=officer)
    mine = services.call_next(counter=counter, actor=officer)
    assert mine == ticket
    stream.send(topic, "ticket.called", {"number": ticket.number, "counter": counter.number})
    expect(phone.locator("#place-call")).to_be_visible()
    expect(phone.locator(".place-call-counter")).to_contain_text(str(counter.number))
    expect(phone.locator("#leave")).to_be_hidden()
    wait_for_js(phone, "window.__vibrations.length === 1")
    assert ticket.number in phone.title()
    phone.screenshot(path=str(ARTIFACTS / "phone-called.png"), full_page=True)

    # Booking on the phone (the Hộ tịch queue takes appointments).
    phone.goto(f"{served}/queue/book/{point.code}/")
    phone.get_by_role("link", name="Hộ tịch").tap()
    phone.locator("[data-day]").last.tap()
    phone.locator(".slot:not(.slot-full)").first.tap()
    phone.locator("#book-phone").fill("0912345678")
    phone.locator("#book-name").fill("Trần Văn Bình")
    phone.screenshot(path=str(ARTIFACTS / "phone-book.png"), full_page=True)
    phone.locator("#book-submit").tap()
    expect(phone.locator("#booking-code")).to_have_text(re.compile(r"^[A-Z2-9]{6}$"))
    phone.screenshot(path=str(ARTIFACTS / "phone-booking.png"), full_page=True)

    assert problems == []
    phone_context.close()
    kiosk.close()
