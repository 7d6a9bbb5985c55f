"""The seal on the signed result PDF: signing a granted result creates its credential and prints
the credential's seal as a second QR code, read back here from a 300 dpi image of the page, the
way a phone reads the paper; a refusal gets neither."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from motcua.credentials import seal, verify
from motcua.credentials.models import IssuedCredential
from motcua.digitisation.qr import read_qr_texts
from motcua.dossiers import results, signing
from motcua.dossiers.models import Result
from tests.credentials.conftest import decided
from tests.dossiers.test_slips import pdftotext
from tests.org import Org

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils"),
]


def page_image(pdf: bytes, tmp_path: Path, dpi: int = 300) -> Image.Image:
    """The first page as an image, as a scanner sees it."""
    source = tmp_path / "result.pdf"
    source.write_bytes(pdf)
    prefix = tmp_path / f"page-{dpi}"
    command = ["pdftoppm", "-r", str(dpi), "-f", "1", "-l", "1", "-png", str(source), str(prefix)]
    subprocess.run(command, check=True)
    (image_path,) = tmp_path.glob(f"{prefix.name}*.png")
    with Image.open(image_path) as image:
        return image.convert("L")


def page_qr_texts(pdf: bytes, tmp_path: Path) -> list[str]:
    return read_qr_texts(page_image(pdf, tmp_path))


def signed(result: Result) -> Result:
    results.sign_result(result.pk)
    result.refresh_from_db()
    return result


def test_signed_result_carries_a_seal_that_verifies(granted: Result, tmp_path: Path) -> None:
    result = signed(granted)
    pdf = results.result_pdf(result)
    assert signing.validate_pdf(pdf).valid
    texts = page_qr_texts(pdf, tmp_path)
    assert results.verify_url(result) in texts
    (seal_text,) = [text for text in texts if seal.looks_like_seal(text)]
    credential = IssuedCredential.objects.get(result=result)
    claims = seal.read_seal(seal_text)
    assert (claims.number, claims.status_index) == (result.number, credential.status_index)
    verdict = verify.verify(seal_text)
    assert verdict.state == verify.VALID, verdict.reason
    assert verdict.holder_name == result.dossier.applicant_name
    # The caption says what it is and where to check it.
    text = pdftotext(pdf, tmp_path)
    assert "Mã xác thực ngoại tuyến" in text
    # The address may wrap inside the narrow caption.
    assert results.seal_check_url() in text.replace(" ", "")


def test_phone_photo_of_the_page_checks_on_the_verifier_page(
    granted: Result, tmp_path: Path, client: Client
) -> None:
    """The whole page at 150 dpi, a little askew, as a JPEG a phone sends: the page finds the
    seal among the two codes and checks it."""
    result = signed(granted)
    photo = page_image(results.result_pdf(result), tmp_path, dpi=150)
    photo = photo.rotate(4, expand=True, fillcolor=255)
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=60)
    response = client.post(
        reverse("verifier:verify"),
        {"image": SimpleUploadedFile("anh.jpg", buffer.getvalue(), content_type="image/jpeg")},
    )
    verdict = response.context["verdict"]
    assert (verdict.state, verdict.kind) == (verify.VALID, "seal"), verdict.reason
    assert verdict.document_number == result.number


def test_signing_again_changes_nothing(granted: Result) -> None:
    result = signed(granted)
    pdf, credential = results.result_pdf(result), IssuedCredential.objects.get(result=result)
    result = signed(result)
    assert results.result_pdf(result) == pdf
    assert IssuedCredential.objects.get(result=result) == credential
    assert IssuedCredential.objects.count() == 1


def test_refusal_has_no_credential_and_no_seal(processing_org: Org, tmp_path: Path) -> None:
    result = signed(decided(processing_org, decision="refuse", note="Có án tích chưa được xóa"))
    assert result.kind == Result.Kind.REFUSAL
    assert not IssuedCredential.objects.exists()
    texts = page_qr_texts(results.result_pdf(result), tmp_path)
    assert texts == [results.verify_url(result)]
    assert "Mã xác thực ngoại tuyến" not in pdftotext(results.result_pdf(result), tmp_path)


def test_result_with_a_seal_stays_on_one_page(granted: Result, tmp_path: Path) -> None:
    from pypdf import PdfReader

    result = signed(granted)
    with result.pdf.open("rb") as stored:
        assert len(PdfReader(stored).pages) == 1
