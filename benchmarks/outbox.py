"""The outbox: what `outbox.record()` adds to each dossier write (µs and queries, with no
subscription and with several filtered ones), and webhook deliveries per second from the
delivery engine to a local receiver process (tests/interop/receiver.py, signatures checked)
with 1 and 2 workers (threads, each with its own database connection).

    DATABASE_URL="postgresql:///motcua_bench_outbox?host=/var/run/postgresql" \\
      .venv/bin/python benchmarks/outbox.py [--events 2000] [--writes 500]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _bench import ROOT, machine, rate, throwaway_database

sys.path.insert(0, ROOT)  # the receiver process of the tests


def prepare() -> Any:
    """The demo organisation and catalogue and a few generated dossiers; returns one."""
    import importlib
    import io

    from django.core.management import call_command

    from motcua.monitoring.generate import generate, generated_dossiers

    call_command("load_units", stdout=io.StringIO())
    for app in ("organisation", "workcalendar", "catalogue"):  # what `motcua demo` loads
        importlib.import_module(f"motcua.{app}.demo").load_demo()
    generate(province_code="22", year=dt.date.today().year, dossiers=20, tickets_per_dossier=0)
    return generated_dossiers("22").select_related("procedure").first()


def subscribe(count: int, url: str = "https://receiver.example.vn/hook") -> list[Any]:
    """`count` subscriptions with agency, procedure and type filters, as a province has."""
    from motcua.catalogue.models import Procedure
    from motcua.interop.models import Subscription
    from motcua.organisation.models import Agency

    agencies = list(Agency.objects.order_by("pk")[: count * 2])
    procedures = list(Procedure.objects.order_by("pk")[: count * 3])
    made = []
    for n in range(count):
        subscription = Subscription(
            name=f"bench-{n}", callback_url=url, event_types=["vn.motcua.dossier"]
        )
        subscription.issue_secret()
        subscription.save()
        subscription.agencies.set(agencies[n * 2 : n * 2 + 2])
        subscription.procedures.set(procedures[n * 3 : n * 3 + 3])
        made.append(subscription)
    return made


def record_cost(dossier: Any, writes: int, label: str) -> None:
    """record() alone, inside a transaction per write as in a service."""
    from django.db import connection, transaction
    from django.utils import timezone

    from motcua.dossiers.models import DossierEvent
    from motcua.interop import outbox

    times: list[float] = []
    queries: list[int] = []
    for _ in range(writes):
        with transaction.atomic():
            event = DossierEvent.objects.create(
                dossier=dossier,
                at=timezone.now(),
                action="digitised",
                from_status=dossier.status,
                to_status=dossier.status,
                actor_label="bench",
            )
            counted: list[str] = []

            def count(execute: Any, sql: str, *args: Any, counted: list[str] = counted) -> Any:
                counted.append(sql)
                return execute(sql, *args)

            with connection.execute_wrapper(count):
                started = time.perf_counter()
                outbox.record(event)
                times.append(time.perf_counter() - started)
            queries.append(len(counted))
    times.sort()
    print(
        f"record() {label:<48} p50 {statistics.median(times) * 1e6:7.0f} µs, "
        f"p95 {times[int(len(times) * 0.95)] * 1e6:7.0f} µs, "
        f"queries {min(queries)}–{max(queries)}"
    )


def deliveries_per_second(dossier: Any, events: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone
    from tests.interop.portal_sim import free_port
    from tests.interop.receiver import Receiver

    from motcua.dossiers.models import DossierEvent
    from motcua.interop import delivery, outbox
    from motcua.interop.models import Delivery, Subscription

    Subscription.objects.all().delete()
    Delivery.objects.all().delete()
    with tempfile.TemporaryDirectory() as folder:
        receiver = Receiver(free_port(), Path(folder))
        receiver.start()
        try:
            subscription = Subscription(name="bench")
            subscription.callback_url = receiver.url_for("bench", subscription.issue_secret())
            subscription.save()
            with transaction.atomic():
                for _ in range(events):
                    outbox.record(
                        DossierEvent.objects.create(
                            dossier=dossier,
                            at=timezone.now(),
                            action="digitised",
                            from_status=dossier.status,
                            to_status=dossier.status,
                            actor_label="bench",
                        )
                    )
            for workers in (1, 2):
                Delivery.objects.update(
                    state=Delivery.State.PENDING,
                    attempts=0,
                    delivered_at=None,
                    next_attempt_at=timezone.now(),
                    leased_until=None,
                )

                def run() -> None:
                    delivery.deliver_due()
                    connection.close()

                def drain(workers: int = workers) -> None:
                    threads = [threading.Thread(target=run) for _ in range(workers)]
                    for thread in threads:
                        thread.start()
                    for thread in threads:
                        thread.join()

                rate(f"webhook deliveries, {workers} worker(s)", events, drain)
                left = Delivery.objects.exclude(state=Delivery.State.DELIVERED).count()
                if left:
                    print(f"  {left} not delivered")
            accepted = receiver.accepted()
            invalid = sum(not r["valid"] for r in receiver.requests())
            print(f"  receiver: {len(accepted)} accepted, {invalid} with a bad signature")
        finally:
            receiver.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--writes", type=int, default=500)
    options = parser.parse_args()
    with throwaway_database() as url:
        print(f"outbox — {machine()} — {url.split('?')[0]}")
        dossier = prepare()
        record_cost(dossier, options.writes, "no subscription")
        subscribe(10)
        record_cost(dossier, options.writes, "10 filtered subscriptions")
        deliveries_per_second(dossier, options.events)


if __name__ == "__main__":
    main()
