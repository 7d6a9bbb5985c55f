"""Station and store tests: uploads under a temporary media folder, a PKI of the test's own,
and scans read by the real pipeline (OCRmyPDF + Tesseract vie)."""

from __future__ import annotations

from typing import Any

import pytest

from motcua.digitisation import services, specimens
from motcua.digitisation.models import Digitisation
from motcua.dossiers.intake import UploadedFile
from tests.intake_data import ID_NUMBER
from tests.org import Org


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def land_certificate_png() -> bytes:
    """A generated land use certificate of the test applicant (tests/intake_data.py)."""
    image = specimens.land_use_certificate(
        owner_title="Ông",
        owner_name="Nguyễn Văn An",
        owner_birth_year=1990,
        owner_id_number=ID_NUMBER,
    )
    return specimens.png_bytes(image)


def scanned(
    org: Org, *, png: bytes | None = None, read: bool = True, **changes: Any
) -> Digitisation:
    """A land use certificate scanned at the Hạ Long centre, read by the pipeline when `read`."""
    arguments: dict[str, Any] = {
        "owner_id": ID_NUMBER,
        "owner_name": "Nguyễn Văn An",
        "document_type": "",
        "declared_pages": 1,
        "files": [UploadedFile("giay-chung-nhan.png", png or land_certificate_png())],
        "point": org.points["halong"],
        "actor": org.users["counter_halong"],
    } | changes
    item = services.start_digitisation(**arguments)
    if read:
        services.run_pipeline(item.pk)
        item.refresh_from_db()
    return item
