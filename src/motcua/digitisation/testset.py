"""A small, reproducible Vietnamese test set for the OCR pipeline, and its error measure.

Known Vietnamese lines (administrative vocabulary, names, addresses, dates, numbers, all with
their diacritics) are rendered at 300 dpi with a font that has Vietnamese glyphs and degraded the
way a counter scanner or a phone degrades them. Knowing the text, the character error rate (CER)
of the real pipeline can be measured in CI without any external data set.

Variants: ``clean``; ``noise`` (gaussian + salt-and-pepper), ``blur``, ``skew`` (2°) each alone;
``noisy`` = all three at once, the set the accuracy target (CER ≤ 3 %) is set on.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from motcua.digitisation.textnorm import nfc

DPI = 300
A4 = (2480, 3508)  # pixels at 300 dpi
MARGIN = 150  # half an inch
FONT_SIZE = 46  # pixels: 11 pt at 300 dpi, the size of a typed form
LINE_HEIGHT = 80
LINES_PER_PAGE = 7  # a few lines: enough text to measure, small enough to OCR fast
VARIANTS = ("clean", "noise", "blur", "skew", "noisy")

SKEW_DEGREES = 2.0
NOISE_SIGMA = 18.0  # gaussian noise, standard deviation in grey levels (0–255)
SALT_PEPPER = 0.004  # share of pixels turned black or white
BLUR_RADIUS = 1.0  # pixels at 300 dpi

# Fonts with Vietnamese glyphs that Debian's fonts-noto-core and fonts-dejavu-core install;
# fc-match is asked only when none of them is there.
_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
)

_FIXED_LINES = (
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Giấy chứng nhận quyền sử dụng đất",
    "Quyền sở hữu nhà ở và tài sản khác gắn liền với đất",
    "Tờ khai đăng ký khai sinh cho trẻ em",
    "Ủy ban nhân dân phường Hạ Long",
    "Phường Hạ Long, tỉnh Quảng Ninh",
    "Trung tâm Phục vụ hành chính công tỉnh",
    "Họ và tên: Nguyễn Thị Hường",
    "Người yêu cầu: Trần Văn Đức",
    "Nơi thường trú: số 12 đường Lê Thánh Tông",
    "Xã Hoành Bồ, tỉnh Quảng Ninh",
    "Quốc tịch: Việt Nam. Dân tộc: Kinh",
    "Đề nghị cơ quan giải quyết hồ sơ đúng hạn",
    "Tôi xin cam đoan những lời khai trên là đúng sự thật",
    "Giấy phép xây dựng nhà ở riêng lẻ",
)
_NAMES = (
    "Phạm Quốc Bảo",
    "Lê Thị Ngọc Ánh",
    "Hoàng Minh Tuấn",
    "Đặng Thị Hồng",
    "Vũ Đình Khải",
    "Bùi Thị Thủy",
)


@dataclass(frozen=True)
class Sample:
    name: str
    image: Image.Image
    text: str  # what the page says, one line per printed line, NFC

    def encode(self, image_format: str = "PNG") -> bytes:
        """The page as an image file that carries its 300 dpi, as a scanner writes it."""
        buffer = io.BytesIO()
        self.image.save(buffer, format=image_format, dpi=(DPI, DPI))
        return buffer.getvalue()


def generate(
    variant: str, *, seed: int = 2025, pages: int = 2, full_page: bool = False
) -> list[Sample]:
    """`pages` pages of the variant, the same text for the same seed whatever the variant.

    Each page is A4-wide with a few lines on it; `full_page` fills a whole A4 page instead (for
    the benchmark, whose figures are per A4 page).
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")
    fonts = vietnamese_fonts()
    lines_per_page = (A4[1] - 2 * MARGIN) // LINE_HEIGHT if full_page else LINES_PER_PAGE
    samples = []
    for number in range(1, pages + 1):
        # One generator per page and purpose: the text and the noise of page 2 do not depend on
        # how many random numbers page 1 used, nor on the variant.
        text_rng = random.Random(f"{seed}-text-{number}")  # noqa: S311  (test data, not secrets)
        lines = _page_lines(text_rng, lines_per_page)
        font = fonts[(number - 1) % len(fonts)]
        height = A4[1] if full_page else 2 * MARGIN + LINE_HEIGHT * lines_per_page
        image = _render(lines, font=font, size=(A4[0], height))
        image = _degrade(image, variant, np.random.default_rng([seed, number]))
        samples.append(Sample(f"{variant}-{number:02d}", image, "\n".join(lines)))
    return samples


