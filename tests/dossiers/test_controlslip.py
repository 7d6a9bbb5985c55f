"""The process control slip (TT 01/2018, Mẫu 05) rendered to an A5 landscape PDF, checked the way
a reader would: its text, the order and results of the hand-offs, fonts, page size, QR code."""

from __future__ import annotations

import dataclasses
import html
import io
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from motcua.dossiers.controlslip import (
    ControlSlip,
    HandOff,
    render_control_slip_html,
    render_control_slip_pdf,
)
from motcua.dossiers.slips import QR_BORDER, make_qr
from tests.dossiers.test_slips import (
    TRANSLATION_TAGS,
    needs_poppler,
    pdffonts,
    pdftotext,
    template_source,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PARIS = ZoneInfo("Europe/Paris")
A5_LANDSCAPE_POINTS = (595.28, 419.53)

HAND_OFFS = (
    HandOff(
        sender="Bộ phận tiếp nhận và trả kết quả phường Hạ Long",
        receiver="Công chức Tư pháp - Hộ tịch, UBND phường Hạ Long",
        # In UTC: 02:00 UTC is 09:00 in Vietnam.
        at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
        due_at=datetime(2026, 12, 2, 10, 0, tzinfo=UTC),
        done_at=datetime(2026, 12, 2, 8, 0, tzinfo=UTC),
        result="early",
    ),
    HandOff(
        sender="Công chức Tư pháp - Hộ tịch",
        receiver="Công an phường Hạ Long",
        at=datetime(2026, 12, 2, 9, 5, tzinfo=VN),
        due_at=datetime(2026, 12, 3, 17, 0, tzinfo=VN),
        done_at=datetime(2026, 12, 3, 17, 0, tzinfo=VN),
        result="on_time",
        note="Đăng ký thường trú",
    ),
    HandOff(
        sender="Công an phường Hạ Long",
        receiver="Bảo hiểm xã hội tỉnh Quảng Ninh",
        # In Paris time (UTC+1 in December): 11:10 in Paris is 17:10 in Vietnam.
        at=datetime(2026, 12, 3, 11, 10, tzinfo=PARIS),
        due_at=datetime(2026, 12, 4, 11, 0, tzinfo=VN),
        done_at=datetime(2026, 12, 4, 15, 0, tzinfo=VN),
        result="late",
        note="Chờ dữ liệu dân cư",
    ),
    HandOff(
        sender="Bảo hiểm xã hội tỉnh Quảng Ninh",
        receiver="Bộ phận trả kết quả phường Hạ Long",
        at=datetime(2026, 12, 4, 15, 5, tzinfo=VN),
        due_at=None,
        done_at=None,
        result="",
    ),
)
AT_TEXTS = (
    "09 giờ 00 phút, ngày 01/12/2026",
    "09 giờ 05 phút, ngày 02/12/2026",
    "17 giờ 10 phút, ngày 03/12/2026",
    "15 giờ 05 phút, ngày 04/12/2026",
)
LABELS = ("Trước hạn", "Đúng hạn", "Quá hạn", "")

SLIP = ControlSlip(
    dossier_code="H40.22.15-261201-0015",
    authority="UBND PHƯỜNG HẠ LONG",
    office="TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG PHƯỜNG HẠ LONG",
    applicant_name="Nguyễn Văn Đức Trưởng",
    applicant_address="Số 12, ngõ 45, đường Nguyễn Văn Cừ, phường Hạ Long, tỉnh Quảng Ninh",
    applicant_phone="0912 345 678",
    procedure_name="Đăng ký khai sinh kết hợp đăng ký thường trú, cấp thẻ bảo hiểm y tế",
    received_at=datetime(2026, 12, 1, 1, 30, tzinfo=UTC),
    due_at=datetime(2026, 12, 4, 9, 15, tzinfo=UTC),
    hand_offs=HAND_OFFS,
    tracking_url=(
        "https://dichvucong.quangninh.gov.vn/ho-so/tra-cuu/"
        "?code=H40.22.15-261201-0015&s=Zk3u9QpL2mX7vB4nR8tYc1Wq"
    ),
    printed_at=datetime(2026, 12, 4, 8, 20, tzinfo=UTC),
)

# Eleven receivers, each named once, so that every row can be found on its page.
LONG_SLIP = dataclasses.replace(
    SLIP,
    hand_offs=tuple(
        HandOff(
            sender=f"Phòng chuyên môn số {n}",
            receiver=f"Phòng chuyên môn số {n + 1}",
            at=datetime(2026, 12, 1, 2 + n, 0, tzinfo=UTC),
            due_at=None,
            done_at=datetime(2026, 12, 1, 3 + n, 0, tzinfo=UTC),
            result="on_time",
        )
        for n in range(1, 12)
    ),
)


@dataclasses.dataclass(frozen=True)
class Word:
    page: int
    x: float
    y: float
    text: str


def pdf_words(pdf: bytes, tmp_path: Path) -> list[Word]:
    """Every word with its page and top-left corner, as poppler lays them out."""
    path = tmp_path / "words.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-bbox", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True
    ).stdout.decode("utf-8")
    words = []
    for page, body in enumerate(out.split("<page ")[1:], start=1):
        for x, y, text in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)<', body):
            words.append(Word(page, float(x), float(y), html.unescape(text)))
    return words


