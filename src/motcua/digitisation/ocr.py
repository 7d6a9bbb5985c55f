"""Searchable PDF/A and the text of a scanned record: OCRmyPDF + Tesseract `vie`, in a child.

OCRmyPDF runs as a subprocess (`python -m ocrmypdf`): its documentation recommends a child
process for isolation, only one `ocrmypdf.ocr()` may run per Python process, and a child can be
killed on a timeout together with its Tesseract and Ghostscript processes. Pages are OCRed in
parallel (`--jobs`); each Tesseract is held to one thread (OMP_THREAD_LIMIT=1), which on these
machines is about five times faster per page than letting every Tesseract spawn threads.

"Page x of y" comes from our OCRmyPDF plugin (`ocr_progress`) through a pipe; this thread reads
it while the child works and calls `on_progress` itself, so the callback may touch the database
like any other code of the caller.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from ocrmypdf import ExitCode

from motcua.digitisation import ocr_progress
from motcua.digitisation.textnorm import nfc

LANGUAGE = "vie"
# --deskew: phone photos and sheet-fed scans lie a few degrees off; Tesseract reads straight
#   lines best. --clean: unpaper removes speckles and borders from the copy sent to Tesseract
#   only, so the stored page image stays the scanner's.
# Not --skip-text: with Debian 12's Ghostscript (10.0.0) OCRmyPDF refuses it, since that version
# corrupts existing text; a PDF that already has text fails with AlreadyHasText instead.
OCRMYPDF_OPTIONS = (
    "-l",
    LANGUAGE,
    "--deskew",
    "--clean",
    "--output-type",
    "pdfa",
)
POLL_SECONDS = 0.25

# What an officer is told, by OCRmyPDF's exit code; the technical line goes into `detail`.
_REASONS: dict[int, Any] = {
    ExitCode.bad_args: _("OCR was started with invalid options."),
    ExitCode.input_file: _("The PDF cannot be read for OCR (damaged, signed or not a PDF)."),
    ExitCode.missing_dependency: _(
        "OCR is not installed on the server (Tesseract with Vietnamese, Ghostscript, unpaper)."
    ),
    ExitCode.invalid_output_pdf: _("OCR produced an invalid PDF."),
    ExitCode.already_done_ocr: _(
        "The PDF already has text (born digital or OCRed before): keep it as it is."
    ),
    ExitCode.file_access_error: _("OCR could not read or write its temporary files."),
    ExitCode.child_process_error: _("Tesseract or Ghostscript failed on a page."),
    ExitCode.encrypted_pdf: _("The PDF is encrypted and cannot be read."),
    ExitCode.invalid_config: _("The OCR configuration is not valid."),
    ExitCode.pdfa_conversion_failed: _("The searchable PDF could not be made PDF/A."),
}


@dataclass(frozen=True)
class OcrOutput:
    pdf: bytes  # searchable PDF/A-2b
    text: str  # the recognised text, NFC, pages separated by "\f"
    pages: int


class OcrFailed(Exception):
    """OCR gave no usable result; `message` says why, translatable; `detail` is OCRmyPDF's."""

    def __init__(self, message: Any, *, detail: str = "", exit_code: int | None = None) -> None:
        self.message = message
        self.detail = detail
        self.exit_code = exit_code
        text = force_str(message)
        super().__init__(f"{text} ({detail})" if detail else text)


class AlreadyHasText(OcrFailed):
    """A page of the PDF has text already: OCRmyPDF would not rasterise it, nor should we."""


def run_ocr(
    pdf: bytes,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    jobs: int | None = None,
    timeout: float | None = None,
) -> OcrOutput:
    """OCR every page of `pdf`: the searchable PDF/A, its text and its page count.

    `on_progress(done, total)` is called in this thread after each page, (1, n) … (n, n).
    `timeout` (seconds) stops the whole run; OcrFailed on a timeout or any OCRmyPDF failure.
    """
    with tempfile.TemporaryDirectory(prefix="motcua-ocr-") as scratch:
        folder = Path(scratch)
        source, output, sidecar, log = (
            folder / name for name in ("in.pdf", "out.pdf", "text.txt", "stderr.txt")
        )
        source.write_bytes(pdf)
        command = [
            sys.executable,
            "-m",
            "ocrmypdf",
            "--plugin",
            ocr_progress.__name__,
            *OCRMYPDF_OPTIONS,
            "--jobs",
            str(jobs or os.cpu_count() or 1),
            "--sidecar",
            str(sidecar),
            str(source),
            str(output),
        ]
        returncode = _run(command, log=log, on_progress=on_progress, timeout=timeout)
        if returncode != ExitCode.ok:
            raise _failure(returncode, _last_line(log))
        pages = [page.strip("\n") for page in nfc(sidecar.read_text("utf-8")).split("\f")]
        return OcrOutput(pdf=output.read_bytes(), text="\f".join(pages), pages=len(pages))


def _run(
    command: list[str],
    *,
    log: Path,
    on_progress: Callable[[int, int], None] | None,
    timeout: float | None,
) -> int:
    read_fd, write_fd = os.pipe()
    environment = {
        **os.environ,
        "OMP_THREAD_LIMIT": "1",
        ocr_progress.ENVIRONMENT_VARIABLE: str(write_fd),
    }
    with os.fdopen(read_fd, "rb", buffering=0) as channel:
        try:
            with log.open("wb") as stderr:
                process = subprocess.Popen(  # noqa: S603  (our interpreter, arguments built here)
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    env=environment,
                    pass_fds=(write_fd,),
                    # Its own process group, so that a timeout kills Tesseract and Ghostscript.
                    start_new_session=True,
                )
        finally:
            # Only the child may hold the write end, or the pipe would never reach end of file.
            os.close(write_fd)
        try:
            _follow(process, channel, on_progress=on_progress, timeout=timeout)
            return process.wait()
        finally:
            _kill_group(process)


def _follow(
    process: subprocess.Popen[bytes],
    channel: Any,
    *,
    on_progress: Callable[[int, int], None] | None,
    timeout: float | None,
) -> None:
    """Relay progress lines until the child is done; OcrFailed when `timeout` has passed."""
    deadline = None if timeout is None else time.monotonic() + timeout
    pending = b""
    with selectors.DefaultSelector() as selector:
        selector.register(channel, selectors.EVENT_READ)
        while True:
            if deadline is not None and time.monotonic() > deadline:
                _kill_group(process)
                raise OcrFailed(
                    _("OCR took too long and was stopped."),
                    detail=f"timeout after {timeout:g} s",
                )
            if selector.select(POLL_SECONDS):
                chunk = channel.read(4096)
                if not chunk:  # every holder of the write end is gone
                    return
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    done, total = (int(value) for value in line.split())
                    if on_progress is not None:
                        on_progress(done, total)
            elif process.poll() is not None:
                # The child has exited; a grandchild still holding the pipe is no reason to wait.
                return


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    # Workers and Tesseracts of a failed or stopped run may outlive OCRmyPDF itself.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
    process.wait()


def _failure(returncode: int, last_line: str) -> OcrFailed:
    reason = _REASONS.get(returncode)
    if reason is None:
        reason = _("OCR was stopped by a signal.") if returncode < 0 else _("OCR failed.")
    try:
        name = ExitCode(returncode).name
    except ValueError:
        name = f"exit code {returncode}"
    detail = f"{name}: {last_line}" if last_line else name
    kind = AlreadyHasText if returncode == ExitCode.already_done_ocr else OcrFailed
    return kind(reason, detail=detail, exit_code=returncode)


def _last_line(log: Path) -> str:
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines()]
    return next((line for line in reversed(lines) if line), "")[:300]
