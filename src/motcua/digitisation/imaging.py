"""Scanned pages in, one PDF out; and PDF pages back out as pictures.

A record is kept as the pages the citizen handed over, every page and in that order (TT 01/2023),
whatever mix of PDFs and image files the scanner or the phone produced. Images are wrapped
without re-encoding (img2pdf), so the stored scan is the scanner's own pixels; PDF pages are
copied as they are (pikepdf).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import img2pdf
import pikepdf
from PIL import Image, ImageSequence

from motcua.digitisation import textnorm

# Below this a resolution is no real scan (TIFFs say 1 dpi, screenshots 0): 72 is the lowest a
# device honestly writes.
MIN_DPI = 72
RASTER_TIMEOUT = 120.0  # seconds for pdftoppm; a few pages take well under one

_Layout = Callable[[int, int, tuple[float, float]], tuple[float, float, float, float]]


def assemble(pages: list[tuple[str, bytes]], *, default_dpi: int = 300) -> bytes:
    """One PDF of every page of `pages`, in the given order.

    Each input is a PDF, JPEG, PNG or (multi-page) TIFF already checked by
    `dossiers.files.inspect_upload`. An image keeps its own resolution; one without any, or with
    a resolution below MIN_DPI, is taken to be `default_dpi` (so an A4 scan stays A4 in the PDF
    and OCR sees the right text size).
    """
    if not pages:
        raise ValueError("assemble() needs at least one page")
    with ExitStack() as stack:
        output = stack.enter_context(pikepdf.new())
        for _name, data in pages:
            pdf = data if data.startswith(b"%PDF-") else _image_pdf(data, default_dpi)
            source = stack.enter_context(pikepdf.open(io.BytesIO(pdf)))
            output.pages.extend(source.pages)
        buffer = io.BytesIO()
        output.save(buffer)
        return buffer.getvalue()


def _image_pdf(data: bytes, default_dpi: int) -> bytes:
    frame_dpis = _frame_dpis(data, default_dpi)
    try:
        return bytes(img2pdf.convert(data, layout_fun=_layout(frame_dpis, default_dpi)))
    except (img2pdf.ImageOpenError, ValueError):
        # Modes img2pdf will not embed as they are (16- or 32-bit TIFFs from archive scanners):
        # re-encode each frame losslessly as 8-bit PNG, keeping the resolution decided above.
        frames = list(_png_frames(data, frame_dpis))
        return bytes(img2pdf.convert(frames, layout_fun=_layout(frame_dpis, default_dpi)))


def _frame_dpis(data: bytes, default_dpi: int) -> list[tuple[float, float] | None]:
    """Per frame, the resolution to force (the default), or None to keep the image's own."""
    with Image.open(io.BytesIO(data)) as image:
        # Only TIFF frames are pages; a JPEG's extra frames (MPO) are previews img2pdf drops.
        frames = ImageSequence.Iterator(image) if image.format == "TIFF" else iter([image])
        return [None if _has_dpi(frame) else (default_dpi, default_dpi) for frame in frames]


def _has_dpi(frame: Image.Image) -> bool:
    dpi = frame.info.get("dpi")
    return dpi is not None and min(round(float(value)) for value in dpi) >= MIN_DPI


def _layout(frame_dpis: list[tuple[float, float] | None], default_dpi: int) -> _Layout:
    # img2pdf calls the layout once per frame, in order, and itself reads a missing resolution
    # as 96 dpi, which cannot be told from a real 96: the frames' own metadata decides instead.
    forced: Iterator[tuple[float, float] | None] = iter(frame_dpis)

    def layout(
        width: int, height: int, dpi: tuple[float, float]
    ) -> tuple[float, float, float, float]:
        override = next(forced, None)
        if override is None and min(dpi) < MIN_DPI:
            override = (default_dpi, default_dpi)
        return img2pdf.default_layout_fun(width, height, override or dpi)

    return layout


def _png_frames(data: bytes, frame_dpis: list[tuple[float, float] | None]) -> Iterator[bytes]:
    with Image.open(io.BytesIO(data)) as image:
        for frame, forced in zip(ImageSequence.Iterator(image), frame_dpis, strict=False):
            dpi = forced or frame.info.get("dpi")
            mode = "RGB" if frame.mode in ("RGB", "RGBA", "CMYK", "P", "PA", "LA") else "L"
            converted = frame.convert(mode) if mode == "RGB" else _grey(frame)
            buffer = io.BytesIO()
            converted.save(buffer, format="PNG", dpi=dpi)
            yield buffer.getvalue()


def _grey(frame: Image.Image) -> Image.Image:
    if frame.mode in ("I;16", "I;16B", "I;16L", "I"):
        # Scale 16-bit grey down to 8 bits instead of clipping everything above 255 to white.
        return frame.point(lambda value: value / 256).convert("L")
    return frame.convert("L")


def page_count(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return len(document.pages)


def _pdftoppm() -> str:
    binary = shutil.which("pdftoppm")
    if binary is None:
        raise RuntimeError("Rendering PDF pages needs pdftoppm: install poppler-utils.")
    return binary


def page_images(
    pdf: bytes, *, dpi: int = 200, first: int = 1, last: int | None = None
) -> list[Image.Image]:
    """Pages `first`..`last` (1-based, inclusive; `last` None or past the end: to the end)
    rendered by poppler; none when `first` is past the end."""
    if first > page_count(pdf):
        return []  # pdftoppm calls that a wrong page range and fails
    with tempfile.TemporaryDirectory(prefix="motcua-pages-") as folder:
        source = os.path.join(folder, "in.pdf")
        with open(source, "wb") as file:
            file.write(pdf)
        command = [_pdftoppm(), "-r", str(dpi), "-f", str(first)]
        if last is not None:
            command += ["-l", str(last)]
        # PPM: uncompressed, so writing and reading it back costs less than PNG.
        command += [source, os.path.join(folder, "page")]
        subprocess.run(  # noqa: S603  (fixed program, arguments built here)
            command, check=True, capture_output=True, timeout=RASTER_TIMEOUT
        )
        images = []
        # pdftoppm pads page numbers to the width of the last one, so names sort in page order.
        for name in sorted(os.listdir(folder)):
            if name.startswith("page"):
                with Image.open(os.path.join(folder, name)) as image:
                    image.load()
                    images.append(image.copy())
        return images


def pdf_text(pdf: bytes) -> str:
    """The text layer of a PDF that has one (poppler's pdftotext), NFC, pages split by "\\f"."""
    binary = shutil.which("pdftotext")
    if binary is None:
        raise RuntimeError("Reading a PDF's text needs pdftotext: install poppler-utils.")
    completed = subprocess.run(  # noqa: S603  (fixed program, arguments built here)
        [binary, "-enc", "UTF-8", "-", "-"],
        input=pdf,
        check=True,
        capture_output=True,
        timeout=RASTER_TIMEOUT,
    )
    return textnorm.nfc(completed.stdout.decode("utf-8", errors="replace"))
