"""The national portal as an outbox destination: one target, events in order per dossier."""

from __future__ import annotations

from collections.abc import Iterable

from motcua.interop import sinks
from motcua.interop.models import OutboxEvent
from motcua.interop.portal import sync
from motcua.interop.portal.transport import enabled, transport


class PortalSink:
    name = "portal"
    # The portal checks each status change against the one before: send them in order.
    ordered = True

    def targets(self, event: OutboxEvent) -> Iterable[str]:
        if enabled() and sync.reported(event.dossier, event.data):
            return [""]
        return []

    def send(self, event: OutboxEvent, target: str) -> None:
        sync.push(event, transport())


sinks.register(PortalSink())
