"""The token that lets a citizen, without a login, open and pay one payment.

Links to a payment (on the dossier's receipt, in an SMS) carry its id and this token; ids alone
are sequential and would let strangers walk through every payment.
"""

from __future__ import annotations

from django.core import signing
from django.utils.crypto import constant_time_compare

from motcua.payments.models import Payment

SALT = "motcua.payments.payment-token"


def payment_token(payment: Payment) -> str:
    """An HMAC of the payment's id and dossier code under the secret key (URL-safe)."""
    return signing.Signer(salt=SALT).signature(f"{payment.pk}:{payment.reference}")


def token_valid(payment: Payment, token: str) -> bool:
    return bool(token) and constant_time_compare(token, payment_token(payment))
