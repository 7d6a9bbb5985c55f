"""Fees from a procedure's fee schedule, in integer đồng."""

from __future__ import annotations

from typing import Any


def compute_fee(
    fee: dict[str, Any],
    *,
    pages: int = 1,
    copies: int = 1,
    online: bool = False,
    exempt: bool = False,
) -> int | None:
    """The fee to pay; None when the province has not set an amount yet (see the note).

    Per-page schedules price each page by the tier it falls in (certified copies: 2,000 đ for
    pages 1–2, 1,000 đ from page 3), cap each copy, then multiply by the copies.
    """
    if pages < 1 or copies < 1:
        raise ValueError("pages and copies start at 1")
    kind = fee["kind"]
    if kind == "set_by_province":
        return None
    if exempt or kind == "free":
        return 0
    if kind == "fixed":
        return int(fee["online_amount"] if online and "online_amount" in fee else fee["amount"])
    tiers = sorted(fee["tiers"], key=lambda tier: tier["from_page"])
    per_copy = sum(
        next(t["amount"] for t in reversed(tiers) if t["from_page"] <= page)
        if page >= tiers[0]["from_page"]
        else 0
        for page in range(1, pages + 1)
    )
    if "cap_per_copy" in fee:
        per_copy = min(per_copy, fee["cap_per_copy"])
    return int(per_copy * copies)
