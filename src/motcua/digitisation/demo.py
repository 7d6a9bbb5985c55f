"""The demo's paper documents: generated scans of one citizen, to try the digitisation station
with (a land use certificate, a birth certificate and the citizen identity card with its QR
code). Trần Thị Mai is also a person of the national database simulator."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from motcua.digitisation import specimens

PERSON = {"name": "Trần Thị Mai", "id_number": "022190012345", "birth_date": dt.date(1990, 5, 12)}


def load_demo() -> list[str]:
    folder = settings.DATA_DIR / "demo-scans"
    folder.mkdir(parents=True, exist_ok=True)
    drawings = {
        "giay-chung-nhan-qsdd.png": lambda: specimens.land_use_certificate(
            owner_name=PERSON["name"], owner_id_number=PERSON["id_number"]
        ),
        "giay-khai-sinh.png": lambda: specimens.birth_certificate(
            name=PERSON["name"], id_number=PERSON["id_number"], birth_date=PERSON["birth_date"]
        ),
        "can-cuoc.png": lambda: specimens.cccd_card(
            name=PERSON["name"], id_number=PERSON["id_number"], birth_date=PERSON["birth_date"]
        ),
    }
    for name, draw in drawings.items():
        path = folder / name
        if not path.exists():  # drawn once; running the demo again keeps them
            path.write_bytes(specimens.png_bytes(draw()))
    return [
        f"Demo scans of {PERSON['name']} ({PERSON['id_number']}) for the digitisation "
        f"station: {folder}"
    ]
