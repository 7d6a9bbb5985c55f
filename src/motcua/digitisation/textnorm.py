"""Text normalisation for recognised text and for searching it.

Tesseract and PDF text layers may hand back Vietnamese in decomposed form (a base letter followed
by combining tone marks) or precomposed, depending on the engine and the font; the two look the
same but compare unequal. Everything stored is NFC, and search compares a folded form so that an
officer typing "nguyen thi huong" finds "Nguyễn Thị Hường".
"""

from __future__ import annotations

import re
import unicodedata

_LINE_BREAKS = re.compile(r"\r\n?|\u2028|\u2029|\x85")
_TRAILING_BLANKS = re.compile(r"[ \t\u00a0]+$", re.MULTILINE)


def nfc(text: str) -> str:
    """NFC, "\\n" line endings, no blanks at the end of a line; form feeds (page breaks) kept."""
    text = unicodedata.normalize("NFC", text)
    text = _LINE_BREAKS.sub("\n", text)
    return _TRAILING_BLANKS.sub("", text)


def fold(text: str) -> str:
    """Diacritics-, case- and spacing-insensitive key: "Đặng Thị Hồng" -> "dang thi hong"."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    # đ is a letter of its own, not d with a mark, so NFD leaves it whole.
    bare = bare.replace("đ", "d").replace("Đ", "d")
    return " ".join(bare.casefold().split())
