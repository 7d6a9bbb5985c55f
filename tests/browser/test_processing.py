"""Processing across agencies in a real browser (Debian's Chromium): a judicial record
certificate (a provincial procedure) is received at the Hạ Long commune centre, assigned and
handled in the Department of Justice with a parallel consultation of the provincial police,
approved and signed, and returned at the commune counter. A job worker runs beside the server,
as in a deployment: it signs the result and sends the notifications."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from motcua.core.jobs import start_in_process_worker
from motcua.dossiers import signing
from motcua.dossiers.models import Dossier, Result, Status
from tests.browser.test_intake import ARTIFACTS, fill_applicant, log_in, quiet_event_stream
from tests.org import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def served(live_server: Any, settings: Any, processing_org: Org) -> Iterator[str]:
    settings.PUBLIC_URL = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    worker = start_in_process_worker(interval=0.05)
    try:
        yield str(live_server.url)
    finally:
        worker.stop()


def wait_until(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def officer_page(browser: Browser, base: str, username: str, errors: list[str]) -> Page:
    context = browser.new_context()
    quiet_event_stream(context)
    page = context.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page, base, username)
    return page


def open_from_inbox(page: Page, base: str, tab: str, code: str) -> None:
    page.goto(f"{base}/work/")
    page.get_by_role("navigation", name="Hộp việc").get_by_role("link", name=tab).click()
    page.get_by_role("link", name=code).click()
    expect(page.get_by_role("heading", name=code)).to_be_visible()


def test_provincial_procedure_received_at_a_commune_and_processed_in_departments(
    browser: Browser, served: str, tmp_path: Path, processing_org: Org
) -> None:
    errors: list[str] = []

    # The Hạ Long commune counter receives a provincial procedure (borderless).
    counter = officer_page(browser, served, "counter_halong", errors)
    counter.goto(f"{served}/dossiers/receive/2.000488/")
    fill_applicant(counter, "Phạm Thị Lan")
    counter.get_by_label("Mục đích").fill("Bổ sung hồ sơ xin việc")
    counter.locator('input[name="paper.to_khai"]').check()
    counter.get_by_role("button", name="Tiếp nhận và cấp giấy hẹn").click()
    expect(counter.locator("h1 .status-2")).to_have_text("Đã tiếp nhận")
    dossier = Dossier.objects.get()
    code = dossier.code
    assert dossier.competent_agency == processing_org.agencies["stp"]

    # The department's leader finds it in "to assign" and gives it to a handler.
    leader = officer_page(browser, served, "leader_stp", errors)
    leader.goto(f"{served}/work/")
    expect(leader.locator('[data-box="assign"]')).to_have_text("1")
    leader.screenshot(path=str(ARTIFACTS / "inbox.png"), full_page=True)
    open_from_inbox(leader, served, "Chờ phân công", code)
    leader.get_by_label("Phân công người xử lý").select_option(label="officer_stp")
    leader.get_by_role("button", name="Phân công", exact=True).click()
    expect(leader.locator("h1 .status-4")).to_have_text("Đang xử lý")

    # The handler consults the provincial police in parallel.
    handler = officer_page(browser, served, "officer_stp", errors)
    open_from_inbox(handler, served, "Chờ xử lý", code)
    handler.get_by_label("Lấy ý kiến cơ quan khác (song song)").select_option(
        label="Công an tỉnh Quảng Ninh"
    )
    handler.get_by_label("Nội dung lấy ý kiến").fill("Đề nghị xác minh thông tin án tích")
    handler.get_by_label("Số ngày làm việc để trả lời").fill("3")
    handler.get_by_role("button", name="Gửi lấy ý kiến").click()
    expect(handler.get_by_text("Đã gửi lấy ý kiến.")).to_be_visible()
    handler.get_by_role("button", name="Trình phê duyệt").click()  # too early: waits for police
    expect(handler.get_by_text("Đang chờ ý kiến của: Công an tỉnh Quảng Ninh.")).to_be_visible()

    # The police reply from their own inbox.
    police = officer_page(browser, served, "officer_police", errors)
    open_from_inbox(police, served, "Chờ xử lý", code)
    police.get_by_label("Ý kiến của Công an tỉnh Quảng Ninh").fill("Không có án tích")
    police.get_by_role("button", name="Gửi ý kiến").click()
    expect(police.get_by_text("Đã gửi ý kiến của cơ quan.")).to_be_visible()

    # The handler proposes; the leader approves and signs.
    handler.reload()
    handler.get_by_label("Ý kiến thẩm định / lý do").fill("Đủ điều kiện cấp Phiếu số 1")
    handler.get_by_role("button", name="Trình phê duyệt").click()
    expect(handler.get_by_text("Đã trình phê duyệt.")).to_be_visible()
    open_from_inbox(leader, served, "Chờ phê duyệt", code)
    expect(leader.get_by_text("Đề xuất: Giải quyết — Đủ điều kiện cấp Phiếu số 1")).to_be_visible()
    leader.get_by_role("button", name="Phê duyệt và ký số").click()
    expect(leader.locator("h1 .status-9")).to_have_text("Đã xử lý xong")
    wait_until(lambda: Result.objects.exclude(signed_at=None).exists())

    # The commune counter returns the signed result.
    open_from_inbox(counter, served, "Chờ trả kết quả", code)
    counter.get_by_role("button", name="Đã trả tại quầy").click()
    expect(counter.locator("h1 .status-10")).to_have_text("Đã trả kết quả")
    expect(counter.get_by_text("Trước hạn").first).to_be_visible()
    counter.screenshot(path=str(ARTIFACTS / "dossier-returned.png"), full_page=True)

    # The timeline shows every hand-off; so does the process control slip.
    timeline = counter.locator(".timeline")
    for label in (
        "Đã tiếp nhận",
        "Đã phân công người xử lý",
        "Lấy ý kiến cơ quan khác",
        "Cơ quan được lấy ý kiến đã trả lời",
        "Đã đề xuất kết quả",
        "Đã phê duyệt",
        "Đã trả kết quả",
    ):
        expect(timeline.get_by_text(label).first).to_be_visible()
    counter.get_by_role("link", name="xem", exact=True).click()
    rows = counter.locator("table.data tbody tr")
    expect(rows).to_have_count(5)
    for index, receiver in enumerate(
        [
            "Trung tâm PVHCC Phường Hạ Long",
            "Sở Tư pháp",
            "Công an tỉnh Quảng Ninh",
            "Sở Tư pháp",
            "Trung tâm PVHCC Phường Hạ Long",
        ]
    ):
        expect(rows.nth(index).locator("td").nth(2)).to_contain_text(receiver)
    counter.screenshot(path=str(ARTIFACTS / "control-slip.png"), full_page=True)
    slip = counter.request.get(f"{served}/dossiers/{code}/control-slip.pdf")
    assert slip.ok
    assert slip.body().startswith(b"%PDF")

    # The citizen's QR code opens the verification page; the signed file validates.
    result = Result.objects.get()
    counter.goto(f"{served}/results/{result.verification_secret}/")
    expect(counter.get_by_text("Hợp lệ: ký bởi")).to_be_visible()
    counter.screenshot(path=str(ARTIFACTS / "result-verified.png"), full_page=True)
    pdf = counter.request.get(f"{served}/results/{result.verification_secret}/result.pdf").body()
    # (Called under Playwright's running event loop, as an async caller would.)
    assert signing.validate_pdf(pdf).valid
    assert Dossier.objects.get().status == Status.RETURNED
    assert not errors, errors
