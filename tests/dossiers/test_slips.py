"""Slips of TT 01/2018 (Mẫu 01–04) and TT 03/2025 (stop notice) rendered to A5 PDFs, checked the
way a reader would."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import socket
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import get_template
from pypdf import PdfReader

from motcua.dossiers.slips import (
    QR_BORDER,
    Slip,
    SlipDocument,
    SlipItem,
    format_date_line,
    format_time_and_date,
    make_qr,
    render_slip_html,
    render_slip_pdf,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
A5_POINTS = (419.53, 595.28)

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdffonts") is None,
    reason="needs poppler-utils (pdftotext, pdffonts)",
)

PROCEDURE = (
    "Đăng ký khai sinh kết hợp đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới "
    "6 tuổi (liên thông thủ tục hành chính theo Nghị định số 63/2024/NĐ-CP)"
)

RECEIPT_SLIP = Slip(
    kind="receipt",
    number="15/TN",
    dossier_code="H40.22.15-261201-0015",
    issued_at=datetime(2026, 12, 1, 8, 30, tzinfo=VN),
    place="Hạ Long",
    authority="UBND PHƯỜNG HẠ LONG",
    office="TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG PHƯỜNG HẠ LONG",
    officer_name="Trần Thị Thu Hương",
    applicant_name="Nguyễn Văn Đức Trưởng",
    applicant_address="Số 12, ngõ 45, đường Nguyễn Văn Cừ, phường Hạ Long, tỉnh Quảng Ninh",
    applicant_phone="0912 345 678",
    applicant_email="duc.truong@example.vn",
    procedure_name=PROCEDURE,
    documents=(
        SlipDocument("Tờ khai đăng ký khai sinh", "Bản chính", 1),
        SlipDocument("Giấy chứng sinh", "Bản chính", 1),
        SlipDocument("Giấy chứng nhận kết hôn của cha, mẹ", "Bản sao có chứng thực", 1),
        SlipDocument("Tờ khai thay đổi thông tin cư trú (mẫu CT01)", "Bản chính", 2),
    ),
    processing_time="03 ngày làm việc",
    # Stored in UTC: the slip must show Vietnamese time.
    received_at=datetime(2026, 12, 1, 1, 30, tzinfo=UTC),
    due_at=datetime(2026, 12, 4, 9, 15, tzinfo=UTC),
    return_place="Quầy số 3, Trung tâm Phục vụ hành chính công phường Hạ Long",
    fee="8.000 đ",
    # As printing.tracking_url builds it: the code and a secret in the query string.
    tracking_url=(
        "https://dichvucong.quangninh.gov.vn/ho-so/tra-cuu/"
        "?code=H40.22.15-261201-0015&s=Zk3u9QpL2mX7vB4nR8tYc1Wq"
    ),
)

SUPPLEMENT_SLIP = dataclasses.replace(
    RECEIPT_SLIP,
    kind="supplement",
    number="03/BS",
    dossier_code="H40.22.15-261201-0016",
    documents=(),
    due_at=None,
    fee="",
    items=(
        SlipItem(
            "Giấy chứng sinh (bản chính)",
            "Hồ sơ chỉ có bản chụp, không có bản chính để đối chiếu",
        ),
        SlipItem(
            "Chữ ký của người đi đăng ký tại trang 2 tờ khai",
            "Tờ khai chưa được ký",
        ),
        SlipItem(
            "Văn bản ủy quyền có chứng thực của cha hoặc mẹ trẻ",
            "Người nộp không phải cha, mẹ của trẻ",
        ),
        SlipItem("Ghi rõ nơi cư trú hiện tại của mẹ tại mục 5 tờ khai CT01", "Mục 5 bỏ trống"),
    ),
    contact="Trung tâm Phục vụ hành chính công phường Hạ Long, số điện thoại 0203 3 835 555",
    tracking_url="https://dichvucong.quangninh.gov.vn/tra-cuu/H40.22.15-261201-0016",
)

REFUSAL_SLIP = dataclasses.replace(
    SUPPLEMENT_SLIP,
    kind="refusal",
    number="01/TC",
    dossier_code="H40.22.15-261201-0017",
    applicant_name="Lê Thị Ánh Nguyệt",
    items=(
        SlipItem(
            "Thủ tục không thuộc thẩm quyền giải quyết của Ủy ban nhân dân phường Hạ Long",
            "Theo Quyết định số 1234/QĐ-UBND, thủ tục do Sở Tư pháp tỉnh Quảng Ninh giải quyết",
        ),
        SlipItem("Người nộp hồ sơ không có quyền, nghĩa vụ liên quan đến việc đăng ký"),
        SlipItem("Trẻ đã được đăng ký khai sinh ngày 12/3/2026 tại xã Quảng La"),
    ),
    contact="",
    tracking_url="https://dichvucong.quangninh.gov.vn/tra-cuu/H40.22.15-261201-0017",
)

SLIPS = {"receipt": RECEIPT_SLIP, "supplement": SUPPLEMENT_SLIP, "refusal": REFUSAL_SLIP}
TITLES = {
    "receipt": "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    "supplement": "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
    "refusal": "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
}

# Issued by the competent agency to the applicant (TT 01/2018, Mẫu 04).
APOLOGY_SLIP = dataclasses.replace(
    RECEIPT_SLIP,
    kind="apology",
    number="02/PXL-STP",
    authority="UBND TỈNH QUẢNG NINH",
    office="SỞ TƯ PHÁP",
    officer_name="Phạm Văn Minh",
    issued_at=datetime(2026, 12, 3, 9, 0, tzinfo=VN),
    documents=(),
    fee="",
    items=(
        SlipItem(
            "Phải xác minh thông tin lý lịch tư pháp tại nơi người yêu cầu cư trú trước đây",
            "Công an tỉnh Bắc Ninh chưa có văn bản trả lời",
        ),
        SlipItem("Hệ thống Cơ sở dữ liệu lý lịch tư pháp gián đoạn từ ngày 02/12/2026"),
    ),
    # Given in UTC: 02:00 UTC on 9 December is 09:00 in Vietnam.
    new_due_at=datetime(2026, 12, 9, 2, 0, tzinfo=UTC),
    tracking_url="https://dichvucong.quangninh.gov.vn/tra-cuu/H40.22.15-261201-0015",
)

# Issued when the applicant asks to stop and no result exists yet (TT 03/2025).
STOP_SLIP = dataclasses.replace(
    RECEIPT_SLIP,
    kind="stop",
    number="01/TB-DG",
    dossier_code="H40.22.15-261201-0018",
    issued_at=datetime(2026, 12, 2, 10, 0, tzinfo=VN),
    documents=(),
    fee="",
    # Given in UTC: 07:00 UTC on 2 December is 14:00 in Vietnam.
    requested_at=datetime(2026, 12, 2, 2, 0, tzinfo=UTC),
    items=(
        SlipItem("Người nộp hồ sơ đề nghị dừng giải quyết để nộp lại hồ sơ tại xã Quảng La"),
        SlipItem("Thông tin của mẹ trẻ trên tờ khai cần được điều chỉnh"),
    ),
    tracking_url="https://dichvucong.quangninh.gov.vn/tra-cuu/H40.22.15-261201-0018",
)

ISSUER_SLIPS = {"apology": APOLOGY_SLIP, "stop": STOP_SLIP}
ALL_SLIPS = SLIPS | ISSUER_SLIPS
ISSUER_TITLES = {
    "apology": "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
    "stop": "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ",
}

LONG_SUPPLEMENT_SLIP = dataclasses.replace(
    SUPPLEMENT_SLIP,
    items=tuple(
        SlipItem(
            f"Giấy tờ bổ sung số {n}: bản sao có chứng thực giấy chứng nhận quyền sử dụng đất",
            f"Hồ sơ thiếu giấy tờ số {n} theo thành phần hồ sơ của thủ tục",
        )
        for n in range(1, 26)
    ),
)


TRANSLATION_TAGS = re.compile(
    r"{%\s*(load\b[^%]*\bi18n|trans|translate|blocktrans|blocktranslate)\b"
)


def template_source(name: str) -> str:
    return Path(get_template(name).origin.name).read_text(encoding="utf-8")


def squash(text: str) -> str:
    """pdftotext breaks lines where the layout does: compare text with single spaces."""
    return re.sub(r"\s+", " ", text).strip()


def pdftotext(pdf: bytes, tmp_path: Path, page: int | None = None) -> str:
    path = tmp_path / "slip.pdf"
    path.write_bytes(pdf)
    pages = ["-f", str(page), "-l", str(page)] if page else []
    out = subprocess.run(
        ["pdftotext", *pages, "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
    )
    return squash(out.stdout.decode("utf-8"))


def pdffonts(pdf: bytes, tmp_path: Path) -> list[dict[str, str]]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True)
    fonts = []
    for line in out.stdout.splitlines()[2:]:  # a header and a rule of dashes
        tokens = line.split()
        fonts.append({"name": tokens[0], "type": " ".join(tokens[1:-6]), "emb": tokens[-5]})
    return fonts


# --- Date helpers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 12, 1, 8, 30, tzinfo=VN), "ngày 01 tháng 12 năm 2026"),
        (datetime(2026, 2, 5, 9, 0, tzinfo=VN), "ngày 05 tháng 02 năm 2026"),
        (datetime(2026, 3, 15, 9, 0, tzinfo=VN), "ngày 15 tháng 3 năm 2026"),
        # 18:00 UTC on 31 December is already New Year's Day in Vietnam.
        (datetime(2026, 12, 31, 18, 0, tzinfo=UTC), "ngày 01 tháng 01 năm 2027"),
    ],
)
def test_date_line_follows_decree_30(moment: datetime, expected: str) -> None:
    assert format_date_line(moment) == expected


def test_time_and_date_is_shown_in_vietnam_time() -> None:
    assert format_time_and_date(datetime(2026, 12, 1, 1, 30, tzinfo=UTC)) == (
        "08 giờ 30 phút, ngày 01/12/2026"
    )
    with pytest.raises(ValueError, match="aware"):
        format_time_and_date(datetime(2026, 12, 1, 8, 30))


def test_slip_checks_what_its_kind_needs() -> None:
    with pytest.raises(ValueError, match="kind"):
        dataclasses.replace(RECEIPT_SLIP, kind="withdrawal")
    with pytest.raises(ValueError, match="due_at"):
        dataclasses.replace(RECEIPT_SLIP, due_at=None)
    with pytest.raises(ValueError, match="item"):
        dataclasses.replace(SUPPLEMENT_SLIP, items=())
    with pytest.raises(ValueError, match="aware"):
        dataclasses.replace(RECEIPT_SLIP, issued_at=datetime(2026, 12, 1, 8, 30))


def test_apology_needs_a_later_new_appointment() -> None:
    with pytest.raises(ValueError, match="new_due_at"):
        dataclasses.replace(APOLOGY_SLIP, new_due_at=None)
    with pytest.raises(ValueError, match="after due_at"):
        dataclasses.replace(APOLOGY_SLIP, new_due_at=APOLOGY_SLIP.due_at)
    assert APOLOGY_SLIP.due_at is not None
    with pytest.raises(ValueError, match="after due_at"):
        dataclasses.replace(APOLOGY_SLIP, new_due_at=APOLOGY_SLIP.due_at - timedelta(hours=1))
    # The same moment written in another zone is still not later.
    with pytest.raises(ValueError, match="after due_at"):
        dataclasses.replace(APOLOGY_SLIP, new_due_at=APOLOGY_SLIP.due_at.astimezone(VN))
    with pytest.raises(ValueError, match="due_at"):
        dataclasses.replace(APOLOGY_SLIP, due_at=None)
    with pytest.raises(ValueError, match="item"):
        dataclasses.replace(APOLOGY_SLIP, items=())
    with pytest.raises(ValueError, match="aware"):
        dataclasses.replace(APOLOGY_SLIP, new_due_at=datetime(2026, 12, 9, 9, 0))


def test_stop_notice_needs_a_reason_and_follows_the_request() -> None:
    with pytest.raises(ValueError, match="requested_at"):
        dataclasses.replace(STOP_SLIP, requested_at=STOP_SLIP.issued_at + timedelta(minutes=1))
    with pytest.raises(ValueError, match="item"):
        dataclasses.replace(STOP_SLIP, items=())


def test_only_their_own_kind_carries_the_new_dates() -> None:
    with pytest.raises(ValueError, match="new_due_at"):
        dataclasses.replace(RECEIPT_SLIP, new_due_at=APOLOGY_SLIP.new_due_at)
    with pytest.raises(ValueError, match="requested_at"):
        dataclasses.replace(APOLOGY_SLIP, requested_at=STOP_SLIP.requested_at)


# --- HTML -------------------------------------------------------------------------------------


def test_html_is_vietnamese_whatever_the_active_language() -> None:
    from django.utils import translation

    with translation.override("en"):
        html = render_slip_html(RECEIPT_SLIP)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in html
    assert "Hạ Long, ngày 01 tháng 12 năm 2026" in html
    assert "Thời gian trả kết quả giải quyết hồ sơ: <strong>16 giờ 15 phút, ngày 04/12/2026" in html
    assert "<link" not in html  # CSS inlined, nothing to fetch
    assert 'src="data:image/png;base64,' in html


@pytest.mark.parametrize("kind", list(ALL_SLIPS))
def test_html_references_nothing_outside_itself(kind: str) -> None:
    html = render_slip_html(ALL_SLIPS[kind])
    references = re.findall(r'(?:src|href)="([^"]*)"|url\(([^)]*)\)', html)
    assert references
    for reference in references:
        assert "".join(reference).strip("'\"").startswith("data:"), reference


@pytest.mark.parametrize("kind", list(ISSUER_SLIPS))
def test_issuer_slip_html_is_vietnamese_whatever_the_active_language(kind: str) -> None:
    from django.utils import translation

    with translation.override("en"):
        html = render_slip_html(ISSUER_SLIPS[kind])
    assert ISSUER_TITLES[kind] in html
    assert "Kính gửi: <strong>" in html


@pytest.mark.parametrize(
    "name",
    [
        "base",
        "receipt",
        "supplement",
        "refusal",
        "apology",
        "stop",
        "letterhead",
        "issuer_signature",
    ],
)
def test_templates_load_no_translations(name: str) -> None:
    """Legal text: a UI language must never change a word of it."""
    assert not TRANSLATION_TAGS.search(template_source(f"dossiers/slips/{name}.html"))


def test_slip_accepts_a_model_choice_as_kind() -> None:
    from django.db.models import TextChoices

    class Kind(TextChoices):
        RECEIPT = "receipt"

    slip = dataclasses.replace(RECEIPT_SLIP, kind=Kind.RECEIPT)
    assert type(slip.kind) is str
    assert "GIẤY TIẾP NHẬN HỒ SƠ" in render_slip_html(slip)


def test_html_escapes_what_the_applicant_typed() -> None:
    html = render_slip_html(dataclasses.replace(RECEIPT_SLIP, applicant_name="<b>Lê</b> & Co"))
    assert "&lt;b&gt;Lê&lt;/b&gt; &amp; Co" in html
    assert "<b>Lê</b>" not in html


# --- PDF --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdfs() -> dict[str, bytes]:
    return {kind: render_slip_pdf(slip) for kind, slip in ALL_SLIPS.items()}


@pytest.mark.parametrize("kind", list(ALL_SLIPS))
def test_pdf_is_a5_portrait_on_every_page(pdfs: dict[str, bytes], kind: str) -> None:
    pdf = pdfs[kind]
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    for page in reader.pages:
        box = page.mediabox
        assert float(box.width) == pytest.approx(A5_POINTS[0], abs=1)
        assert float(box.height) == pytest.approx(A5_POINTS[1], abs=1)


@needs_poppler
@pytest.mark.parametrize("kind", list(SLIPS))
def test_pdf_text_carries_the_slip(pdfs: dict[str, bytes], kind: str, tmp_path: Path) -> None:
    slip = SLIPS[kind]
    text = pdftotext(pdfs[kind], tmp_path)
    for expected in (
        TITLES[kind],
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Hạ Long, ngày 01 tháng 12 năm 2026",
        f"Số: {slip.number}",
        f"Mã hồ sơ: {slip.dossier_code}",
        f"Tiếp nhận hồ sơ của: {slip.applicant_name}",
        f"Nội dung yêu cầu giải quyết: {PROCEDURE}",
        "NGƯỜI NỘP HỒ SƠ",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
        slip.officer_name,
    ):
        assert expected in text, expected
    # A long URL may wrap: compare it without the breaks.
    assert slip.tracking_url in text.replace(" ", "").replace("\u00ad", "")


@needs_poppler
def test_receipt_lists_documents_and_due_date(pdfs: dict[str, bytes], tmp_path: Path) -> None:
    text = pdftotext(pdfs["receipt"], tmp_path)
    assert "Thời gian nhận hồ sơ: 08 giờ 30 phút, ngày 01/12/2026" in text
    assert "Thời gian trả kết quả giải quyết hồ sơ: 16 giờ 15 phút, ngày 04/12/2026" in text
    assert "Thời gian giải quyết hồ sơ theo quy định là: 03 ngày làm việc" in text
    assert "Số lượng hồ sơ: 01 (bộ)" in text
    assert "Đăng ký nhận kết quả tại: Quầy số 3" in text
    assert "Phí, lệ phí: 8.000 đ" in text
    for doc in RECEIPT_SLIP.documents:
        assert doc.name in text
        assert doc.form in text


@needs_poppler
def test_supplement_lists_every_missing_item(pdfs: dict[str, bytes], tmp_path: Path) -> None:
    text = pdftotext(pdfs["supplement"], tmp_path)
    for item in SUPPLEMENT_SLIP.items:
        assert item.text in text
        assert f"Lý do: {item.reason}" in text
    assert "ông/bà liên hệ Trung tâm Phục vụ hành chính công phường Hạ Long" in text
    assert "để được hướng dẫn" in text
    assert "Thời gian trả kết quả" not in text


@needs_poppler
def test_refusal_lists_every_reason(pdfs: dict[str, bytes], tmp_path: Path) -> None:
    text = pdftotext(pdfs["refusal"], tmp_path)
    assert "Lý do từ chối:" in text
    for n, item in enumerate(REFUSAL_SLIP.items, start=1):
        assert f"{n}. {item.text}" in text
        assert item.reason in text


@needs_poppler
@pytest.mark.parametrize("kind", list(ISSUER_SLIPS))
def test_issuer_slip_is_addressed_to_the_applicant_and_signed_by_the_issuer(
    pdfs: dict[str, bytes], kind: str, tmp_path: Path
) -> None:
    slip = ISSUER_SLIPS[kind]
    text = pdftotext(pdfs[kind], tmp_path)
    for expected in (
        ISSUER_TITLES[kind],
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        f"{slip.authority} {slip.office}",
        f"Số: {slip.number}",
        f"{slip.place}, {format_date_line(slip.issued_at)}",
        f"Mã hồ sơ: {slip.dossier_code}",
        f"Kính gửi: {slip.applicant_name}",
        f"Nội dung yêu cầu giải quyết: {PROCEDURE}",
        "Thời gian nhận hồ sơ: 08 giờ 30 phút, ngày 01/12/2026",
        "THỦ TRƯỞNG CƠ QUAN",
        "(Ký, ghi rõ họ tên, đóng dấu)",
        slip.officer_name,
    ):
        assert expected in text, expected
    # Nobody receives anything from the applicant here: neither receipt signature is printed.
    assert "NGƯỜI NỘP HỒ SƠ" not in text
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ" not in text
    assert "Tiếp nhận hồ sơ của" not in text
    positions = [text.index(f"{n}. {item.text}") for n, item in enumerate(slip.items, start=1)]
    assert positions == sorted(positions)
    assert slip.tracking_url in text.replace(" ", "").replace("\u00ad", "")


@needs_poppler
def test_apology_gives_the_old_and_new_appointments_in_vietnam_time(
    pdfs: dict[str, bytes], tmp_path: Path
) -> None:
    text = pdftotext(pdfs["apology"], tmp_path)
    assert "Thời gian hẹn trả kết quả giải quyết hồ sơ: 16 giờ 15 phút, ngày 04/12/2026" in text
    assert "chưa được giải quyết xong để trả kết quả đúng thời gian hẹn nêu trên" in text
    assert "Lý do:" in text
    for item in APOLOGY_SLIP.items:
        assert item.text in text
        assert item.reason in text
    assert (
        "Chúng tôi xin lỗi ông/bà vì sự chậm trễ này và hẹn trả kết quả giải quyết hồ sơ vào: "
        "09 giờ 00 phút, ngày 09/12/2026."
    ) in text
    assert "Nơi trả kết quả: Quầy số 3" in text
    assert "Xin trân trọng cảm ơn./." in text


@needs_poppler
def test_stop_notice_says_processing_stops_and_documents_go_back(
    pdfs: dict[str, bytes], tmp_path: Path
) -> None:
    text = pdftotext(pdfs["stop"], tmp_path)
    assert "Thời gian ông/bà đề nghị dừng giải quyết hồ sơ: 09 giờ 00 phút, ngày 02/12/2026" in text
    assert "Lý do dừng giải quyết hồ sơ:" in text
    assert "Hồ sơ nêu trên chưa có kết quả giải quyết." in text
    assert "việc giải quyết hồ sơ được dừng" in text
    assert "hồ sơ, giấy tờ ông/bà đã nộp được trả lại cho ông/bà" in text
    assert "Nơi nhận lại hồ sơ: Quầy số 3" in text
    assert "Xin thông báo để ông/bà được biết./." in text
    assert "xin lỗi" not in text


@needs_poppler
def test_stop_notice_without_the_request_time_leaves_its_line_out(tmp_path: Path) -> None:
    pdf = render_slip_pdf(dataclasses.replace(STOP_SLIP, requested_at=None))
    # A line may break after the slash of "ông/bà".
    text = pdftotext(pdf, tmp_path).replace("/ ", "/")
    assert "Thời gian nhận hồ sơ: 08 giờ 30 phút, ngày 01/12/2026" in text
    assert "đề nghị dừng giải quyết hồ sơ:" not in text
    assert "Theo đề nghị của ông/bà, việc giải quyết hồ sơ được dừng" in text


@pytest.mark.parametrize(
    ("kind", "description"),
    [
        ("receipt", "Mẫu số 01, Thông tư 01/2018/TT-VPCP"),
        ("apology", "Mẫu số 04, Thông tư 01/2018/TT-VPCP"),
        ("stop", "Mẫu số 05, Thông tư 03/2025/TT-VPCP"),
    ],
)
def test_pdf_metadata_names_the_form(pdfs: dict[str, bytes], kind: str, description: str) -> None:
    metadata = PdfReader(io.BytesIO(pdfs[kind])).metadata
    assert metadata is not None
    assert metadata.title == f"{ALL_SLIPS[kind].title} – {ALL_SLIPS[kind].dossier_code}"
    assert metadata.author == ALL_SLIPS[kind].office
    assert metadata["/Subject"] == description


@needs_poppler
@pytest.mark.parametrize("kind", list(ALL_SLIPS))
def test_pdf_embeds_only_vietnamese_capable_fonts(
    pdfs: dict[str, bytes], kind: str, tmp_path: Path
) -> None:
    fonts = pdffonts(pdfs[kind], tmp_path)
    assert fonts
    for font in fonts:
        assert re.search(r"Noto|DejaVu", font["name"]), font
        assert font["emb"] == "yes", font
        assert "Type 3" not in font["type"], font


@pytest.mark.parametrize("kind", list(ALL_SLIPS))
def test_pdf_qr_code_encodes_the_tracking_url(pdfs: dict[str, bytes], kind: str) -> None:
    """Read the QR image back out of the PDF and compare it module by module with the URL's."""
    url = ALL_SLIPS[kind].tracking_url
    expected = [[bool(dark) for dark in row] for row in make_qr(url).matrix_iter(border=QR_BORDER)]
    page = PdfReader(io.BytesIO(pdfs[kind])).pages[0]
    images = [image.image for image in page.images]
    assert len(images) == 1
    image = images[0]
    assert image is not None
    assert image.size == (len(expected), len(expected))
    pixels = image.convert("L").tobytes()  # one byte a pixel, row by row
    width = image.width
    seen = [[pixels[y * width + x] < 128 for x in range(width)] for y in range(image.height)]
    assert seen == expected
    # The reference matrix itself is the URL's (a regular QR code that holds the URL's bytes).
    qr = make_qr(url)
    assert not qr.is_micro
    assert qr.mode == "byte"


