"""Live events: published after commit on named topics, fanned out to every process.

Publishing
    `publish(topic, name, data)` writes a `LiveEvent` row inside the caller's transaction, so an
    event exists if and only if the change that caused it committed. After the commit
    (`transaction.on_commit`) it is announced: on PostgreSQL with `NOTIFY motcua_events` and a
    JSON payload (only the id when the payload would pass the size limit; listeners then read the
    row), on SQLite to the subscribers of this process through an in-process broker.

    Whoever may subscribe to a topic sees every event on it: put in `data` only what the topic's
    audience may read (ids and states, not personal data), and let pages re-fetch the rest
    through their own scoped selectors.

Topics
    Dotted strings whose first part is the kind: `province.22`, `commune.06688`, `agency.5`,
    `service_point.12`. `can_subscribe(principal, topic)` asks the check registered for the kind;
    an unknown kind, a malformed topic or an anonymous principal is refused. Apps add kinds with
    `register_topic_kind("dossier", check)` (or the `@topic_kind("dossier")` decorator).

Fan-out
    Each process runs one listener per event loop, started by the first subscriber: on
    PostgreSQL an autocommit psycopg connection doing `LISTEN motcua_events`, which reconnects
    with backoff and, after a reconnect, replays from the table what it may have missed; it hands
    events to per-connection `asyncio.Queue`s filtered by topic. On SQLite `publish` hands events
    to the same broker directly, from whatever thread it runs in.

    Delivery is at least once; duplicates carry the same id. Ids come from a sequence and are
    taken at insert time, so two transactions may commit out of id order: live delivery sends
    both, while a client that resumes with `Last-Event-ID` gets only ids above the one it names.

Old rows are deleted by `prune_live_events()`, scheduled as a periodic job.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import random
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from motcua.core.models import LiveEvent
from motcua.core.permissions import Principal

logger = logging.getLogger(__name__)

# The PostgreSQL notification channel every process listens on.
CHANNEL = "motcua_events"
# PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more; above this only the id is sent.
MAX_NOTIFY_PAYLOAD = 7500
# Events a slow connection may have waiting before it is closed (the client then resumes with
# Last-Event-ID and is sent the rest from the table).
QUEUE_SIZE = 1000
# How long a new subscriber waits for the listener to be listening before going on regardless.
READY_TIMEOUT = 5.0
# The listener checks an idle connection this often, and gives up on the check after PING_TIMEOUT.
LISTENER_IDLE_CHECK = 30.0
PING_TIMEOUT = 10.0
# Reconnect delays of the listener: doubling from the first to the last, with jitter.
BACKOFF_FIRST = 0.5
BACKOFF_LAST = 30.0
# After a reconnect, events inserted this long before the connection dropped are replayed too:
# a transaction that took its id before the drop may have committed after it.
CATCH_UP_SLACK = timedelta(seconds=60)
# Rows read per query when replaying, and deleted per statement when pruning.
BATCH = 500

TOPIC_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[A-Za-z0-9_-]+)+$")
TOPIC_MAX_LENGTH = 200  # LiveEvent.topic
NAME_MAX_LENGTH = 100  # LiveEvent.name


@dataclass(frozen=True, slots=True)
class Event:
    """A committed live event, as delivered to subscribers."""

    id: int
    topic: str
    name: str
    data: Any

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "topic": self.topic, "name": self.name, "data": self.data}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_row(cls, row: LiveEvent) -> Event:
        return cls(id=row.pk, topic=row.topic, name=row.name, data=row.data)


# --- Topics and who may subscribe ------------------------------------------------------------

TopicCheck = Callable[[Principal, str], bool]
_TOPIC_KINDS: dict[str, TopicCheck] = {}
_PUBLIC_KINDS: set[str] = set()


def is_valid_topic(topic: str) -> bool:
    return len(topic) <= TOPIC_MAX_LENGTH and TOPIC_RE.fullmatch(topic) is not None


def register_topic_kind(
    kind: str, check: TopicCheck, *, replace: bool = False, public: bool = False
) -> None:
    """Let principals subscribe to `<kind>.<key>` topics when `check(principal, key)` is true.

    The check runs in a worker thread (it may query the database) and only for authenticated
    principals, unless the kind is `public`: then anyone may listen (a display board in a
    waiting room), and its events must carry nothing but what the board shows anyway.
    `key` is everything after the first dot.
    """
    if not re.fullmatch(r"[a-z][a-z0-9_]*", kind):
        raise ValueError(f"not a valid topic kind: {kind!r}")
    if kind in _TOPIC_KINDS and not replace and _TOPIC_KINDS[kind] is not check:
        raise ValueError(f"topic kind {kind!r} is already registered")
    _TOPIC_KINDS[kind] = check
    if public:
        _PUBLIC_KINDS.add(kind)
    else:
        _PUBLIC_KINDS.discard(kind)


def unregister_topic_kind(kind: str) -> None:
    _TOPIC_KINDS.pop(kind, None)
    _PUBLIC_KINDS.discard(kind)


def is_public_topic(topic: str) -> bool:
    return topic.partition(".")[0] in _PUBLIC_KINDS


def topic_kinds() -> frozenset[str]:
    return frozenset(_TOPIC_KINDS)


def can_subscribe(principal: Principal, topic: str) -> bool:
    """May `principal` receive the events of `topic`? Unknown kinds, and anonymous principals
    on topics that are not public: no."""
    if not is_valid_topic(topic):
        return False
    if not principal.is_authenticated and not is_public_topic(topic):
        return False
    kind, _, key = topic.partition(".")
    check = _TOPIC_KINDS.get(kind)
    if check is None:
        return False
    return bool(check(principal, key))


# --- Publishing ---------------------------------------------------------------------------


def publish(topic: str, name: str, data: Any = None) -> LiveEvent:
    """Store a live event in the current transaction and announce it once that commits.

    `data` must be JSON-serialisable (Django's encoder: dates, decimals, UUIDs and lazy strings
    are turned into strings). Call from synchronous code (`sync_to_async` from async code).
    Returns the stored row; nothing is delivered if the transaction rolls back.
    """
    if not is_valid_topic(topic):
        raise ValueError(f"not a valid topic: {topic!r}")
    if not name or len(name) > NAME_MAX_LENGTH:
        raise ValueError(f"an event name needs 1 to {NAME_MAX_LENGTH} characters: {name!r}")
    plain = json.loads(json.dumps({} if data is None else data, cls=DjangoJSONEncoder))
    row = LiveEvent.objects.create(topic=topic, name=name, data=plain)
    event = Event(id=row.pk, topic=topic, name=name, data=plain)
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        transaction.on_commit(lambda: _notify(event), robust=True)
    else:
        transaction.on_commit(lambda: _broker.deliver(event), robust=True)
    return row


def notify_payload(event: Event) -> str:
    """The NOTIFY payload: the whole event, or only its id when that would be too long."""
    payload = event.to_json()
    if len(payload.encode()) > MAX_NOTIFY_PAYLOAD:
        return json.dumps({"id": event.id})
    return payload


def _notify(event: Event) -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, notify_payload(event)])


# --- Replay and pruning -------------------------------------------------------------------


def replay_cutoff(now: datetime | None = None) -> datetime:
    """Events created before this are outside the replay window."""
    return (now or timezone.now()) - timedelta(seconds=settings.EVENTS_REPLAY_SECONDS)


def prune_live_events() -> int:
    """Delete live events older than the replay window; return how many were deleted."""
    old = LiveEvent.objects.filter(created_at__lt=replay_cutoff())
    deleted = 0
    while ids := list(old.order_by("id").values_list("id", flat=True)[:BATCH]):
        deleted += LiveEvent.objects.filter(pk__in=ids).delete()[0]
    return deleted


def stored_events(topics: Iterable[str], after_id: int, *, limit: int | None = None) -> list[Event]:
    """Stored events on `topics` with id above `after_id` within the replay window, by id."""
    rows = LiveEvent.objects.filter(
        topic__in=sorted(set(topics)), id__gt=after_id, created_at__gte=replay_cutoff()
    ).order_by("id")[: limit or BATCH]
    return [Event.from_row(row) for row in rows]


def latest_event_id() -> int:
    """The highest event id stored (0 for none): where a new stream may later resume from."""
    return LiveEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


# --- Fan-out within a process -----------------------------------------------------------------


class Subscription:
    """One consumer's queue of live events on its topics, bound to its event loop."""

    def __init__(self, topics: Iterable[str], loop: asyncio.AbstractEventLoop) -> None:
        self.topics = frozenset(topics)
        self.loop = loop
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=QUEUE_SIZE)
        # Set when the queue overflowed: events were dropped, the consumer must resync.
        self.overflowed = False

    def offer(self, event: Event) -> None:
        """Queue `event`; call in the subscription's loop."""
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            logger.warning("live event queue overflowed on %s", sorted(self.topics))

    def offer_threadsafe(self, event: Event) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self.offer(event)
            return
        with suppress(RuntimeError):  # a closed loop: its subscribers are gone
            self.loop.call_soon_threadsafe(self.offer, event)

    async def get(self) -> Event:
        return await self.queue.get()


