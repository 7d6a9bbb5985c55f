"""The demo catalogue: the procedures of DOMAIN.md's table with their real times and fees."""

from __future__ import annotations

from pathlib import Path

import yaml

from motcua.catalogue import services

DEMO_FILE = Path(__file__).resolve().parent / "data" / "quang_ninh.yaml"


def load_demo() -> list[str]:
    documents = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    report = services.import_procedures(documents=documents)
    return [
        f"Catalogue: {len(report.created)} new, {len(report.new_versions)} new versions, "
        f"{len(report.unchanged)} unchanged procedures."
    ]
