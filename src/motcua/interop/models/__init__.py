"""The interop app's models, one module per part."""

from motcua.interop.models.outbox import Delivery, OutboxEvent

__all__ = ["Delivery", "OutboxEvent"]
