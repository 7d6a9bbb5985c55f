"""Vietnamese text helpers."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-case, without diacritics, đ → d: "Phường Hạ Long" → "phuong ha long".

    Stored beside names so that a search typed without diacritics finds them on any database.
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())
