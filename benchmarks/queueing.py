"""The queue over HTTP: kiosks issuing tickets and counters calling them while boards listen.

At the Hạ Long centre (ttpvhcc-06688, the demo's queue services A–D, counters 5.. added up to
`--counters`), at the same time and for `--seconds` after a warm-up of WARM_UP seconds:

- `--kiosks` K kiosks each send `POST /api/v1/queue/tickets` one after the other (public, a
  fresh kiosk key each time, a service drawn at random);
- `--counters` M counter officers, each logged in with its own session at its own open counter,
  each loop `POST …/counters/{id}/call-next` and, for the ticket called, `POST …/finish`;
- `--displays` D display boards listen to `GET /events/stream?topic=board.<point id>` (public
  server-sent events), all on one asyncio loop in a thread of this process. Each records when
  every `ticket.called` event arrives; the call → display latency of a (call, display) pair is
  that time minus the time the counter's call-next answer arrived (time.monotonic in one
  process: one clock). It is negative when the board heard before the counter.

The server is uvicorn started as a subprocess on the throwaway database (the helpers of
_server.py, shared with intake.py), with MOTCUA_PUBLIC_RATE raised: every kiosk is 127.0.0.1.
`--pool N` sets the server's MOTCUA_DB_POOL_SIZE (default 4 per worker).

Printed: tickets issued/s and the issue latency p50/p95/p99/max; calls/s and the call-next and
finish latencies; call → display latency p50/p95/p99/max over every (call, display) pair of the
timed window (and from the call's sending, an upper bound); events each display received;
then the checks: non-2xx answers, (call, display) pairs never delivered, display numbers repeated
within a service and day, tickets answered 201 but not stored, tickets called twice (two
"called" events; a recall is another action). Then the CPU seconds of the load generator, the
uvicorn workers, PostgreSQL and everything else during the timed window, and per ticket issued
(its share of the calls, finishes and live events included), and a speed probe before and
after the load (shared virtual machines vary by 2x and more from minute to minute).

The demo's number range (1–999 a day) would wrap after 999 tickets of one service, repeating
numbers on purpose; the benchmark widens it to 99999 so that a repeated number is a bug.

Target (issue, 2-core machine, PostgreSQL): ≥ 200 tickets issued/s and call → display
p99 < 250 ms with 100 displays connected. The script asserts nothing but the run's validity: it
exits with status 1 when an answer was not 2xx, a display missed a call, a number repeats, a
ticket is lost or one was called twice.

    DATABASE_URL="postgresql:///motcua_bench_queue?host=/var/run/postgresql" \\
      .venv/bin/python benchmarks/queueing.py [--kiosks 8] [--counters 8] [--seconds 20]
      [--displays 100] [--workers 2] [--pool 4]

Without DATABASE_URL it runs on SQLite (and says so: the target is for PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import io
import json
import logging
import os
import random
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from _bench import machine, throwaway_database
from _server import cpu_probe, cpu_seconds, cpu_since, print_cpu, server, staff_session

PASSWORD = "bench-queue-password"  # noqa: S105  (throwaway users of a throwaway database)
POINT = "ttpvhcc-06688"  # the Hạ Long centre
WARM_UP = 3.0  # seconds of load before the timed window
DRAIN = 10.0  # seconds the displays get, after the load stops, to receive the last calls
TARGET_RATE, TARGET_P99_MS, TARGET_DISPLAYS = 200, 250, 100
LABEL = 20  # width of the printed labels


# --- Data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    point_id: int
    services: list[str]  # queue service codes at the point
    counters: list[tuple[int, str]]  # (counter id, the username of its officer)


def prepare(counters: int) -> Setup:
    """Units, the demo organisation and queues, counters 5..`counters` at the Hạ Long centre
    serving all its queue services, and one counter officer per counter."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from motcua.organisation.models import Counter, Role, ServicePoint
    from motcua.organisation.services import grant_role
    from motcua.queueing.models import CounterService, QueueService

    call_command("load_units", stdout=io.StringIO())
    for app in ("organisation", "queueing"):  # what the queue needs of `motcua demo`
        importlib.import_module(f"motcua.{app}.demo").load_demo()
    point = ServicePoint.objects.get(code=POINT)
    services = list(QueueService.objects.filter(service_point=point).order_by("order"))
    QueueService.objects.filter(service_point=point).update(number_end=99999)
    existing = list(point.counters.order_by("number"))
    for number in range(len(existing) + 1, counters + 1):
        counter = Counter.objects.create(service_point=point, number=number, name=f"Quầy {number}")
        CounterService.objects.bulk_create(
            # As the demo links its counters: each prefers one service, and serves all.
            CounterService(
                counter=counter,
                service=service,
                weight=2 if (number - 1) % len(services) == order else 1,
            )
            for order, service in enumerate(services)
        )
        existing.append(counter)
    role = Role.objects.get(code="counter_officer")
    encoded = make_password(PASSWORD)  # hashed once: the server still checks it at login
    pairs = []
    for index, counter in enumerate(existing[:counters]):
        name = f"bench-counter-{index:02d}"
        user = get_user_model().objects.create(username=name, password=encoded)
        grant_role(user=user, role=role, scope=point)
        pairs.append((counter.pk, name))
    return Setup(point.pk, [service.code for service in services], pairs)


