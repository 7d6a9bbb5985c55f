from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from motcua.core import events
from motcua.core.jobs import declared_schedules
from motcua.core.models import LiveEvent
from motcua.core.tasks import prune_live_events


def test_live_events_are_pruned_on_a_schedule() -> None:
    schedule = declared_schedules()["core.prune_live_events"]
    assert schedule.task_path == "motcua.core.tasks.prune_live_events"
    assert schedule.interval_seconds == 600


@pytest.mark.django_db
def test_prune_job_keeps_the_replay_window() -> None:
    events.publish("province.22", "kpi", {"n": 1})
    old = events.publish("province.22", "kpi", {"n": 0})
    LiveEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=1))
    assert prune_live_events.call() == 1
    assert list(LiveEvent.objects.values_list("data", flat=True)) == [{"n": 1}]
