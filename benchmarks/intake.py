"""Dossier intake over HTTP: concurrent counter officers filing complete dossiers.

Each client is a counter officer of a commune centre (all at Hạ Long, or spread over the first
`--points` centres of the province as a province-wide load is), logged in with its own session,
sending `POST /api/v1/dossiers` for the certified copy procedure 2.000815: channel "counter",
both documents handed in on paper (no files: the request path, not file I/O), accepted at once
(receipt, due date, fee), a fresh `Idempotency-Key` each time. The server is uvicorn started as
a subprocess on the throwaway database.

Database connections: `--pool N` sets the server's MOTCUA_DB_POOL_SIZE (default 4 per worker;
0: a new connection per request). Persistent connections (MOTCUA_DB_CONN_MAX_AGE) are not an
option under ASGI: every request thread opens one and leaves it open, and a long run fails with
"too many clients" (Django's documentation: "When using ASGI, persistent connections should be
disabled").

Printed: dossiers/s, latency p50/p95/p99/max, non-2xx answers, duplicate codes, a check in the
database that every 201 made exactly one dossier, the CPU seconds (and per request) spent by
the load generator, the uvicorn workers, PostgreSQL and everything else on the machine, and a
speed probe before and after (shared virtual machines vary by 2x from minute to minute).
Target (issue, 2-core machine, PostgreSQL): ≥ 150 dossiers/s with p99 < 250 ms. The script
asserts nothing but the run's validity: it exits with status 1 when an answer was not 2xx, a
code repeats or the database disagrees.

    DATABASE_URL="postgresql:///motcua_bench_intake?host=/var/run/postgresql" \\
      .venv/bin/python benchmarks/intake.py [--clients 16] [--requests 150] [--workers 2]
      [--pool 4] [--points 1]

Without DATABASE_URL it runs on SQLite (and says so: the target is for PostgreSQL).
"""

from __future__ import annotations

import argparse
import importlib
import io
import logging
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
from _bench import machine, throwaway_database
from _server import cpu_probe, cpu_seconds, cpu_since, print_cpu, server, staff_session

PASSWORD = "bench-intake-password"  # noqa: S105  (throwaway users of a throwaway database)
WARM_UP = 5
TARGET_RATE, TARGET_P99_MS = 150, 250
BODY = {
    "procedure": "2.000815",
    "channel": "counter",
    "applicant": {
        "name": "Nguyễn Văn An",
        "id_number": "022090012345",
        "address": "Phường Hạ Long",
        "birth_date": "1990-05-12",
    },
    "data": {"ten_giay_to": "Bằng tốt nghiệp", "so_trang": 2, "so_ban": 1},
    "on_paper": ["ban_chinh", "ban_sao"],
    "decision": {"decision": "accept"},
}


@dataclass(frozen=True)
class Answer:
    status: int
    seconds: float
    code: str | None
    body: str


# --- Data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Officer:
    username: str
    commune: str  # the commune of the officer's centre, whose agency handles the dossier


