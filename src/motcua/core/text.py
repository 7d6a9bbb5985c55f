"""Vietnamese text helpers."""

from __future__ import annotations

import unicodedata
from typing import TypeVar

T = TypeVar("T")


def fold(text: str) -> str:
    """Lower-case, without diacritics, đ → d: "Phường Hạ Long" → "phuong ha long".

    Stored beside names so that a search typed without diacritics finds them on any database.
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())


# What a spreadsheet reads as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: T) -> T | str:
    """A cell of an export: text a spreadsheet would take for a formula is quoted (CSV
    injection); anything else is left as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
