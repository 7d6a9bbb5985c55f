"""The web shell in a real browser: login, role-aware navigation, language switch, scoping."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.org import Org

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(f"pw-{username}")
    page.get_by_role("button", name="Đăng nhập").click()


def test_counter_officer_sees_their_commune_in_vietnamese(
    page: Page, live_server: object, org: Org
) -> None:
    base = str(live_server)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page, base, "counter_halong")
    expect(page.get_by_role("heading", name="Xin chào, counter_halong")).to_be_visible()
    nav = page.get_by_role("navigation", name="Điều hướng chính")
    expect(nav.get_by_role("link", name="Điểm phục vụ")).to_be_visible()
    expect(nav.get_by_role("link", name="Nhật ký kiểm toán")).to_have_count(0)

    nav.get_by_role("link", name="Điểm phục vụ").click()
    table = page.get_by_role("table")
    expect(table).to_contain_text("Trung tâm PVHCC Phường Hạ Long")
    expect(table).not_to_contain_text("Bãi Cháy")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "service-points-vi.png"), full_page=True)

    page.get_by_role("link", name="Trung tâm PVHCC Phường Hạ Long").click()
    expect(page.get_by_role("heading", name="Giờ làm việc")).to_be_visible()

    page.get_by_role("button", name="EN").click()
    expect(page.get_by_role("heading", name="Opening hours")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "service-point-en-phone.png"), full_page=True)
    assert not errors, errors  # no CSP violations or script errors


def test_system_administrator_reaches_the_admin_in_vietnamese(
    page: Page, live_server: object, org: Org
) -> None:
    base = str(live_server)
    log_in(page, base, "sysadmin")
    page.get_by_role("link", name="Quản trị").first.click()
    expect(page.get_by_role("heading", name="Quản trị")).to_be_visible()
    expect(page.get_by_role("link", name="Đơn vị cấp xã")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "admin-vi.png"), full_page=True)