def prepare(clients: int, points: int) -> list[Officer]:
    """Units, demo organisation and catalogue, and `clients` counter officers spread over the
    first `points` commune centres (Hạ Long first)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from motcua.organisation.models import Role, ServicePoint
    from motcua.organisation.services import grant_role

    call_command("load_units", stdout=io.StringIO())
    for app in ("organisation", "workcalendar", "catalogue"):  # what `motcua demo` loads
        importlib.import_module(f"motcua.{app}.demo").load_demo()
    role = Role.objects.get(code="counter_officer")
    centres = ServicePoint.objects.filter(kind="commune_centre").select_related("commune")
    ordered = sorted(centres, key=lambda point: (point.commune.code != "06688", point.code))
    encoded = make_password(PASSWORD)  # hashed once: the server still checks it at login
    officers = []
    for index in range(clients):
        point = ordered[index % points]
        name = f"bench-counter-{index:02d}"
        user = get_user_model().objects.create(username=name, password=encoded)
        grant_role(user=user, role=role, scope=point)
        officers.append(Officer(name, point.commune.code))
    return officers


def check_database(created: int, codes: set[str]) -> tuple[bool, str]:
    """Does the database hold exactly one dossier per 201 answer, under the codes answered?"""
    from django.db.models import Count

    from motcua.dossiers.models import Dossier

    stored = Dossier.objects.count()
    repeated = Dossier.objects.values("code").annotate(n=Count("id")).filter(n__gt=1).count()
    known = set(Dossier.objects.values_list("code", flat=True))
    ok = stored == created and repeated == 0 and known == codes
    return ok, (
        f"{stored} dossiers for {created} answers 201, {repeated} repeated codes, "
        f"codes {'match' if known == codes else 'DIFFER from'} those answered"
    )


# --- Clients ---------------------------------------------------------------------------------


def logged_in_client(base: str, officer: Officer) -> httpx.Client:
    """A client holding a staff session and the CSRF token that goes with it."""
    client = staff_session(base, officer.username, PASSWORD)
    client.headers["X-Bench-Commune"] = officer.commune  # read by submit(); the server ignores it
    return client


def submit(client: httpx.Client) -> Answer:
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    body = BODY | {"commune": client.headers["X-Bench-Commune"]}
    started = time.perf_counter()
    response = client.post("/api/v1/dossiers", json=body, headers=headers)
    seconds = time.perf_counter() - started
    code = response.json().get("code") if response.is_success else None
    return Answer(response.status_code, seconds, code, response.text[:500])


def load(clients: list[httpx.Client], per_client: int) -> tuple[list[Answer], float]:
    """Every client sends `per_client` requests one after the other, all clients at once."""
    start = threading.Barrier(len(clients) + 1)

    def work(client: httpx.Client) -> list[Answer]:
        start.wait()
        return [submit(client) for _ in range(per_client)]

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        futures = [pool.submit(work, client) for client in clients]
        start.wait()
        started = time.perf_counter()
        answers = [answer for future in futures for answer in future.result()]
        elapsed = time.perf_counter() - started
    return answers, elapsed


# --- Report ----------------------------------------------------------------------------------


def latency_line(answers: list[Answer]) -> str:
    ms = sorted(answer.seconds * 1000 for answer in answers)
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return f"p50 {cuts[49]:.1f}  p95 {cuts[94]:.1f}  p99 {cuts[98]:.1f}  max {ms[-1]:.1f}"


def report(
    answers: list[Answer], warm_up: list[Answer], elapsed: float, cpu: dict[str, float]
) -> bool:
    """Print the figures; return whether the run was valid."""
    everything = warm_up + answers
    failed = [answer for answer in everything if not 200 <= answer.status < 300]
    codes = [answer.code for answer in everything if answer.code]
    duplicates = len(codes) - len(set(codes))
    rate = len(answers) / elapsed
    print(f"{'requests':<14} {len(answers)} (+{len(warm_up)} warm-up, not timed)")
    print(f"{'elapsed':<14} {elapsed:.2f} s")
    print(f"{'dossiers/s':<14} {rate:.1f}")
    print(f"{'latency ms':<14} {latency_line(answers)}")
    print(
        f"{'non-2xx':<14} {len(failed)}"
        + (f" — first: {failed[0].status} {failed[0].body}" if failed else "")
    )
    print(f"{'duplicates':<14} {duplicates}")
    created = sum(answer.status == 201 for answer in everything)
    consistent, detail = check_database(created, set(codes))
    print(f"{'database':<14} {detail}")
    print_cpu(cpu, elapsed, len(answers))
    return not failed and duplicates == 0 and consistent


def verdict(vendor: str, answers: list[Answer], elapsed: float) -> str:
    rate = len(answers) / elapsed
    p99 = statistics.quantiles([a.seconds * 1000 for a in answers], n=100, method="inclusive")[98]
    met = rate >= TARGET_RATE and p99 < TARGET_P99_MS
    note = "" if vendor == "postgresql" else " (the target is for PostgreSQL: indicative only)"
    return f"target ≥ {TARGET_RATE}/s, p99 < {TARGET_P99_MS} ms: {'met' if met else 'MISSED'}{note}"


# --- Main ------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--requests", type=int, default=150, help="timed requests per client")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (2)")
    parser.add_argument(
        "--pool", default="4", help="MOTCUA_DB_POOL_SIZE of each worker (4; 0: no pool)"
    )
    parser.add_argument(
        "--points", type=int, default=1, help="commune centres the clients are spread over (1)"
    )
    return parser.parse_args()


def database_label(vendor: str) -> str:
    from django.db import connection

    if vendor != "postgresql":
        return f"{vendor} (DATABASE_URL not set: the target is for PostgreSQL)"
    return f"PostgreSQL {connection.pg_version // 10000}"


def measure(url: str, vendor: str, officers: list[Officer], options: argparse.Namespace) -> bool:
    """Serve, log the clients in, warm up, time the run, stop the server; report."""
    with server(url, options.workers, options.pool) as (base, process):
        clients = [logged_in_client(base, officer) for officer in officers]
        try:
            warm_up, _ = load(clients, WARM_UP)
            probe_before = cpu_probe()
            before = cpu_seconds(process.pid)
            answers, elapsed = load(clients, options.requests)
            cpu = cpu_since(before, process.pid)
            probe_after = cpu_probe()
        finally:
            for client in clients:
                client.close()
    if vendor != "postgresql":
        cpu.pop("postgres cluster")  # someone else's: counted in "other"
    valid = report(answers, warm_up, elapsed, cpu)
    print(
        f"{'speed probe':<14} {probe_before:.0f} ms before, {probe_after:.0f} ms after "
        "(a fixed Python loop; lower is faster)"
    )
    print(verdict(vendor, answers, elapsed))
    return valid


def main() -> int:
    options = arguments()
    with throwaway_database() as url:
        from django.db import connection, connections

        logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
        vendor = connection.vendor
        officers = prepare(options.clients, options.points)
        print(
            f"intake — {machine()} — {database_label(vendor)} — uvicorn --workers "
            f"{options.workers}, MOTCUA_DB_POOL_SIZE={options.pool}, "
            f"{options.points} commune centre(s)"
        )
        print(
            f"{options.clients} clients × {options.requests} requests: 2.000815 at the counter, "
            "papers handed in, accepted at once"
        )
        connections.close_all()  # from here on only the server's workers use the database
        valid = measure(url, vendor, officers, options)
        connections.close_all()
    if not valid:
        print("INVALID RUN: see non-2xx, duplicates and database above")
    return 0 if valid else 1


if __name__ == "__main__":
    sys.exit(main())
