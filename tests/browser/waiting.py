"""Waiting in a browser test for a page's JavaScript state.

Playwright's `wait_for_function` evaluates its predicate as a string inside the page whenever it
has to poll, which the project's strict CSP (no 'unsafe-eval') refuses: it only passes when the
condition already holds at the first try, so it fails under load. `page.evaluate` goes through
the DevTools protocol, which the CSP does not govern; this polls with it.
"""

from __future__ import annotations

import time

from playwright.sync_api import Page


def wait_for_js(page: Page, expression: str, timeout: float = 10_000) -> None:
    """Wait until `expression` (JavaScript) is truthy in `page`, for at most `timeout` ms."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression!r}")
        page.wait_for_timeout(50)