class Broker:
    """The subscriptions of this process by topic. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_topic: dict[str, set[Subscription]] = {}

    def add(self, subscription: Subscription) -> None:
        with self._lock:
            for name in subscription.topics:
                self._by_topic.setdefault(name, set()).add(subscription)

    def remove(self, subscription: Subscription) -> None:
        with self._lock:
            for name in subscription.topics:
                subscribers = self._by_topic.get(name)
                if subscribers is not None:
                    subscribers.discard(subscription)
                    if not subscribers:
                        del self._by_topic[name]

    def topics(self, loop: asyncio.AbstractEventLoop | None = None) -> set[str]:
        with self._lock:
            return {
                name
                for name, subscribers in self._by_topic.items()
                if loop is None or any(s.loop is loop for s in subscribers)
            }

    def subscription_count(self) -> int:
        with self._lock:
            return len({s for subscribers in self._by_topic.values() for s in subscribers})

    def deliver(self, event: Event, *, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Hand `event` to the subscribers of its topic (only those on `loop`, if given)."""
        with self._lock:
            subscribers = tuple(self._by_topic.get(event.topic, ()))
        for subscription in subscribers:
            if loop is None or subscription.loop is loop:
                subscription.offer_threadsafe(event)


_broker = Broker()


def broker() -> Broker:
    return _broker


