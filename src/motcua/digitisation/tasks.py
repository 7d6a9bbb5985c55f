"""Background work of the digitisation station: the OCR pipeline, on its own queue ("ocr"),
so that a pile of scans never holds up slips and notifications."""

from __future__ import annotations

from motcua.core.jobs import job
from motcua.digitisation import services


# No automatic retries: a failure is shown on the item with its reason and the officer
# retries it (the scanned pages are kept), instead of the pipeline burning minutes again.
@job(retries=0, queue_name="ocr")
def process_digitisation(digitisation_id: int) -> None:
    services.run_pipeline(digitisation_id)
