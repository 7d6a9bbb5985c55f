"""live.js in Chromium against a real server: topics on the page become one EventSource, events
become `motcua:live` DOM events and HTMX re-fetches, and a server restart shows the
reconnecting state and loses nothing (EventSource resumes with Last-Event-ID)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Page, Route, expect

from tests.browser.waiting import wait_for_js
from tests.core.events_support import (
    free_port,
    make_scope,
    publish_elsewhere,
    session_cookie,
    uvicorn_server,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

# Served by the test at the server's origin, under the project's strict CSP: no inline script.
PAGE = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>live</title>
<meta name="htmx-config" content='{"includeIndicatorStyles": false}'>
<script src="/static/motcua/htmx.min.js" defer></script>
<script src="/static/motcua/live.js" defer></script>
</head><body>
<section id="board" data-live-topic="commune.06688" data-live-swap-url="/live-test/board">
  chưa có</section>
<section id="province" data-live-topic="province.22"></section>
</body></html>"""


def test_live_js_dispatches_swaps_and_survives_a_server_restart(page: Page) -> None:
    scope = make_scope()
    cookie = session_cookie(scope["monitor"])
    port = free_port()
    fetches: list[str] = []
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))

    def serve_page(route: Route) -> None:
        route.fulfill(
            body=PAGE,
            content_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": settings.CONTENT_SECURITY_POLICY},
        )

    def serve_board(route: Route) -> None:
        fetches.append(route.request.url)
        route.fulfill(body=f"lần {len(fetches)}", content_type="text/html; charset=utf-8")

    with uvicorn_server(port) as base:
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}]
        )
        page.route(f"{base}/live-test/", serve_page)
        page.route(f"{base}/live-test/board", serve_board)
        page.goto(f"{base}/live-test/")
        board = page.locator("#board")
        expect(board).to_have_attribute("data-live-state", "open")
        expect(page.locator("#province")).to_have_attribute("data-live-state", "open")
        page.evaluate(
            """() => {
                window.received = [];
                document.addEventListener("motcua:live", (e) => {
                    window.received.push([e.target.id, e.detail]);
                });
            }"""
        )
        [called] = publish_elsewhere(
            {"topic": "commune.06688", "name": "ticket.called", "data": {"ticket": "A012"}}
        )
        expect(board).to_have_text("lần 1")
        [kpi] = publish_elsewhere({"topic": "province.22", "name": "kpi", "data": {"x": 1}})
        wait_for_js(page, "window.received.length >= 2")
        assert page.evaluate("window.received") == [
            [
                "board",
                {
                    "id": called["id"],
                    "topic": "commune.06688",
                    "name": "ticket.called",
                    "data": {"ticket": "A012"},
                },
            ],
            [
                "province",
                {"id": kpi["id"], "topic": "province.22", "name": "kpi", "data": {"x": 1}},
            ],
        ]
    # The server is gone: the browser keeps trying.
    expect(board).to_have_attribute("data-live-state", "reconnecting")
    [missed] = publish_elsewhere({"topic": "commune.06688", "name": "while-down"})
    with uvicorn_server(port):
        expect(board).to_have_attribute("data-live-state", "open", timeout=15_000)
        wait_for_js(page, "window.received.length >= 3", timeout=15_000)
        received: list[Any] = page.evaluate("window.received")
        assert [detail["id"] for _, detail in received] == [called["id"], kpi["id"], missed["id"]]
        expect(board).to_have_text("lần 2")

        # HTMX brings in an element with another topic: the page's stream is reopened for the
        # new set of topics, resuming after the last event seen (nothing is dispatched twice).
        page.evaluate(
            """() => {
                const later = document.createElement("section");
                later.id = "later";
                later.setAttribute("data-live-topic", "commune.06673");
                document.body.append(later);
            }"""
        )
        expect(page.locator("#later")).to_have_attribute("data-live-state", "open")
        [other] = publish_elsewhere({"topic": "commune.06673", "name": "other-commune"})
        wait_for_js(page, "window.received.length >= 4")
        page.wait_for_timeout(300)
        received = page.evaluate("window.received")
        assert [(target, detail["id"]) for target, detail in received] == [
            ("board", called["id"]),
            ("province", kpi["id"]),
            ("board", missed["id"]),
            ("later", other["id"]),
        ]
    assert not problems, problems
