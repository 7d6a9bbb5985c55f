"""Signals of the payments app, so that other apps react without payments importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once a payment is settled (paid or exempt), after the transaction that settled it
# commits. Arguments: sender=Payment, payment (the Payment), status ("paid" or "exempt").
# Receivers run outside that transaction; an exception in one is logged and does not undo the
# settlement, so a receiver with slow or fallible work enqueues a job.
payment_settled = Signal()