def find_phrase(words: list[Word], phrase: str) -> list[Word]:
    """The first word of each place where ``phrase`` (two words or more) is printed."""
    tokens = phrase.split()
    return [
        words[i]
        for i in range(len(words) - len(tokens) + 1)
        if [word.text for word in words[i : i + len(tokens)]] == tokens
    ]


def assert_pdf_qr_encodes(pdf: bytes, url: str) -> None:
    """Read the only image back out of the PDF and compare it module by module with url's QR."""
    expected = [[bool(dark) for dark in row] for row in make_qr(url).matrix_iter(border=QR_BORDER)]
    # On the first page: WeasyPrint shares one resource dictionary between pages.
    images = [image.image for image in PdfReader(io.BytesIO(pdf)).pages[0].images]
    assert len(images) == 1
    image = images[0]
    assert image is not None
    assert image.size == (len(expected), len(expected))
    pixels = image.convert("L").tobytes()
    seen = [
        [pixels[y * image.width + x] < 128 for x in range(image.width)] for y in range(image.height)
    ]
    assert seen == expected


# --- The value --------------------------------------------------------------------------------


def test_hand_off_checks_its_result_and_times() -> None:
    first = HAND_OFFS[0]
    with pytest.raises(ValueError, match="result"):
        dataclasses.replace(first, result="fast")
    # Early, on time or late only once the receiver's part is done.
    with pytest.raises(ValueError, match="done_at"):
        dataclasses.replace(first, done_at=None)
    with pytest.raises(ValueError, match="done_at"):
        dataclasses.replace(first, done_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC))
    with pytest.raises(ValueError, match="aware"):
        dataclasses.replace(first, at=datetime(2026, 12, 1, 9, 0))
    with pytest.raises(ValueError, match="aware"):
        dataclasses.replace(first, due_at=datetime(2026, 12, 2, 17, 0))


def test_hand_off_accepts_a_model_choice_as_result() -> None:
    from django.db.models import TextChoices

    class Result(TextChoices):
        LATE = "late"

    hand_off = dataclasses.replace(HAND_OFFS[0], result=Result.LATE)
    assert type(hand_off.result) is str


def test_control_slip_checks_its_times_and_address() -> None:
    with pytest.raises(ValueError, match="aware"):
        dataclasses.replace(SLIP, received_at=datetime(2026, 12, 1, 8, 30))
    with pytest.raises(ValueError, match="aware"):
        dataclasses.replace(SLIP, printed_at=datetime(2026, 12, 4, 15, 20))
    with pytest.raises(ValueError, match="tracking_url"):
        dataclasses.replace(SLIP, tracking_url="")


# --- HTML -------------------------------------------------------------------------------------


def test_templates_load_no_translations() -> None:
    """Legal text: a UI language must never change a word of it."""
    for name in ("dossiers/slips/control.html", "dossiers/slips/letterhead.html"):
        assert not TRANSLATION_TAGS.search(template_source(name)), name


def test_html_is_vietnamese_whatever_the_active_language() -> None:
    from django.utils import translation

    with translation.override("en"):
        page = render_control_slip_html(SLIP)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in page
    assert "TÊN CƠ QUAN, TỔ CHỨC" in page
    assert "<link" not in page
    references = re.findall(r'(?:src|href)="([^"]*)"|url\(([^)]*)\)', page)
    assert references
    for reference in references:
        assert "".join(reference).strip("'\"").startswith("data:"), reference


def test_html_rows_follow_the_hand_offs() -> None:
    page = render_control_slip_html(SLIP)
    rows = re.findall(r'<tbody class="handoff">(.*?)</tbody>', page, re.S)
    assert len(rows) == len(HAND_OFFS)
    for row, hand_off, at_text, label in zip(rows, HAND_OFFS, AT_TEXTS, LABELS, strict=True):
        assert f"1. Giao: <strong>{hand_off.sender}</strong>" in row
        assert f"2. Nhận: <strong>{hand_off.receiver}</strong>" in row
        assert f'<td class="time" colspan="2">{at_text}</td>' in row
        assert f'<td class="result" rowspan="2">{label}</td>' in row


def test_html_escapes_what_was_typed() -> None:
    hand_off = dataclasses.replace(HAND_OFFS[1], note="<b>gấp</b> & ngay")
    page = render_control_slip_html(dataclasses.replace(SLIP, hand_offs=(hand_off,)))
    assert "&lt;b&gt;gấp&lt;/b&gt; &amp; ngay" in page
    assert "<b>gấp</b>" not in page


# --- PDF --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_control_slip_pdf(SLIP)


