"""Writes to the working calendar: keyword-only, atomic, audited, and each renews the schedule's
revision so that every process reloads the calendar."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from motcua.core import audit
from motcua.organisation.models import Province
from motcua.workcalendar.engine import Reason, package_day
from motcua.workcalendar.models import CalendarOverride, WorkingSchedule


def _renew_revision(province: Province) -> None:
    schedule, created = WorkingSchedule.objects.get_or_create(province=province)
    if not created:
        WorkingSchedule.objects.filter(pk=schedule.pk).update(revision=uuid.uuid4())


def check_override(override: CalendarOverride) -> None:
    """Refuse an override that changes nothing or contradicts the calendar it overrides."""
    schedule = WorkingSchedule.objects.filter(province_id=override.province_id).first()
    weekdays = frozenset(schedule.weekdays if schedule else range(5))
    base = package_day(override.date, weekdays)
    wants_working = override.kind == CalendarOverride.Kind.WORKING_DAY
    if wants_working and base.working:
        raise ValidationError(
            {
                "kind": _("%(date)s is already a working day; a make-up day must be a day off.")
                % {"date": f"{override.date:%d/%m/%Y}"}
            }
        )
    if not wants_working and not base.working:
        what = base.name if base.reason == Reason.HOLIDAY else _("a weekend day")
        raise ValidationError(
            {
                "kind": _("%(date)s is already a day off (%(what)s).")
                % {"date": f"{override.date:%d/%m/%Y}", "what": what}
            }
        )


@transaction.atomic
def save_override(*, override: CalendarOverride, actor: Any = None) -> CalendarOverride:
    old = audit.model_values(CalendarOverride.objects.get(pk=override.pk)) if override.pk else {}
    override.full_clean()
    check_override(override)
    override.save()
    _renew_revision(override.province)
    before, after = audit.changed_values(old, audit.model_values(override))
    audit.record(
        actor=actor, action="workcalendar.override.save", obj=override, old=before, new=after
    )
    return override


@transaction.atomic
def delete_override(*, override: CalendarOverride, actor: Any = None) -> None:
    audit.record(
        actor=actor,
        action="workcalendar.override.delete",
        obj=override,
        old=audit.model_values(override),
    )
    province = override.province
    override.delete()
    _renew_revision(province)


@transaction.atomic
def save_schedule(*, schedule: WorkingSchedule, actor: Any = None) -> WorkingSchedule:
    old = audit.model_values(WorkingSchedule.objects.get(pk=schedule.pk)) if schedule.pk else {}
    schedule.full_clean()
    schedule.revision = uuid.uuid4()
    schedule.save()
    before, after = audit.changed_values(old, audit.model_values(schedule))
    audit.record(
        actor=actor, action="workcalendar.schedule.save", obj=schedule, old=before, new=after
    )
    return schedule
