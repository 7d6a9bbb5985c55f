"""How dossiers react to other apps' signals."""

from __future__ import annotations

from typing import Any

from motcua.dossiers import processing


def financial_obligation_settled(sender: Any, payment: Any, **kwargs: Any) -> None:
    """A settled financial obligation lets processing resume (its own short transaction)."""
    processing.resume_after_payment(reference=payment.reference)