@asynccontextmanager
async def subscribe(topics: Iterable[str]) -> AsyncIterator[Subscription]:
    """Receive the live events of `topics` committed from now on while the block runs.

    Authorisation is the caller's business (`can_subscribe`). On PostgreSQL this waits (up to
    READY_TIMEOUT) until the process's listener is listening, so that nothing committed after
    this returns is missed.
    """
    names = frozenset(topics)
    for name in names:
        if not is_valid_topic(name):
            raise ValueError(f"not a valid topic: {name!r}")
    loop = asyncio.get_running_loop()
    subscription = Subscription(names, loop)
    _broker.add(subscription)
    try:
        if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
            listener = _listener_for(loop)
            try:
                await asyncio.wait_for(listener.ready.wait(), READY_TIMEOUT)
            except TimeoutError:
                logger.warning("live events: the listener is not connected yet; going on")
        yield subscription
    finally:
        _broker.remove(subscription)


# --- PostgreSQL listener ------------------------------------------------------------------


class PgListener:
    """LISTEN on one autocommit connection and hand events to this loop's subscribers."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.ready = asyncio.Event()
        self.last_id: int | None = None
        # For probes and tests: connections made, events replayed after reconnects, and the
        # server process of the current connection.
        self.connects = 0
        self.replayed = 0
        self.backend_pid: int | None = None
        # A fresh context: the listener outlives the request that started it.
        self.task = loop.create_task(
            self._run(), name="motcua-live-events", context=contextvars.Context()
        )

    @staticmethod
    def connection_params() -> dict[str, Any]:
        params: dict[str, Any] = dict(connections[DEFAULT_DB_ALIAS].get_connection_params())
        for django_only in ("cursor_factory", "context", "prepare_threshold", "pool"):
            params.pop(django_only, None)
        params.setdefault("application_name", "motcua-live-events")
        params.setdefault("connect_timeout", 10)
        # Notice a silently dropped connection (a NAT or firewall forgetting it).
        params.setdefault("keepalives", 1)
        params.setdefault("keepalives_idle", 30)
        params.setdefault("keepalives_interval", 10)
        params.setdefault("keepalives_count", 3)
        return params

    async def _run(self) -> None:
        import psycopg

        backoff = BACKOFF_FIRST
        disconnected_at: datetime | None = None
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    **self.connection_params(), autocommit=True
                )
                async with conn:
                    self.backend_pid = conn.info.backend_pid
                    self.connects += 1
                    await conn.execute(f"LISTEN {CHANNEL}")
                    if self.last_id is None or disconnected_at is None:
                        self.last_id = await self._max_id(conn)
                    else:
                        await self._catch_up(conn, disconnected_at - CATCH_UP_SLACK)
                        logger.info("live events: listener reconnected")
                    disconnected_at = None
                    backoff = BACKOFF_FIRST
                    self.ready.set()
                    await self._listen(conn)
            except asyncio.CancelledError:
                self.ready.clear()
                raise
            except Exception as error:
                logger.warning(
                    "live events: listener connection failed (%s); retrying in %.1f s",
                    error,
                    backoff,
                )
            self.ready.clear()
            if disconnected_at is None:
                disconnected_at = timezone.now()
            await asyncio.sleep(backoff * random.uniform(0.8, 1.2))  # noqa: S311
            backoff = min(backoff * 2, BACKOFF_LAST)

    async def _listen(self, conn: Any) -> None:
        while True:
            received = False
            pending: list[int] = []
            # stop_after=1 ends the generator after each batch (never inside one), so that rows
            # can be read on this connection; notifications arriving meanwhile wait in
            # psycopg's backlog.
            async for notify in conn.notifies(timeout=LISTENER_IDLE_CHECK, stop_after=1):
                received = True
                self._handle(notify.payload, pending)
            if pending:
                for event in await self._fetch(conn, pending):
                    self._dispatch(event)
            if not received:
                await asyncio.wait_for(conn.execute("SELECT 1"), PING_TIMEOUT)

    def _handle(self, payload: str, pending: list[int]) -> None:
        try:
            message = json.loads(payload)
            event_id = int(message["id"])
        except (ValueError, KeyError, TypeError):
            logger.warning("live events: ignoring a malformed notification %r", payload[:200])
            return
        if {"topic", "name", "data"} <= message.keys():
            self._dispatch(
                Event(
                    id=event_id,
                    topic=str(message["topic"]),
                    name=str(message["name"]),
                    data=message["data"],
                )
            )
        else:
            pending.append(event_id)

    def _dispatch(self, event: Event) -> None:
        if self.last_id is None or event.id > self.last_id:
            self.last_id = event.id
        _broker.deliver(event, loop=self.loop)

    @staticmethod
    def _table() -> Any:
        from psycopg import sql

        return sql.Identifier(LiveEvent._meta.db_table)

    async def _max_id(self, conn: Any) -> int:
        from psycopg import sql

        cursor = await conn.execute(
            sql.SQL("SELECT coalesce(max(id), 0) FROM {}").format(self._table())
        )
        row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _fetch(self, conn: Any, ids: list[int]) -> list[Event]:
        from psycopg import sql

        cursor = await conn.execute(
            sql.SQL("SELECT id, topic, name, data FROM {} WHERE id = ANY(%s) ORDER BY id").format(
                self._table()
            ),
            [ids],
        )
        return [Event(*row) for row in await cursor.fetchall()]

    async def _catch_up(self, conn: Any, since: datetime) -> None:
        """Replay what this loop's subscribers may have missed while disconnected."""
        from psycopg import sql

        last_id = self.last_id or 0
        names = sorted(_broker.topics(self.loop))
        cursor_id = 0
        query = sql.SQL(
            "SELECT id, topic, name, data FROM {} WHERE id > %(cursor)s"
            " AND (id > %(last)s OR created_at >= %(since)s) AND created_at >= %(window)s"
            " AND topic = ANY(%(topics)s) ORDER BY id LIMIT %(limit)s"
        ).format(self._table())
        replayed = 0
        while names:
            cursor = await conn.execute(
                query,
                {
                    "cursor": cursor_id,
                    "last": last_id,
                    "since": since,
                    "window": replay_cutoff(),
                    "topics": names,
                    "limit": BATCH,
                },
            )
            rows = await cursor.fetchall()
            for row in rows:
                self._dispatch(Event(*row))
                cursor_id = row[0]
            replayed += len(rows)
            self.replayed += len(rows)
            if len(rows) < BATCH:
                break
        self.last_id = max(last_id, self.last_id or 0, await self._max_id(conn))
        if replayed:
            logger.info("live events: replayed %d events after reconnecting", replayed)


_listeners: dict[asyncio.AbstractEventLoop, PgListener] = {}
_listeners_lock = threading.Lock()


def _listener_for(loop: asyncio.AbstractEventLoop) -> PgListener:
    with _listeners_lock:
        for other in [other for other in _listeners if other.is_closed()]:
            del _listeners[other]
        listener = _listeners.get(loop)
        if listener is None or listener.task.done():
            listener = _listeners[loop] = PgListener(loop)
        return listener


def listener_for_running_loop() -> PgListener | None:
    """The PostgreSQL listener of the running loop, if one was started (for tests and probes)."""
    with _listeners_lock:
        return _listeners.get(asyncio.get_running_loop())
