"""Check an uploaded dossier file by its content before anything is stored.

The file name and the content type a client sends are only claims: the decision is made from the
bytes (magic numbers) and from actually parsing the file, so a renamed executable or a damaged scan
is refused at intake instead of surfacing later when an officer opens or signs it. A stored
file is served back under its dossier's name (`document_response`).
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from django.conf import settings
from django.http import FileResponse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from PIL import Image, ImageFile
from pypdf import PdfReader

from motcua.core.errors import MotcuaError
from motcua.dossiers.models import DossierDocument

Kind = Literal["pdf", "jpeg", "png", "tiff"]

# Pillow's own bomb guard (Image.MAX_IMAGE_PIXELS) only warns below about 179 MP; a scanned A4
# page at 600 dpi is about 35 MP, so anything above 100 MP is no honest document.
MAX_IMAGE_PIXELS = 100_000_000

_MIB = 1024 * 1024


@dataclass(frozen=True)
class FileFacts:
    kind: Kind
    content_type: str
    size: int
    pages: int
    sha256: str
    extension: str


@dataclass(frozen=True)
class _Type:
    kind: Kind
    magics: tuple[bytes, ...]
    content_type: str
    extension: str
    pillow_format: str | None  # None: not an image


_TYPES = (
    _Type("pdf", (b"%PDF-",), "application/pdf", ".pdf", None),
    _Type("jpeg", (b"\xff\xd8\xff",), "image/jpeg", ".jpg", "JPEG"),
    _Type("png", (b"\x89PNG\r\n\x1a\n",), "image/png", ".png", "PNG"),
    _Type("tiff", (b"II*\x00", b"MM\x00*"), "image/tiff", ".tif", "TIFF"),
)


def document_response(document: DossierDocument) -> FileResponse:
    """A stored document of a dossier, named after the dossier and the requirement."""
    suffix = Path(str(document.file.name)).suffix
    return FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        filename=f"{document.dossier.code}-{document.requirement}{suffix}",
    )


def inspect_upload(name: str, data: bytes) -> FileFacts:
    """Return what the file really is, or raise `MotcuaError(code="invalid_file")`."""
    if not data:
        raise _invalid(_("The file %(name)s is empty."), name=name)
    limit = settings.UPLOAD_MAX_BYTES
    if len(data) > limit:
        raise _invalid(
            _("The file %(name)s is larger than the limit of %(limit)s MB."),
            name=name,
            limit=_megabytes(limit),
        )
    file_type = next((t for t in _TYPES if data.startswith(t.magics)), None)
    if file_type is None:
        raise _invalid(
            _("The file %(name)s is not a PDF, JPEG, PNG or TIFF file; only these are accepted."),
            name=name,
        )
    if file_type.pillow_format is None:
        pages = _count_pdf_pages(name, data)
    else:
        pages = _decode_image(name, data, file_type)
    return FileFacts(
        kind=file_type.kind,
        content_type=file_type.content_type,
        size=len(data),
        pages=pages,
        sha256=hashlib.sha256(data).hexdigest(),
        extension=file_type.extension,
    )


def _count_pdf_pages(name: str, data: bytes) -> int:
    try:
        # strict=False accepts the small defects of real-world scanners' PDFs; a file pypdf
        # still cannot read (truncated, garbage after the header) raises and is refused.
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
        pages = 0 if encrypted else len(reader.pages)
    except Exception as exc:
        raise _invalid(_("The file %(name)s is a damaged or incomplete PDF."), name=name) from exc
    if encrypted:
        # Even an empty user password is refused: officers must be able to stamp, sign and
        # archive the file, and an owner password can forbid exactly that.
        raise _invalid(
            _("The file %(name)s is password-protected; upload it without a password."),
            name=name,
        )
    if pages == 0:
        raise _invalid(_("The PDF file %(name)s has no pages."), name=name)
    _check_page_count(name, pages)
    return pages


_strict_lock = threading.Lock()


@contextmanager
def _strict_decoding() -> Iterator[None]:
    """Make Pillow refuse truncated images while we decode. WeasyPrint, imported to render
    slips, sets Pillow's process-wide LOAD_TRUNCATED_IMAGES, which would let a cut-off scan
    through."""
    with _strict_lock:
        tolerant = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = tolerant


def _decode_image(name: str, data: bytes, file_type: _Type) -> int:
    """Decode every frame fully and return the frame count."""
    assert file_type.pillow_format is not None
    with _strict_decoding():
        return _decode_frames(name, data, file_type)


def _decode_frames(name: str, data: bytes, file_type: _Type) -> int:
    assert file_type.pillow_format is not None
    formats = [file_type.pillow_format]
    try:
        # verify() checks the structure (e.g. PNG checksums) but decodes no pixels, and leaves
        # the image unusable; load() on a fresh open is what catches a truncated JPEG.
        with Image.open(io.BytesIO(data), formats=formats) as probe:
            _check_dimensions(probe)
            probe.verify()
        with Image.open(io.BytesIO(data), formats=formats) as image:
            frames = getattr(image, "n_frames", 1) if file_type.kind == "tiff" else 1
            _check_page_count(name, frames)
            for index in range(frames):
                image.seek(index)
                _check_dimensions(image)  # each TIFF frame has its own size
                image.load()
    except Image.DecompressionBombError as exc:
        raise _invalid(
            _("The image %(name)s has more than %(limit)s megapixels."),
            name=name,
            limit=MAX_IMAGE_PIXELS // 1_000_000,
        ) from exc
    except MotcuaError:
        raise
    except Exception as exc:
        # Pillow signals broken input with OSError, SyntaxError, ValueError, struct.error...
        raise _invalid(
            _("The file %(name)s is a damaged or incomplete %(kind)s image."),
            name=name,
            kind=file_type.pillow_format,
        ) from exc
    return frames


def _check_dimensions(image: Image.Image) -> None:
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        # The header alone is enough to know: refuse before any pixel is decoded.
        raise Image.DecompressionBombError(f"{width}x{height} pixels")


def _check_page_count(name: str, pages: int) -> None:
    limit = settings.UPLOAD_MAX_PAGES
    if pages > limit:
        raise _invalid(
            _("The file %(name)s has %(pages)s pages; at most %(limit)s are accepted."),
            name=name,
            pages=pages,
            limit=limit,
        )


def _megabytes(size: int) -> str:
    megabytes = size / _MIB
    return number_format(megabytes, decimal_pos=0 if megabytes.is_integer() else 1)


def _invalid(message: str, **values: object) -> MotcuaError:
    return MotcuaError(message % values, code="invalid_file")
