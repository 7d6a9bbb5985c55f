"""Writes to the working calendar: keyword-only, atomic, audited.

Every write first locks the province's schedule row, so that writes to one province's calendar
queue instead of racing past each other's checks, and renews the schedule's revision, so that
every process reloads the calendar (`selectors.calendar_for`). Bad input raises `MotcuaError`
with the reasons per field, and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from motcua.core import audit
from motcua.core.errors import MotcuaError
from motcua.organisation.models import Province
from motcua.workcalendar.models import CalendarOverride, WorkingSchedule

# The revision is bookkeeping for caches, not a decision anyone made: it stays out of the audit.
SCHEDULE_AUDIT_FIELDS = ["province", "weekdays", "sessions", "same_day_cutoff"]


@transaction.atomic
def create_override(
    *,
    province: Province,
    date: dt.date,
    kind: str,
    name: str,
    decision: str,
    actor: Any = None,
    ip: str | None = None,
) -> CalendarOverride:
    """Announce an extra day off or working day in `province`, citing the deciding document."""
    schedule = _locked_schedule(province)
    override = CalendarOverride(
        province=province, date=date, kind=kind, name=name.strip(), decision=decision.strip()
    )
    _validate(override, _("The calendar override was not saved: %(reasons)s"))
    override.save()
    _renew_revision(schedule)
    audit.record(
        actor=actor,
        action="workcalendar.override.create",
        obj=override,
        new=audit.model_values(override),
        ip=ip,
    )
    return override


@transaction.atomic
def update_override(
    *,
    override: CalendarOverride,
    date: dt.date | None = None,
    kind: str | None = None,
    name: str | None = None,
    decision: str | None = None,
    actor: Any = None,
    ip: str | None = None,
) -> CalendarOverride:
    """Change the given fields of an override (None leaves a field as it is)."""
    schedule = _locked_schedule(override.province)
    stored = CalendarOverride.objects.get(pk=override.pk)
    old = audit.model_values(stored)
    changes = {"date": date, "kind": kind, "name": name, "decision": decision}
    for field, value in changes.items():
        if value is not None:
            setattr(stored, field, value.strip() if isinstance(value, str) else value)
    _validate(stored, _("The calendar override was not saved: %(reasons)s"))
    stored.save()
    _renew_revision(schedule)
    before, after = audit.changed_values(old, audit.model_values(stored))
    audit.record(
        actor=actor,
        action="workcalendar.override.update",
        obj=stored,
        old=before,
        new=after,
        ip=ip,
    )
    return stored


@transaction.atomic
def delete_override(
    *, override: CalendarOverride, actor: Any = None, ip: str | None = None
) -> None:
    """Withdraw an override: the day follows the `holidays` package and the weekly schedule."""
    schedule = _locked_schedule(override.province)
    audit.record(
        actor=actor,
        action="workcalendar.override.delete",
        obj=override,
        old=audit.model_values(override),
        ip=ip,
    )
    override.delete()
    _renew_revision(schedule)


@transaction.atomic
def update_schedule(
    *,
    province: Province,
    weekdays: Iterable[int] | None = None,
    sessions: Sequence[Sequence[str]] | None = None,
    same_day_cutoff: dt.time | None = None,
    actor: Any = None,
    ip: str | None = None,
) -> WorkingSchedule:
    """Set the given parts of the province's working week (None leaves a part as it is)."""
    schedule = _locked_schedule(province)
    old = audit.model_values(schedule, SCHEDULE_AUDIT_FIELDS)
    if weekdays is not None:
        schedule.weekdays = list(weekdays)
    if sessions is not None:
        schedule.sessions = [
            list(pair) if isinstance(pair, list | tuple) else pair for pair in sessions
        ]
    if same_day_cutoff is not None:
        schedule.same_day_cutoff = same_day_cutoff
    _validate(schedule, _("The working schedule was not saved: %(reasons)s"))
    schedule.weekdays = sorted(schedule.weekdays)
    schedule.revision = uuid.uuid4()
    schedule.save()
    before, after = audit.changed_values(old, audit.model_values(schedule, SCHEDULE_AUDIT_FIELDS))
    audit.record(
        actor=actor,
        action="workcalendar.schedule.update",
        obj=schedule,
        old=before,
        new=after,
        ip=ip,
    )
    return schedule


def _locked_schedule(province: Province) -> WorkingSchedule:
    """The province's schedule row, locked until commit (created with the defaults if absent:
    a province's week is Monday–Friday, 08:00–12:00 and 13:00–17:00 until someone edits it)."""
    schedule, _created = WorkingSchedule.objects.select_for_update().get_or_create(
        province=province
    )
    return schedule


def _renew_revision(schedule: WorkingSchedule) -> None:
    schedule.revision = uuid.uuid4()
    schedule.save(update_fields=["revision"])


def _validate(instance: models.Model, message: str) -> None:
    try:
        instance.full_clean()
    except ValidationError as error:
        reasons = " ".join(error.messages)
        raise MotcuaError(
            message % {"reasons": reasons}, code="invalid", fields=error.message_dict
        ) from error
