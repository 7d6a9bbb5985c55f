"""QR codes on scanned pages: the CCCD card's code is found and parsed, others are skipped."""

from __future__ import annotations

import datetime
import io

import segno
from PIL import Image

from motcua.digitisation import specimens
from motcua.digitisation.qr import find_cccd_qr, read_qr_texts
from motcua.dossiers.cccd import parse_cccd_qr

TRACKING_URL = "https://dichvucong.quangninh.gov.vn/tra-cuu?ma=H54.22-250305-0001"


def qr_page(text: str) -> Image.Image:
    """A white A6 page with one QR code on it, as a slip would carry."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=6, border=4)
    page = Image.new("RGB", (1240, 1748), "white")
    page.paste(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"), (400, 600))
    return page


def test_the_card_s_qr_code_fills_the_card() -> None:
    facts = specimens.CccdCardFacts(
        id_number="022090000456",
        old_id_number="",
        name="Nguyễn Văn An",
        birth_date=datetime.date(1990, 1, 15),
        sex="Nam",
        residence="Thôn 2, xã Quảng La, tỉnh Quảng Ninh",
    )
    # Read back from the PNG bytes an officer would upload.
    card = Image.open(io.BytesIO(specimens.png_bytes(specimens.cccd_card(facts))))
    payload = find_cccd_qr([card])
    assert payload == facts.qr_payload()
    parsed = parse_cccd_qr(payload)
    assert (parsed.id_number, parsed.name, parsed.sex) == ("022090000456", "Nguyễn Văn An", "male")
    assert parsed.birth_date == datetime.date(1990, 1, 15)
    assert parsed.address == "Thôn 2, xã Quảng La, tỉnh Quảng Ninh"
    assert parsed.issued_on == facts.issued_on


def test_a_page_without_qr_code() -> None:
    blank = specimens.birth_certificate()
    assert read_qr_texts(blank) == []
    assert find_cccd_qr([blank]) is None
    assert find_cccd_qr([]) is None


def test_other_qr_codes_are_skipped_not_refused() -> None:
    slip = qr_page(TRACKING_URL)
    assert read_qr_texts(slip) == [TRACKING_URL]
    assert find_cccd_qr([slip]) is None
    # A code that looks like a card's but does not hold together is no card either.
    assert find_cccd_qr([qr_page("022190000123||Trần Thị Mai|12051991|Nam|Hạ Long|")]) is None
    # The card on a later page is still found.
    card = specimens.cccd_card()
    assert find_cccd_qr([slip, card]) == specimens.CccdCardFacts().qr_payload()


def test_grey_palette_and_transparent_images_are_read() -> None:
    card = specimens.cccd_card()
    expected = specimens.CccdCardFacts().qr_payload()
    for mode in ("L", "P", "RGBA"):
        assert read_qr_texts(card.convert(mode)) == [expected], mode
