from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from motcua.core.models import AuditEntry
from motcua.workcalendar import services
from motcua.workcalendar.models import CalendarOverride, WorkingSchedule
from motcua.workcalendar.selectors import calendar_for
from tests.org import Org


def override(org: Org, day: str, kind: str, decision: str = "TB 1/2026") -> CalendarOverride:
    return CalendarOverride(
        province=org.province,
        date=dt.date.fromisoformat(day),
        kind=kind,
        name="Ngày thử",
        decision=decision,
    )


@pytest.mark.django_db
def test_an_override_is_seen_at_once_by_the_cached_calendar(org: Org) -> None:
    assert calendar_for("22").is_working_day(dt.date(2026, 11, 27))
    services.save_override(override=override(org, "2026-11-27", "day_off"))
    assert not calendar_for("22").is_working_day(dt.date(2026, 11, 27))
    saved = CalendarOverride.objects.get()
    assert AuditEntry.objects.filter(
        action="workcalendar.override.save", object_id=str(saved.pk)
    ).exists()
    services.delete_override(override=saved)
    assert calendar_for("22").is_working_day(dt.date(2026, 11, 27))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "kind", "message"),
    [
        ("2026-11-26", "working_day", "đã là ngày làm việc"),  # a Thursday
        ("2026-11-28", "day_off", "đã là ngày nghỉ"),  # a Saturday
        ("2026-02-17", "day_off", "Tết Nguyên Đán"),  # already a holiday
        ("2026-08-22", "working_day", "đã là ngày làm việc"),  # already a make-up day
    ],
)
def test_contradicting_overrides_are_refused(org: Org, day: str, kind: str, message: str) -> None:
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError, match=message):
        services.save_override(override=override(org, day, kind))
    assert not CalendarOverride.objects.exists()
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_a_decision_is_required_and_a_day_has_one_override(org: Org) -> None:
    with pytest.raises(ValidationError) as info:
        services.save_override(override=override(org, "2026-11-27", "day_off", decision=""))
    assert "decision" in info.value.message_dict
    services.save_override(override=override(org, "2026-11-27", "day_off"))
    with pytest.raises(ValidationError):
        services.save_override(override=override(org, "2026-11-27", "day_off"))
    assert CalendarOverride.objects.count() == 1


@pytest.mark.django_db
def test_the_admin_refuses_a_contradicting_override(org: Org) -> None:
    client = Client()
    client.force_login(org.users["sysadmin"])
    url = reverse("admin:workcalendar_calendaroverride_add")
    data = {
        "province": org.province.pk,
        "date": "2026-11-28",
        "kind": "day_off",
        "name": "Thứ Bảy",
        "decision": "TB 1/2026",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert "đã là ngày nghỉ" in refused.content.decode()
    accepted = client.post(url, data | {"kind": "working_day", "name": "Làm bù"})
    assert accepted.status_code == 302
    assert calendar_for("22").is_working_day(dt.date(2026, 11, 28))


@pytest.mark.django_db
def test_schedule_sessions_are_validated_and_used(org: Org) -> None:
    schedule = WorkingSchedule(province=org.province, sessions=[["13:00", "12:00"]])
    with pytest.raises(ValidationError):
        services.save_schedule(schedule=schedule)
    schedule.sessions = [["07:30", "11:30"], ["11:00", "17:00"]]
    with pytest.raises(ValidationError):
        services.save_schedule(schedule=schedule)
    schedule.sessions = [["07:30", "11:30"], ["13:30", "17:00"]]
    services.save_schedule(schedule=schedule)
    calendar = calendar_for("22")
    due = calendar.same_day_due(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC))
    assert due.strftime("%H:%M") == "17:00"
    assert calendar.day_length == dt.timedelta(hours=7, minutes=30)
