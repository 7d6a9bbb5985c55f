"""Batch digitisation of an archive: a folder of scans and a manifest saying whose each is.

The manifest (`manifest.csv`, UTF-8, a header row) has the columns `files` (one or more file
names relative to the folder, `;`-separated, in page order), `owner_id`, `owner_name` and,
optionally, `document_type`. Each row becomes one scan of the batch, read by the same pipeline
as the station's. A run can be stopped and started again: rows already read are skipped (they
are found by the batch name and the scanned pages' SHA-256), rows interrupted are read again.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connections
from django.utils.translation import gettext as _

from motcua.core.errors import MotcuaError
from motcua.digitisation import doctypes, services
from motcua.digitisation.models import Digitisation
from motcua.dossiers.intake import UploadedFile
from motcua.organisation.models import ServicePoint

COLUMNS = ("files", "owner_id", "owner_name")


@dataclass(frozen=True)
class Row:
    line: int
    files: tuple[Path, ...]
    owner_id: str
    owner_name: str
    document_type: str


@dataclass
class Outcome:
    read: int = 0  # read now, waiting for confirmation (or confirmed with `confirm`)
    confirmed: int = 0
    skipped: int = 0  # read by an earlier run
    failed: int = 0
    problems: list[str] | None = None

    def note(self, problem: str) -> None:
        self.problems = [*(self.problems or []), problem]


def read_manifest(folder: Path, manifest: Path) -> list[Row]:
    """The manifest's rows, every problem reported at once (nothing is read while any remains)."""
    problems: list[str] = []
    rows: list[Row] = []
    with manifest.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream)
        missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise MotcuaError(
                _("The manifest has no column %(columns)s.") % {"columns": ", ".join(missing)},
                code="invalid_manifest",
            )
        for line, record in enumerate(reader, start=2):
            files = tuple(folder / name.strip() for name in record["files"].split(";") if name)
            absent = [str(path.name) for path in files if not path.is_file()]
            if not files or absent:
                problems.append(
                    _("Line %(line)s: no file %(files)s in the folder.")
                    % {"line": line, "files": ", ".join(absent) or "—"}
                )
            kind = (record.get("document_type") or "").strip()
            if kind and kind not in doctypes.DOCUMENT_TYPES:
                problems.append(
                    _("Line %(line)s: %(type)s is not a document type.")
                    % {"line": line, "type": kind}
                )
            rows.append(
                Row(line, files, record["owner_id"].strip(), record["owner_name"].strip(), kind)
            )
    if problems:
        raise MotcuaError(
            _("The manifest has problems; nothing was read."),
            code="invalid_manifest",
            fields={"manifest": problems},
        )
    return rows


def run(
    *,
    rows: list[Row],
    batch: str,
    point: ServicePoint,
    actor: Any,
    confirm: bool = False,
    parallel: int = 2,
    on_done: Callable[[Row, str], None] | None = None,
) -> Outcome:
    """Read every row not yet read in `batch`, `parallel` documents at a time (one OCR
    process each: parallel by document, not by thread). With `confirm`, a row whose fields
    all pass the checks is confirmed by `actor` too; the others wait at the station."""
    outcome = Outcome()
    pending: list[tuple[Row, Digitisation]] = []
    for row, item, problem in _started(rows, batch, point, actor):
        if problem:
            outcome.failed += 1
            outcome.note(problem)
            _tell(on_done, row, "failed")
        elif item is None:
            outcome.skipped += 1
            _tell(on_done, row, "skipped")
        else:
            pending.append((row, item))
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        futures = {
            pool.submit(_read, item, 1 if parallel > 1 else None, confirm, actor): row
            for row, item in pending
        }
        for future in as_completed(futures):
            row = futures[future]
            state, problem = future.result()
            if state == Digitisation.State.FAILED:
                outcome.failed += 1
                outcome.note(
                    _("Line %(line)s: %(problem)s") % {"line": row.line, "problem": problem}
                )
            elif state == Digitisation.State.CONFIRMED:
                outcome.confirmed += 1
            else:
                outcome.read += 1
            _tell(on_done, row, state)
    return outcome


def _tell(on_done: Callable[[Row, str], None] | None, row: Row, state: str) -> None:
    if on_done is not None:
        on_done(row, state)


def _started(
    rows: list[Row], batch: str, point: ServicePoint, actor: Any
) -> Iterator[tuple[Row, Digitisation | None, str]]:
    """Each row's scan to read: a new one, an interrupted or failed one of an earlier run, or
    None when an earlier run read it already."""
    for row in rows:
        uploads = [UploadedFile(path.name, path.read_bytes()) for path in row.files]
        earlier = _earlier(batch, uploads)
        if earlier is not None:
            if earlier.state in (Digitisation.State.REVIEW, Digitisation.State.CONFIRMED):
                yield row, None, ""
                continue
            if earlier.state == Digitisation.State.FAILED:
                earlier = services.retry_digitisation(item=earlier, actor=actor, queue=False)
            if earlier.state != Digitisation.State.DISCARDED:
                yield row, earlier, ""
                continue
        try:
            item = services.start_digitisation(
                owner_id=row.owner_id,
                owner_name=row.owner_name,
                document_type=row.document_type,
                declared_pages=None,  # an archive's page count is the scans'
                files=uploads,
                point=point,
                actor=actor,
                key=f"batch:{batch}:{_digest(uploads)}",
                batch=batch,
                queue=False,
            )
        except MotcuaError as error:
            reasons = [str(m) for messages in error.fields.values() for m in messages]
            yield row, None, f"{row.line}: {error.message} {' '.join(reasons)}".strip()
            continue
        yield row, item, ""


def _digest(uploads: list[UploadedFile]) -> str:
    combined = hashlib.sha256()
    for upload in uploads:
        combined.update(hashlib.sha256(upload.data).digest())
    return combined.hexdigest()


def _earlier(batch: str, uploads: list[UploadedFile]) -> Digitisation | None:
    return Digitisation.objects.filter(submission_key=f"batch:{batch}:{_digest(uploads)}").first()


def _read(item: Digitisation, jobs: int | None, confirm: bool, actor: Any) -> tuple[str, str]:
    try:
        services.run_pipeline(item.pk, jobs=jobs)
        item.refresh_from_db()
        if confirm and item.state == Digitisation.State.REVIEW:
            kind = item.detected_type or "other"
            if not doctypes.field_problems(kind, item.fields):
                services.confirm_digitisation(
                    item=item, document_type=kind, values=dict(item.fields), actor=actor
                )
                item.refresh_from_db()
        return item.state, item.error
    finally:
        connections.close_all()  # this worker thread's own connections
