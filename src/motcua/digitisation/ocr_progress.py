"""OCRmyPDF plugin that reports "page x of y" to the process that started OCRmyPDF.

Loaded into the OCRmyPDF child process with ``--plugin motcua.digitisation.ocr_progress``. The
parent passes the write end of a pipe and names its descriptor in MOTCUA_OCR_PROGRESS_FD; each
time a page's OCR is done, one line ``"<done> <total>\\n"`` is written to it. Without that
variable the plugin reports nothing (and shows no progress bar either).

OCRmyPDF creates a progress bar for every step (scanning, OCR, PDF/A conversion, checking); only
the OCR step counts pages that matter to an officer waiting at the counter. It advances that bar
half a page when a page's text is recognised and half when the page is grafted into the output,
so a page is done when the count reaches the next whole number.
"""

from __future__ import annotations

import os
import threading
from types import TracebackType
from typing import Any, Literal

from ocrmypdf import hookimpl

ENVIRONMENT_VARIABLE = "MOTCUA_OCR_PROGRESS_FD"


class PageProgress:
    def __init__(
        self,
        *,
        total: float | None = None,
        desc: str | None = None,
        unit: str | None = None,
        **_ignored: Any,
    ) -> None:
        self.total = int(total) if total else 0
        self.done = 0.0
        self.reported = 0
        self.fd = _channel() if desc == "OCR" and unit == "page" and self.total else None
        # Pages may finish on the executor's threads; the count must not lose an update.
        self.lock = threading.Lock()

    def __enter__(self) -> PageProgress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> Literal[False]:
        return False  # never swallow OCRmyPDF's own errors

    def update(self, n: float = 1, *, completed: float | None = None) -> None:
        if self.fd is None:
            return
        with self.lock:
            self.done = completed if completed is not None else self.done + (n or 0)
            # A small epsilon: two halves of a page must add up to the page.
            pages = min(int(self.done + 1e-6), self.total)
            while self.reported < pages:
                self.reported += 1
                try:
                    # One short write per line: atomic on a pipe, so lines never interleave.
                    os.write(self.fd, f"{self.reported} {self.total}\n".encode())
                except OSError:
                    # Nobody listens any more: progress is a courtesy, never a reason to fail.
                    self.fd = None
                    return


def _channel() -> int | None:
    value = os.environ.get(ENVIRONMENT_VARIABLE, "")
    return int(value) if value.isdigit() else None


@hookimpl
def get_progressbar_class() -> type[PageProgress]:
    return PageProgress