# --- Kiosks and counters ---------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    what: str  # "issue", "call-next", "finish", "open"
    sent: float  # time.monotonic()
    answered: float
    status: int  # 0: no answer (a transport error)
    body: str = ""  # of a failure


@dataclass(frozen=True)
class Call:
    counter: int
    ticket: int
    call: int  # the ticket's call count: 1 for a first call
    sent: float
    answered: float


@dataclass
class Tally:
    """What the kiosk and counter threads saw (each appends to its own; lists are safe)."""

    answers: list[Answer] = field(default_factory=list)
    issued: list[int] = field(default_factory=list)  # ticket ids answered 201
    calls: list[Call] = field(default_factory=list)
    empty: int = 0  # call-next answers without a ticket


def post(client: httpx.Client, what: str, url: str, body: object, tally: Tally) -> httpx.Response:
    sent = time.monotonic()
    try:
        response = client.post(url, json=body)
    except httpx.HTTPError as error:
        tally.answers.append(Answer(what, sent, time.monotonic(), 0, repr(error)))
        raise
    answered = time.monotonic()
    failed = "" if response.is_success else response.text[:500]
    tally.answers.append(Answer(what, sent, answered, response.status_code, failed))
    return response


def kiosk(base: str, services: list[str], stop: threading.Event, tally: Tally) -> None:
    with httpx.Client(base_url=base, timeout=60) as client:
        while not stop.is_set():
            service, key = random.choice(services), uuid.uuid4().hex
            body = {"service_point": POINT, "service": service, "key": key}
            try:
                response = post(client, "issue", "/api/v1/queue/tickets", body, tally)
            except httpx.HTTPError:
                continue
            if response.status_code == 201:
                tally.issued.append(response.json()["id"])


def counter(client: httpx.Client, counter_id: int, stop: threading.Event, tally: Tally) -> None:
    """Call the next ticket and finish it, again and again; wait a little when nobody waits."""
    prefix = f"/api/v1/queue/counters/{counter_id}"
    while not stop.is_set():
        try:
            response = post(client, "call-next", f"{prefix}/call-next", {}, tally)
        except httpx.HTTPError:
            continue
        if not response.is_success:
            time.sleep(0.1)
            continue
        ticket = response.json()["ticket"]
        if ticket is None:
            tally.empty += 1
            time.sleep(0.02)
            continue
        answer = tally.answers[-1]
        tally.calls.append(Call(counter_id, ticket["id"], 1, answer.sent, answer.answered))
        finish = f"{prefix}/tickets/{ticket['id']}/finish"
        with suppress(httpx.HTTPError):  # recorded as an answer with status 0
            post(client, "finish", finish, {"dossier": ""}, tally)


def open_counters(base: str, setup: Setup, tally: Tally) -> list[tuple[int, httpx.Client]]:
    """Log every officer in and open its counter."""
    clients = []
    for counter_id, username in setup.counters:
        client = staff_session(base, username, PASSWORD)
        post(client, "open", f"/api/v1/queue/counters/{counter_id}/open", {}, tally)
        clients.append((counter_id, client))
    return clients


# --- Displays --------------------------------------------------------------------------------


@dataclass
class Display:
    heard: dict[tuple[int, int], float] = field(default_factory=dict)  # (ticket, call) → when
    messages: int = 0  # events received (all names)
    connected: bool = False
    reconnects: int = 0
    last_id: str = ""
    failures: list[str] = field(default_factory=list)


