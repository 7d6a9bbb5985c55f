"""The digitisation station in a real browser: a counter officer fills the applicant from the
identity card's QR code, receives a land-change dossier with the land use certificate on
paper, digitises it (OCR by the job worker, fields checked, signed) and files a second
dossier of the same citizen that reuses the certificate without an upload."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from motcua.core.jobs import start_in_process_worker
from motcua.digitisation.models import StoredDocument
from motcua.dossiers.models import Dossier, DossierDocument
from tests.browser.test_intake import ARTIFACTS, log_in, quiet_event_stream
from tests.digitisation.conftest import land_certificate_png
from tests.intake_data import ID_NUMBER
from tests.org import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QR = f"{ID_NUMBER}||Nguyễn Văn An|12051990|Nam|Tổ 3, khu 5, phường Bãi Cháy|15082021"


@pytest.fixture
def served(live_server: Any, settings: Any, processing_org: Org, tmp_path: Path) -> Iterator[str]:
    settings.PUBLIC_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    ARTIFACTS.mkdir(exist_ok=True)
    worker = start_in_process_worker(queue_names=("ocr",), interval=0.2)
    try:
        yield str(live_server.url)
    finally:
        worker.stop()


def receive_land_change(page: Page, base: str, *papers: str) -> None:
    page.goto(f"{base}/dossiers/receive/1.012345/")
    qr = page.get_by_label("Quét mã QR trên thẻ căn cước của công dân")
    qr.fill(QR)
    qr.press("Enter")  # a handheld reader ends its text with Enter
    expect(page.get_by_label("Số định danh cá nhân (12 chữ số)")).to_have_value(ID_NUMBER)
    expect(page.get_by_label("Họ, chữ đệm và tên")).to_have_value("Nguyễn Văn An")
    expect(page.get_by_label("Ngày sinh")).to_have_value("1990-05-12")
    page.get_by_label("Số thửa").fill("125")
    page.get_by_label("Xã nơi có thửa đất").select_option("06673")
    for paper in papers:
        page.locator(f'input[name="paper.{paper}"]').check()


def test_scan_once_then_reuse(page: Page, served: str, tmp_path: Path) -> None:
    quiet_event_stream(page.context)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    scan = tmp_path / "giay-chung-nhan.png"
    scan.write_bytes(land_certificate_png())
    log_in(page, served, "counter_halong")

    receive_land_change(page, served, "don", "giay_chung_nhan")
    page.get_by_role("button", name="Tiếp nhận và cấp giấy hẹn").click()
    expect(page.locator("h1 .status-2")).to_have_text("Đã tiếp nhận")
    first = Dossier.objects.get()

    # The certificate handed in on paper is digitised at once.
    page.get_by_role("link", name=re.compile(r"Số hóa bản giấy\W+Giấy chứng nhận")).click()
    expect(page.get_by_label("Họ tên chủ sở hữu")).to_have_value("Nguyễn Văn An")
    page.get_by_label("Số trang đã đếm trên bản giấy").fill("1")
    page.get_by_label("Các trang đã quét", exact=False).set_input_files(str(scan))
    page.screenshot(path=str(ARTIFACTS / "station-scan.png"), full_page=True)
    page.get_by_role("button", name="Đọc tài liệu").click()
    # The job worker reads it; the page follows by itself until the fields are there.
    expect(page.get_by_role("heading", name="Đối chiếu các trường với bản giấy")).to_be_visible(
        timeout=120_000
    )
    expect(page.get_by_label("Thửa đất số")).to_have_value("125")
    page.screenshot(path=str(ARTIFACTS / "station-review.png"), full_page=True)
    page.get_by_role("button", name="Xác nhận và ký").click()
    expect(page.locator("h1")).to_contain_text(first.code)
    expect(page.get_by_text("đã có trong kho dữ liệu").first).to_be_visible()
    document = StoredDocument.objects.get()
    row = first.documents.get(requirement="giay_chung_nhan")
    assert row.stored_document == document
    searchable = page.request.get(f"{served}/documents/{document.pk}/file.pdf")
    assert searchable.ok
    assert searchable.body().startswith(b"%PDF")

    # The same citizen's next dossier: the form says the store holds it; no upload.
    receive_land_change(page, served, "don")
    expect(page.locator("#store-matches")).to_contain_text("Giấy chứng nhận")
    page.screenshot(path=str(ARTIFACTS / "counter-reuse.png"), full_page=True)
    page.get_by_role("button", name="Tiếp nhận và cấp giấy hẹn").click()
    expect(page.locator("h1 .status-2")).to_have_text("Đã tiếp nhận")
    second = Dossier.objects.exclude(pk=first.pk).get()
    reused = second.documents.get(requirement="giay_chung_nhan")
    assert (reused.state, reused.stored_document) == (DossierDocument.State.REUSED, document)
    expect(page.get_by_text("Khai thác từ kho dữ liệu điện tử").first).to_be_visible()

    # The store: found without diacritics; its access log names both dossiers.
    page.goto(f"{served}/documents/?q=giay+chung+nhan+thua+125")
    page.get_by_role("link", name="Giấy chứng nhận", exact=False).first.click()
    expect(page.get_by_text(second.code).first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "store-document.png"), full_page=True)
    assert not errors, errors
