"""PAdES signing with the demo CA: pyHanko's own validation and poppler's pdfsig (through NSS)
must both accept a signed result, and both must notice tampering and a foreign CA."""

from __future__ import annotations

import os
import stat
import subprocess
import threading
from io import BytesIO, StringIO
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from pyhanko.pdf_utils.generic import NameObject, TextStringObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from weasyprint import HTML

from motcua.dossiers import demo, signing
from motcua.organisation.models import Agency, Province

CODE = "000.00.02.H22"


@pytest.fixture(scope="module")
def pdf() -> bytes:
    html = (
        '<p style=\'font-family: "Noto Serif", "DejaVu Serif", serif\'>'
        "Quyết định cấp phiếu lý lịch tư pháp — Sở Tư pháp tỉnh Quảng Ninh</p>"
    )
    return bytes(HTML(string=html, base_url="about:blank").write_pdf())


@pytest.fixture
def pki(settings: Any, tmp_path: Path) -> Path:
    settings.MOTCUA_PKI_DIR = tmp_path / "pki"
    return Path(settings.MOTCUA_PKI_DIR)


@pytest.fixture
def agency(db: Any) -> Agency:
    province = Province.objects.create(
        code="22", name="Tỉnh Quảng Ninh", short_name="Quảng Ninh", kind="tinh"
    )
    return Agency.objects.create(
        code=CODE, name="Sở Tư pháp", level="province", kind="department", province=province
    )


def sign(pdf: bytes, agency: Agency) -> bytes:
    return signing.sign_pdf(
        pdf, agency=agency, reason="Trả kết quả", location="Hạ Long", signer_name="Nguyễn Văn A"
    )