class Displays:
    """`count` SSE clients of one topic on one asyncio loop in a thread. Each reconnects as a
    browser's EventSource would (with Last-Event-ID) if its stream ends before `stop()`.

    They speak HTTP/1.1 over asyncio streams rather than through httpx: a hundred streams
    receive tens of thousands of messages a second, and a pure-Python HTTP client would take a
    good part of a core that the server, on the same two cores, needs."""

    def __init__(self, base: str, topic: str, count: int) -> None:
        address = urlsplit(base)
        self.host, self.port = address.hostname or "127.0.0.1", address.port or 80
        self.request = f"GET /events/stream?topic={topic} HTTP/1.1\r\nHost: {address.netloc}\r\n"
        self.boards = [Display() for _ in range(count)]
        self.loop = asyncio.new_event_loop()
        self.done = asyncio.Event()
        self.thread = threading.Thread(target=self._run, name="displays", daemon=True)

    def start(self, timeout: float = 60) -> None:
        """Start listening; return once every display has its stream open."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not all(board.connected or board.failures for board in self.boards):
            if time.monotonic() > deadline:
                raise RuntimeError("the displays did not all connect within 60 s")
            time.sleep(0.05)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.done.set)
        self.thread.join(timeout=30)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())
        self.loop.close()

    async def _main(self) -> None:
        tasks = [asyncio.create_task(self._listen(board)) for board in self.boards]
        await self.done.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _listen(self, board: Display) -> None:
        while not self.done.is_set():
            try:
                await self._stream(board)
            except (OSError, ValueError, asyncio.IncompleteReadError) as error:
                board.failures.append(repr(error))
            if board.failures:
                return
            board.reconnects += 1  # the stream ended: EventSource reconnects

    async def _stream(self, board: Display) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            resume = f"Last-Event-ID: {board.last_id}\r\n" if board.last_id else ""
            writer.write(f"{self.request}Accept: text/event-stream\r\n{resume}\r\n".encode())
            status = int((await reader.readline()).split()[1])
            head = {}
            while (header := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = header.decode("latin-1").partition(":")
                head[name.strip().lower()] = value.strip()
            if status != 200 or head.get("transfer-encoding") != "chunked":
                board.failures.append(f"{status} {head}")
                return
            pending = b""
            while size := int((await reader.readline()).split(b";")[0] or b"0", 16):
                chunk = await reader.readexactly(size + 2)  # the chunk and its CRLF
                now = time.monotonic()
                *messages, pending = (pending + chunk[:-2]).split(b"\n\n")
                for message in messages:
                    self._take(board, message, now)
        finally:
            writer.close()

    @staticmethod
    def _take(board: Display, message: bytes, now: float) -> None:
        for line in message.split(b"\n"):
            if line.startswith(b"id:"):
                board.last_id = line[3:].strip().decode()
            elif line.startswith(b"data:"):
                board.messages += 1
                if b'"ticket.called"' in line:
                    data = json.loads(line[5:])["data"]
                    board.heard.setdefault((data["ticket"], data["call"]), now)
            elif line.startswith(b": connected"):
                board.connected = True


# --- Measuring -------------------------------------------------------------------------------


@dataclass
class Run:
    tally: Tally
    boards: list[Display]
    started: float  # of the timed window (time.monotonic)
    ended: float
    cpu: dict[str, float]
    interrupts: float  # CPU seconds the kernel spent in interrupts (loopback networking)
    probes: tuple[float, float]


def measure(url: str, setup: Setup, options: argparse.Namespace) -> Run:
    """Serve, open the counters, connect the displays, load (warm-up, timed window), drain."""
    tally = Tally()
    extra = {"MOTCUA_PUBLIC_RATE": "1000000/m"}  # every kiosk is 127.0.0.1
    with server(url, options.workers, options.pool, **extra) as (base, process):
        clients = open_counters(base, setup, tally)
        displays = Displays(base, f"board.{setup.point_id}", options.displays)
        stop = threading.Event()
        workers: list[tuple[Callable[..., None], tuple[object, ...]]] = [
            (kiosk, (base, setup.services, stop)) for _ in range(options.kiosks)
        ]
        workers += [(counter, (client, counter_id, stop)) for counter_id, client in clients]
        tallies = [Tally() for _ in workers]
        threads = [
            threading.Thread(target=work, args=(*args, own), daemon=True)
            for (work, args), own in zip(workers, tallies, strict=True)
        ]
        try:
            displays.start()
            probe_before = cpu_probe()  # before the load: the machine's speed, not its load
            for thread in threads:
                thread.start()
            time.sleep(WARM_UP)
            before, interrupted = cpu_seconds(process.pid), interrupt_seconds()
            started = time.monotonic()
            time.sleep(options.seconds)
            ended = time.monotonic()
            cpu = cpu_since(before, process.pid)
            interrupted = interrupt_seconds() - interrupted
            stop.set()
            for thread in threads:
                thread.join()
            wait_for_displays(displays, [call for own in tallies for call in own.calls])
            probe_after = cpu_probe()
        finally:
            stop.set()
            displays.stop()
            for _, client in clients:
                client.close()
    for own in tallies:
        tally.answers += own.answers
        tally.issued += own.issued
        tally.calls += own.calls
        tally.empty += own.empty
    probes = (probe_before, probe_after)
    return Run(tally, displays.boards, started, ended, cpu, interrupted, probes)


def interrupt_seconds() -> float:
    """CPU seconds the machine spent so far in hardware and software interrupts (/proc/stat):
    the kernel's share of loopback TCP, not charged to any process, hence in "other"."""
    with open("/proc/stat") as stat:
        fields = [int(n) for n in stat.readline().split()[1:]]
    return (fields[5] + fields[6]) / os.sysconf("SC_CLK_TCK")


