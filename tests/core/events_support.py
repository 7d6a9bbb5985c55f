"""Helpers for the live-event tests: an SSE parser, an in-process ASGI stream client, a uvicorn
server process on the test database, and a publisher in another process."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.test import Client

from motcua.core.events import publish
from motcua.core.models import LiveEvent
from motcua.organisation.models import Commune, Province, Role, RoleMembership

PUBLISHER = Path(__file__).with_name("events_publisher.py")
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Message:
    id: str | None = None
    data: str = ""
    retry: int | None = None
    comments: list[str] = field(default_factory=list)

    @property
    def event(self) -> dict[str, Any]:
        return dict(json.loads(self.data))


class SseParser:
    """Incremental `text/event-stream` parser (enough of the WHATWG rules for these tests)."""

    def __init__(self) -> None:
        self._buffer = ""
        self._current = Message()
        self._data: list[str] = []

    def feed(self, text: str) -> list[Message]:
        self._buffer += text
        done: list[Message] = []
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            line = line.rstrip("\r")
            if line == "":
                message = self._current
                message.data = "\n".join(self._data)
                if message.data or message.comments or message.retry is not None:
                    done.append(message)
                self._current, self._data = Message(), []
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                self._current.comments.append(value)
            elif name == "id":
                self._current.id = value
            elif name == "data":
                self._data.append(value)
            elif name == "retry":
                self._current.retry = int(value)
        return done


def run(scenario: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run `scenario` in a new event loop, in its own thread: Playwright's sync API may have left
    a loop running in this one."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as executor:
        return executor.submit(asyncio.run, scenario()).result()


async def in_thread(function: Callable[[], Any]) -> Any:
    """Run ORM work in a worker thread, as a request or job would, then drop its connection."""

    def work() -> Any:
        try:
            return function()
        finally:
            connections.close_all()

    return await asyncio.to_thread(work)


def publish_committed(topic: str, name: str = "changed", data: Any = None) -> LiveEvent:
    with transaction.atomic():
        return publish(topic, name, data)


def events_of(messages: list[Message]) -> list[dict[str, Any]]:
    return [m.event for m in messages if m.data]


def session_cookie(user: Any) -> str:
    """Log `user` in and return the session id (the session row is committed)."""
    client = Client()
    client.force_login(user)
    return str(client.cookies[settings.SESSION_COOKIE_NAME].value)


def make_scope(*, commune_code: str = "06688") -> dict[str, Any]:
    """A province, a commune, a province-wide monitor and a commune officer."""
    province = Province.objects.create(
        code="22", name="Tỉnh Quảng Ninh", short_name="Quảng Ninh", kind="tinh"
    )
    commune = Commune.objects.create(
        code=commune_code,
        name="Phường Hạ Long",
        short_name="Hạ Long",
        kind="phuong",
        province=province,
    )
    other = Commune.objects.create(
        code="06673",
        name="Phường Bãi Cháy",
        short_name="Bãi Cháy",
        kind="phuong",
        province=province,
    )
    monitor_role = Role.objects.create(
        code="monitor", name="Monitor", scope_kind="province", permissions=["monitoring.view"]
    )
    commune_role = Role.objects.create(
        code="commune_officer",
        name="Commune officer",
        scope_kind="commune",
        permissions=["dossier.receive"],
    )
    users = get_user_model().objects
    monitor = users.create_user(username="live-monitor", password="pw")
    RoleMembership.objects.create(user=monitor, role=monitor_role, province=province)
    officer = users.create_user(username="live-officer", password="pw")
    RoleMembership.objects.create(user=officer, role=commune_role, commune=commune)
    return {
        "province": province,
        "commune": commune,
        "other": other,
        "monitor": monitor,
        "officer": officer,
    }


# --- In-process ASGI --------------------------------------------------------------------------


class AsgiStream:
    """Drive the real ASGI application for one streaming GET, as a server would."""

    def __init__(
        self,
        app: Any,
        path: str,
        query: dict[str, Any] | list[tuple[str, str]],
        *,
        cookie: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        raw_headers = [(b"host", b"testserver")]
        if cookie:
            raw_headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
        for name, value in (headers or {}).items():
            raw_headers.append((name.lower().encode(), value.encode()))
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": urlencode(query, doseq=True).encode(),
            "headers": raw_headers,
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        self.app = app
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.body = b""
        self.finished = False
        self._sent: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._disconnect = asyncio.Event()
        self._requested = False
        self._parser = SseParser()
        self._messages: list[Message] = []
        self.task: asyncio.Task[None] | None = None

    async def _receive(self) -> dict[str, Any]:
        if not self._requested:
            self._requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._disconnect.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict[str, Any]) -> None:
        await self._sent.put(message)

    async def open(self, timeout: float = 10) -> AsgiStream:
        self.task = asyncio.create_task(self.app(self.scope, self._receive, self._send))
        start = await asyncio.wait_for(self._sent.get(), timeout)
        assert start["type"] == "http.response.start"
        self.status = start["status"]
        self.headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
        return self

    async def _next_chunk(self, timeout: float) -> bool:
        message = await asyncio.wait_for(self._sent.get(), timeout)
        body = message.get("body", b"")
        self.body += body
        self._messages.extend(self._parser.feed(body.decode()))
        if not message.get("more_body", False):
            self.finished = True
        return not self.finished

    async def read_all(self, timeout: float = 10) -> bytes:
        while not self.finished:
            await self._next_chunk(timeout)
        return self.body

    async def messages(
        self, count: int, *, timeout: float = 10, where: Any = None
    ) -> list[Message]:
        """Wait until `count` messages matching `where` (default: any) have been received."""
        deadline = time.monotonic() + timeout

        def matching() -> list[Message]:
            return [m for m in self._messages if where is None or where(m)]

        while len(matching()) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.finished:
                raise TimeoutError(f"got {matching()} of {count}")
            try:
                await self._next_chunk(remaining)
            except TimeoutError:
                raise TimeoutError(f"got {matching()} of {count}") from None
        return matching()

    async def events(self, count: int, *, timeout: float = 10) -> list[dict[str, Any]]:
        return events_of(await self.messages(count, timeout=timeout, where=lambda m: m.data))

    async def quiet(self, seconds: float) -> list[Message]:
        """Everything that arrives within `seconds` (to check that nothing more does)."""
        before = len(self._messages)
        deadline = time.monotonic() + seconds
        while not self.finished and (remaining := deadline - time.monotonic()) > 0:
            try:
                await self._next_chunk(remaining)
            except TimeoutError:
                break
        return self._messages[before:]

    async def close(self) -> None:
        self._disconnect.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 10)


# --- Real processes on PostgreSQL ----------------------------------------------------------------


def database_url() -> str:
    """A DATABASE_URL for the test database this pytest run uses."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    name = quote(db["NAME"], safe="")
    if host.startswith("/"):
        return f"postgresql://{credentials}{port}/{name}?host={quote(host, safe='')}"
    return f"postgresql://{credentials}{host}{port}/{name}"


