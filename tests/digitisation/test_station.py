"""The station's pipeline and the document store: scan → OCR → fields → confirmed, signed and
stored; reuse by later dossiers; bad scans refused with nothing stored; the access log."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from django.utils import timezone

from motcua.core.errors import Conflict, MotcuaError
from motcua.core.principal import principal_for
from motcua.digitisation import imaging, selectors, services, specimens, store
from motcua.digitisation.models import Digitisation, DocumentAccess, StoredDocument
from motcua.dossiers import services as intake
from motcua.dossiers import signing
from motcua.dossiers.intake import UploadedFile
from motcua.dossiers.models import Channel, DossierDocument, Status
from tests.digitisation.conftest import scanned
from tests.intake_data import ID_NUMBER, land_change, pdf_bytes
from tests.org import Org


def confirm(org: Org, item: Digitisation, **values: str) -> StoredDocument:
    return services.confirm_digitisation(
        item=item,
        document_type="land_use_certificate",
        values=dict(item.fields) | values,
        actor=org.users["counter_halong"],
        revision=item.revision,
    )


def test_a_scanned_certificate_is_read_confirmed_signed_and_stored(processing_org: Org) -> None:
    item = scanned(processing_org)
    assert item.state == Digitisation.State.REVIEW, item.error
    assert (item.pages_total, item.pages_done, item.attempts) == (1, 1, 1)
    assert item.detected_type == "land_use_certificate"  # recognised from the text
    assert item.fields["parcel_number"] == "125"
    assert item.fields["map_sheet"] == "37"
    assert "QUYỀN SỬ DỤNG ĐẤT" in item.text
    with item.searchable.open("rb") as stored, pikepdf.open(io.BytesIO(stored.read())) as pdf:
        assert pdf.open_metadata().pdfa_status.startswith("2")  # PDF/A-2

    document = confirm(processing_org, item, serial="AA 01234567")
    assert document.source == StoredDocument.Source.SCAN
    assert (document.owner_id, document.document_type) == (ID_NUMBER, "land_use_certificate")
    assert document.issued_on == dt.date(2025, 3, 5)
    assert document.valid_until is None  # a land use certificate does not expire
    assert document.verified_by == processing_org.users["counter_halong"]
    with document.file.open("rb") as stored:
        signed = stored.read()
    report = signing.validate_pdf(signed)
    assert report.valid, report.summary  # signed as matching the paper, on the agency's behalf
    assert report.agency_code == processing_org.points["halong"].agency.code
    assert document.sha256 == hashlib.sha256(signed).hexdigest()
    assert "giay chung nhan" in document.search_text
    item.refresh_from_db()
    assert (item.state, item.document) == (Digitisation.State.CONFIRMED, document)
    assert list(document.accesses.values_list("purpose", flat=True)) == ["store"]


def test_a_cccd_card_qr_code_fills_the_fields(processing_org: Org) -> None:
    card = specimens.cccd_card(
        id_number=ID_NUMBER,
        name="Nguyễn Văn An",
        birth_date=dt.date(1990, 1, 15),
        sex="Nam",
    )
    item = scanned(processing_org, png=specimens.png_bytes(card))
    assert item.state == Digitisation.State.REVIEW, item.error
    assert item.detected_type == "cccd"
    assert item.cccd is not None
    assert (item.cccd["id_number"], item.cccd["name"]) == (ID_NUMBER, "Nguyễn Văn An")
    assert item.fields["id_number"] == ID_NUMBER
    assert item.fields["birth_date"] == "1990-01-15"


def _no_pages_pdf() -> bytes:
    from pypdf import PdfWriter

    empty = io.BytesIO()
    PdfWriter().write(empty)
    return empty.getvalue()


def _bomb_png() -> bytes:
    from PIL import Image

    blank = io.BytesIO()
    Image.new("1", (12_000, 9_000)).save(blank, format="PNG")  # tiny file, huge image
    return blank.getvalue()


def _stored_nothing(media: Path) -> None:
    assert not Digitisation.objects.exists()
    assert not [path for path in media.rglob("*") if path.is_file()]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"declared_pages": 2}, "declared_pages"),  # TT 01/2023: every page counted is scanned
        ({"declared_pages": 0}, "declared_pages"),
        ({"files": []}, "files"),
        ({"files": [UploadedFile("scan.png", b"MZ\x90\x00 not an image")]}, "files"),
        ({"files": [UploadedFile("scan.pdf", pdf_bytes()[:60])]}, "files"),  # cut off
        ({"files": [UploadedFile("no-pages.pdf", _no_pages_pdf())]}, "files"),
        ({"files": [UploadedFile("bomb.png", _bomb_png())]}, "files"),  # 108 megapixels
        ({"owner_id": "12345"}, "owner_id"),
        ({"owner_name": " "}, "owner_name"),
        ({"document_type": "passport"}, "document_type"),
    ],
)
def test_bad_scans_are_refused_and_store_nothing(
    processing_org: Org, media_in_tmp: Path, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(MotcuaError) as refused:
        scanned(processing_org, read=False, **changes)
    assert refused.value.code == "invalid_scan"
    assert field in refused.value.fields
    _stored_nothing(media_in_tmp)


def test_an_encrypted_pdf_is_refused(processing_org: Org, media_in_tmp: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt("secret")
    locked = io.BytesIO()
    writer.write(locked)
    with pytest.raises(MotcuaError) as refused:
        scanned(processing_org, read=False, files=[UploadedFile("a.pdf", locked.getvalue())])
    assert "mật khẩu" in str(refused.value.fields["files"])  # Vietnamese by default
    _stored_nothing(media_in_tmp)


def test_a_repeated_submission_finds_the_first_scan(processing_org: Org) -> None:
    first = scanned(processing_org, read=False, key="form:abc")
    again = scanned(processing_org, read=False, key="form:abc")
    assert again.pk == first.pk
    assert Digitisation.objects.count() == 1


def test_an_ocr_failure_marks_the_scan_failed_and_a_retry_reads_it(processing_org: Org) -> None:
    item = scanned(processing_org, read=False)
    good = item.original.read()
    item.original.close()
    # The stored pages damaged (a storage fault): OCRmyPDF refuses them.
    with open(item.original.path, "wb") as damaged:
        damaged.write(b"%PDF-1.4 broken")
    services.run_pipeline(item.pk)
    item.refresh_from_db()
    assert item.state == Digitisation.State.FAILED
    assert item.error
    with pytest.raises(Conflict):
        confirm(processing_org, item)

    with open(item.original.path, "wb") as repaired:
        repaired.write(good)
    services.retry_digitisation(item=item, actor=processing_org.users["counter_halong"])
    item.refresh_from_db()
    assert (item.state, item.error) == (Digitisation.State.QUEUED, "")
    services.run_pipeline(item.pk)
    item.refresh_from_db()
    assert (item.state, item.attempts) == (Digitisation.State.REVIEW, 2)


def test_confirmation_checks_the_fields_and_the_state(processing_org: Org) -> None:
    item = scanned(processing_org)
    with pytest.raises(MotcuaError) as refused:
        confirm(processing_org, item, issued_on="2025-02-30", owner_id_number="123")
    assert refused.value.code == "invalid_fields"
    assert {"fields.issued_on", "fields.owner_id_number"} <= set(refused.value.fields)
    assert not StoredDocument.objects.exists()

    with pytest.raises(Conflict) as stale:
        services.confirm_digitisation(
            item=item,
            document_type="land_use_certificate",
            values=dict(item.fields),
            actor=processing_org.users["counter_halong"],
            revision=item.revision - 1,
        )
    assert stale.value.code == "stale_digitisation"
    confirm(processing_org, item)
    with pytest.raises(Conflict) as twice:
        confirm(processing_org, item)
    assert twice.value.code == "illegal_transition"
    assert StoredDocument.objects.count() == 1


def _land_change(org: Org, *papers: str) -> Any:
    return intake.submit_dossier(
        submission=land_change(on_paper=frozenset({"don", *papers})),
        channel=Channel.COUNTER,
        actor=org.users["counter_halong"],
        point=org.points["halong"],
    )


def test_a_second_dossier_reuses_the_certificate_instead_of_asking_again(
    processing_org: Org,
) -> None:
    first = _land_change(processing_org, "giay_chung_nhan")
    item = scanned(processing_org, dossier=first, requirement="giay_chung_nhan")
    document = confirm(processing_org, item)
    row = first.documents.get(requirement="giay_chung_nhan")
    assert (row.state, row.stored_document) == (DossierDocument.State.SUBMITTED, document)
    assert row.file.name == document.file.name
    assert row.sha256 == document.sha256

    second = _land_change(processing_org)  # the certificate not handed in again
    reused = second.documents.get(requirement="giay_chung_nhan")
    assert (reused.state, reused.stored_document) == (DossierDocument.State.REUSED, document)
    assert reused.file.name == document.file.name
    intake.accept_dossier(dossier=second, actor=processing_org.users["counter_halong"])
    second.refresh_from_db()
    assert second.status == Status.RECEIVED  # complete: nothing is asked for again
    use = document.accesses.get(purpose=DocumentAccess.Purpose.REUSE)
    assert (use.dossier, use.actor) == (second, processing_org.users["counter_halong"])


def test_without_a_valid_copy_in_the_store_the_document_is_missing(processing_org: Org) -> None:
    StoredDocument.objects.create(
        owner_id=ID_NUMBER,
        owner_name="Nguyễn Văn An",
        province=processing_org.province,
        document_type="land_use_certificate",
        title="Giấy chứng nhận đã thu hồi",
        source=StoredDocument.Source.NATIONAL_DB,
        revoked_at=timezone.now(),
    )
    StoredDocument.objects.create(
        owner_id=ID_NUMBER,
        owner_name="Nguyễn Văn An",
        province=processing_org.province,
        document_type="land_use_certificate",
        title="Giấy chứng nhận hết hạn",
        source=StoredDocument.Source.NATIONAL_DB,
        valid_until=timezone.localdate() - dt.timedelta(days=1),
    )
    dossier = _land_change(processing_org)
    row = dossier.documents.get(requirement="giay_chung_nhan")
    assert (row.state, row.stored_document) == (DossierDocument.State.MISSING, None)
    with pytest.raises(Conflict) as refused:
        intake.accept_dossier(dossier=dossier, actor=processing_org.users["counter_halong"])
    assert refused.value.code == "incomplete_dossier"


def test_store_reads_are_narrowed_to_the_jurisdiction_and_search_ignores_diacritics(
    processing_org: Org,
) -> None:
    document = confirm(processing_org, scanned(processing_org))
    users = processing_org.users

    def found(user: str, query: str = "") -> list[StoredDocument]:
        return list(selectors.documents_for(principal_for(users[user]), query=query))

    assert found("counter_halong") == [document]  # digitised at their point
    assert found("monitor") == [document]  # the province
    assert found("counter_tinh") == []  # another point: not theirs
    assert found("officer_halong") == [document]  # the point's agency
    for query in ("nguyen van an", "Nguyễn Văn An", "GIAY CHUNG NHAN", "thửa đất 125"):
        assert found("counter_halong", query) == [document], query
    assert found("counter_halong", "đăng ký kết hôn") == []


def test_issued_results_join_the_applicants_store(processing_org: Org) -> None:
    from motcua.dossiers import results
    from tests.dossiers.test_processing import approved

    dossier = approved(processing_org)
    results.sign_result(dossier.result.pk)
    document = store.store_result(result_id=dossier.result.pk)
    assert document is not None
    assert store.store_result(result_id=dossier.result.pk) == document  # once only
    assert (document.source, document.owner_id) == (StoredDocument.Source.RESULT, ID_NUMBER)
    dossier.result.refresh_from_db()
    assert document.file.name == dossier.result.pdf.name
    monitor = principal_for(processing_org.users["monitor"])
    metrics = selectors.metrics(intake.Dossier.objects.all())
    assert (metrics.results, metrics.results_stored, metrics.result_share) == (1, 1, 1.0)
    assert selectors.document_for(monitor, document.pk) == document


def test_metrics_count_digitised_and_reused_components(processing_org: Org) -> None:
    first = _land_change(processing_org, "giay_chung_nhan")
    confirm(processing_org, scanned(processing_org, dossier=first, requirement="giay_chung_nhan"))
    _land_change(processing_org)
    _land_change(processing_org, "giay_chung_nhan")  # handed in on paper again: not reused
    metrics = selectors.metrics(intake.Dossier.objects.all())
    assert (metrics.dossiers, metrics.dossiers_with_digitised) == (3, 2)
    assert metrics.reused_documents == 1
    assert metrics.dossier_share == pytest.approx(2 / 3)


def test_a_born_digital_pdf_keeps_its_own_text(processing_org: Org) -> None:
    from weasyprint import HTML

    pdf = HTML(
        string="<p style='font-family: \"Noto Serif\"'>GIẤY KHAI SINH — Họ, chữ đệm, tên: "
        "NGUYỄN VĂN AN</p>"
    ).write_pdf()
    item = scanned(processing_org, files=[UploadedFile("khai-sinh.pdf", pdf)])
    assert item.state == Digitisation.State.REVIEW, item.error
    assert "NGUYỄN VĂN AN" in item.text
    assert item.detected_type == "birth_certificate"
    with item.searchable.open("rb") as stored:
        kept = stored.read()
    # Kept with its own text layer, not rasterised and read again by OCR.
    assert "NGUYỄN VĂN AN" in imaging.pdf_text(kept)
    with pikepdf.open(io.BytesIO(kept)) as document:
        assert "/Font" in str(document.pages[0].Resources.keys())


def test_a_withdrawn_document_is_no_longer_reused(processing_org: Org) -> None:
    document = confirm(processing_org, scanned(processing_org))
    officer = processing_org.users["counter_halong"]
    with pytest.raises(MotcuaError) as refused:
        store.withdraw_document(document=document, reason=" ", actor=officer)
    assert refused.value.code == "reason_required"
    store.withdraw_document(document=document, reason="Cấp đổi giấy chứng nhận", actor=officer)
    with pytest.raises(Conflict):
        store.withdraw_document(document=document, reason="Lần nữa", actor=officer)
    dossier = _land_change(processing_org)
    row = dossier.documents.get(requirement="giay_chung_nhan")
    assert (row.state, row.stored_document) == (DossierDocument.State.MISSING, None)


def test_an_anonymous_online_filing_is_refused_and_takes_nothing(processing_org: Org) -> None:
    confirm(processing_org, scanned(processing_org))
    with pytest.raises(MotcuaError) as refused:
        intake.submit_dossier(
            submission=land_change(
                on_paper=frozenset(),
                files={"don": UploadedFile("don.pdf", pdf_bytes())},
                identity=None,
            ),
            channel=Channel.ONLINE,
        )
    assert refused.value.code == "eid_level_required"
    assert not DocumentAccess.objects.filter(purpose=DocumentAccess.Purpose.REUSE).exists()


def test_the_verified_owner_filing_online_gets_the_store_copy(processing_org: Org) -> None:
    confirm(processing_org, scanned(processing_org))
    dossier = intake.submit_dossier(
        submission=land_change(
            on_paper=frozenset(), files={"don": UploadedFile("don.pdf", pdf_bytes())}
        ),
        channel=Channel.ONLINE,
    )
    row = dossier.documents.get(requirement="giay_chung_nhan")
    assert row.state == DossierDocument.State.REUSED
    assert DocumentAccess.objects.filter(purpose=DocumentAccess.Purpose.REUSE).exists()
