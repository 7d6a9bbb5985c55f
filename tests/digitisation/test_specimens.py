"""Generated specimens: 300-dpi pages whose real Tesseract `vie` OCR yields every field.

Two OCR runs (about 1.5 s each with one thread) keep this module fast.
"""

from __future__ import annotations

import datetime
import io
import os
import shutil
import subprocess

import pytest
from PIL import Image

from motcua.digitisation import specimens
from motcua.digitisation.doctypes import detect, extract, field_problems
from motcua.dossiers.cccd import check_cccd, parse_cccd_qr
from motcua.dossiers.files import inspect_upload

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="no tesseract")


def ocr(image: Image.Image) -> str:
    result = subprocess.run(
        ["tesseract", "-", "-", "-l", "vie"],
        input=specimens.png_bytes(image),
        capture_output=True,
        check=True,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        timeout=60,
    )
    return result.stdout.decode()


@needs_tesseract
def test_birth_certificate_reads_back() -> None:
    facts = specimens.BirthCertificateFacts()
    text = ocr(specimens.birth_certificate(facts))
    assert "DỮ LIỆU GIẢ LẬP" in text
    assert detect(text) == "birth_certificate"
    values = extract("birth_certificate", text)
    assert values == facts.values()
    assert field_problems("birth_certificate", values) == {}


@needs_tesseract
def test_land_use_certificate_reads_back_with_changed_facts() -> None:
    facts = specimens.LandUseCertificateFacts(
        serial="CS 654321",
        owner_title="Ông",
        owner_name="Nguyễn Văn An",
        owner_id_number="022090000456",
        parcel_number="48",
        map_sheet="12",
        area="1.250,75",
        land_use_purpose="Đất trồng cây lâu năm",
        issued_on=datetime.date(2025, 11, 20),
        issuer="Ủy ban nhân dân xã Quảng La",
    )
    text = ocr(specimens.land_use_certificate(facts))
    assert detect(text) == "land_use_certificate"
    values = extract("land_use_certificate", text)
    assert values == facts.values()
    assert values["area"] == "1250.75"
    assert field_problems("land_use_certificate", values) == {}


def test_changes_replace_single_facts() -> None:
    changed = specimens.birth_certificate(name="Vũ Minh Khôi")
    assert changed.tobytes() != specimens.birth_certificate().tobytes()


def test_pages_are_300_dpi_and_upload_as_images() -> None:
    a4 = specimens.land_use_certificate()
    card = specimens.cccd_card()
    assert a4.size == (2480, 3508)
    assert card.size == (1011, 638)  # 85.6 × 54 mm
    for image in (a4, card):
        assert image.info["dpi"] == (300, 300)
        data = specimens.png_bytes(image)
        reopened = Image.open(io.BytesIO(data))
        assert tuple(round(d) for d in reopened.info["dpi"]) == (300, 300)
        facts = inspect_upload("scan.png", data)
        assert (facts.kind, facts.pages) == ("png", 1)


def test_default_people_are_consistent() -> None:
    card = specimens.CccdCardFacts()
    check_cccd(card.id_number, date_of_birth=card.birth_date, sex="female")
    birth = specimens.BirthCertificateFacts()
    check_cccd(birth.id_number, date_of_birth=birth.birth_date, sex="female")
    parsed = parse_cccd_qr(card.qr_payload())
    assert (parsed.name, parsed.birth_date, parsed.old_id_number) == (
        "Trần Thị Mai",
        datetime.date(1990, 5, 12),
        "100987654",
    )


@pytest.mark.parametrize(
    ("issued_on", "valid_until"),
    [
        (datetime.date(2021, 8, 15), datetime.date(2030, 5, 12)),  # aged 31: until 40
        (datetime.date(2013, 1, 10), datetime.date(2015, 5, 12)),  # aged 22: until 25
        (datetime.date(2014, 1, 10), datetime.date(2030, 5, 12)),  # within 2 years of 25
        (datetime.date(2048, 6, 1), None),  # within 2 years of 60: for life
    ],
)
def test_card_expiry_follows_the_renewal_ages(
    issued_on: datetime.date, valid_until: datetime.date | None
) -> None:
    assert specimens.CccdCardFacts(issued_on=issued_on).valid_until == valid_until
