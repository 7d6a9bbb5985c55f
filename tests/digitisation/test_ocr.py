"""Page assembly, text normalisation and the OCRmyPDF child process (few, small OCR runs)."""

from __future__ import annotations

import io
import subprocess

import img2pdf
import pikepdf
import pytest
from django.utils.translation import override
from PIL import Image

from motcua.digitisation import imaging, ocr, testset
from motcua.digitisation.textnorm import fold, nfc

POINTS_PER_INCH = 72


def _image(grey: int, width: int, *, dpi: int | None = 100, fmt: str = "PNG") -> bytes:
    picture = Image.new("L", (width, 200), grey)
    buffer = io.BytesIO()
    extra = {} if dpi is None else {"dpi": (dpi, dpi)}
    picture.save(buffer, format=fmt, **extra)
    return buffer.getvalue()


def _tiff(greys: list[int], width: int, *, dpi: int = 100) -> bytes:
    frames = [Image.new("L", (width, 200), grey) for grey in greys]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:], dpi=(dpi, dpi))
    return buffer.getvalue()


def _pdf(greys: list[int], width: int) -> bytes:
    return bytes(img2pdf.convert([_image(grey, width) for grey in greys]))


def _widths_pt(pdf: bytes) -> list[float]:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return [round(float(page.mediabox[2]), 1) for page in document.pages]


