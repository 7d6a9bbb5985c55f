from __future__ import annotations

import math
import signal
from argparse import ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.core.jobs import Worker


def _interval(value: str) -> float:
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ArgumentTypeError("must be a number of seconds, zero or more")
    return number


def _positive(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ArgumentTypeError("must be greater than zero")
    return number


def _worker_id(value: str) -> str:
    if not value or len(value) > 64:
        raise ArgumentTypeError("must be 1 to 64 characters")
    return value


class Command(BaseCommand):
    help = (
        "Run a background job worker: runs queued jobs with retries, enqueues periodic "
        "schedules and takes back the jobs of dead workers. Stops after the current job on "
        "SIGTERM or Ctrl+C (a second one interrupts the job, which is requeued)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queues",
            default="*",
            help="Comma-separated queues to serve, or * for all (default: *).",
        )
        parser.add_argument(
            "--interval",
            type=_interval,
            default=1.0,
            help="Seconds to wait when no job is ready (default: 1).",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run the jobs that are ready (and due schedules), then exit.",
        )
        parser.add_argument(
            "--max-tasks",
            type=_positive,
            default=None,
            help="Exit after this many jobs (a supervisor starts a fresh process).",
        )
        parser.add_argument(
            "--worker-id",
            type=_worker_id,
            default=None,
            help="Unique id of this worker (default: host-pid-random).",
        )

    def handle(
        self,
        *args: Any,
        queues: str,
        interval: float,
        batch: bool,
        max_tasks: int | None,
        worker_id: str | None,
        **options: Any,
    ) -> None:
        queue_names = [name.strip() for name in queues.split(",") if name.strip()]
        try:
            worker = Worker(
                queue_names=queue_names,
                interval=interval,
                batch=batch,
                max_tasks=max_tasks,
                worker_id=worker_id,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        previous = {
            signum: signal.getsignal(signum)
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)
        }
        worker.configure_signals()
        try:
            worker.run()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
