"""Reading QR codes on scanned pages, above all the one on a CCCD card.

zxing-cpp decodes a UTF-8 Vietnamese QR from a page image without any system library.
"""

from __future__ import annotations

from collections.abc import Iterable

import zxingcpp
from PIL import Image

from motcua.core.errors import MotcuaError
from motcua.dossiers.cccd import parse_cccd_qr

_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def read_qr_texts(image: Image.Image) -> list[str]:
    """The text of every QR code found on the image, in the order zxing-cpp reports them."""
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")  # zxing-cpp reads grey or 3-byte pixels only
    return [code.text for code in zxingcpp.read_barcodes(image, formats=_QR)]


def find_cccd_qr(images: Iterable[Image.Image]) -> str | None:
    """The first QR text on the images that parses as a CCCD payload, or None.

    Other QR codes (a dossier slip's tracking link, a bank transfer) are skipped, not refused.
    """
    for image in images:
        for text in read_qr_texts(image):
            try:
                parse_cccd_qr(text)
            except MotcuaError:
                continue
            return text
    return None