def _page_lines(rng: random.Random, count: int) -> list[str]:
    """Fixed lines (no repeats while they last) mixed with lines of seeded numbers."""
    numbered = count * 3 // 7
    fixed = rng.sample(_FIXED_LINES, min(count - numbered, len(_FIXED_LINES)))
    fixed += rng.choices(_FIXED_LINES, k=count - numbered - len(fixed))
    lines = fixed + [_numbered_line(rng, kind) for kind in range(numbered)]
    rng.shuffle(lines)
    return [nfc(line) for line in lines]


def _numbered_line(rng: random.Random, kind: int) -> str:
    """Dates, CCCD numbers, file numbers, money: the digits a form is full of."""
    kind %= 4
    if kind == 0:
        return f"Số định danh cá nhân: 0{rng.randrange(1, 96):02d}{rng.randrange(10**9):09d}"
    if kind == 1:
        day, month, year = rng.randrange(1, 29), rng.randrange(1, 13), rng.randrange(1950, 2026)
        return f"Ngày sinh: {day:02d}/{month:02d}/{year}. Người khai: {rng.choice(_NAMES)}"
    if kind == 2:
        return f"Số hồ sơ: {rng.randrange(10**5):05d}/{rng.randrange(2020, 2026)}/QN"
    return f"Lệ phí: {rng.randrange(1, 500) * 1000:,} đồng".replace(",", ".")


def _render(lines: list[str], *, font: str, size: tuple[int, int]) -> Image.Image:
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    face = ImageFont.truetype(font, FONT_SIZE)
    for index, line in enumerate(lines):
        draw.text((MARGIN, MARGIN + index * LINE_HEIGHT), line, font=face, fill=0)
    return image


def _degrade(image: Image.Image, variant: str, rng: np.random.Generator) -> Image.Image:
    # In the order a scan suffers them: the sheet lies crooked, the optics blur, the sensor adds
    # noise.
    if variant in ("skew", "noisy"):
        image = image.rotate(
            SKEW_DEGREES, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255
        )
    if variant in ("blur", "noisy"):
        image = image.filter(ImageFilter.GaussianBlur(BLUR_RADIUS))
    if variant in ("noise", "noisy"):
        pixels = np.asarray(image, dtype=np.float64)
        pixels = pixels + rng.normal(0.0, NOISE_SIGMA, pixels.shape)
        speckles = rng.random(pixels.shape)
        pixels[speckles < SALT_PEPPER / 2] = 0
        pixels[speckles > 1 - SALT_PEPPER / 2] = 255
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")
    return image


@cache
def vietnamese_fonts() -> tuple[str, ...]:
    """Font files that draw Vietnamese; RuntimeError (saying what to install) when none does."""
    found = tuple(path for path in _FONT_CANDIDATES if os.path.exists(path))
    if found:
        return found
    fc_match = shutil.which("fc-match")
    if fc_match:
        result = subprocess.run(  # noqa: S603  (fixed arguments, no shell)
            [fc_match, "--format=%{file}", "serif:lang=vi"],
            capture_output=True,
            text=True,
            check=False,
        )
        # fc-match always answers something; only a font that claims Vietnamese will do.
        if result.returncode == 0 and _claims_vietnamese(result.stdout.strip()):
            return (result.stdout.strip(),)
    raise RuntimeError(
        "No font with Vietnamese glyphs found: install fonts-noto-core or fonts-dejavu-core."
    )


def _claims_vietnamese(path: str) -> bool:
    fc_list = shutil.which("fc-list")
    if not path or not fc_list:
        return False
    result = subprocess.run(  # noqa: S603  (fixed arguments, no shell)
        [fc_list, ":lang=vi", "file"], capture_output=True, text=True, check=False
    )
    return any(line.rstrip(": ") == path for line in result.stdout.splitlines())


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate: edit distance over the reference's length (NFC, spaces collapsed)."""
    reference, hypothesis = _comparable(reference), _comparable(hypothesis)
    if not reference:
        return 0.0 if not hypothesis else 1.0
    return edit_distance(reference, hypothesis) / len(reference)


def corpus_cer(references: list[str], hypotheses: list[str]) -> float:
    """CER of a set of pages: all their edits over all their reference characters."""
    if len(references) != len(hypotheses):
        raise ValueError(f"{len(references)} references but {len(hypotheses)} hypotheses")
    pairs = [(_comparable(r), _comparable(h)) for r, h in zip(references, hypotheses, strict=True)]
    total = sum(len(reference) for reference, _ in pairs)
    if not total:
        return 0.0
    return sum(edit_distance(reference, hypothesis) for reference, hypothesis in pairs) / total


def _comparable(text: str) -> str:
    # Line breaks and blank lines are layout, not characters read: compare words and spaces.
    return " ".join(nfc(text).split())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions each cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]