@needs_poppler
def test_long_supplement_flows_onto_pages_with_signatures_last(tmp_path: Path) -> None:
    pdf = render_slip_pdf(LONG_SUPPLEMENT_SLIP)
    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    assert pages > 1
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(A5_POINTS[0], abs=1)
        assert float(page.mediabox.height) == pytest.approx(A5_POINTS[1], abs=1)
    texts = [pdftotext(pdf, tmp_path, page=n) for n in range(1, pages + 1)]
    whole = " ".join(texts)
    for item in LONG_SUPPLEMENT_SLIP.items:
        assert item.text in whole
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ" in texts[-1]
    assert "NGƯỜI NỘP HỒ SƠ" in texts[-1]
    assert LONG_SUPPLEMENT_SLIP.officer_name in texts[-1]
    assert "(Ký và ghi rõ họ tên)" in texts[-1]
    for text in texts[:-1]:
        assert "NGƯỜI TIẾP NHẬN HỒ SƠ" not in text
    # Pages after the first carry their number at the top (NĐ 30/2020).
    assert texts[1].startswith("2 ")


def test_rendering_fetches_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a slip must render without network access")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    slip = dataclasses.replace(REFUSAL_SLIP, issued_at=REFUSAL_SLIP.issued_at + timedelta(days=1))
    assert render_slip_pdf(slip).startswith(b"%PDF")
