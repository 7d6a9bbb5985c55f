"""The job runner with several real workers on PostgreSQL: every job runs exactly once, every
due schedule is enqueued exactly once, a killed worker loses no job, SIGTERM is graceful.

Workers are `motcua worker` subprocesses connected to the test database (their DATABASE_URL
names it); they import the test tasks from tests/core/jobs_for_tests.py (the repository root
is on their PYTHONPATH).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from motcua.core.jobs import STALE_AFTER, Worker, recover_lost_tasks, run_due_schedules
from motcua.core.models import ScheduledJob, WorkerHeartbeat
from tests.core import jobs_for_tests as t

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
FINISHED = [TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED]


def child_env() -> dict[str, str]:
    """This environment, with DATABASE_URL pointing at the test database."""
    name = connection.settings_dict["NAME"]
    url = urlsplit(os.environ["DATABASE_URL"])
    child_url = f"{url.scheme}://{url.netloc}/{name}" + (f"?{url.query}" if url.query else "")
    env = dict(os.environ)
    env["DATABASE_URL"] = child_url
    env["MOTCUA_TEST_DB_NAME"] = name
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT), env.get("PYTHONPATH")] if p)
    return env


class Workers:
    """Worker subprocesses; their output goes to log files, shown when a test fails."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen[bytes]] = []
        self.env = child_env()

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        n = len(self.procs)
        log = open(self.tmp_path / f"worker-{n}.log", "wb")  # noqa: SIM115 (kept for the process)
        proc = subprocess.Popen(
            [sys.executable, "-m", "motcua.cli", "worker", f"--worker-id=test-worker-{n}", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.procs.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(
            f"--- worker {n} ---\n{(self.tmp_path / f'worker-{n}.log').read_text(errors='replace')}"
            for n in range(len(self.procs))
        )

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            dead = [p.args for p in self.procs if p.poll() not in (None, 0)]
            if dead or time.monotonic() > deadline:
                raise AssertionError(f"not reached: {what}\n{self.logs()}")
            time.sleep(0.05)

    def wait_exit(self, timeout: float = 60) -> list[int]:
        try:
            return [p.wait(timeout=timeout) for p in self.procs]
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"a worker did not exit\n{self.logs()}") from exc

    def kill_all(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(tmp_path)
    try:
        yield pool
    finally:
        pool.kill_all()


def executions(path: Path) -> Counter[str]:
    return Counter(line.split()[0] for line in t.read_lines(str(path)))


def test_live_workers_run_each_job_once_and_enqueue_each_schedule_once(
    workers: Workers, tmp_path: Path
) -> None:
    path = tmp_path / "runs"
    for _ in range(4):
        workers.start("--interval=0.05")
    workers.wait_until(lambda: WorkerHeartbeat.objects.count() == 4, "4 workers registered")

    # Everything becomes visible to the four polling workers at the same commit.
    now = timezone.now()
    with transaction.atomic():
        ScheduledJob.objects.bulk_create(
            ScheduledJob(
                name=f"tests.due-{i}",
                task_path=t.scheduled_tick.module_path,
                interval_seconds=3600,
                next_run_at=now,
            )
            for i in range(20)
        )
        for i in range(200):
            t.record.enqueue(str(path), f"job-{i}", 0.005)

    def all_done() -> bool:
        return (
            not ScheduledJob.objects.filter(last_run_at=None).exists()
            and not DBTaskResult.objects.exclude(status__in=FINISHED).exists()
        )

    workers.wait_until(all_done, "all jobs finished")
    for proc in workers.procs:
        proc.send_signal(signal.SIGTERM)
    assert workers.wait_exit() == [0, 0, 0, 0], workers.logs()

    runs = executions(path)
    assert set(runs) == {f"job-{i}" for i in range(200)}
    assert set(runs.values()) == {1}, [k for k, n in runs.items() if n > 1]
    records = DBTaskResult.objects.filter(task_path=t.record.module_path)
    assert records.filter(status=TaskResultStatus.SUCCESSFUL).count() == 200
    assert all(len(ids) == 1 for ids in records.values_list("worker_ids", flat=True))
    # Each due schedule was enqueued once, by one of the four ticking workers.
    assert DBTaskResult.objects.filter(task_path=t.scheduled_tick.module_path).count() == 20
    assert DBTaskResult.objects.filter(task_path__endswith=".prune_task_results").count() == 1
    assert not ScheduledJob.objects.filter(next_run_at__lte=now).exists()
    assert not WorkerHeartbeat.objects.exists()  # each removed its own on SIGTERM
    pids = Counter(line.split()[1] for line in t.read_lines(str(path)))
    print(f"jobs per worker process: {sorted(pids.values(), reverse=True)}")


def test_batch_workers_drain_the_queue_running_each_job_once(
    workers: Workers, tmp_path: Path
) -> None:
    path = tmp_path / "runs"
    for i in range(200):
        t.record.enqueue(str(path), f"job-{i}", 0.002)
    for _ in range(4):
        workers.start("--batch", "--interval=0")
    assert workers.wait_exit(timeout=180) == [0, 0, 0, 0], workers.logs()

    runs = executions(path)
    assert set(runs) == {f"job-{i}" for i in range(200)}
    assert set(runs.values()) == {1}
    assert (
        DBTaskResult.objects.filter(
            task_path=t.record.module_path, status=TaskResultStatus.SUCCESSFUL
        ).count()
        == 200
    )
    assert not WorkerHeartbeat.objects.exists()


def test_concurrent_schedule_ticks_enqueue_each_due_schedule_once() -> None:
    now = timezone.now()
    names = [f"tests.due-{i}" for i in range(30)]
    ScheduledJob.objects.bulk_create(
        ScheduledJob(
            name=name,
            task_path=t.scheduled_tick.module_path,
            interval_seconds=3600,
            next_run_at=now - timedelta(seconds=1),
        )
        for name in names
    )
    barrier = threading.Barrier(6)
    enqueued: list[str] = []
    errors: list[BaseException] = []

    def ticker() -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(5):
                enqueued.extend(run_due_schedules(limit=7))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ticker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(enqueued) == sorted(names)
    assert DBTaskResult.objects.filter(task_path=t.scheduled_tick.module_path).count() == 30


def test_job_of_a_killed_worker_is_run_again(workers: Workers, tmp_path: Path) -> None:
    path, flag = tmp_path / "runs", tmp_path / "hold"
    flag.touch()
    result = t.blocks_while.enqueue(str(path), str(flag))
    proc = workers.start("--interval=0.05")
    workers.wait_until(lambda: len(t.read_lines(str(path))) == 1, "the job started")

    proc.send_signal(signal.SIGKILL)
    proc.wait()
    flag.unlink()
    r = DBTaskResult.objects.get(pk=result.id)
    assert r.status == TaskResultStatus.RUNNING
    assert r.worker_ids == ["test-worker-0"]
    assert recover_lost_tasks() == {"requeued": [], "failed": []}  # heartbeat still fresh

    with time_machine.travel(timezone.now() + STALE_AFTER + timedelta(seconds=5), tick=True):
        assert recover_lost_tasks()["requeued"] == [result.id]
        assert not WorkerHeartbeat.objects.exists()
        Worker(batch=True, interval=0).run()

    r = DBTaskResult.objects.get(pk=result.id)
    assert r.status == TaskResultStatus.SUCCESSFUL
    assert len(r.worker_ids) == 2
    assert [line.split()[0] for line in t.read_lines(str(path))] == [
        "started",
        "started",
        "finished",
    ]


def test_sigterm_lets_the_running_job_finish_then_exits(workers: Workers, tmp_path: Path) -> None:
    path, flag = tmp_path / "runs", tmp_path / "hold"
    flag.touch()
    blocking = t.blocks_while.enqueue(str(path), str(flag))
    waiting = t.record.enqueue(str(path), "after-shutdown")
    proc = workers.start("--interval=0.05")
    workers.wait_until(lambda: len(t.read_lines(str(path))) == 1, "the job started")

    proc.send_signal(signal.SIGTERM)
    log = workers.tmp_path / "worker-0.log"
    workers.wait_until(lambda: b"stopping after the current task" in log.read_bytes(), "SIGTERM")
    flag.unlink()
    assert workers.wait_exit() == [0], workers.logs()

    assert DBTaskResult.objects.get(pk=blocking.id).status == TaskResultStatus.SUCCESSFUL
    assert DBTaskResult.objects.get(pk=waiting.id).status == TaskResultStatus.READY
    assert not WorkerHeartbeat.objects.exists()
