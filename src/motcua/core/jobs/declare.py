"""Declaring jobs: `@job` (a django-tasks task with a retry policy), `@periodic` schedules, and
`enqueue_on_commit`, the one way services enqueue.
"""

from __future__ import annotations

import inspect
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar, overload

from django.core.exceptions import ImproperlyConfigured
from django.db import router, transaction
from django.utils.module_loading import autodiscover_modules
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME, TaskContext
from django_tasks.base import DEFAULT_TASK_PRIORITY, Task
from django_tasks.exceptions import InvalidTaskError
from django_tasks.utils import normalize_json

logger = logging.getLogger("motcua.jobs")

P = ParamSpec("P")
T = TypeVar("T")
TaskT = TypeVar("TaskT", bound=Task[Any, Any])

# Retry policy of `@job` when none is given: 4 attempts, 30 s, 1 min, 2 min apart.
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF_SECONDS = 30.0
# The longest wait between two attempts, whatever the attempt number.
MAX_BACKOFF = timedelta(hours=6)
# Each wait is stretched by up to this fraction at random, so that jobs failing together (an
# agency's API is down) do not all come back at the same second.
BACKOFF_JITTER = 0.1


class PermanentJobError(Exception):
    """Raise from a job to fail it at once, without the retries its policy allows (the input
    can never succeed: the dossier was deleted, the payload is invalid)."""


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    retries: int
    backoff_seconds: float

    @property
    def max_attempts(self) -> int:
        return self.retries + 1


