"""The server-sent events endpoint: `GET /events/stream?topic=a&topic=b`.

A logged-in user who may subscribe to every topic asked for gets a `text/event-stream`: first
the stored events after `Last-Event-ID` (header, or the `last_event_id` query parameter for
EventSource polyfills) within the replay window, then live ones, each once. Every message is

    id: <LiveEvent id>
    data: {"id": …, "topic": "…", "name": "…", "data": {…}}

The stream opens with a `retry:` hint and, for a client that named no id, an `id:` line without
data: the current latest id, from which the browser resumes if the connection drops before any
event came. A comment line keeps idle connections open; after MAX_STREAM_SECONDS the stream ends
and the client reconnects, which checks its session and jurisdiction again.

The view must be async and its body an async generator: Django buffers a sync iterator to the
end. Authorisation and replay read the database in a worker thread and then close that thread's
connections, so an open stream holds no database connection.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.db import connections
from django.http import HttpRequest, HttpResponseBase, JsonResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from motcua.core import events
from motcua.core.access import principal_of

# Seconds between keep-alive comments on an idle stream (proxies drop silent connections).
HEARTBEAT_SECONDS = 15.0
# The reconnect delay suggested to EventSource clients, in milliseconds.
RETRY_MILLISECONDS = 3000
# A stream is closed after about this long; the client reconnects (with Last-Event-ID) and is
# authorised again, so revoked roles and expired sessions stop receiving.
MAX_STREAM_SECONDS = 3600.0
# Topics one stream may ask for.
MAX_TOPICS = 32
# Ids remembered per stream to drop duplicates (replay overlapping live, listener catch-up).
DEDUP_MEMORY = 4096


def _error(status: int, code: str, detail: str, **fields: list[str]) -> JsonResponse:
    return JsonResponse({"error": code, "detail": detail, "fields": fields}, status=status)


def _authorise(request: HttpRequest, topics: list[str]) -> JsonResponse | None:
    """Sync: resolve the user and principal (database reads) and check every topic."""
    try:
        public = all(events.is_public_topic(name) for name in topics)
        if not request.user.is_authenticated and not public:
            return _error(401, "not_authenticated", _("Log in to receive live updates."))
        principal = principal_of(request)
        for name in topics:
            if not events.can_subscribe(principal, name):
                detail = _("You may not receive the live updates of “%(topic)s”.") % {"topic": name}
                return _error(403, "forbidden", detail, topic=[detail])
        return None
    finally:
        _release_connections()


def _release_connections() -> None:
    """Close this thread's database connections: a stream may stay open for hours."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


def _replay(topics: list[str], after_id: int) -> list[events.Event]:
    try:
        return events.stored_events(topics, after_id)
    finally:
        _release_connections()


def _latest_id() -> int:
    try:
        return events.latest_event_id()
    finally:
        _release_connections()


def _last_event_id(request: HttpRequest) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id") or ""
    raw = raw.strip()
    if raw.isdigit() and len(raw) < 19:
        return int(raw)
    return None


def _message(event: events.Event) -> str:
    return f"id: {event.id}\ndata: {event.to_json()}\n\n"


class _RecentIds:
    """The last DEDUP_MEMORY ids sent on one stream."""

    def __init__(self) -> None:
        self._order: deque[int] = deque()
        self._ids: set[int] = set()

    def __contains__(self, event_id: int) -> bool:
        return event_id in self._ids

    def add(self, event_id: int) -> None:
        self._ids.add(event_id)
        self._order.append(event_id)
        if len(self._order) > DEDUP_MEMORY:
            self._ids.discard(self._order.popleft())


async def stream_events(topics: list[str], last_id: int | None) -> AsyncIterator[str]:
    """The body of an event stream. A client disconnect cancels it (CancelledError)."""
    loop = asyncio.get_running_loop()
    # Streams end after a while so that reconnecting clients are authorised again.
    ends_at = loop.time() + MAX_STREAM_SECONDS * random.uniform(0.9, 1.0)  # noqa: S311
    async with events.subscribe(topics) as subscription:
        # Sent once listening: a client that has read this misses nothing published after. A
        # client without an id gets the current one, so that it resumes from here if it drops.
        cursor = "" if last_id is not None else f"id: {await sync_to_async(_latest_id)()}\n"
        yield f"retry: {RETRY_MILLISECONDS}\n{cursor}: connected\n\n"
        sent = _RecentIds()
        if last_id is not None:
            after = last_id
            while batch := await sync_to_async(_replay)(topics, after):
                for event in batch:
                    if event.id not in sent:
                        sent.add(event.id)
                        yield _message(event)
                after = batch[-1].id
                if len(batch) < events.BATCH:
                    break
        # Ends when the client falls too far behind (it resumes with Last-Event-ID) or on time.
        while not subscription.overflowed and (left := ends_at - loop.time()) > 0:
            try:
                event = await asyncio.wait_for(subscription.get(), min(HEARTBEAT_SECONDS, left))
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if event.id in sent:
                continue
            sent.add(event.id)
            yield _message(event)


@require_GET
async def event_stream(request: HttpRequest) -> HttpResponseBase:
    topics = sorted(set(request.GET.getlist("topic")))
    if not topics:
        return _error(400, "invalid", _("Name at least one topic."))
    if len(topics) > MAX_TOPICS:
        detail = _("Ask for at most %(count)d topics.") % {"count": MAX_TOPICS}
        return _error(400, "invalid", detail)
    invalid = [name for name in topics if not events.is_valid_topic(name)]
    if invalid:
        detail = _("Not a topic: “%(topic)s”.") % {"topic": invalid[0]}
        return _error(400, "invalid", detail, topic=[detail])
    refusal = await sync_to_async(_authorise)(request, topics)
    if refusal is not None:
        return refusal
    response = StreamingHttpResponse(
        stream_events(topics, _last_event_id(request)), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