def wait_for_displays(displays: Displays, calls: list[Call]) -> None:
    """Give the displays up to DRAIN seconds to hear the last calls."""
    keys = {(call.ticket, call.call) for call in calls}
    deadline = time.monotonic() + DRAIN
    while time.monotonic() < deadline:
        if all(keys <= board.heard.keys() for board in displays.boards if not board.failures):
            return
        time.sleep(0.1)


# --- Checks in the database ------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    tickets: int
    repeated_numbers: int
    lost: int  # answered 201, not stored
    unanswered: int  # stored, never answered 201
    called_twice: int  # tickets with more than one "called" event
    by_status: dict[str, int]


def check_database(issued: list[int]) -> Stored:
    from django.db.models import Count

    from motcua.queueing.models import Ticket, TicketEvent

    stored = set(Ticket.objects.values_list("id", flat=True))
    answered = set(issued)
    repeated = (
        Ticket.objects.values("service", "day", "number")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    twice = (
        TicketEvent.objects.filter(action=TicketEvent.Action.CALLED)
        .values("ticket")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    statuses = Ticket.objects.values("status").annotate(n=Count("id")).order_by("status")
    return Stored(
        tickets=len(stored),
        repeated_numbers=repeated,
        lost=len(answered - stored),
        unanswered=len(stored - answered),
        called_twice=twice,
        by_status={row["status"]: row["n"] for row in statuses},
    )


# --- Report ----------------------------------------------------------------------------------


def quantiles(values: list[float]) -> str:
    if len(values) < 2:
        return "too few values"
    ordered = sorted(values)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return (
        f"p50 {cuts[49]:.1f}  p95 {cuts[94]:.1f}  p99 {cuts[98]:.1f}  max {ordered[-1]:.1f}"
        f"  (n {len(ordered)})"
    )


def p99(values: list[float]) -> float:
    if len(values) < 2:
        return float("inf")
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def line(label: str, text: str) -> None:
    print(f"{label:<{LABEL}} {text}")


def report(run: Run, vendor: str, displays: int) -> bool:
    """Print the figures and the verdict; return whether the run was valid."""
    tally, elapsed = run.tally, run.ended - run.started

    def timed(what: str) -> list[Answer]:
        return [
            answer
            for answer in tally.answers
            if answer.what == what and run.started <= answer.answered < run.ended
        ]

    def ms(answers: list[Answer]) -> list[float]:
        return [(answer.answered - answer.sent) * 1000 for answer in answers]

    issues = [answer for answer in timed("issue") if answer.status == 201]
    issued_rate = len(issues) / elapsed
    calls = [call for call in tally.calls if run.started <= call.answered < run.ended]
    line("tickets issued", f"{len(issues)} in {elapsed:.2f} s = {issued_rate:.1f}/s")
    line("issue ms", quantiles(ms(issues)))
    line("tickets called", f"{len(calls)} = {len(calls) / elapsed:.1f}/s")
    line("call-next ms", quantiles(ms(timed("call-next"))))
    line("finish ms", quantiles(ms(timed("finish"))))
    line("call-next empty", f"{tally.empty} answers without a ticket (whole run)")

    listening = [board for board in run.boards if not board.failures]
    from_answer, from_sending, missed = [], [], 0
    for call in tally.calls:
        for board in listening:
            heard = board.heard.get((call.ticket, call.call))
            if heard is None:
                missed += 1
            elif run.started <= call.answered < run.ended:
                from_answer.append((heard - call.answered) * 1000)
                from_sending.append((heard - call.sent) * 1000)
    early = sum(value < 0 for value in from_answer)
    line("call → display ms", quantiles(from_answer))
    line("", f"{early} pairs heard before the counter's answer arrived (negative)")
    line("call sent → display", quantiles(from_sending))
    messages = sum(board.messages for board in run.boards)
    reconnects = sum(board.reconnects for board in run.boards)
    line(
        "displays",
        f"{len(listening)} of {len(run.boards)} listening, {reconnects} reconnects, "
        f"{messages / max(1, len(run.boards)):.0f} events each (whole run)",
    )
    pairs = len(tally.calls) * len(listening)
    line("missed by displays", f"{missed} of {pairs} (call, display) pairs (whole run)")

    failed = [answer for answer in tally.answers if not 200 <= answer.status < 300]
    refused = [board.failures[0] for board in run.boards if board.failures]
    first = f" — first: {failed[0].what} {failed[0].status} {failed[0].body}" if failed else ""
    line("non-2xx", f"{len(failed)}{first}")
    if refused:
        line("display failures", f"{len(refused)} — first: {refused[0]}")
    stored = check_database(tally.issued)
    called_again = len(tally.calls) - len({call.ticket for call in tally.calls})
    line("repeated numbers", f"{stored.repeated_numbers} (service, day, number) groups")
    line(
        "lost tickets",
        f"{stored.lost} ({stored.tickets} stored for {len(tally.issued)} answers 201, "
        f"{stored.unanswered} stored but not answered)",
    )
    line(
        "called twice",
        f"{stored.called_twice} in the database, {called_again} answered to counters twice",
    )
    statuses = ", ".join(f"{status} {n}" for status, n in stored.by_status.items())
    line("tickets at the end", statuses)
    print_cpu(run.cpu, elapsed, max(1, len(issues)), per="ticket", width=LABEL)
    line("", f"of which interrupts (the kernel's loopback TCP, in other) {run.interrupts:.1f} s")
    before, after = run.probes
    line("speed probe", f"{before:.0f} ms before, {after:.0f} ms after (lower is faster)")

    met = (
        issued_rate >= TARGET_RATE
        and p99(from_answer) < TARGET_P99_MS
        and len(listening) >= TARGET_DISPLAYS
    )
    notes = []
    if vendor != "postgresql":
        notes.append("the target is for PostgreSQL")
    if displays < TARGET_DISPLAYS:
        notes.append(f"fewer than {TARGET_DISPLAYS} displays")
    note = f" ({'; '.join(notes)}: indicative only)" if notes else ""
    print(
        f"target ≥ {TARGET_RATE} tickets/s, call → display p99 < {TARGET_P99_MS} ms with "
        f"{TARGET_DISPLAYS} displays: {'met' if met else 'MISSED'}{note}"
    )
    return (
        not failed
        and not refused
        and missed == 0
        and stored.repeated_numbers == 0
        and stored.lost == 0
        and stored.called_twice == 0
        and called_again == 0
    )


# --- Main ------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kiosks", type=int, default=8, help="concurrent kiosks (8)")
    parser.add_argument("--counters", type=int, default=8, help="concurrent counters (8)")
    parser.add_argument("--seconds", type=float, default=20, help="timed seconds (20)")
    parser.add_argument("--displays", type=int, default=100, help="SSE display clients (100)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (2)")
    parser.add_argument(
        "--pool", default="4", help="MOTCUA_DB_POOL_SIZE of each worker (4; 0: no pool)"
    )
    return parser.parse_args()


def database_label(vendor: str) -> str:
    from django.db import connection

    if vendor != "postgresql":
        return f"{vendor} (DATABASE_URL not set: the target is for PostgreSQL)"
    return f"PostgreSQL {connection.pg_version // 10000}"


def main() -> int:
    options = arguments()
    with throwaway_database() as url:
        from django.db import connection, connections

        logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
        vendor = connection.vendor
        setup = prepare(options.counters)
        print(
            f"queueing — {machine()} — {database_label(vendor)} — uvicorn --workers "
            f"{options.workers}, MOTCUA_DB_POOL_SIZE={options.pool}"
        )
        print(
            f"{options.kiosks} kiosks, {options.counters} counters (call next, finish), "
            f"{options.displays} displays on board.{setup.point_id} at {POINT}; "
            f"{options.seconds:g} s timed after {WARM_UP:g} s of warm-up"
        )
        connections.close_all()  # from here on only the server's workers use the database
        run = measure(url, setup, options)
        valid = report(run, vendor, options.displays)
        connections.close_all()
    if not valid:
        print("INVALID RUN: see non-2xx, missed, repeated numbers, lost and called twice above")
    return 0 if valid else 1


if __name__ == "__main__":
    sys.exit(main())
