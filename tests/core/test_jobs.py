"""The job runner on any database: enqueue after commit, retries with backoff, schedules, crash
recovery, the worker command and the in-process worker, pruning, the jobs page.

Workers run in this process here (`Worker(batch=True).run()`); the multi-process tests are in
test_jobs_concurrency.py (PostgreSQL).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks.base import TaskResultStatus
from django_tasks.exceptions import InvalidTaskError
from django_tasks_db.models import DBTaskResult

from motcua.core.jobs import (
    RESULT_RETENTION,
    STALE_AFTER,
    RetryPolicy,
    Schedule,
    Worker,
    backoff_delay,
    describe_interval,
    enqueue_on_commit,
    job,
    periodic,
    prune_task_results,
    recover_lost_tasks,
    run_due_schedules,
    start_in_process_worker,
    sync_schedules,
)
from motcua.core.jobs.recovery import WORKER_LOST
from motcua.core.models import ScheduledJob, WorkerHeartbeat
from tests.core import jobs_for_tests as t

READY = TaskResultStatus.READY
RUNNING = TaskResultStatus.RUNNING
FAILED = TaskResultStatus.FAILED
SUCCESSFUL = TaskResultStatus.SUCCESSFUL


def drain() -> Worker:
    """Run one batch worker in this process until nothing is ready."""
    worker = Worker(batch=True, interval=0)
    worker.run()
    return worker


def row(result_id: str) -> DBTaskResult:
    return DBTaskResult.objects.get(pk=result_id)


def keys(path: str) -> list[str]:
    return sorted(line.split()[0] for line in t.read_lines(path))


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


# -- enqueue after commit ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_waits_for_the_commit_and_drops_rolled_back_jobs(tmp_path) -> None:
    path = str(tmp_path / "runs")
    with transaction.atomic():
        enqueue_on_commit(t.record, path, "kept")
        t.record.enqueue_on_commit(path, "kept-too")
        assert not DBTaskResult.objects.exists()
    assert DBTaskResult.objects.filter(status=READY).count() == 2

    def failing_service() -> None:
        with transaction.atomic():
            enqueue_on_commit(t.record, path, "rolled-back")
            raise RuntimeError("the service failed")

    with pytest.raises(RuntimeError):
        failing_service()
    assert DBTaskResult.objects.count() == 2

    drain()
    assert keys(path) == ["kept", "kept-too"]


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_outside_a_transaction_enqueues_at_once(tmp_path) -> None:
    enqueue_on_commit(t.record, str(tmp_path / "runs"), "now")
    assert DBTaskResult.objects.get().args_kwargs == {
        "args": [str(tmp_path / "runs"), "now"],
        "kwargs": {},
    }


@pytest.mark.django_db
def test_enqueue_on_commit_rejects_bad_arguments_in_the_caller(tmp_path) -> None:
    with pytest.raises(TypeError):
        enqueue_on_commit(t.record, str(tmp_path), object())  # type: ignore[arg-type]


# -- retries ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_job_failing_twice_is_retried_with_growing_backoff_then_succeeds(tmp_path) -> None:
    path = str(tmp_path / "runs")
    result = t.flaky.enqueue(path, 2)
    waits: list[timedelta] = []
    with time_machine.travel(timezone.now(), tick=True) as clock:
        for attempt in (1, 2):
            before = timezone.now()
            drain()
            after = timezone.now()
            r = row(result.id)
            assert r.status == READY
            assert len(r.worker_ids) == attempt
            assert r.exception_class_path == "builtins.RuntimeError"
            assert f"attempt {attempt} fails" in r.traceback
            base = timedelta(seconds=10 * 2 ** (attempt - 1))
            assert r.run_after - before >= base
            assert r.run_after - after <= base * 1.1
            waits.append(r.run_after - before)

            drain()  # not due yet: nothing runs
            assert len(row(result.id).worker_ids) == attempt
            clock.move_to(r.run_after + timedelta(seconds=1))
        drain()

    r = row(result.id)
    assert r.status == SUCCESSFUL
    assert r.return_value == 3
    assert len(r.worker_ids) == 3
    assert r.exception_class_path == ""
    assert r.traceback == ""
    assert t.read_lines(path) == ["1", "2", "3"]
    assert waits[1] > waits[0]


@pytest.mark.django_db
def test_job_that_always_fails_ends_failed_after_its_attempts(tmp_path) -> None:
    path = str(tmp_path / "runs")
    result = t.always_fails.enqueue(path)
    with time_machine.travel(timezone.now(), tick=True) as clock:
        for _ in range(5):
            drain()
            r = row(result.id)
            if r.status != READY:
                break
            clock.move_to(r.run_after + timedelta(seconds=1))
        drain()
    r = row(result.id)
    assert r.status == FAILED
    assert len(r.worker_ids) == 3  # retries=2
    assert t.read_lines(path) == ["ran"] * 3
    assert r.exception_class_path == "builtins.ValueError"
    assert "the agency API said no" in r.traceback
    assert r.finished_at is not None
    assert r.task_result.errors[0].exception_class is ValueError


@pytest.mark.django_db
def test_permanent_error_fails_at_once() -> None:
    result = t.gives_up.enqueue()
    drain()
    r = row(result.id)
    assert r.status == FAILED
    assert len(r.worker_ids) == 1
    assert r.exception_class_path == "motcua.core.jobs.declare.PermanentJobError"


@pytest.mark.django_db
def test_plain_django_task_is_tried_once() -> None:
    result = t.plain_fails.enqueue()
    drain()
    assert row(result.id).status == FAILED


@pytest.mark.django_db
def test_return_value_that_is_not_json_is_a_failure() -> None:
    result = t.returns_no_json.enqueue()
    drain()
    r = row(result.id)
    assert r.status == READY  # retries=1: one more attempt
    assert r.exception_class_path == "builtins.TypeError"


@pytest.mark.django_db
def test_unknown_task_path_is_retried_for_a_rolling_deploy() -> None:
    r = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="tests.core.jobs_for_tests.not_deployed_yet",
        backend_name="default",
    )
    before = timezone.now()
    drain()
    r.refresh_from_db()
    assert r.status == READY
    assert "ImportError" in r.exception_class_path
    assert r.run_after >= before + timedelta(seconds=60)


@pytest.mark.django_db
def test_forced_shutdown_during_a_job_requeues_it() -> None:
    result = t.interrupted.enqueue()
    worker = Worker(batch=True, interval=0)
    polled, claimed = worker._claim()
    assert polled
    assert claimed is not None
    with pytest.raises(KeyboardInterrupt):
        worker.run_task(claimed)
    r = row(result.id)
    assert r.status == READY
    assert r.run_after <= timezone.now()


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(retries=50, backoff_seconds=10)
    for attempt, base in [(1, 10), (2, 20), (3, 40), (4, 80)]:
        for _ in range(20):
            delay = backoff_delay(policy, attempt).total_seconds()
            assert base <= delay <= base * 1.1
    assert backoff_delay(policy, 40) <= timedelta(hours=6) * 1.1
    assert backoff_delay(policy, 10_000) >= timedelta(hours=6)


def test_job_declaration_is_checked() -> None:
    with pytest.raises(InvalidTaskError):
        job(retries=-1)(t.append_line)
    with pytest.raises(InvalidTaskError):
        job(backoff_seconds=0)(t.append_line)
    assert t.flaky.using(queue_name="slow").retries == 3  # the policy survives .using()
    with pytest.raises(ImproperlyConfigured, match="no arguments"):
        periodic(every=timedelta(minutes=1), name="x")(t.record)
    with pytest.raises(ImproperlyConfigured, match="above @job"):
        periodic(every=timedelta(minutes=1))(t.append_line)  # type: ignore[type-var]
    with pytest.raises(ImproperlyConfigured, match="whole seconds"):
        periodic(every=timedelta(milliseconds=1500))
    with pytest.raises(ImproperlyConfigured, match="Two schedules"):
        periodic(every=timedelta(minutes=1), name="tests.every_ten_minutes")(t.scheduled_tick)


# -- schedules --------------------------------------------------------------------------------

TICK = Schedule(name="tests.tick", task_path=t.scheduled_tick.module_path, interval_seconds=600)


def tick_results() -> int:
    return DBTaskResult.objects.filter(task_path=t.scheduled_tick.module_path).count()


@pytest.mark.django_db
def test_schedule_enqueues_once_per_interval() -> None:
    t0 = timezone.now()
    sync_schedules({TICK.name: TICK}, now=t0)
    assert run_due_schedules(now=t0) == ["tests.tick"]
    assert run_due_schedules(now=t0) == []
    assert run_due_schedules(now=t0 + timedelta(seconds=599)) == []
    assert tick_results() == 1

    assert run_due_schedules(now=t0 + timedelta(seconds=600)) == ["tests.tick"]
    assert tick_results() == 2
    # A worker outage of ten intervals: one catch-up run, and the grid is kept.
    late = t0 + timedelta(seconds=6000 + 30)
    assert run_due_schedules(now=late) == ["tests.tick"]
    assert run_due_schedules(now=late) == []
    assert tick_results() == 3
    s = ScheduledJob.objects.get(name="tests.tick")
    assert s.last_run_at == late
    assert s.next_run_at == t0 + timedelta(seconds=6600)


@pytest.mark.django_db
def test_schedule_sync_adds_updates_removes_and_keeps_enabled() -> None:
    t0 = timezone.now()
    other = Schedule(
        name="tests.other", task_path=t.scheduled_tick.module_path, interval_seconds=60
    )
    result = sync_schedules({TICK.name: TICK, other.name: other}, now=t0)
    assert result.created == ["tests.other", "tests.tick"]
    ScheduledJob.objects.filter(name="tests.tick").update(
        enabled=False, next_run_at=t0 + timedelta(days=1)
    )

    faster = Schedule(name=TICK.name, task_path=TICK.task_path, interval_seconds=300)
    result = sync_schedules({TICK.name: faster}, now=t0)
    assert (result.created, result.updated, result.removed) == ([], ["tests.tick"], ["tests.other"])
    s = ScheduledJob.objects.get()
    assert (s.name, s.interval_seconds, s.enabled) == ("tests.tick", 300, False)
    assert s.next_run_at == t0 + timedelta(seconds=300)  # no later than one new interval

    assert run_due_schedules(now=t0 + timedelta(days=2)) == []  # disabled in the admin
    result = sync_schedules({TICK.name: faster}, now=t0)
    assert (result.created, result.updated, result.removed) == ([], [], [])


@pytest.mark.django_db
def test_schedule_with_a_missing_task_is_skipped_but_advanced() -> None:
    t0 = timezone.now()
    ScheduledJob.objects.create(
        name="gone", task_path="tests.core.jobs_for_tests.gone", interval_seconds=60, next_run_at=t0
    )
    assert run_due_schedules(now=t0) == []
    assert ScheduledJob.objects.get().next_run_at == t0 + timedelta(seconds=60)


def test_periodic_declarations_are_registered() -> None:
    from motcua.core.jobs import declared_schedules

    schedules = declared_schedules()
    assert schedules["core.prune_task_results"].interval_seconds == 3600
    assert schedules["tests.every_ten_minutes"].task_path == t.every_ten_minutes.module_path


def test_interval_is_described_in_words() -> None:
    with translation.override("en"):
        assert describe_interval(3600) == "every 1 hour"
        assert describe_interval(2 * 86400) == "every 2 days"
        assert describe_interval(900) == "every 15 minutes"
        assert describe_interval(45) == "every 45 seconds"
    assert describe_interval(900) == "mỗi 15 phút"  # Vietnamese by default


# -- crash recovery ---------------------------------------------------------------------------


def heartbeat(worker_id: str, seen_at: datetime) -> None:
    WorkerHeartbeat.objects.create(
        worker_id=worker_id, hostname="h", pid=1, started_at=seen_at, seen_at=seen_at
    )


def running(path: str, key: str, worker_ids: list[str], started_at: datetime) -> str:
    result = t.record.enqueue(path, key)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=RUNNING, worker_ids=worker_ids, started_at=started_at
    )
    return result.id


@pytest.mark.django_db
def test_running_job_of_a_dead_worker_goes_back_to_ready(tmp_path) -> None:
    path = str(tmp_path / "runs")
    now = timezone.now()
    long_ago = now - STALE_AFTER - timedelta(minutes=1)
    heartbeat("dead", long_ago)
    heartbeat("alive", now)
    lost = running(path, "lost", ["dead"], long_ago)
    busy = running(path, "busy", ["alive"], long_ago)
    orphan = running(path, "orphan", ["never-registered"], long_ago)
    just_claimed = running(path, "just-claimed", ["starting"], now - timedelta(seconds=5))
    exhausted = running(path, "exhausted", ["a", "b", "dead"], long_ago)

    done = recover_lost_tasks()

    assert sorted(done["requeued"]) == sorted([lost, orphan])
    assert done["failed"] == [exhausted]
    assert row(lost).status == READY
    assert row(orphan).status == READY
    assert row(busy).status == RUNNING
    assert row(just_claimed).status == RUNNING  # grace period
    failed = row(exhausted)
    assert failed.status == FAILED
    assert failed.exception_class_path == WORKER_LOST
    assert "dead" in failed.traceback
    assert set(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == {"alive"}

    drain()
    assert row(lost).status == SUCCESSFUL
    assert len(row(lost).worker_ids) == 2  # the lost run counted as an attempt
    assert keys(path) == ["lost", "orphan"]


@pytest.mark.django_db
def test_worker_restarted_with_a_fixed_id_takes_back_its_old_jobs(tmp_path) -> None:
    path = str(tmp_path / "runs")
    now = timezone.now()
    heartbeat("worker-1", now)  # the crashed process's heartbeat is still fresh
    old = running(path, "old", ["worker-1"], now - timedelta(seconds=5))
    other = running(path, "other", ["worker-2"], now - timedelta(seconds=5))
    call_command("worker", "--batch", "--interval=0", "--worker-id=worker-1")
    assert row(old).status == SUCCESSFUL
    assert row(old).worker_ids == ["worker-1", "worker-1"]
    assert row(other).status == RUNNING
    assert keys(path) == ["old"]


@pytest.mark.django_db
def test_outcome_of_a_job_taken_back_from_its_worker_is_discarded(tmp_path) -> None:
    path = str(tmp_path / "runs")
    result = t.record.enqueue(path, "slow-worker")
    worker = Worker(batch=True, interval=0, worker_id="paused-worker")
    _, claimed = worker._claim()
    assert claimed is not None
    with time_machine.travel(timezone.now() + STALE_AFTER * 2):
        assert recover_lost_tasks()["requeued"] == [result.id]
    worker.run_task(claimed)  # the paused worker wakes up and finishes anyway
    assert row(result.id).status == READY  # its outcome did not overwrite the new run


@pytest.mark.django_db
def test_outcome_not_written_during_a_database_outage_is_written_later(
    tmp_path, monkeypatch
) -> None:
    from django.db import OperationalError

    from motcua.core.jobs import worker as worker_module

    result = t.record.enqueue(str(tmp_path / "runs"), "outage")
    worker = Worker(interval=0.05)
    _, claimed = worker._claim()
    assert claimed is not None

    def unreachable(*args: object) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(worker_module, "_write_outcome", unreachable)
    with pytest.raises(OperationalError):
        worker.run_task(claimed)
    assert row(result.id).status == RUNNING
    monkeypatch.undo()

    assert worker._step() == "idle"  # writes the kept outcome first, then finds nothing
    assert row(result.id).status == SUCCESSFUL
    assert keys(str(tmp_path / "runs")) == ["outage"]  # the job ran once


# -- the worker command and the in-process worker ---------------------------------------------


@pytest.mark.django_db
def test_worker_command_in_batch_mode_runs_jobs_of_its_queues(tmp_path) -> None:
    path = str(tmp_path / "runs")
    for key in ("a", "b", "c"):
        t.record.enqueue(path, key)
    slow = t.record_slow.enqueue(path, "slow")

    call_command("worker", "--batch", "--interval=0", "--queues=default")
    assert keys(path) == ["a", "b", "c"]
    assert row(slow.id).status == READY

    call_command("worker", "--batch", "--interval=0", "--worker-id=the-worker")
    assert keys(path) == ["a", "b", "c", "slow"]
    assert row(slow.id).worker_ids == ["the-worker"]
    assert not WorkerHeartbeat.objects.exists()  # removed on exit
    # Declared schedules were synced and the due ones run.
    assert {"core.prune_task_results", "tests.every_ten_minutes"} <= set(
        ScheduledJob.objects.values_list("name", flat=True)
    )
    assert DBTaskResult.objects.filter(
        task_path=prune_task_results.module_path, status=SUCCESSFUL
    ).exists()


@pytest.mark.django_db
def test_worker_command_rejects_bad_options() -> None:
    with pytest.raises(CommandError, match="nope"):
        call_command("worker", "--batch", "--queues=default,nope")
    with pytest.raises(CommandError, match="interval"):
        call_command("worker", "--interval=0")  # would poll in a busy loop


@pytest.mark.django_db(transaction=True)
def test_in_process_worker_runs_jobs_until_stopped(tmp_path) -> None:
    path = str(tmp_path / "runs")
    handle = start_in_process_worker(interval=0.05)
    try:
        with transaction.atomic():
            enqueue_on_commit(t.record, path, "in-process")
        wait_until(lambda: keys(path) == ["in-process"])
        wait_until(lambda: DBTaskResult.objects.filter(status=SUCCESSFUL).exists())
        assert WorkerHeartbeat.objects.filter(worker_id=handle.worker.worker_id).exists()
    finally:
        handle.stop()
    assert not handle.is_alive
    assert not WorkerHeartbeat.objects.exists()


# -- pruning and the jobs page ----------------------------------------------------------------


@pytest.mark.django_db
def test_prune_deletes_old_finished_results_only(tmp_path) -> None:
    now = timezone.now()
    old = now - RESULT_RETENTION - timedelta(hours=1)
    ids = {}
    for key, status, finished_at in [
        ("old-ok", SUCCESSFUL, old),
        ("old-failed", FAILED, old),
        ("recent", SUCCESSFUL, now - timedelta(days=1)),
        ("waiting", READY, None),
    ]:
        ids[key] = t.record.enqueue(str(tmp_path), key).id
        DBTaskResult.objects.filter(pk=ids[key]).update(status=status, finished_at=finished_at)
    assert prune_task_results.call() == 2
    remaining = {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)}
    assert remaining == {ids["recent"], ids["waiting"]}


@pytest.mark.django_db
def test_jobs_page_shows_failures_retries_schedules_and_workers(client, org) -> None:
    failed = t.always_fails.enqueue("/nonexistent/never-written")
    DBTaskResult.objects.filter(pk=failed.id).update(
        status=FAILED,
        finished_at=timezone.now(),
        exception_class_path="builtins.ValueError",
        traceback="ValueError: the agency API said no",
        worker_ids=["w1", "w2", "w3"],
    )
    retrying = t.flaky.enqueue("/nonexistent", 9)
    DBTaskResult.objects.filter(pk=retrying.id).update(
        exception_class_path="builtins.RuntimeError",
        traceback="RuntimeError: attempt 1 fails",
        worker_ids=["w1"],
        run_after=timezone.now() + timedelta(minutes=1),
    )
    sync_schedules({TICK.name: TICK})
    heartbeat("worker-on-host-1", timezone.now())

    client.force_login(org.users["sysadmin"])
    response = client.get(reverse("core:jobs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert t.always_fails.module_path in html
    assert "the agency API said no" in html
    assert "attempt 1 fails" in html
    assert "tests.tick" in html
    assert "worker-on-host-1" in html
    counts = {c["status"]: c["n"] for c in response.context["status_counts"]}
    assert counts[FAILED] == 1
    assert counts[READY] == 1


@pytest.mark.django_db
def test_jobs_page_needs_the_permission(client, org) -> None:
    client.force_login(org.users["counter_halong"])
    assert client.get(reverse("core:jobs")).status_code == 403
