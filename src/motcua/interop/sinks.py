"""Destinations of outbox events. A sink says, in the transaction that writes an event, which of
its targets must receive it (one `Delivery` each), and later sends one event to one target.

Sinks register themselves when their module is imported; `load()` (from the app's `ready()`)
imports the modules of SINK_MODULES.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from motcua.interop.models import OutboxEvent

SINK_MODULES = (
    "motcua.interop.webhooks",
    "motcua.interop.portal.sink",
    "motcua.interop.transfers.sink",
)


class DeliveryError(Exception):
    """Sending failed. `retryable=False` sends the delivery to the dead-letter list at once (the
    destination refused the event itself, so retrying the same bytes cannot succeed)."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class Sink(Protocol):
    name: str
    # Deliver a subject's (dossier's) events to a target in event order: a later event waits
    # until the earlier ones are delivered or dead.
    ordered: bool

    def targets(self, event: OutboxEvent) -> Iterable[str]:
        """The targets that must receive the event ("" for a sink with one destination)."""
        ...

    def send(self, event: OutboxEvent, target: str) -> None:
        """Send the event; raise DeliveryError when it did not arrive."""
        ...


_SINKS: dict[str, Sink] = {}


def register(sink: Sink) -> Sink:
    _SINKS[sink.name] = sink
    return sink


def get(name: str) -> Sink:
    return _SINKS[name]


def registered() -> list[Sink]:
    return list(_SINKS.values())


def load() -> None:
    for module in SINK_MODULES:
        importlib.import_module(module)
