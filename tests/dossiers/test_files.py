"""Uploaded files are judged by their content: every file here is built by the test itself."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import struct
import warnings
import zlib
from collections.abc import Iterator

import pytest
from django.utils import translation
from PIL import Image
from pypdf import PdfWriter

from motcua.core.errors import MotcuaError
from motcua.dossiers.files import MAX_IMAGE_PIXELS, FileFacts, inspect_upload

# ---- builders ---------------------------------------------------------------------------------


def make_pdf(pages: int = 1, *, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)  # A4 in points
    if password is not None:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def sample_image() -> Image.Image:
    # A gradient rather than a flat colour so that JPEG has real entropy-coded data to cut.
    return Image.radial_gradient("L").convert("RGB")


def make_image(fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    sample_image().save(buffer, fmt, **options)
    return buffer.getvalue()


def make_tiff(frames: int) -> bytes:
    first, *rest = [sample_image().rotate(90 * i) for i in range(frames)]
    buffer = io.BytesIO()
    first.save(buffer, "TIFF", save_all=True, append_images=rest)
    return buffer.getvalue()


def make_big_endian_tiff() -> bytes:
    """A 2x2 uncompressed greyscale TIFF in Motorola byte order (Pillow writes only "II")."""
    pixels = bytes([0, 85, 170, 255])
    entries = [  # (tag, type, count, value); type 3 = SHORT, 4 = LONG
        (256, 3, 1, 2),  # ImageWidth
        (257, 3, 1, 2),  # ImageLength
        (258, 3, 1, 8),  # BitsPerSample
        (259, 3, 1, 1),  # Compression: none
        (262, 3, 1, 1),  # PhotometricInterpretation: black is zero
        (273, 4, 1, 0),  # StripOffsets: patched below
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 3, 1, 2),  # RowsPerStrip
        (279, 4, 1, len(pixels)),  # StripByteCounts
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    pixel_offset = 8 + ifd_size
    ifd = struct.pack(">H", len(entries))
    for tag, kind, count, value in entries:
        value = pixel_offset if tag == 273 else value
        packed = struct.pack(">HH", value, 0) if kind == 3 else struct.pack(">I", value)
        ifd += struct.pack(">HHI", tag, kind, count) + packed
    ifd += struct.pack(">I", 0)  # no next IFD
    return b"MM\x00*" + struct.pack(">I", 8) + ifd + pixels


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def make_png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height: a decompression bomb's calling card."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    # Messages are asserted by their English msgids; Vietnamese is checked separately.
    with translation.override("en"):
        yield


def refused(name: str, data: bytes) -> MotcuaError:
    with pytest.raises(MotcuaError) as caught:
        inspect_upload(name, data)
    error = caught.value
    assert error.code == "invalid_file"
    assert error.status == 400
    assert name in str(error.message), "the message names the file"
    return error


# ---- accepted files ---------------------------------------------------------------------------


def test_a_pdf_is_accepted_with_its_page_count_and_hash() -> None:
    data = make_pdf(pages=3)
    facts = inspect_upload("giay-khai-sinh.pdf", data)
    assert facts == FileFacts(
        kind="pdf",
        content_type="application/pdf",
        size=len(data),
        pages=3,
        sha256=hashlib.sha256(data).hexdigest(),
        extension=".pdf",
    )


@pytest.mark.parametrize(
    ("fmt", "kind", "content_type", "extension"),
    [
        ("JPEG", "jpeg", "image/jpeg", ".jpg"),
        ("PNG", "png", "image/png", ".png"),
        ("TIFF", "tiff", "image/tiff", ".tif"),
    ],
)
def test_a_single_image_is_accepted_as_one_page(
    fmt: str, kind: str, content_type: str, extension: str
) -> None:
    data = make_image(fmt)
    facts = inspect_upload("scan", data)
    assert (facts.kind, facts.content_type, facts.extension) == (kind, content_type, extension)
    assert facts.pages == 1
    assert facts.size == len(data)
    assert facts.sha256 == hashlib.sha256(data).hexdigest()


def test_a_multi_frame_tiff_counts_its_frames_as_pages() -> None:
    facts = inspect_upload("so-ho-khau.tif", make_tiff(frames=3))
    assert (facts.kind, facts.pages) == ("tiff", 3)


def test_a_big_endian_tiff_is_recognised() -> None:
    data = make_big_endian_tiff()
    assert data.startswith(b"MM\x00*")
    facts = inspect_upload("scan.tiff", data)
    assert (facts.kind, facts.pages, facts.extension) == ("tiff", 1, ".tif")


def test_a_png_named_pdf_is_a_png() -> None:
    facts = inspect_upload("don-de-nghi.pdf", make_image("PNG"))
    assert (facts.kind, facts.content_type, facts.extension) == ("png", "image/png", ".png")


def test_a_pdf_with_a_misleading_name_is_still_a_pdf() -> None:
    facts = inspect_upload("photo.jpg", make_pdf())
    assert (facts.kind, facts.extension) == ("pdf", ".pdf")


def test_the_facts_are_frozen() -> None:
    facts = inspect_upload("a.pdf", make_pdf())
    with pytest.raises(dataclasses.FrozenInstanceError):
        facts.pages = 2  # type: ignore[misc]


# ---- size -------------------------------------------------------------------------------------


def test_an_empty_file_is_refused() -> None:
    error = refused("empty.pdf", b"")
    assert str(error.message) == "The file empty.pdf is empty."


def test_a_file_over_the_limit_is_refused_with_the_limit_in_mb(settings) -> None:  # type: ignore[no-untyped-def]
    settings.UPLOAD_MAX_BYTES = 1024 * 1024 // 2
    data = make_pdf() + b"\n" * (1024 * 1024 // 2)  # still a readable PDF, just too big
    error = refused("big.pdf", data)
    assert str(error.message) == "The file big.pdf is larger than the limit of 0.5 MB."


def test_the_limit_is_read_at_call_time_and_is_inclusive(settings) -> None:  # type: ignore[no-untyped-def]
    data = make_pdf()
    settings.UPLOAD_MAX_BYTES = len(data)
    assert inspect_upload("exact.pdf", data).size == len(data)
    settings.UPLOAD_MAX_BYTES = len(data) - 1
    refused("exact.pdf", data)


def test_the_default_limit_is_said_in_whole_megabytes(settings) -> None:  # type: ignore[no-untyped-def]
    settings.UPLOAD_MAX_BYTES = 20 * 1024 * 1024
    data = b"%PDF-" + b"0" * (20 * 1024 * 1024)
    error = refused("huge.pdf", data)
    assert "the limit of 20 MB" in str(error.message)


def test_the_size_is_checked_before_the_type(settings) -> None:  # type: ignore[no-untyped-def]
    settings.UPLOAD_MAX_BYTES = 10
    error = refused("notes.txt", b"just some text, far too long")
    assert "larger than the limit" in str(error.message)


# ---- type by content --------------------------------------------------------------------------

NOT_ACCEPTED = "is not a PDF, JPEG, PNG or TIFF file; only these are accepted."


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.txt", "Đơn đề nghị cấp bản sao\n".encode()),
        ("trang-chu.pdf", b"<!DOCTYPE html><html><body>%PDF-1.7</body></html>"),
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"This program cannot be run"),
        ("archive.pdf", b"PK\x03\x04" + b"\x00" * 26),
        ("padded.pdf", b"\n%PDF-1.7\n"),  # the magic must be at the very start
        ("gif.png", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
        ("bigtiff.tif", b"II+\x00\x08\x00\x00\x00"),
        ("one-byte.pdf", b"%"),
    ],
)
def test_content_that_is_no_accepted_type_is_refused(name: str, data: bytes) -> None:
    error = refused(name, data)
    assert str(error.message) == f"The file {name} {NOT_ACCEPTED}"


# ---- PDF --------------------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.98])
def test_a_truncated_pdf_is_refused(keep: float) -> None:
    data = make_pdf(pages=2)
    error = refused("cut.pdf", data[: int(len(data) * keep)])
    assert str(error.message) == "The file cut.pdf is a damaged or incomplete PDF."


def test_a_pdf_header_followed_by_garbage_is_refused() -> None:
    error = refused("fake.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 4)
    assert "damaged or incomplete PDF" in str(error.message)


@pytest.mark.parametrize("password", ["", "bi-mat"], ids=["empty-password", "with-password"])
def test_an_encrypted_pdf_is_refused(password: str) -> None:
    error = refused("locked.pdf", make_pdf(password=password))
    assert str(error.message) == (
        "The file locked.pdf is password-protected; upload it without a password."
    )


def test_a_pdf_without_pages_is_refused() -> None:
    error = refused("blank.pdf", make_pdf(pages=0))
    assert str(error.message) == "The PDF file blank.pdf has no pages."


def test_a_pdf_with_too_many_pages_is_refused(settings) -> None:  # type: ignore[no-untyped-def]
    settings.UPLOAD_MAX_PAGES = 2
    assert inspect_upload("two.pdf", make_pdf(pages=2)).pages == 2
    error = refused("three.pdf", make_pdf(pages=3))
    assert str(error.message) == "The file three.pdf has 3 pages; at most 2 are accepted."


# ---- images -----------------------------------------------------------------------------------


@pytest.mark.parametrize("cut", [2, 10, 2000], ids=["end-marker", "last-bytes", "half-scan"])
def test_a_truncated_jpeg_is_refused(cut: int) -> None:
    data = make_image("JPEG", quality=90)
    assert len(data) > 2 * cut
    error = refused("cmnd.jpg", data[:-cut])
    assert str(error.message) == "The file cmnd.jpg is a damaged or incomplete JPEG image."


@pytest.mark.parametrize("keep", [0.5, 0.99])
def test_a_truncated_png_is_refused(keep: float) -> None:
    data = make_image("PNG")
    error = refused("anh.png", data[: int(len(data) * keep)])
    assert "damaged or incomplete PNG image" in str(error.message)


def test_a_png_with_a_bad_checksum_is_refused() -> None:
    data = bytearray(make_image("PNG"))
    data[len(data) // 2] ^= 0xFF  # flip a byte inside the image data
    error = refused("flipped.png", bytes(data))
    assert "damaged or incomplete PNG image" in str(error.message)


def test_a_jpeg_magic_without_an_image_is_refused() -> None:
    error = refused("magic.jpg", b"\xff\xd8\xff" + b"\x00" * 100)
    assert "damaged or incomplete JPEG image" in str(error.message)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_a_truncated_multi_frame_tiff_is_refused() -> None:
    data = make_tiff(frames=3)
    error = refused("cut.tif", data[: len(data) * 2 // 3])
    assert "damaged or incomplete TIFF image" in str(error.message)


def test_a_tiff_with_too_many_frames_is_refused(settings) -> None:  # type: ignore[no-untyped-def]
    settings.UPLOAD_MAX_PAGES = 2
    error = refused("many.tif", make_tiff(frames=3))
    assert str(error.message) == "The file many.tif has 3 pages; at most 2 are accepted."


BOMB = "The image bomb.png has more than 100 megapixels."


def test_a_decompression_bomb_beyond_pillows_own_limit_is_refused() -> None:
    # 50,000 x 50,000 = 2,500 MP: Pillow itself raises DecompressionBombError on open.
    error = refused("bomb.png", make_png_header_only(50_000, 50_000))
    assert str(error.message) == BOMB


def test_a_decompression_bomb_below_pillows_limit_is_refused_by_ours() -> None:
    # 11,000 x 10,000 = 110 MP: above our 100 MP, below Pillow's error threshold (about 179 MP).
    assert MAX_IMAGE_PIXELS == 100_000_000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        error = refused("bomb.png", make_png_header_only(11_000, 10_000))
    assert str(error.message) == BOMB


def test_an_image_within_the_pixel_limit_gets_past_the_bomb_check() -> None:
    # The header is honest about its size but the data is missing: refused as damaged, not bomb.
    error = refused("small.png", make_png_header_only(1000, 1000))
    assert "damaged or incomplete PNG image" in str(error.message)


# ---- messages ---------------------------------------------------------------------------------


def test_messages_are_translated_at_call_time() -> None:
    with translation.override("vi"):
        error = refused("trong.pdf", b"")
    # The Vietnamese catalogue may not have this msgid yet: only the substitution is certain.
    assert "trong.pdf" in str(error.message)
    assert error.as_dict()["error"] == "invalid_file"


def test_the_error_serialises_for_the_api() -> None:
    error = refused("notes.txt", b"hello")
    assert error.as_dict() == {
        "error": "invalid_file",
        "detail": f"The file notes.txt {NOT_ACCEPTED}",
        "fields": {},
    }


def test_truncated_images_are_refused_even_after_weasyprint_loosened_pillow() -> None:
    """WeasyPrint sets Pillow's global LOAD_TRUNCATED_IMAGES on import (slips import it)."""
    import weasyprint  # noqa: F401
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    data = make_image("JPEG", quality=90)
    error = refused("scan.jpg", data[:-10])
    assert str(error.message) == "The file scan.jpg is a damaged or incomplete JPEG image."
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # restored for WeasyPrint