def test_pdf_is_a5_landscape(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF")
    for page in PdfReader(io.BytesIO(pdf)).pages:
        assert float(page.mediabox.width) == pytest.approx(A5_LANDSCAPE_POINTS[0], abs=1)
        assert float(page.mediabox.height) == pytest.approx(A5_LANDSCAPE_POINTS[1], abs=1)


def test_pdf_metadata_names_the_form(pdf: bytes) -> None:
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    assert metadata is not None
    assert metadata.title == f"PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ – {SLIP.dossier_code}"
    assert metadata.author == SLIP.office
    assert metadata["/Subject"] == "Mẫu số 05, Thông tư 01/2018/TT-VPCP"


@needs_poppler
def test_pdf_text_carries_the_slip(pdf: bytes, tmp_path: Path) -> None:
    text = pdftotext(pdf, tmp_path)
    for expected in (
        "UBND PHƯỜNG HẠ LONG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
        f"Mã hồ sơ: {SLIP.dossier_code}",
        f"Kèm theo hồ sơ của: {SLIP.applicant_name}",
        f"Địa chỉ: {SLIP.applicant_address}",
        f"Nội dung yêu cầu giải quyết: {SLIP.procedure_name}",
        "Thời gian nhận hồ sơ: 08 giờ 30 phút, ngày 01/12/2026",
        "Thời gian trả kết quả giải quyết hồ sơ: 16 giờ 15 phút, ngày 04/12/2026",
        "TÊN CƠ QUAN, TỔ CHỨC",
        "THỜI GIAN GIAO, NHẬN HỒ SƠ",
        "(Trước hạn/Đúng hạn/Quá hạn)",
        "GHI CHÚ",
        "Người giao (Ký)",
        "Người nhận (Ký)",
        "In lúc 15 giờ 20 phút, ngày 04/12/2026",
        *AT_TEXTS,
        "Hạn xử lý: 17 giờ 00 phút, ngày 02/12/2026",
        "Hoàn thành: 15 giờ 00 phút, ngày 02/12/2026",
        "Chờ dữ liệu dân cư",
    ):
        assert expected in text, expected
    assert SLIP.tracking_url in text.replace(" ", "").replace("\u00ad", "")


@needs_poppler
def test_pdf_rows_follow_the_hand_offs_with_their_results(pdf: bytes, tmp_path: Path) -> None:
    words = pdf_words(pdf, tmp_path)
    starts = []
    for hand_off in HAND_OFFS:
        [giao] = find_phrase(words, f"1. Giao: {hand_off.sender}")
        [nhan] = find_phrase(words, f"2. Nhận: {hand_off.receiver}")
        assert (nhan.page, nhan.y) > (giao.page, giao.y)
        starts.append((giao.page, giao.y))
    assert starts == sorted(starts)
    # Each result label is printed once, inside its own row (between its start and the next).
    ends = [*starts[1:], (starts[-1][0], float("inf"))]
    for label, start, end in zip(LABELS, starts, ends, strict=True):
        if not label:
            continue
        [word] = find_phrase(words, label)
        assert start < (word.page, word.y) < end, label
    # The open row prints no result: none of the labels appears after its start.
    for label in filter(None, LABELS):
        assert all((w.page, w.y) < starts[-1] for w in find_phrase(words, label))


@needs_poppler
def test_pdf_embeds_only_vietnamese_capable_fonts(pdf: bytes, tmp_path: Path) -> None:
    fonts = pdffonts(pdf, tmp_path)
    assert fonts
    for font in fonts:
        assert re.search(r"Noto|DejaVu", font["name"]), font
        assert font["emb"] == "yes", font
        assert "Type 3" not in font["type"], font


def test_pdf_qr_code_encodes_the_tracking_url(pdf: bytes) -> None:
    assert_pdf_qr_encodes(pdf, SLIP.tracking_url)


@needs_poppler
def test_long_slip_flows_onto_pages_that_repeat_the_table_head(tmp_path: Path) -> None:
    pdf = render_control_slip_pdf(LONG_SLIP)
    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    assert pages > 1
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(A5_LANDSCAPE_POINTS[0], abs=1)
    texts = [pdftotext(pdf, tmp_path, page=n) for n in range(1, pages + 1)]
    for text in texts:
        assert "TÊN CƠ QUAN, TỔ CHỨC" in text
    words = pdf_words(pdf, tmp_path)
    starts = []
    for hand_off in LONG_SLIP.hand_offs:
        [giao] = find_phrase(words, f"1. Giao: {hand_off.sender}")
        [nhan] = find_phrase(words, f"2. Nhận: {hand_off.receiver}")
        # A hand-off's rows are never split across two pages.
        assert giao.page == nhan.page
        starts.append((giao.page, giao.y))
    assert starts == sorted(starts)
    assert texts[1].startswith("2 ")  # pages after the first are numbered (NĐ 30/2020)


@needs_poppler
def test_slip_without_hand_offs_prints_the_blank_row_of_the_form(tmp_path: Path) -> None:
    text = pdftotext(render_control_slip_pdf(dataclasses.replace(SLIP, hand_offs=())), tmp_path)
    assert "1. Giao:" in text
    assert "2. Nhận:" in text
    assert "…giờ…phút, ngày…/…/…" in text
    for label in filter(None, LABELS):
        assert label not in text.replace("(Trước hạn/Đúng hạn/Quá hạn)", "")
