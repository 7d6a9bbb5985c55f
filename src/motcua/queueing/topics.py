"""Live-event topics of the queues. `board.<service point id>` is public: display boards and
citizens' phones in the waiting room listen to it, so its events carry only what a board shows
(ticket numbers, counter numbers, waiting counts), never a name."""

from __future__ import annotations

from motcua.core.events import register_topic_kind
from motcua.core.permissions import Principal
from motcua.organisation.models import ServicePoint


def board_topic(principal: Principal, key: str) -> bool:
    return key.isdigit() and ServicePoint.objects.filter(pk=int(key), active=True).exists()


def register() -> None:
    register_topic_kind("board", board_topic, replace=True, public=True)
