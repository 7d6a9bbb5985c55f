"""Payments in the admin: read only. Every change goes through the services (and the audit log):
the counter, an exemption, or the gateway's signed result."""

from __future__ import annotations

from django.contrib import admin

from motcua.core.admin import ReadOnlyAdmin, ReadOnlyInline
from motcua.payments.models import Payment, PaymentAttempt


class PaymentAttemptInline(ReadOnlyInline):
    model = PaymentAttempt
    fields = readonly_fields = (
        "txn_ref",
        "amount",
        "status",
        "response_code",
        "started_at",
        "finished_at",
    )
    show_change_link = True


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["reference", "amount", "status", "method", "created_at", "settled_at"]
    list_filter = ["status", "method", "provider"]
    search_fields = ["reference", "provider_txn", "attempts__txn_ref"]
    date_hierarchy = "created_at"
    inlines = [PaymentAttemptInline]


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(ReadOnlyAdmin):
    list_display = ["txn_ref", "payment", "amount", "status", "response_code", "started_at"]
    list_filter = ["status", "response_code"]
    search_fields = ["txn_ref", "payment__reference"]
    list_select_related = ["payment"]
