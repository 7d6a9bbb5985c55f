"""Transfers between instances in the admin: the peers (their keys editable, e.g. after a
peer rotated its key) and the transfers and status updates (read only: envelopes write them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from motcua.core.admin import AuditedModelAdmin, ReadOnlyAdmin
from motcua.interop.models import Peer, Transfer, TransferUpdate


@admin.register(Peer)
class PeerAdmin(AuditedModelAdmin):
    list_display = ["name", "base_url", "active", "added_at"]
    list_filter = ["active"]
    search_fields = ["name", "base_url"]


class TransferUpdateInline(admin.TabularInline):
    model = TransferUpdate
    extra = 0
    can_delete = False
    fields = readonly_fields = ("event_id", "status", "action", "applied", "received_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ["envelope_id", "direction", "peer", "dossier", "remote_code", "state"]
    list_filter = ["direction", "state", "peer"]
    search_fields = ["envelope_id", "dossier__code", "remote_code"]
    fields = readonly_fields = (
        "direction",
        "envelope_id",
        "peer",
        "dossier",
        "remote_code",
        "state",
        "note",
        "error",
        "payload",
        "created_at",
        "answered_at",
    )
    inlines = [TransferUpdateInline]
