"""Result documents rendered to A4 PDFs laid out after NĐ 30/2020, checked the way a reader
would: the text of a grant and of a refusal, fonts, page size, metadata, the QR code."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from motcua.dossiers.resultdoc import ResultDocument, render_result_html, render_result_pdf
from tests.dossiers.test_controlslip import assert_pdf_qr_encodes, find_phrase, pdf_words
from tests.dossiers.test_slips import (
    TRANSLATION_TAGS,
    needs_poppler,
    pdffonts,
    pdftotext,
    template_source,
)

A4_POINTS = (595.28, 841.89)
NEW_YORK = ZoneInfo("America/New_York")

GRANT = ResultDocument(
    kind="grant",
    number="15/KQ-STP",
    authority="UBND TỈNH QUẢNG NINH",
    agency="SỞ TƯ PHÁP",
    place="Quảng Ninh",
    # In New York time: 21:30 on 2 December there is 09:30 on 3 December in Vietnam.
    issued_at=datetime(2026, 12, 2, 21, 30, tzinfo=NEW_YORK),
    title="Phiếu lý lịch tư pháp số 1",
    procedure_name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
    dossier_code="000.00.21.H22-261201-0015",
    applicant_name="Nguyễn Văn Đức Trưởng",
    applicant_id_number="022090001234",
    applicant_birth_date=date(1990, 2, 5),
    applicant_address="Số 12, ngõ 45, đường Nguyễn Văn Cừ, phường Hạ Long, tỉnh Quảng Ninh",
    facts=(
        ("Họ và tên cha", "Nguyễn Văn An"),
        ("Họ và tên mẹ", "Trần Thị Bình"),
        ("Tình trạng án tích", "Không có án tích"),
    ),
    legal_basis=(
        "Căn cứ Luật Lý lịch tư pháp ngày 17 tháng 6 năm 2009;",
        "Căn cứ Nghị định số 111/2010/NĐ-CP ngày 23 tháng 11 năm 2010 của Chính phủ;",
    ),
    signer_title="KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC",
    signer_name="Lê Minh Tuấn",
    verify_url="https://dichvucong.quangninh.gov.vn/ket-qua/kiem-tra/Zk3u9QpL2mX7vB4nR8tYc1Wq",
)

REFUSAL = dataclasses.replace(
    GRANT,
    kind="refusal",
    number="16/TB-STP",
    title="",
    facts=(),
    reasons=(
        # At this length the line would break after "12/2020/" were it not kept whole.
        "Người yêu cầu đã có án tích chưa được xóa theo bản án số 12/2020/HS-ST ngày 03/3/2020 "
        "của Tòa án nhân dân tỉnh Quảng Ninh; đề nghị cấp phiếu không ghi án tích không có căn cứ",
        "Giấy tờ chứng minh nơi cư trú không hợp lệ",
    ),
    signer_title="GIÁM ĐỐC",
)

DOCUMENTS = {"grant": GRANT, "refusal": REFUSAL}

LONG_GRANT = dataclasses.replace(
    GRANT,
    facts=tuple((f"Thông tin số {n}", f"Giá trị của thông tin số {n}") for n in range(1, 61)),
)


# --- The value --------------------------------------------------------------------------------


def test_refusal_needs_its_reasons() -> None:
    with pytest.raises(ValueError, match="reasons"):
        dataclasses.replace(REFUSAL, reasons=())


def test_document_checks_what_it_needs() -> None:
    with pytest.raises(ValueError, match="kind"):
        dataclasses.replace(GRANT, kind="certificate")
    with pytest.raises(ValueError, match="title"):
        dataclasses.replace(GRANT, title="")
    with pytest.raises(ValueError, match="aware"):
        dataclasses.replace(GRANT, issued_at=datetime(2026, 12, 3, 9, 30))
    with pytest.raises(ValueError, match="agency"):
        dataclasses.replace(GRANT, agency="")
    with pytest.raises(ValueError, match="verify_url"):
        dataclasses.replace(GRANT, verify_url="")
    # A refusal is titled by the template: it needs no title of its own.
    assert REFUSAL.heading == "THÔNG BÁO"


def test_document_accepts_a_model_choice_as_kind() -> None:
    from django.db.models import TextChoices

    class Kind(TextChoices):
        GRANT = "grant"

    assert type(dataclasses.replace(GRANT, kind=Kind.GRANT).kind) is str


# --- HTML -------------------------------------------------------------------------------------


def test_template_loads_no_translations() -> None:
    assert not TRANSLATION_TAGS.search(template_source("dossiers/results/result.html"))


@pytest.mark.parametrize("kind", list(DOCUMENTS))
def test_html_is_self_contained_and_vietnamese(kind: str) -> None:
    from django.utils import translation

    with translation.override("en"):
        page = render_result_html(DOCUMENTS[kind])
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in page
    assert "Quảng Ninh, ngày 03 tháng 12 năm 2026" in page
    assert "<link" not in page
    references = re.findall(r'(?:src|href)="([^"]*)"|url\(([^)]*)\)', page)
    assert references
    for reference in references:
        assert "".join(reference).strip("'\"").startswith("data:"), reference


def test_html_escapes_what_was_typed() -> None:
    page = render_result_html(dataclasses.replace(GRANT, facts=(("Ghi chú", '<i> & "y"'),)))
    assert "&lt;i&gt; &amp; &quot;y&quot;" in page
    assert "<i>" not in page


def test_html_keeps_document_numbers_on_one_line() -> None:
    doc = dataclasses.replace(
        GRANT,
        legal_basis=("Căn cứ Nghị định số 111/2010/NĐ-CP;",),
        facts=(("Ghi chú", "<b>a</b> theo https://example.vn/" + "x" * 40),),
    )
    page = render_result_html(doc)
    assert '<span class="nobr">111/2010/NĐ-CP;</span>' in page
    # Escaped first, then wrapped whole: the markup typed in stays text.
    assert '<span class="nobr">&lt;b&gt;a&lt;/b&gt;</span>' in page
    # A long address may still wrap rather than overflow the page.
    assert '<span class="nobr">https://example.vn/' not in page


# --- PDF --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdfs() -> dict[str, bytes]:
    return {kind: render_result_pdf(doc) for kind, doc in DOCUMENTS.items()}


@pytest.mark.parametrize("kind", list(DOCUMENTS))
def test_pdf_is_one_a4_portrait_page(pdfs: dict[str, bytes], kind: str) -> None:
    reader = PdfReader(io.BytesIO(pdfs[kind]))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(A4_POINTS[0], abs=1)
    assert float(box.height) == pytest.approx(A4_POINTS[1], abs=1)


@pytest.mark.parametrize(
    ("kind", "title"),
    [
        ("grant", "PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1 – 15/KQ-STP"),
        ("refusal", "THÔNG BÁO V/v không giải quyết hồ sơ – 16/TB-STP"),
    ],
)
def test_pdf_metadata_carries_title_and_author(
    pdfs: dict[str, bytes], kind: str, title: str
) -> None:
    metadata = PdfReader(io.BytesIO(pdfs[kind])).metadata
    assert metadata is not None
    assert metadata.title == title
    assert metadata.author == "SỞ TƯ PHÁP"
    assert metadata["/Keywords"] == DOCUMENTS[kind].dossier_code
    # Created when issued, in Vietnam time whatever zone issued_at carried.
    assert metadata["/CreationDate"].startswith("D:20261203093000+07")


@needs_poppler
@pytest.mark.parametrize("kind", list(DOCUMENTS))
def test_pdf_text_carries_the_administrative_layout(
    pdfs: dict[str, bytes], kind: str, tmp_path: Path
) -> None:
    doc = DOCUMENTS[kind]
    text = pdftotext(pdfs[kind], tmp_path)
    for expected in (
        "UBND TỈNH QUẢNG NINH",
        "SỞ TƯ PHÁP",
        f"Số: {doc.number}",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Quảng Ninh, ngày 03 tháng 12 năm 2026",
        *doc.legal_basis,
        doc.procedure_name,
        doc.dossier_code,
        f"Họ và tên: {doc.applicant_name}",
        "Số định danh cá nhân: 022090001234",
        "Ngày sinh: 05/02/1990",
        f"Địa chỉ: {doc.applicant_address}",
        "Nơi nhận:",
        f"- Ông/bà {doc.applicant_name};",
        "- Lưu: VT.",
        "(Đã ký số)",
        doc.signer_name,
    ):
        assert expected in text, expected
    assert doc.verify_url in text.replace(" ", "").replace("\u00ad", "")


@needs_poppler
def test_grant_is_titled_by_its_result_and_lists_the_facts(
    pdfs: dict[str, bytes], tmp_path: Path
) -> None:
    text = pdftotext(pdfs["grant"], tmp_path)
    assert "PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1" in text
    assert "THÔNG BÁO" not in text
    assert "KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC (Đã ký số)" in text
    assert "STT Nội dung Thông tin" in text
    for n, (label, value) in enumerate(GRANT.facts, start=1):
        assert f"{n} {label} {value}" in text


@needs_poppler
def test_refusal_says_why(pdfs: dict[str, bytes], tmp_path: Path) -> None:
    text = pdftotext(pdfs["refusal"], tmp_path)
    assert "THÔNG BÁO V/v không giải quyết hồ sơ" in text
    assert f"Kính gửi: Ông/bà {REFUSAL.applicant_name}." in text
    assert "Hồ sơ nêu trên không được giải quyết vì các lý do sau:" in text
    for n, reason in enumerate(REFUSAL.reasons, start=1):
        assert f"{n}. {reason}" in text
    assert "Xin thông báo để ông/bà được biết./." in text
    assert "GIÁM ĐỐC (Đã ký số)" in text


@needs_poppler
@pytest.mark.parametrize("kind", list(DOCUMENTS))
def test_signature_block_sits_bottom_right_with_room_to_sign(
    pdfs: dict[str, bytes], kind: str, tmp_path: Path
) -> None:
    words = pdf_words(pdfs[kind], tmp_path)
    [recipients] = find_phrase(words, "Nơi nhận:")
    [digital] = find_phrase(words, "(Đã ký số)")
    [name] = find_phrase(words, DOCUMENTS[kind].signer_name)
    width = A4_POINTS[0]
    assert recipients.x < width / 2 < digital.x
    assert name.x > width / 2
    assert abs(digital.y - recipients.y) < 60  # side by side, not one under the other
    assert name.y - digital.y > 60  # about 2 cm left blank between them


@needs_poppler
@pytest.mark.parametrize("kind", list(DOCUMENTS))
def test_pdf_embeds_only_vietnamese_capable_fonts(
    pdfs: dict[str, bytes], kind: str, tmp_path: Path
) -> None:
    fonts = pdffonts(pdfs[kind], tmp_path)
    assert fonts
    for font in fonts:
        assert re.search(r"Noto|DejaVu", font["name"]), font
        assert font["emb"] == "yes", font
        assert "Type 3" not in font["type"], font


@pytest.mark.parametrize("kind", list(DOCUMENTS))
def test_pdf_qr_code_encodes_the_verify_url(pdfs: dict[str, bytes], kind: str) -> None:
    assert_pdf_qr_encodes(pdfs[kind], DOCUMENTS[kind].verify_url)


@needs_poppler
def test_long_result_keeps_the_signature_with_the_content(tmp_path: Path) -> None:
    pdf = render_result_pdf(LONG_GRANT)
    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    assert pages > 1
    texts = [pdftotext(pdf, tmp_path, page=n) for n in range(1, pages + 1)]
    for label, value in LONG_GRANT.facts:
        assert f"{label} {value}" in " ".join(texts)
    for text in texts:
        assert "STT Nội dung Thông tin" in text  # the table head repeats
    # NĐ 30/2020: the signature page carries some of the content, never the signature alone.
    assert "Thông tin số 60" in texts[-1]
    assert "(Đã ký số)" in texts[-1]
    assert texts[1].startswith("2 ")
