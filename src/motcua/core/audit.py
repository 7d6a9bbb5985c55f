"""The hash-chained audit log: services append, `verify_chain` checks.

Writers lock the single chain head row, so appends are serialised on PostgreSQL as well as on
SQLite and the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from motcua.core.models import AuditChainHead, AuditEntry

GENESIS_HASH = "0" * 64


def _canonical(value: Any) -> Any:
    """JSON-safe values that read back equal from any database's JSON column."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def entry_hash(entry: AuditEntry) -> str:
    payload = {
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "old_values": entry.old_values,
        "new_values": entry.new_values,
        "ip": entry.ip,
        "prev_hash": entry.prev_hash,
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Append one audit row, chained to the previous one, inside the caller's transaction."""
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(
        pk=1, defaults={"last_hash": GENESIS_HASH}
    )
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:300]
    entry = AuditEntry(
        at=timezone.now(),
        actor=actor if authenticated else None,
        actor_label=(actor.get_username() if authenticated else "system"),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:300],
        old_values=_canonical(old or {}),
        new_values=_canonical(new or {}),
        ip=ip,
        prev_hash=head.last_hash,
    )
    entry.hash = entry_hash(entry)
    entry.save()
    head.last_hash = entry.hash
    head.last_entry_id = entry.pk
    head.save(update_fields=["last_hash", "last_entry_id"])
    return entry


def model_values(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of `obj`, for an audit row's old/new values."""
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        values[field.attname] = field.value_from_object(obj)
    return _canonical(values)


def changed_values(
    old: dict[str, Any], new: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [key for key in new if old.get(key) != new.get(key)]
    return {key: old.get(key) for key in keys}, {key: new[key] for key in keys}


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int | None
    reason: str


def verify_chain(batch_size: int = 2000) -> ChainBreak | None:
    """Walk the chain in order; return the first broken row, or None when all is intact."""
    prev_hash = GENESIS_HASH
    last_id: int | None = None
    for entry in _entries_in_order(batch_size):
        if entry.prev_hash != prev_hash:
            return ChainBreak(
                entry.pk, "does not follow the previous row (a row was removed or reordered)"
            )
        if entry_hash(entry) != entry.hash:
            return ChainBreak(entry.pk, "its content does not match its hash (the row was edited)")
        prev_hash = entry.hash
        last_id = entry.pk
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != prev_hash or head.last_entry_id != last_id):
        return ChainBreak(head.last_entry_id, "the newest rows are missing (the log was truncated)")
    return None


def _entries_in_order(batch_size: int) -> Iterator[AuditEntry]:
    after = 0
    while True:
        batch = list(AuditEntry.objects.filter(pk__gt=after).order_by("pk")[:batch_size])
        if not batch:
            return
        yield from batch
        after = batch[-1].pk


def client_ip(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None
