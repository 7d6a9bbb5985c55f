"""The hash-chained audit log: services append, `verify_chain` checks.

Writers lock the head row of their chain, so appends to one chain are serialised on PostgreSQL
as well as on SQLite and a chain never forks. A single chain would serialise every audited write
of the province on one row until commit (measured: about 130 appends/s with 8 writers on
PostgreSQL here, see benchmarks/audit_append.py); `CHAINS` chains, chosen by object, let writes
about different objects commit in parallel.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from motcua.core.models import AuditChainHead, AuditEntry

GENESIS_HASH = "0" * 64
CHAINS = 16


def chain_for(object_type: str, object_id: str, actor_label: str, case: str = "") -> int:
    """Rows about one case, else about one object (or, without either, by one actor), share a
    chain."""
    if case:
        key = f"case:{case}"
    elif object_type or object_id:
        key = f"{object_type}:{object_id}"
    else:
        key = f"actor:{actor_label}"
    return zlib.crc32(key.encode()) % CHAINS


def _canonical(value: Any) -> Any:
    """JSON-safe values that read back equal from any database's JSON column."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def entry_hash(entry: AuditEntry) -> str:
    payload = {
        "chain": entry.chain,
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


# No savepoint of its own: a failure here fails the caller's transaction anyway, and a service
# that records three rows would otherwise pay six more round trips.
@transaction.atomic(savepoint=False)
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
    case: str = "",
) -> AuditEntry:
    """Append one audit row, chained to the previous one, inside the caller's transaction.

    `case` names what a transaction is about (a dossier's code): every row a transaction writes
    about one case lands in one chain, so that two transactions never lock two chain heads in
    opposite orders (a deadlock)."""
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    actor_label = actor.get_username() if authenticated else "system"
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:300]
    chain = chain_for(object_type, object_id, actor_label, case)
    head = _locked_head(chain)
    entry = AuditEntry(
        chain=chain,
        at=timezone.now(),
        actor=actor if authenticated else None,
        actor_label=actor_label,
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


def _locked_head(chain: int) -> AuditChainHead:
    # Migration core 0001 creates the heads; a missing one (CHAINS raised, a flushed test
    # database) is created here, and concurrent first writers then queue on its lock.
    head = AuditChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is None:
        AuditChainHead.objects.get_or_create(chain=chain, defaults={"last_hash": GENESIS_HASH})
        head = AuditChainHead.objects.select_for_update().get(chain=chain)
    return head


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
    """Walk every chain in order; return the first broken row, or None when all is intact."""
    heads = {head.chain: head for head in AuditChainHead.objects.all()}
    chains = set(heads) | set(AuditEntry.objects.values_list("chain", flat=True).distinct())
    breaks = [b for b in (_verify_one(c, heads.get(c), batch_size) for c in sorted(chains)) if b]
    return min(breaks, key=lambda b: b.entry_id or 0) if breaks else None


def _verify_one(chain: int, head: AuditChainHead | None, batch_size: int) -> ChainBreak | None:
    prev_hash = GENESIS_HASH
    last_id: int | None = None
    for entry in _entries_in_order(chain, batch_size):
        if entry.prev_hash != prev_hash:
            return ChainBreak(
                entry.pk, "does not follow the previous row (a row was removed or reordered)"
            )
        if entry_hash(entry) != entry.hash:
            return ChainBreak(entry.pk, "its content does not match its hash (the row was edited)")
        prev_hash = entry.hash
        last_id = entry.pk
    if head is None or head.last_hash != prev_hash or head.last_entry_id != last_id:
        return ChainBreak(
            head.last_entry_id if head else last_id,
            "the newest rows are missing (the log was truncated)",
        )
    return None


def _entries_in_order(chain: int, batch_size: int) -> Iterator[AuditEntry]:
    after = 0
    while True:
        batch = list(
            AuditEntry.objects.filter(chain=chain, pk__gt=after).order_by("pk")[:batch_size]
        )
        if not batch:
            return
        yield from batch
        after = batch[-1].pk


def client_ip(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None