def pdfsig(pdf: bytes, ca_pem: bytes, workdir: Path) -> str:
    """pdfsig's report, trusting only ``ca_pem``. It exits 0 whatever it finds: read the text."""
    workdir.mkdir()
    nss = f"sql:{workdir}"
    (workdir / "ca.pem").write_bytes(ca_pem)
    (workdir / "file.pdf").write_bytes(pdf)
    subprocess.run(["certutil", "-N", "--empty-password", "-d", nss], check=True)
    subprocess.run(
        ["certutil", "-A", "-n", "ca", "-t", "CT,C,C", "-i", str(workdir / "ca.pem"), "-d", nss],
        check=True,
    )
    result = subprocess.run(
        ["pdfsig", "-nssdir", nss, str(workdir / "file.pdf")],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout


@pytest.mark.django_db
def test_a_signed_result_is_valid_and_names_the_agency(pki: Path, agency: Agency, pdf: bytes):
    before = timezone.now().replace(microsecond=0)
    report = signing.validate_pdf(sign(pdf, agency))
    assert report.signed
    assert report.intact
    assert report.trusted
    assert report.valid
    assert report.signer == "Sở Tư pháp"
    assert report.agency_code == CODE
    assert report.signed_at is not None
    assert before <= report.signed_at <= timezone.now()
    assert "Sở Tư pháp" in report.summary


@pytest.mark.django_db
def test_pdfsig_trusts_the_signature_through_the_demo_ca(
    pki: Path, agency: Agency, pdf: bytes, tmp_path: Path
):
    output = pdfsig(sign(pdf, agency), signing.ca_certificate_pem(), tmp_path / "nss")
    assert "Signer Certificate Common Name: Sở Tư pháp" in output
    assert "Signature Type: ETSI.CAdES.detached" in output  # PAdES
    assert "Total document signed" in output
    assert "Signature Validation: Signature is Valid." in output
    assert "Certificate Validation: Certificate is Trusted." in output


@pytest.mark.django_db
def test_changing_signed_bytes_breaks_the_signature(
    pki: Path, agency: Agency, pdf: bytes, tmp_path: Path
):
    tampered = bytearray(sign(pdf, agency))
    # The second line is a comment of high bytes marking the file binary: inside the signed
    # range, yet changing it leaves a PDF that still parses.
    position = tampered.index(b"\n") + 2
    assert tampered[position] >= 0x80
    tampered[position] ^= 0x01

    report = signing.validate_pdf(bytes(tampered))
    assert report.signed
    assert not report.intact
    assert not report.valid
    output = pdfsig(bytes(tampered), signing.ca_certificate_pem(), tmp_path / "nss")
    assert "Signature Validation: Digest Mismatch." in output
    assert "Signature is Valid." not in output


@pytest.mark.django_db
def test_an_update_appended_after_signing_is_not_covered(
    pki: Path, agency: Agency, pdf: bytes, tmp_path: Path
):
    writer = IncrementalPdfFileWriter(BytesIO(sign(pdf, agency)))
    writer.root[NameObject("/Lang")] = TextStringObject("en")
    writer.update_root()
    appended = BytesIO()
    writer.write(appended)

    report = signing.validate_pdf(appended.getvalue())
    assert report.intact  # the signed revision itself is untouched...
    assert report.trusted
    assert not report.valid  # ...but the document is no longer what was signed
    assert report.summary == "Văn bản đã bị thay đổi sau chữ ký cuối cùng."
    # pdfsig still calls signature and certificate good, and only notes the uncovered update.
    output = pdfsig(appended.getvalue(), signing.ca_certificate_pem(), tmp_path / "nss")
    assert "Not total document signed" in output


@pytest.mark.django_db
def test_a_certificate_from_another_ca_is_not_trusted(
    settings: Any, pki: Path, agency: Agency, pdf: bytes, tmp_path: Path
):
    signed = sign(pdf, agency)
    settings.MOTCUA_PKI_DIR = tmp_path / "other-pki"
    signing.ensure_ca()

    report = signing.validate_pdf(signed)
    assert report.signed
    assert report.intact
    assert not report.trusted
    assert not report.valid
    assert report.agency_code == CODE
    output = pdfsig(signed, signing.ca_certificate_pem(), tmp_path / "nss")
    assert "Signature is Valid." in output  # the bytes are fine...
    assert (
        "Certificate Validation: Certificate issuer isn't Trusted." in output
    )  # ...the signer not


@pytest.mark.django_db
@pytest.mark.parametrize("data", [b"", b"garbage", b"%PDF-1.7\n%%EOF\n", b"\x00" * 1000])
def test_garbage_is_not_signed(pki: Path, data: bytes):
    report = signing.validate_pdf(data)
    assert not report.signed
    assert not report.valid
    assert report.summary


@pytest.mark.django_db
def test_an_unsigned_pdf_is_not_signed(pki: Path, pdf: bytes):
    report = signing.validate_pdf(pdf)
    assert not report.signed
    assert not report.valid
    assert report.summary == "Văn bản chưa được ký số."


@pytest.mark.django_db
def test_the_ca_is_created_once_and_keys_are_private(pki: Path, agency: Agency):
    signing.ensure_ca()
    first = signing.ca_certificate_pem()
    signing.ensure_ca()
    assert signing.ca_certificate_pem() == first
    ca = x509.load_pem_x509_certificate(first)
    assert ca.subject.rfc4514_string() == "C=VN,O=motcua (demo),CN=motcua Demo CA Tỉnh Quảng Ninh"
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    signing.ensure_agency_certificate(agency)

    files = sorted(p.relative_to(pki).as_posix() for p in pki.rglob("*") if p.is_file())
    assert files == ["agencies/000.00.02.H22.pem", "ca.pem"]  # no temporary file left behind
    for name in files:
        assert b"PRIVATE KEY" in (pki / name).read_bytes()
        assert stat.S_IMODE(os.stat(pki / name).st_mode) == 0o600


@pytest.mark.django_db(transaction=True)
def test_processes_racing_to_create_the_ca_agree_on_one(pki: Path):
    barrier = threading.Barrier(6)
    seen: list[bytes] = []

    def create() -> None:
        barrier.wait()
        try:
            signing.ensure_ca()
            seen.append(signing.ca_certificate_pem())
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 6
    assert len(set(seen)) == 1
    assert seen[0] == signing.ca_certificate_pem()


@pytest.mark.django_db
def test_an_agency_is_reissued_a_certificate_when_the_ca_or_its_name_changes(
    pki: Path, agency: Agency, pdf: bytes
):
    signing.ensure_agency_certificate(agency)
    issued = (pki / "agencies" / f"{CODE}.pem").read_bytes()
    signing.ensure_agency_certificate(agency)
    assert (pki / "agencies" / f"{CODE}.pem").read_bytes() == issued

    (pki / "ca.pem").unlink()  # a wiped CA: older agency certificates lead nowhere
    report = signing.validate_pdf(sign(pdf, agency))
    assert report.valid

    agency.name = "Sở Tư pháp tỉnh Quảng Ninh"
    report = signing.validate_pdf(sign(pdf, agency))
    assert report.valid
    assert report.signer == "Sở Tư pháp tỉnh Quảng Ninh"


@pytest.mark.django_db
def test_a_name_longer_than_a_common_name_allows_is_reported_whole(
    pki: Path, agency: Agency, pdf: bytes
):
    # 51 letters but 67 bytes of UTF-8: more than the 64 that commonName takes.
    agency.name = "Chi nhánh Văn phòng Đăng ký đất đai khu vực Cẩm Phả"
    report = signing.validate_pdf(sign(pdf, agency))
    assert report.valid
    assert report.signer == "Chi nhánh Văn phòng Đăng ký đất đai khu vực Cẩm Phả"


@pytest.mark.django_db
def test_a_code_that_is_not_an_agency_code_names_no_file(pki: Path, agency: Agency):
    agency.code = "../../etc/H22"
    with pytest.raises(ValueError, match="Not an agency code"):
        signing.ensure_agency_certificate(agency)


@pytest.mark.django_db
def test_pki_init_and_the_demo_cover_every_active_agency(pki: Path, agency: Agency):
    Agency.objects.create(
        code="000.00.99.H22",
        name="Sở cũ",
        level="province",
        kind="department",
        province=agency.province,
        active=False,
    )
    out = StringIO()
    call_command("pki_init", stdout=out)
    assert "1 active agencies, 1 certificates issued now, 0 already current" in out.getvalue()
    assert [p.name for p in (pki / "agencies").iterdir()] == [f"{CODE}.pem"]
    assert demo.load_demo() == [
        f"Demo PKI: CA + 1 agency certificates in {pki} (keys stay on this machine)"
    ]


def test_the_keys_default_to_the_data_directory(settings: Any):
    from motcua import settings as defaults

    if "MOTCUA_PKI_DIR" not in os.environ:
        assert defaults.MOTCUA_PKI_DIR == defaults.DATA_DIR / "pki"
    settings.MOTCUA_PKI_DIR = settings.DATA_DIR / "elsewhere"
    assert signing.pki_dir() == settings.DATA_DIR / "elsewhere"
