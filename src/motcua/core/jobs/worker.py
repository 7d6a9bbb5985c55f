"""The worker loop, shared by `motcua worker` (a process) and `start_in_process_worker()` (a
daemon thread next to the web server in `motcua demo`).

Why a subclass of django-tasks-db's `Worker` and not a `task_finished` receiver: the signal
fires after the row was already saved FAILED (anyone polling sees a final failure that is then
undone), a raising receiver would kill the worker, and heartbeats, schedules and crash recovery
need a loop of our own anyway. Overriding `run_task` lets one guarded write decide between
SUCCESSFUL, READY-again (retry) and FAILED; claiming still uses the package's own queryset
(`ready().get_locked()` = `select_for_update(skip_locked=True)`) and `claim()`.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from traceback import format_exception
from types import FrameType
from typing import Any

from django.db import DatabaseError, OperationalError, close_old_connections, connections
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskContext, task_backends
from django_tasks.base import TaskResultStatus
from django_tasks.signals import task_finished, task_started
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker as DBWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception, retry

from motcua.core.jobs.declare import (
    UNKNOWN_TASK_POLICY,
    PermanentJobError,
    RetryPolicy,
    backoff_delay,
    declared_schedules,
    discover_tasks,
    retry_policy,
)
from motcua.core.jobs.recovery import (
    HEARTBEAT_SECONDS,
    RECOVERY_SECONDS,
    beat,
    new_worker_id,
    recover_lost_tasks,
    register_worker,
    release_tasks_of,
    unregister_worker,
)
from motcua.core.jobs.schedules import run_due_schedules, sync_schedules

logger = logging.getLogger("motcua.jobs")

# How often a continuous worker looks for due schedules (a cheap indexed read when none is).
SCHEDULE_TICK_SECONDS = 1.0
# The shortest wait between two polls of an idle continuous worker.
MIN_IDLE_INTERVAL = 0.01


class Worker(DBWorker):
    """One worker: claims READY results of its queues one at a time and runs them.

    Continuous mode runs until `stop()` (or SIGTERM with `configure_signals()`); batch mode
    runs what is ready, then returns. A housekeeping thread keeps the heartbeat fresh and, in
    continuous mode, ticks schedules and recovers results of dead workers.
    """

    def __init__(
        self,
        *,
        queue_names: Sequence[str] = ("*",),
        interval: float = 1.0,
        batch: bool = False,
        max_tasks: int | None = None,
        worker_id: str | None = None,
        backend_name: str = DEFAULT_TASK_BACKEND_ALIAS,
    ) -> None:
        backend = task_backends[backend_name]
        if not isinstance(backend, DatabaseBackend):
            raise ValueError(f"Task backend {backend_name!r} is not a database backend.")
        if not batch and interval < MIN_IDLE_INTERVAL:
            raise ValueError(f"interval must be at least {MIN_IDLE_INTERVAL} s (or use batch).")
        queue_names = list(queue_names)
        unknown = set(queue_names) - {"*"} - set(backend.queues)
        if unknown or not queue_names:
            raise ValueError(
                f"Unknown queue(s) {', '.join(sorted(unknown)) or '(none given)'}; "
                f"configured: {', '.join(sorted(backend.queues))}."
            )
        super().__init__(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=False,
            max_tasks=max_tasks,
            worker_id=worker_id or new_worker_id(),
            excluded_queue_names=[],
        )
        self._wake: threading.Event = threading.Event()
        self._housekeeper: _Housekeeper | None = None
        self._pending_outcome: tuple[Any, Any, dict[str, Any]] | None = None

    @property
    def queues_label(self) -> str:
        return ",".join(self.queue_names)

    # -- stopping ------------------------------------------------------------------------

    def stop(self) -> None:
        """Finish the current task, then return from `run()`. Thread-safe."""
        self.running = False
        self._wake.set()

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        """Signal handler: the first SIGTERM/SIGINT stops after the current task; a second one
        interrupts it (the task is put back to READY)."""
        if not self.running:
            logger.warning("Received %s again: interrupting the task", signal.strsignal(signum))
            self.reset_signals()
            raise SystemExit(1)
        logger.warning(
            "Received %s: stopping after the current task (send again to interrupt it)",
            signal.strsignal(signum),
        )
        # Only a flag here: Event.set() from a signal handler can deadlock on its own lock.
        # The loop sees the flag within `interval`.
        self.running = False

    # -- the loop ------------------------------------------------------------------------

    def run(self) -> None:
        discover_tasks()
        sync_schedules(declared_schedules())
        release_tasks_of(self.worker_id)
        register_worker(self.worker_id, self.queues_label)
        logger.info(
            "Worker %s started: queues=%s batch=%s", self.worker_id, self.queues_label, self.batch
        )
        if self.batch:
            # Batch mode: one synchronous round; the thread only keeps the heartbeat fresh.
            recover_lost_tasks()
            run_due_schedules()
        self._housekeeper = _Housekeeper(self, maintenance=not self.batch)
        self._housekeeper.start()
        try:
            while self.running:
                try:
                    outcome = self._step()
                except Exception:
                    # Batch runs report errors; a continuous worker (often the only one, or a
                    # thread of the demo server with no supervisor to restart it) logs them and
                    # tries again: the database may be back in a moment.
                    if self.batch:
                        raise
                    logger.exception(
                        "Worker %s: error in the worker loop; retrying", self.worker_id
                    )
                    _drop_connection()
                    self._wake.wait(max(self.interval, 1.0))
                    continue
                if outcome == "done":
                    return
                if outcome == "idle":
                    self._wake.wait(self.interval)
        finally:
            self._housekeeper.stop()
            try:
                unregister_worker(self.worker_id)
            except DatabaseError:
                logger.exception("Worker %s: could not remove its heartbeat", self.worker_id)
            logger.info("Worker %s stopped after %d task(s)", self.worker_id, self._run_tasks)

    def _step(self) -> str:
        """Claim and run one task: "ran", "idle" (nothing ready) or "done" (stop now)."""
        if self._pending_outcome is not None:
            _write_outcome(*self._pending_outcome)
            self._pending_outcome = None
        polled, result = self._claim()
        if result is None:
            return "done" if self.batch and polled else "idle"
        try:
            self.run_task(result)
        finally:
            _end_of_unit_of_work()
        if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
            logger.info("Worker %s ran its %d tasks", self.worker_id, self.max_tasks)
            return "done"
        return "ran"

    def _claim(self) -> tuple[bool, DBTaskResult | None]:
        """(polled, result): polled is False when the database was locked (SQLite)."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        try:
            with exclusive_transaction(tasks.db):
                result = tasks.get_locked()
                if result is not None:
                    result.claim(self.worker_id)
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return False, None
            raise
        return True, result

    # -- one task ------------------------------------------------------------------------

    def run_task(self, db_task_result: DBTaskResult) -> None:
        claimed_at = db_task_result.started_at
        self.running_task = True
        try:
            try:
                # Any: django-tasks-db types these as django.tasks (Django 6) classes, while on
                # Django 5.2 they are django_tasks' (the backport) at run time.
                task: Any = db_task_result.task
                task_result: Any = db_task_result.task_result
            except Exception as exc:  # the task path no longer imports, or its module fails
                self._failed(db_task_result, claimed_at, exc, UNKNOWN_TASK_POLICY)
                return
            sender = type(task.get_backend())
            task_started.send_robust(sender=sender, task_result=task_result)
            try:
                args, kwargs = task_result.args, task_result.kwargs
                if task.takes_context:
                    value = task.call(TaskContext(task_result=task_result), *args, **kwargs)
                else:
                    value = task.call(*args, **kwargs)
                # A return value that is not JSON fails the attempt here rather than in the
                # write below (a failing write would spoil an enclosing transaction).
                json.dumps(value, cls=DBTaskResult._meta.get_field("return_value").encoder)
            except (KeyboardInterrupt, SystemExit):
                # Forced shutdown in the middle of the task: hand it back at once.
                self._finish(
                    db_task_result,
                    claimed_at,
                    status=TaskResultStatus.READY,
                    run_after=timezone.now(),
                )
                logger.warning("Task id=%s interrupted: requeued", db_task_result.id)
                raise
            except BaseException as exc:
                self._failed(db_task_result, claimed_at, exc, retry_policy(task))
                return
            self._finish(
                db_task_result,
                claimed_at,
                status=TaskResultStatus.SUCCESSFUL,
                finished_at=timezone.now(),
                return_value=value,
                exception_class_path="",
                traceback="",
            )
            db_task_result.status = TaskResultStatus.SUCCESSFUL
            db_task_result.return_value = value
            self._send_finished(sender, db_task_result)
        finally:
            self.running_task = False
            self._run_tasks += 1

    def _failed(
        self,
        db_task_result: DBTaskResult,
        claimed_at: Any,
        exc: BaseException,
        policy: RetryPolicy,
    ) -> None:
        """Record a failed attempt: back to READY after the backoff while attempts remain,
        FAILED after the last one. Called inside the `except` block (logs carry exc_info)."""
        attempt = len(db_task_result.worker_ids)
        exception_class_path = f"{type(exc).__module__}.{type(exc).__qualname__}"
        traceback = "".join(format_exception(exc))
        error = {
            "exception_class_path": exception_class_path,
            "traceback": traceback,
            "return_value": None,
        }
        if attempt < policy.max_attempts and not isinstance(exc, PermanentJobError):
            run_after = timezone.now() + backoff_delay(policy, attempt)
            self._finish(
                db_task_result,
                claimed_at,
                status=TaskResultStatus.READY,
                run_after=run_after,
                finished_at=None,
                **error,
            )
            logger.warning(
                "Task id=%s path=%s failed (attempt %d of %d); retry at %s",
                db_task_result.id,
                db_task_result.task_path,
                attempt,
                policy.max_attempts,
                run_after.isoformat(),
                exc_info=True,
            )
            return
        finished_at = timezone.now()
        self._finish(
            db_task_result,
            claimed_at,
            status=TaskResultStatus.FAILED,
            finished_at=finished_at,
            **error,
        )
        db_task_result.status = TaskResultStatus.FAILED
        db_task_result.finished_at = finished_at
        db_task_result.exception_class_path = exception_class_path
        db_task_result.traceback = traceback
        try:
            sender = type(db_task_result.task.get_backend())
        except Exception:
            logger.exception(
                "Task id=%s path=%s cannot be loaded: failed after %d attempt(s)",
                db_task_result.id,
                db_task_result.task_path,
                attempt,
            )
        else:
            self._send_finished(sender, db_task_result)

    def _finish(self, db_task_result: DBTaskResult, claimed_at: Any, **fields: Any) -> None:
        """Write an attempt's outcome. If the database is unreachable, the outcome is kept and
        written before the next claim (`_step`), so that the row is not left RUNNING under
        this live worker."""
        outcome = (db_task_result.pk, claimed_at, fields)
        try:
            _write_outcome(*outcome)
        except DatabaseError:
            self._pending_outcome = outcome
            raise

    @staticmethod
    def _send_finished(sender: type, db_task_result: DBTaskResult) -> None:
        for receiver, response in task_finished.send_robust(
            sender=sender, task_result=db_task_result.task_result
        ):
            if isinstance(response, Exception):
                logger.error("task_finished receiver %r failed", receiver, exc_info=response)


