"""Payments in the admin: read only. Every change goes through the services (and the audit log):
the counter, an exemption, or the gateway's signed result."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from motcua.core.admin import ReadOnlyAdmin
from motcua.payments.models import Payment, PaymentAttempt


class PaymentAttemptInline(admin.TabularInline):
    model = PaymentAttempt
    extra = 0
    fields = ["txn_ref", "amount", "status", "response_code", "started_at", "finished_at"]
    readonly_fields = ["txn_ref", "amount", "status", "response_code", "started_at", "finished_at"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