def _grey(image: Image.Image) -> int:
    # Each test page is one flat grey: its centre pixel names it.
    value = image.convert("L").getpixel((image.width // 2, image.height // 2))
    assert isinstance(value, int)
    return value


def _greys_near(pdf: bytes, expected: list[int]) -> bool:
    greys = [_grey(image) for image in imaging.page_images(pdf, dpi=20)]
    # JPEG and rendering move a flat grey by a level or two.
    return len(greys) == len(expected) and all(
        abs(grey - want) <= 3 for grey, want in zip(greys, expected, strict=True)
    )


# --- assemble, page_count, page_images --------------------------------------------------------


def test_assemble_keeps_every_page_in_the_given_order_across_mixed_inputs() -> None:
    inputs = [
        ("scan.tif", _tiff([10, 40, 70], 300)),  # a multi-page TIFF from the counter scanner
        ("annex.pdf", _pdf([100, 130], 400)),
        ("photo.jpg", _image(160, 500, fmt="JPEG")),
        ("last.png", _image(190, 600)),
    ]

    pdf = imaging.assemble(inputs)

    assert imaging.page_count(pdf) == 7
    # 100 dpi: width px * 72 / 100 points.
    assert _widths_pt(pdf) == [216.0, 216.0, 216.0, 288.0, 288.0, 360.0, 432.0]
    assert _greys_near(pdf, [10, 40, 70, 100, 130, 160, 190])


def test_assemble_follows_the_order_given_not_the_kind_of_file() -> None:
    pdf = imaging.assemble([("b.png", _image(200, 300)), ("a.pdf", _pdf([20], 300))])

    assert _greys_near(pdf, [200, 20])


def test_assemble_keeps_an_images_own_resolution() -> None:
    pdf = imaging.assemble(
        [("a.jpg", _image(0, 600, dpi=150, fmt="JPEG")), ("b.png", _image(0, 600, dpi=600))]
    )

    assert _widths_pt(pdf) == [600 * POINTS_PER_INCH / 150, 600 * POINTS_PER_INCH / 600]


def test_assemble_uses_the_default_resolution_when_an_image_has_none_or_a_silly_one() -> None:
    no_dpi = _image(0, 600, dpi=None)
    silly = _image(0, 600, dpi=10, fmt="JPEG")
    one_dpi_tiff = _tiff([0, 50], 600, dpi=1)

    assert _widths_pt(imaging.assemble([("a.png", no_dpi)])) == [144.0]  # 300 dpi
    assert _widths_pt(imaging.assemble([("a.png", no_dpi)], default_dpi=200)) == [216.0]
    assert _widths_pt(imaging.assemble([("b.jpg", silly), ("c.tif", one_dpi_tiff)])) == [
        144.0,
        144.0,
        144.0,
    ]


def test_assemble_re_encodes_modes_img2pdf_cannot_embed() -> None:
    deep = Image.new("I;16", (300, 200), 40000)  # 16-bit grey, as archive scanners write
    buffer = io.BytesIO()
    deep.save(buffer, format="TIFF", dpi=(100, 100))

    pdf = imaging.assemble([("deep.tif", buffer.getvalue())])

    assert _widths_pt(pdf) == [216.0]
    assert _greys_near(pdf, [40000 // 256])


def test_assemble_refuses_nothing_to_assemble() -> None:
    with pytest.raises(ValueError, match="at least one page"):
        imaging.assemble([])


def test_page_images_renders_the_pages_asked_for() -> None:
    pdf = _pdf([10, 110, 210], 300)

    middle = imaging.page_images(pdf, dpi=50, first=2, last=2)
    tail = imaging.page_images(pdf, dpi=50, first=2)

    assert [image.size for image in middle] == [(150, 100)]  # 3 x 2 inches at 50 dpi
    assert abs(_grey(middle[0]) - 110) <= 3
    assert len(tail) == 2
    assert len(imaging.page_images(pdf, dpi=10, last=9)) == 3
    assert imaging.page_images(pdf, dpi=10, first=4) == []


# --- textnorm ---------------------------------------------------------------------------------


def test_nfc_composes_vietnamese_and_tidies_lines_but_keeps_page_breaks() -> None:
    decomposed = "Nguye\u0302\u0303n Thi\u0323 Hu\u031bo\u031b\u0300ng"  # as some engines write it

    assert nfc(decomposed) == "Nguyễn Thị Hường"
    assert len(nfc(decomposed)) == len("Nguyễn Thị Hường")
    assert nfc("một  \r\nhai\t\rba \n\fbốn") == "một\nhai\nba\n\fbốn"


def test_fold_ignores_diacritics_case_and_spacing() -> None:
    assert fold("Đặng Thị Hồng") == "dang thi hong"
    assert fold("  NGUYỄN   thị\nHƯỜNG ") == "nguyen thi huong"
    assert fold("Quảng Ninh") == fold("quang ninh")
    assert fold("đường Lê Thánh Tông") == "duong le thanh tong"


# --- run_ocr ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scanned() -> tuple[list[testset.Sample], bytes]:
    samples = testset.generate("clean", seed=7)
    return samples, imaging.assemble([(s.name, s.encode()) for s in samples])


@pytest.fixture(scope="module")
def ocred(
    scanned: tuple[list[testset.Sample], bytes],
) -> tuple[ocr.OcrOutput, list[tuple[int, int]]]:
    calls: list[tuple[int, int]] = []
    output = ocr.run_ocr(scanned[1], on_progress=lambda done, total: calls.append((done, total)))
    return output, calls


def test_run_ocr_reports_every_page_in_order(
    ocred: tuple[ocr.OcrOutput, list[tuple[int, int]]],
) -> None:
    output, calls = ocred

    assert calls == [(1, 2), (2, 2)]
    assert output.pages == 2


def test_run_ocr_returns_the_text_per_page_in_nfc(
    scanned: tuple[list[testset.Sample], bytes], ocred: tuple[ocr.OcrOutput, list[tuple[int, int]]]
) -> None:
    samples, _ = scanned
    output, _ = ocred

    pages = output.text.split("\f")
    assert len(pages) == 2
    assert output.text == nfc(output.text)
    for sample, page in zip(samples, pages, strict=True):
        assert testset.cer(sample.text, page) < 0.02
        assert sample.text.splitlines()[0] in page


def test_run_ocr_output_is_pdf_a_with_a_text_layer(
    scanned: tuple[list[testset.Sample], bytes], ocred: tuple[ocr.OcrOutput, list[tuple[int, int]]]
) -> None:
    samples, _ = scanned
    output, _ = ocred

    with pikepdf.open(io.BytesIO(output.pdf)) as document:
        assert len(document.pages) == 2
        metadata = document.open_metadata()
        assert metadata.get("pdfaid:part") == "2"
        assert metadata.get("pdfaid:conformance") == "B"
    layer = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=output.pdf, capture_output=True, check=True
    ).stdout.decode()
    words = [word for line in samples[0].text.splitlines() for word in line.split()]
    found = [word for word in words if word in nfc(layer)]
    assert len(found) >= 0.9 * len(words)


def test_run_ocr_refuses_a_pdf_that_already_has_text(
    ocred: tuple[ocr.OcrOutput, list[tuple[int, int]]],
) -> None:
    with pytest.raises(ocr.AlreadyHasText) as failure:
        ocr.run_ocr(ocred[0].pdf)

    assert failure.value.exit_code == 6
    with override("en"):
        assert "already has text" in str(failure.value.message)
    assert failure.value.detail.startswith("already_done_ocr")
    assert failure.value.detail in str(failure.value)


def test_run_ocr_fails_with_a_reason_on_a_damaged_pdf() -> None:
    with pytest.raises(ocr.OcrFailed) as failure:
        ocr.run_ocr(b"%PDF-1.7\n% not really a PDF\n")

    assert failure.value.exit_code == 2
    with override("en"):
        assert "cannot be read" in str(failure.value.message)
    assert failure.value.detail.startswith("input_file")


def test_run_ocr_stops_at_the_timeout(scanned: tuple[list[testset.Sample], bytes]) -> None:
    with pytest.raises(ocr.OcrFailed) as failure:
        ocr.run_ocr(scanned[1], timeout=0.5)

    with override("en"):
        assert "too long" in str(failure.value.message)
    assert failure.value.exit_code is None
