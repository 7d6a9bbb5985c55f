"""The display board in Chromium at 1920×1080 with a real event stream: sound is enabled with
one click, a call made at a counter shows on the board within seconds and its voice clip is
fetched and played; an old call replayed by the stream is shown but not read out, the same
event is never read out twice, and two calls are read one after the other.

The board is served by uvicorn in a thread of the test process, not by pytest-django's
`live_server`: that is a WSGI server, and Django under WSGI reads an async streaming response
to its end before sending anything, so the event stream would never deliver. In this process
the test's calls reach the stream through the in-process broker (SQLite) or NOTIFY (PostgreSQL),
and the server shares the test database (the test's transactions commit).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from motcua.core.events import publish
from motcua.core.models import LiveEvent
from motcua.queueing import services
from motcua.queueing.models import TicketEvent
from tests.browser.waiting import wait_for_js
from tests.org import Org

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# Records what the board's <audio> element does, for the assertions on the order of clips.
AUDIO_LOG = """() => {
    window.audioLog = [];
    const audio = document.getElementById("board-audio");
    for (const name of ["playing", "ended", "error"]) {
        audio.addEventListener(name, () => {
            window.audioLog.push([name, audio.currentSrc.replace(location.origin, "")]);
        });
    }
}"""


def test_the_board_shows_and_reads_out_calls(page: Page, asgi_server: str, queue_org: Org) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    voiced: list[str] = []
    page.on(
        "request",
        lambda request: (
            voiced.append(request.url.split("/queue/voice/")[1])
            if "/queue/voice/" in request.url
            else None
        ),
    )
    certification = queue_org.queue_services["chung-thuc"]  # type: ignore[attr-defined]
    civil = queue_org.queue_services["ho-tich"]  # type: ignore[attr-defined]
    for service in [certification, certification, civil, civil, civil]:
        services.issue_ticket(service=service)
    services.issue_ticket(service=queue_org.queue_services["dat-dai"])  # type: ignore[attr-defined]
    counter1, counter2 = queue_org.counters  # type: ignore[attr-defined]
    officer, manager = queue_org.users["counter_halong"], queue_org.users["manager_halong"]
    services.open_counter(counter=counter1, actor=officer)
    services.open_counter(counter=counter2, actor=manager)
    earlier = services.call_next(counter=counter2, actor=manager)
    assert earlier is not None
    assert earlier.number == "B001"
    # B001 was called five minutes ago.
    TicketEvent.objects.filter(ticket=earlier).update(at=timezone.now() - dt.timedelta(minutes=5))

    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{asgi_server}/queue/display/ttpvhcc-06688/")
    expect(page.locator("#board-live")).to_have_attribute("data-live-state", "open")
    expect(page.locator('#board-serving li[data-counter="2"]')).to_have_attribute(
        "data-number", "B001"
    )
    # Browsers play nothing before a gesture: one click on the overlay, which plays the chime.
    sound = page.locator("#board-sound")
    expect(sound).to_be_visible()
    page.evaluate(AUDIO_LOG)
    page.locator("#board-sound-button").click()  # “Bật âm thanh”
    expect(sound).to_be_hidden()
    assert voiced == ["chime.wav"] or voiced == ["chime.wav", "chime.wav"]

    # The stream replays B001's call (as after a reconnect): shown, not read out.
    with page.expect_response(re.compile(r"/queue/display/ttpvhcc-06688/state$")):
        publish(
            f"board.{queue_org.points['halong'].pk}",
            "ticket.called",
            {"ticket": earlier.pk, "number": "B001", "service": civil.pk, "counter": 2, "call": 1},
        )
    page.wait_for_timeout(300)
    assert "B001-2.wav" not in voiced
    expect(page.locator("#board-callout")).to_be_hidden()

    # Counter 1 calls: the board shows A001 within seconds and reads it out.
    with page.expect_request(re.compile(r"/queue/voice/A001-1\.wav"), timeout=5000):
        called = services.call_next(counter=counter1, actor=officer)
    assert called is not None
    assert called.number == "A001"
    row = page.locator('#board-serving li[data-counter="1"]')
    expect(row).to_have_attribute("data-number", "A001", timeout=5000)
    expect(row).to_have_class(re.compile(r"\bboard-flash\b"))
    callout = page.locator("#board-callout")
    expect(callout).to_be_visible()
    expect(callout.locator('[data-slot="number"]')).to_have_text("A001")
    expect(callout.locator('[data-slot="counter"]')).to_have_text("1")
    expect(page.locator("#board-recent li").first).to_have_attribute("data-number", "A001")
    expect(page.locator('#board-waiting li[data-prefix="A"]')).to_have_attribute(
        "data-waiting", "1"
    )
    page.screenshot(path=str(ARTIFACTS / "display-board-call.png"))

    # The same event again (a duplicate delivery): not read out twice.
    event = LiveEvent.objects.filter(name="ticket.called").latest("pk")
    page.evaluate(
        """(event) => document.getElementById("board-live").dispatchEvent(
            new CustomEvent("motcua:live", {bubbles: true, detail: event}))""",
        {"id": event.pk, "topic": event.topic, "name": event.name, "data": event.data},
    )

    # A recall and another counter's call: read one after the other, never over each other.
    services.recall(ticket=called, counter=counter1, actor=officer)
    services.finish(ticket=earlier, counter=counter2, actor=manager)
    services.call_next(counter=counter2, actor=manager)  # B002
    wait_for_js(
        page,
        """() => window.audioLog.filter(([name, src]) =>
            name !== "playing" && /B002-2/.test(src)).length > 0""",
        timeout=30_000,
    )
    log = page.evaluate("window.audioLog")
    clips = [src for name, src in log if name == "playing"]
    assert clips == [
        "/queue/voice/chime.wav",
        "/queue/voice/A001-1.wav",
        "/queue/voice/A001-1.wav",
        "/queue/voice/B002-2.wav",
    ], log
    # Each clip ends (or fails) before the next one starts.
    for index, (name, src) in enumerate(log):
        if name == "playing" and index + 1 < len(log):
            assert log[index + 1][1] == src, log
            assert log[index + 1][0] in {"ended", "error"}, log
    assert voiced.count("A001-1.wav") <= 2
    assert "B001-2.wav" not in voiced

    expect(callout).to_be_hidden(timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "display-board.png"))
    assert not problems, problems
    page.close()