# Tasks declared with plain django-tasks `@task` are tried once.
PLAIN_TASK_POLICY = RetryPolicy(retries=0, backoff_seconds=DEFAULT_BACKOFF_SECONDS)
# A row whose task path does not import (a worker older than the code that enqueued it, during
# a rolling deploy) is retried for a while before it is given up.
UNKNOWN_TASK_POLICY = RetryPolicy(retries=5, backoff_seconds=60.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Job(Task[P, T]):
    """A django-tasks `Task` that carries its retry policy.

    The policy lives on the task object itself (not in a side registry), so it travels with
    `.using()` and is read back by the worker from the `DBTaskResult`'s task path.
    """

    retries: int = DEFAULT_RETRIES
    backoff_seconds: float = DEFAULT_BACKOFF_SECONDS

    def __post_init__(self) -> None:
        # Not super(): the zero-argument form breaks in slotted dataclasses before Python 3.14.
        Task.__post_init__(self)
        if self.retries < 0 or int(self.retries) != self.retries:
            raise InvalidTaskError("retries must be a whole number, zero or more.")
        if not self.backoff_seconds > 0:
            raise InvalidTaskError("backoff_seconds must be greater than zero.")

    @property
    def policy(self) -> RetryPolicy:
        return RetryPolicy(retries=self.retries, backoff_seconds=self.backoff_seconds)

    def enqueue_on_commit(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """`enqueue_on_commit(self, *args, **kwargs)`."""
        enqueue_on_commit(self, *args, **kwargs)


def retry_policy(task: Task[Any, Any]) -> RetryPolicy:
    return task.policy if isinstance(task, Job) else PLAIN_TASK_POLICY


def backoff_delay(policy: RetryPolicy, attempt: int) -> timedelta:
    """The wait before the attempt after `attempt` (1-based): backoff × 2^(attempt-1), capped
    at MAX_BACKOFF, plus up to BACKOFF_JITTER of itself at random."""
    exponent = min(max(attempt, 1) - 1, 32)
    seconds = min(policy.backoff_seconds * 2**exponent, MAX_BACKOFF.total_seconds())
    return timedelta(seconds=seconds * (1 + BACKOFF_JITTER * random.random()))  # noqa: S311


@overload
def job(function: Callable[P, T], /) -> Job[P, T]: ...


@overload
def job(
    *,
    retries: int = DEFAULT_RETRIES,
    backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
    queue_name: str = DEFAULT_TASK_QUEUE_NAME,
    priority: int = DEFAULT_TASK_PRIORITY,
    backend: str = DEFAULT_TASK_BACKEND_ALIAS,
    takes_context: Literal[False] = False,
) -> Callable[[Callable[P, T]], Job[P, T]]: ...


@overload
def job(
    *,
    retries: int = DEFAULT_RETRIES,
    backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
    queue_name: str = DEFAULT_TASK_QUEUE_NAME,
    priority: int = DEFAULT_TASK_PRIORITY,
    backend: str = DEFAULT_TASK_BACKEND_ALIAS,
    takes_context: Literal[True],
) -> Callable[[Callable[Concatenate[TaskContext, P], T]], Job[P, T]]: ...


def job(
    function: Callable[..., Any] | None = None,
    /,
    *,
    retries: int = DEFAULT_RETRIES,
    backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
    queue_name: str = DEFAULT_TASK_QUEUE_NAME,
    priority: int = DEFAULT_TASK_PRIORITY,
    backend: str = DEFAULT_TASK_BACKEND_ALIAS,
    takes_context: bool = False,
) -> Any:
    """Declare a background job: django-tasks' `@task` plus a retry policy.

    A failed attempt is tried again `retries` times, after `backoff_seconds` × 2^(attempt-1)
    (+ jitter); after the last one the result stays FAILED. Jobs run at least once: make them
    idempotent (a retry or a crashed worker runs them again).
    """

    def wrap(func: Callable[..., Any]) -> Job[Any, Any]:
        return Job(
            func=func,
            priority=priority,
            queue_name=queue_name,
            backend=backend,
            takes_context=takes_context,
            run_after=None,
            retries=retries,
            backoff_seconds=backoff_seconds,
        )

    if function is not None:
        return wrap(function)
    return wrap


def enqueue_on_commit(task: Task[P, Any], *args: P.args, **kwargs: P.kwargs) -> None:
    """Enqueue `task(*args, **kwargs)` once the current transaction commits (at once outside a
    transaction). Services call this, never `task.enqueue()`: a rolled-back write enqueues
    nothing, and a job never reads data that is not committed yet.

    The task and its arguments are checked now, so that a bad call fails (and rolls back) in
    the caller rather than after the commit.
    """
    task.get_backend().validate_task(task)
    payload = normalize_json({"args": args, "kwargs": kwargs})  # TypeError for non-JSON values
    using = router.db_for_write(_result_model())

    def enqueue() -> None:
        task.get_backend().enqueue(task, payload["args"], payload["kwargs"])

    # robust: the caller's data is committed already; a failing enqueue is logged with its
    # traceback instead of turning a successful request into an error.
    transaction.on_commit(enqueue, using=using, robust=True)


def _result_model() -> type[Any]:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult


@dataclass(frozen=True, kw_only=True)
class Schedule:
    name: str
    task_path: str
    interval_seconds: int


_SCHEDULES: dict[str, Schedule] = {}


def periodic(*, every: timedelta, name: str | None = None) -> Callable[[TaskT], TaskT]:
    """Run a task every `every` (whole seconds, at least 1): put it above `@job`/`@task`.

        @periodic(every=timedelta(hours=1), name="dossiers.send_reminders")
        @job(retries=2)
        def send_reminders() -> None: ...

    The schedule is stored as a `ScheduledJob` row (name defaults to the task path) when a
    worker starts; declare schedules in an app's `tasks` module, which workers import. A run
    missed while no worker was up is made up once, not once per missed interval.
    """
    seconds = every.total_seconds()
    if seconds < 1 or seconds != int(seconds):
        raise ImproperlyConfigured(f"@periodic(every={every!r}): use whole seconds, at least 1.")

    def register(task: TaskT) -> TaskT:
        if not isinstance(task, Task):
            raise ImproperlyConfigured("@periodic goes above @job or @task, not on a function.")
        required = [
            p
            for p in list(inspect.signature(task.func).parameters.values())[
                (1 if task.takes_context else 0) :
            ]
            if p.default is inspect.Parameter.empty
            and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        ]
        if required:
            raise ImproperlyConfigured(
                f"Periodic task {task.module_path} must take no arguments (has {required[0]})."
            )
        schedule = Schedule(
            name=name or task.module_path,
            task_path=task.module_path,
            interval_seconds=int(seconds),
        )
        if len(schedule.name) > 200 or len(schedule.task_path) > 300:
            raise ImproperlyConfigured(f"Schedule name or task path too long: {schedule.name}")
        known = _SCHEDULES.get(schedule.name)
        if known is not None and known != schedule:
            raise ImproperlyConfigured(f"Two schedules are named {schedule.name!r}.")
        _SCHEDULES[schedule.name] = schedule
        return task

    return register


def discover_tasks() -> None:
    """Import every installed app's `tasks` module, so that all schedules are declared."""
    autodiscover_modules("tasks")


def declared_schedules() -> dict[str, Schedule]:
    return dict(_SCHEDULES)
