"""OCR throughput of the digitisation station against bare OCRmyPDF and bare Tesseract.

The pages are the generated Vietnamese test set (`motcua.digitisation.testset`), full A4 pages
at 300 dpi written as PNG files to a temporary folder, as a scanner leaves them: `--pages` clean
pages (one record) and as many noisy ones (noise + blur + 2° skew; a second record).
Measured, each as pages per minute over both records:

1. the station pipeline `run_ocr(assemble(files))` — assembly from the image files included —
   a) one record after the other, each with `--jobs 2` (pages in parallel), and
   b) both records at once, each with `--jobs 1` (records in parallel);
2. the bare `ocrmypdf` command with the same options (`-l vie --deskew --clean --output-type
   pdfa --sidecar`, `--jobs 2`) on the already assembled PDFs, one after the other; and the
   same with `--rotate-pages` added, which the pipeline does not use, to show what it would
   cost;
3. bare `tesseract <page.png> - -l vie`, OMP_THREAD_LIMIT=1, two pages at a time.

Then the ratios pipeline / ocrmypdf (the issue's target: within 15 %) and pipeline /
tesseract, and the character error rates of the pipeline on the clean and noisy pages.
The lead's full station path adds `inspect_upload` before and field extraction after; these
figures are for assemble + run_ocr only. Asserts nothing.

    .venv/bin/python benchmarks/ocr.py [--pages 6]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _bench import machine
from _server import cpu_probe

from motcua.digitisation import imaging, ocr, testset

LABEL = 62


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=6, help="pages per record (default 6)")
    args = parser.parse_args()

    print(f"ocr — {machine()}, speed probe {cpu_probe():.0f} ms")
    with tempfile.TemporaryDirectory(prefix="motcua-bench-ocr-") as scratch:
        folder = Path(scratch)
        records = {
            variant: _write_pages(folder, variant, args.pages) for variant in ("clean", "noisy")
        }
        pages = sum(len(files) for files in records.values())
        print(f"{pages} A4 pages at 300 dpi: {args.pages} clean + {args.pages} noisy, as PNG files")

        outputs: dict[str, ocr.OcrOutput] = {}

        def pipeline(variant: str, jobs: int) -> None:
            files = [(path.name, path.read_bytes()) for path in records[variant]]
            outputs[variant] = ocr.run_ocr(imaging.assemble(files), jobs=jobs)

        def one_after_the_other() -> None:
            for variant in records:
                pipeline(variant, 2)

        def side_by_side() -> None:
            with ThreadPoolExecutor(max_workers=2) as pool:
                list(pool.map(lambda variant: pipeline(variant, 1), records))

        sequential = _timed(
            "1a pipeline assemble + run_ocr, records in turn, --jobs 2", pages, one_after_the_other
        )
        parallel = _timed("1b pipeline, 2 records at once, --jobs 1 each", pages, side_by_side)
        best = min(sequential, parallel)

        pdfs = {}
        for variant, files in records.items():
            pdfs[variant] = folder / f"{variant}.pdf"
            pdfs[variant].write_bytes(imaging.assemble([(p.name, p.read_bytes()) for p in files]))
        bare = _timed(
            "2  ocrmypdf CLI, same options, --jobs 2, records in turn",
            pages,
            lambda: _ocrmypdf(pdfs, folder, []),
        )
        _timed(
            "2r ocrmypdf CLI as 2 with --rotate-pages",
            pages,
            lambda: _ocrmypdf(pdfs, folder, ["--rotate-pages"]),
        )
        images = [path for files in records.values() for path in files]
        tess = _timed(
            "3  tesseract -l vie, OMP_THREAD_LIMIT=1, 2 pages at a time",
            pages,
            lambda: _tesseract(images),
        )

        fastest = "1a (pages in parallel)" if sequential <= parallel else "1b (records in parallel)"
        _show("fastest use of both cores", fastest)
        _show("time 1a / 2: pipeline / ocrmypdf CLI, like for like", f"{sequential / bare:.2f}")
        _show("time fastest of 1a, 1b / 2 (target ≤ 1.15)", f"{best / bare:.2f}")
        _show("time fastest of 1a, 1b / 3: pipeline / bare tesseract", f"{best / tess:.2f}")
        for variant in records:
            samples = testset.generate(variant, pages=args.pages, full_page=True)
            rate = testset.corpus_cer([s.text for s in samples], outputs[variant].text.split("\f"))
            _show(f"CER, pipeline, {variant} pages", f"{rate:.2%}")
    print(f"speed probe after: {cpu_probe():.0f} ms")


def _write_pages(folder: Path, variant: str, count: int) -> list[Path]:
    paths = []
    for sample in testset.generate(variant, pages=count, full_page=True):
        path = folder / f"{sample.name}.png"
        path.write_bytes(sample.encode())
        paths.append(path)
    return paths


def _show(label: str, value: str) -> None:
    print(f"{label:<{LABEL}} {value}")


def _timed(label: str, pages: int, work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    elapsed = time.perf_counter() - started
    print(f"{label:<{LABEL}} {elapsed:6.1f} s = {pages * 60 / elapsed:5.1f} pages/min")
    return elapsed


def _ocrmypdf(pdfs: dict[str, Path], folder: Path, extra: list[str]) -> None:
    for variant, pdf in pdfs.items():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ocrmypdf",
                *ocr.OCRMYPDF_OPTIONS,
                *extra,
                "--jobs",
                "2",
                "--sidecar",
                str(folder / f"{variant}.txt"),
                "--quiet",
                str(pdf),
                str(folder / f"{variant}.out.pdf"),
            ],
            check=True,
        )


def _tesseract(images: list[Path]) -> None:
    environment = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def read(image: Path) -> None:
        subprocess.run(
            ["tesseract", str(image), "-", "-l", "vie"],
            check=True,
            capture_output=True,
            env=environment,
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(read, images))


if __name__ == "__main__":
    main()
