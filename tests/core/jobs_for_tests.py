"""Tasks for the job runner's tests. Worker subprocesses import this module too (by task path),
so it must stay importable with the repository root on PYTHONPATH.

Tasks record each execution as one line appended to a file: O_APPEND writes of one short line
are atomic, so several processes can record into the same file.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

from django_tasks import TaskContext, task

from motcua.core.jobs import PermanentJobError, job, periodic


def append_line(path: str, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{line}\n".encode())
    finally:
        os.close(fd)


def read_lines(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


@job(retries=0)
def record(path: str, key: str, pause: float = 0.0) -> str:
    if pause:
        time.sleep(pause)
    append_line(path, f"{key} {os.getpid()}")
    return key


@job(queue_name="slow", retries=0)
def record_slow(path: str, key: str) -> str:
    append_line(path, key)
    return key


@job(retries=3, backoff_seconds=10, takes_context=True)
def flaky(context: TaskContext, path: str, failures: int) -> int:
    """Fails its first `failures` attempts."""
    append_line(path, str(context.attempt))
    if context.attempt <= failures:
        raise RuntimeError(f"attempt {context.attempt} fails")
    return context.attempt


@job(retries=2, backoff_seconds=5)
def always_fails(path: str) -> None:
    append_line(path, "ran")
    raise ValueError("the agency API said no")


@job(retries=5)
def gives_up() -> None:
    raise PermanentJobError("the dossier is gone")


@task()
def plain_fails() -> None:
    raise ValueError("a plain django-tasks task")


@job(retries=1)
def returns_no_json() -> object:
    return object()


@job(retries=3)
def interrupted() -> None:
    raise KeyboardInterrupt


@job(retries=0)
def blocks_while(path: str, flag: str) -> str:
    """Records that it started, then waits while the file `flag` exists (at most 60 s)."""
    append_line(path, f"started {os.getpid()}")
    deadline = time.monotonic() + 60
    while os.path.exists(flag) and time.monotonic() < deadline:
        time.sleep(0.02)
    append_line(path, f"finished {os.getpid()}")
    return "done"


@job(retries=0)
def scheduled_tick() -> str:
    return "tick"


@periodic(every=timedelta(minutes=10), name="tests.every_ten_minutes")
@job(retries=0)
def every_ten_minutes() -> str:
    return "tick"