@retry()
def _write_outcome(pk: Any, claimed_at: Any, fields: dict[str, Any]) -> None:
    """Write an attempt's outcome, guarded: only if the row is still in the run that was
    claimed. If crash recovery took it back meanwhile, another run owns it now."""
    written = DBTaskResult.objects.filter(
        pk=pk, status=TaskResultStatus.RUNNING, started_at=claimed_at
    ).update(**fields)
    if not written:
        logger.warning(
            "Task id=%s was taken back from this worker (heartbeat lost?): outcome %s discarded",
            pk,
            fields.get("status"),
        )


class _Housekeeper(threading.Thread):
    """Heartbeat every HEARTBEAT_SECONDS; with `maintenance`, also schedule ticks and crash
    recovery. Errors are logged and retried on the next round."""

    def __init__(self, worker: Worker, *, maintenance: bool) -> None:
        super().__init__(name=f"motcua-jobs-housekeeping-{worker.worker_id}", daemon=True)
        self.worker = worker
        self.maintenance = maintenance
        self._stopped = threading.Event()

    def stop(self) -> None:
        self._stopped.set()
        # Bounded: a heartbeat stuck on a database lock must not keep the worker from exiting.
        self.join(timeout=HEARTBEAT_SECONDS * 2)

    def run(self) -> None:
        start = time.monotonic()
        next_beat = start + HEARTBEAT_SECONDS
        next_tick = start + SCHEDULE_TICK_SECONDS
        next_recovery = start + RECOVERY_SECONDS
        tick = min(HEARTBEAT_SECONDS, SCHEDULE_TICK_SECONDS)
        try:
            while not self._stopped.wait(tick):
                now = time.monotonic()
                try:
                    if now >= next_beat:
                        next_beat = now + HEARTBEAT_SECONDS
                        beat(self.worker.worker_id, self.worker.queues_label)
                    if self.maintenance and now >= next_tick:
                        next_tick = now + SCHEDULE_TICK_SECONDS
                        run_due_schedules()
                    if self.maintenance and now >= next_recovery:
                        next_recovery = now + RECOVERY_SECONDS
                        recover_lost_tasks()
                except Exception:
                    logger.exception("Worker %s: housekeeping failed", self.worker.worker_id)
                    _drop_connection()
        finally:
            connections.close_all()


