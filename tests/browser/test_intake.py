"""Intake in a real browser (Debian's Chromium): a citizen files a certified copy online and
pays the fee through the demo gateway; an officer of a commune centre accepts it, then receives
a land-change dossier at the counter for a parcel in another commune."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from motcua.dossiers.models import Dossier, Status
from motcua.payments.models import Payment
from tests.intake_data import ID_NUMBER, pdf_bytes
from tests.org import Org

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def served(live_server: Any, settings: Any, intake_org: Org, tmp_path: Path) -> str:
    settings.PUBLIC_URL = live_server.url  # QR codes, the gateway's and e-ID's return address
    settings.DEV_EID_PROVIDER = True  # online filing needs an e-ID login
    settings.MOTCUA_PKI_DIR = tmp_path / "pki"
    ARTIFACTS.mkdir(exist_ok=True)
    return str(live_server.url)


def fill_applicant(page: Page, name: str) -> None:
    page.get_by_label("Họ, chữ đệm và tên").fill(name)
    page.get_by_label("Số định danh cá nhân (12 chữ số)").fill(ID_NUMBER)
    page.get_by_label("Ngày sinh").fill("1990-05-12")
    page.get_by_label("Nơi cư trú").fill("Tổ 3, khu 5, phường Bãi Cháy")


def quiet_event_stream(context: BrowserContext) -> None:
    """Answer live.js with a stream that ends at once (and asks for no retry for 10 minutes):
    the test server's threads would otherwise keep the streams, and their subscriptions, open
    after the test (tests/core/test_events.py covers live events)."""
    context.route(
        "**/events/stream*",
        lambda route: route.fulfill(
            status=200, content_type="text/event-stream", body="retry: 600000\n\n"
        ),
    )


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(f"pw-{username}")
    page.get_by_role("button", name="Đăng nhập").click()


def test_online_certified_copy_and_counter_land_change(
    page: Page, served: str, tmp_path: Path, intake_org: Org
) -> None:
    quiet_event_stream(page.context)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    scan = tmp_path / "ban-sao.pdf"
    scan.write_bytes(pdf_bytes(3))

    # The citizen: from the public catalogue to the online form, through the e-ID login.
    page.goto(f"{served}/procedures/2.000815/")
    page.get_by_role("link", name="Nộp trực tuyến").click()
    page.get_by_role("link", name="Đăng nhập bằng định danh điện tử").click()
    page.get_by_role("button", name="Đăng nhập là Trần Thị Mai").click()
    expect(page.get_by_label("Họ, chữ đệm và tên")).to_have_value("Trần Thị Mai")
    page.get_by_role("button", name="Nộp hồ sơ").click()  # empty: the summary gets the focus
    expect(page.locator("#form-errors")).to_be_focused()
    page.locator("#form-errors").get_by_role("link").first.click()
    expect(page.locator(":focus")).to_have_attribute("name", re.compile(r"^(data\.|commune)"))
    errors.clear()  # Chromium logs the deliberate 400 answer of the empty form
    page.get_by_label("Đơn vị hành chính cấp xã có thẩm quyền giải quyết").select_option("06688")
    page.get_by_label("Tên giấy tờ").fill("Bằng tốt nghiệp đại học")
    page.get_by_label("Số trang").fill("3")
    page.get_by_label("Số bản").fill("2")
    page.locator('input[name="file.ban_chinh"]').set_input_files(str(scan))
    page.locator('input[name="file.ban_sao"]').set_input_files(str(scan))
    page.screenshot(path=str(ARTIFACTS / "apply-online.png"), full_page=True)
    page.get_by_role("button", name="Nộp hồ sơ").click()
    expect(page.get_by_role("heading", name="Tra cứu hồ sơ")).to_be_visible()
    online = Dossier.objects.get()
    expect(page.get_by_text(online.code).first).to_be_visible()
    expect(page.locator(".status-1").first).to_have_text("Mới đăng ký")
    tracking = page.url.split("#")[0]  # the error summary's link left a fragment behind

    # The Hạ Long counter officer checks it and accepts it.
    officer_context = page.context.browser.new_context()  # type: ignore[union-attr]
    quiet_event_stream(officer_context)
    officer = officer_context.new_page()
    officer.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(officer, served, "counter_halong")
    officer.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Hồ sơ"
    ).click()
    officer.get_by_role("link", name=online.code).click()
    officer.get_by_role("button", name="Tiếp nhận và cấp giấy hẹn").click()
    expect(officer.locator("h1 .status-2")).to_have_text("Đã tiếp nhận")
    officer.screenshot(path=str(ARTIFACTS / "dossier-received.png"), full_page=True)
    online.refresh_from_db()
    assert online.status == Status.RECEIVED
    assert online.due_at is not None
    receipt = officer.request.get(
        f"{served}/dossiers/{online.code}/slips/{online.slips.get().pk}.pdf"
    )
    assert receipt.ok
    assert receipt.body().startswith(b"%PDF")

    # The citizen sees the receipt and pays 10.000 đ (3 pages × 2 copies) online.
    page.goto(tracking)
    expect(page.get_by_text("10.000 đ").first).to_be_visible()
    page.get_by_role("button", name="Thanh toán trực tuyến").click()
    page.screenshot(path=str(ARTIFACTS / "gateway.png"), full_page=True)
    page.get_by_role("button", name=re.compile("Thanh toán")).first.click()
    page.wait_for_url(re.compile(r"/track/"))
    assert Payment.objects.get(reference=online.code).status == "paid"
    page.screenshot(path=str(ARTIFACTS / "tracking-paid.png"), full_page=True)

    # A land-change dossier for a parcel in Bãi Cháy, received at the Hạ Long counter.
    officer.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name="Hồ sơ"
    ).click()
    officer.get_by_role("link", name="Tiếp nhận hồ sơ").click()
    officer.get_by_role("searchbox").fill("dat dai")
    officer.get_by_role("button", name="Tìm kiếm").click()
    officer.get_by_role("link", name="Tiếp nhận").first.click()
    fill_applicant(officer, "Trần Văn Hùng")
    officer.get_by_label("Số thửa").fill("215")
    officer.get_by_label("Xã nơi có thửa đất").select_option("06673")
    officer.locator('input[name="paper.don"]').check()
    officer.locator('input[name="paper.giay_chung_nhan"]').check()  # not in the store yet
    officer.screenshot(path=str(ARTIFACTS / "counter-receive.png"), full_page=True)
    officer.get_by_role("button", name="Tiếp nhận và cấp giấy hẹn").click()
    expect(officer.locator("h1 .status-2")).to_have_text("Đã tiếp nhận")
    land = Dossier.objects.exclude(pk=online.pk).get()
    assert land.competent_agency == intake_org.agencies["land_halong"]
    assert land.code.startswith("000.01.30.H22-")
    expect(
        officer.get_by_text("Chi nhánh Văn phòng Đăng ký đất đai khu vực Hạ Long")
    ).to_be_visible()
    officer.set_viewport_size({"width": 390, "height": 844})
    officer.screenshot(path=str(ARTIFACTS / "land-dossier-phone.png"), full_page=True)
    officer_context.close()
    assert not errors, errors
