"""Helpers that play the gateway's side in tests: signed results like the simulator's."""

from __future__ import annotations

from motcua.payments.models import PaymentAttempt
from motcua.payments.providers import DEMO_MERCHANT, payment_secret, signed


def result_params(
    attempt: PaymentAttempt,
    *,
    code: str = "00",
    amount: int | None = None,
    transaction_no: str = "14012345678901",
) -> dict[str, str]:
    return signed(
        {
            "gw_merchant": DEMO_MERCHANT,
            "gw_txn_ref": attempt.txn_ref,
            "gw_amount": str(attempt.amount if amount is None else amount),
            "gw_order_info": "test",
            "gw_response_code": code,
            "gw_transaction_no": transaction_no if code == "00" else "0",
            "gw_transaction_status": "00" if code == "00" else "02",
            "gw_bank_code": "MOTCUA",
            "gw_pay_date": "20260212093000",
        },
        payment_secret(),
    )
