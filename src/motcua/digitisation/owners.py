"""Whose a stored document is: a person by CCCD number, an organisation by tax code."""

from __future__ import annotations

import re

from motcua.digitisation.national import normalise_tax_code

TAX_CODE_RE = re.compile(r"[0-9]{10}(-?[0-9]{3})?", re.ASCII)


def owner_key(owner_id: str) -> str:
    """How the store files an owner: the CCCD number without spaces, or the tax code written
    0101234567 or 0101234567-001."""
    compact = owner_id.replace(" ", "")
    return normalise_tax_code(compact) if TAX_CODE_RE.fullmatch(compact) else compact
