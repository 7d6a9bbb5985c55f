"""How the rollups follow changes that do not pass through a dossier's history: a fee paid
(announced after its commit by `payments.signals.payment_settled`)."""

from __future__ import annotations

from typing import Any

from motcua.dossiers.models import Dossier
from motcua.monitoring import tracking


def payment_settled(sender: Any, payment: Any, status: str, **kwargs: Any) -> None:
    # The settlement has committed; the dossier's contribution is derived again from what is
    # stored, so this is safe to run late or twice.
    dossier_id = Dossier.objects.filter(code=payment.reference).values_list("pk", flat=True).first()
    if dossier_id is not None:
        tracking.track(dossier_id)


def connect() -> None:
    from motcua.payments.signals import payment_settled as settled

    settled.connect(payment_settled, dispatch_uid="monitoring.payment_settled")