def _end_of_unit_of_work() -> None:
    """Like the end of a request: drop the connection if it is broken or past CONN_MAX_AGE.
    Skipped inside an atomic block (a test wrapping the worker in a transaction)."""
    if not connections["default"].in_atomic_block:
        close_old_connections()


def _drop_connection() -> None:
    connection = connections["default"]
    if not connection.in_atomic_block:
        connection.close()


@dataclass
class InProcessWorker:
    """A worker running in a daemon thread of this process."""

    worker: Worker
    thread: threading.Thread

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the current task and stop (waits up to `timeout` seconds)."""
        self.worker.stop()
        self.thread.join(timeout)

    @property
    def is_alive(self) -> bool:
        return self.thread.is_alive()


def start_in_process_worker(
    *, queue_names: Sequence[str] = ("*",), interval: float = 1.0
) -> InProcessWorker:
    """Run the worker loop in a daemon thread (the `motcua demo` server): every queue,
    schedules and crash recovery included. Call `.stop()` on the handle when done."""
    worker = Worker(queue_names=queue_names, interval=interval)

    def target() -> None:
        try:
            worker.run()
        except Exception:
            logger.exception("In-process worker %s crashed", worker.worker_id)
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, name="motcua-jobs-worker", daemon=True)
    thread.start()
    return InProcessWorker(worker=worker, thread=thread)