def process_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        MOTCUA_SECRET_KEY=settings.SECRET_KEY,
        MOTCUA_SECURE="false",
        MOTCUA_STATIC_MANIFEST="false",
        DATABASE_URL=database_url(),
        DJANGO_SETTINGS_MODULE="motcua.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def uvicorn_server(port: int | None = None) -> Iterator[str]:
    """Run `uvicorn motcua.asgi:application` on the test database; yield its base URL.

    Fails the test if the server logged a traceback."""
    port = port or free_port()
    command = [
        sys.executable, "-m", "uvicorn", "motcua.asgi:application",
        "--host", "127.0.0.1", "--port", str(port),
        "--timeout-graceful-shutdown", "2", "--no-access-log",
    ]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, env=process_env(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_serving(process, base, log)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            output = _read(log)
            print(output)
        assert "Traceback" not in output, output


def _wait_until_serving(process: subprocess.Popen[bytes], base: str, log: Any) -> None:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited: {_read(log)}")
        with suppress(httpx.TransportError):
            if httpx.get(f"{base}/login/", timeout=1).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start: {_read(log)}")
        time.sleep(0.1)


def _read(log: Any) -> str:
    log.seek(0)
    return str(log.read().decode(errors="replace"))


def publish_elsewhere(*events: dict[str, Any]) -> list[dict[str, Any]]:
    """Publish `events` ({topic, name, data}) from another process, each in its own
    transaction; return one {"id", "t"} per event (t: wall clock just before the transaction)."""
    result = subprocess.run(
        [sys.executable, str(PUBLISHER), json.dumps(list(events))],
        env=process_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


class HttpSse:
    """An SSE client on a real server (httpx streaming), read by an event loop in a thread."""

    def __init__(
        self, base: str, topics: list[str], cookie: str, last_event_id: str | None = None
    ) -> None:
        import queue
        import threading

        self.received: queue.Queue[tuple[float, Message]] = queue.Queue()
        self.opened = threading.Event()
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self._base, self._topics, self._cookie = base, topics, cookie
        self._headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            self._headers["Last-Event-ID"] = last_event_id
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()
            parser = SseParser()
            async with (
                httpx.AsyncClient(
                    base_url=self._base,
                    cookies={settings.SESSION_COOKIE_NAME: self._cookie},
                    timeout=httpx.Timeout(5, read=None),
                ) as client,
                client.stream(
                    "GET",
                    "/events/stream",
                    params=[("topic", t) for t in self._topics],
                    headers=self._headers,
                ) as response,
            ):
                self.status = response.status_code
                self.headers = dict(response.headers)
                async for chunk in response.aiter_text():
                    now = time.time()
                    for message in parser.feed(chunk):
                        if message.retry is not None:
                            self.opened.set()  # listening: the server sent its first bytes
                        self.received.put((now, message))

        try:
            asyncio.run(main())
        except (asyncio.CancelledError, httpx.HTTPError):
            pass
        finally:
            self.opened.set()

    def wait_open(self, timeout: float = 15) -> None:
        assert self.opened.wait(timeout), "the stream did not open"
        assert self.status == 200, self.status

    def next_event(self, timeout: float = 10) -> tuple[float, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            at, message = self.received.get(timeout=max(0.01, deadline - time.monotonic()))
            if message.data:
                return at, message.event

    def close(self) -> None:
        """Disconnect, as a browser tab closing would."""
        if self._loop is not None and self._task is not None:
            with suppress(RuntimeError):  # the loop already ended
                self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout=10)
        assert not self._thread.is_alive()
