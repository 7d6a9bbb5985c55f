"""Calendar writes: validated (nothing written on bad input), audited, and seen at once by the
cached calendar of every process."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.utils import translation

from motcua.core.errors import MotcuaError
from motcua.core.models import AuditEntry
from motcua.organisation.models import Province
from motcua.workcalendar import services
from motcua.workcalendar.engine import DayReason
from motcua.workcalendar.models import CalendarOverride, WorkingSchedule
from motcua.workcalendar.selectors import calendar_for
from tests.workcalendar.when import at, day

pytestmark = pytest.mark.django_db


def create(province: Province, date: str, kind: str, **fields: Any) -> CalendarOverride:
    values = {"name": "Ngày thử", "decision": "TB 1/TB-UBND ngày 02/01/2026"} | fields
    return services.create_override(province=province, date=day(date), kind=kind, **values)


def revision(province: Province) -> Any:
    return WorkingSchedule.objects.filter(province=province).values_list("revision", flat=True)


@contextmanager
def writes_nothing(province: Province) -> Iterator[pytest.ExceptionInfo[MotcuaError]]:
    """The block must raise MotcuaError and leave the calendar and the audit log as they were."""
    overrides = list(CalendarOverride.objects.values())
    schedules = list(WorkingSchedule.objects.values())
    audit_rows = AuditEntry.objects.count()
    with pytest.raises(MotcuaError) as raised:
        yield raised
    assert list(CalendarOverride.objects.values()) == overrides
    assert list(WorkingSchedule.objects.values()) == schedules
    assert AuditEntry.objects.count() == audit_rows


def test_an_override_is_saved_audited_and_seen_at_once(province: Province, viewer: Any) -> None:
    assert calendar_for("22").is_working_day(day("2026-11-27"))
    override = create(province, "2026-11-27", "day_off", name="Nghỉ tránh bão", actor=viewer)
    calendar = calendar_for("22")
    info = calendar.day(day("2026-11-27"))
    assert (info.working, info.reason) == (False, DayReason.OVERRIDE_OFF)
    assert (info.name, info.decision) == ("Nghỉ tránh bão", "TB 1/TB-UBND ngày 02/01/2026")
    entry = AuditEntry.objects.get(action="workcalendar.override.create")
    assert entry.object_id == str(override.pk)
    assert entry.actor_label == "viewer"
    assert entry.new_values["kind"] == "day_off"


def test_an_override_beats_the_package(province: Province) -> None:
    create(province, "2026-08-22", "day_off", name="Hoãn làm bù")
    create(province, "2026-08-31", "working_day", name="Làm việc bình thường")
    calendar = calendar_for("22")
    assert not calendar.is_working_day(day("2026-08-22"))
    assert calendar.is_working_day(day("2026-08-31"))
    assert calendar.add_working_days(day("2026-08-28"), 1) == day("2026-08-31")


def test_an_update_and_a_delete_reach_the_cached_calendar(province: Province) -> None:
    override = create(province, "2026-11-27", "day_off")
    assert not calendar_for("22").is_working_day(day("2026-11-27"))
    updated = services.update_override(override=override, date=day("2026-11-26"), name=" Bão ")
    calendar = calendar_for("22")
    assert calendar.is_working_day(day("2026-11-27"))
    assert calendar.day(day("2026-11-26")).name == "Bão"
    assert updated.name == "Bão"
    entry = AuditEntry.objects.get(action="workcalendar.override.update")
    assert entry.old_values == {"date": "2026-11-27", "name": "Ngày thử"}
    assert entry.new_values == {"date": "2026-11-26", "name": "Bão"}
    services.delete_override(override=updated)
    assert calendar_for("22").is_working_day(day("2026-11-26"))
    assert not CalendarOverride.objects.exists()
    deleted = AuditEntry.objects.get(action="workcalendar.override.delete")
    assert deleted.old_values["date"] == "2026-11-26"


def test_the_cached_calendar_costs_one_query(
    province: Province, django_assert_num_queries: Any
) -> None:
    create(province, "2026-11-27", "day_off")
    first = calendar_for("22")
    with django_assert_num_queries(1):
        assert calendar_for("22") is first


def test_the_deployment_province_is_the_default(province: Province, settings: Any) -> None:
    settings.PROVINCE_CODE = "22"
    create(province, "2026-11-27", "day_off")
    assert not calendar_for().is_working_day(day("2026-11-27"))


def test_provinces_keep_their_own_overrides(province: Province) -> None:
    other = Province.objects.create(code="01", name="Thành phố Hà Nội", short_name="Hà Nội")
    create(other, "2026-11-27", "day_off")
    assert calendar_for("22").is_working_day(day("2026-11-27"))
    assert not calendar_for("01").is_working_day(day("2026-11-27"))
    create(province, "2026-11-27", "day_off")  # the same date in another province is allowed
    assert CalendarOverride.objects.count() == 2


@pytest.mark.parametrize(
    ("date", "kind", "field", "words"),
    [
        ("2026-11-26", "working_day", "kind", "đã là ngày làm việc"),  # a Thursday
        ("2026-08-22", "working_day", "kind", "đã là ngày làm việc"),  # already a make-up day
        ("2026-11-28", "day_off", "kind", "đã là ngày nghỉ (cuối tuần)"),  # a Saturday
        ("2026-02-17", "day_off", "kind", "Tết Nguyên Đán"),  # already a holiday
        ("2026-04-27", "day_off", "kind", "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"),
        ("2026-11-27", "holiday", "kind", ""),  # not a kind
    ],
)
def test_an_override_that_changes_nothing_is_refused(
    province: Province, date: str, kind: str, field: str, words: str
) -> None:
    with writes_nothing(province) as raised, translation.override("vi"):
        create(province, date, kind)
    assert list(raised.value.fields) == [field]
    assert words in " ".join(raised.value.fields[field])
    assert words in str(raised.value)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"decision": ""}, "decision"),
        ({"decision": "   "}, "decision"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
    ],
)
def test_an_override_needs_a_name_and_a_decision(
    province: Province, fields: dict[str, str], field: str
) -> None:
    with writes_nothing(province) as raised:
        create(province, "2026-11-27", "day_off", **fields)
    assert field in raised.value.fields


def test_a_date_has_one_override_per_province(province: Province) -> None:
    create(province, "2026-11-27", "day_off")
    with translation.override("en"):
        with writes_nothing(province) as raised:
            create(province, "2026-11-27", "day_off", name="Lần hai")
        assert raised.value.as_dict()["fields"] == {
            "__all__": ["This province already has an override on that date."]
        }


def test_an_update_that_contradicts_itself_is_refused(province: Province) -> None:
    override = create(province, "2026-11-27", "day_off")
    other = create(province, "2026-11-30", "day_off")
    with writes_nothing(province):
        services.update_override(override=override, date=day("2026-11-28"))  # a Saturday
    with writes_nothing(province):
        services.update_override(override=override, kind="working_day")  # a Friday
    with writes_nothing(province):
        services.update_override(override=other, date=day("2026-11-27"))  # taken
    with writes_nothing(province):
        services.update_override(override=override, decision=" ")
    assert not calendar_for("22").is_working_day(day("2026-11-27"))


def test_the_schedule_is_updated_audited_and_used(province: Province) -> None:
    services.update_schedule(
        province=province,
        weekdays=[5, 0, 1, 2, 3, 4],
        sessions=[("07:30", "11:30"), ("13:30", "17:00")],
        same_day_cutoff=dt.time(16, 0),
    )
    schedule = WorkingSchedule.objects.get(province=province)
    assert schedule.weekdays == [0, 1, 2, 3, 4, 5]
    assert schedule.sessions == [["07:30", "11:30"], ["13:30", "17:00"]]
    calendar = calendar_for("22")
    assert calendar.day_length == dt.timedelta(hours=7, minutes=30)
    assert calendar.is_working_day(day("2026-03-07"))  # a Saturday
    assert calendar.same_day_due(at("2026-03-02T15:30")) == at("2026-03-02T17:00")
    entry = AuditEntry.objects.get(action="workcalendar.schedule.update")
    assert entry.old_values == {
        "weekdays": [0, 1, 2, 3, 4],
        "sessions": [["08:00", "12:00"], ["13:00", "17:00"]],
        "same_day_cutoff": "15:00:00",
    }
    assert entry.new_values["same_day_cutoff"] == "16:00:00"


def test_a_saved_schedule_renews_the_revision(province: Province) -> None:
    services.update_schedule(province=province)
    before = list(revision(province))
    create(province, "2026-11-27", "day_off")
    assert list(revision(province)) != before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sessions": [["12:00", "08:00"]]}, "sessions"),  # ends before it starts
        ({"sessions": [["08:00", "12:00"], ["11:00", "17:00"]]}, "sessions"),  # overlapping
        ({"sessions": [["13:00", "17:00"], ["08:00", "12:00"]]}, "sessions"),  # out of order
        ({"sessions": [["8:00", "12:00"]]}, "sessions"),  # not HH:MM
        ({"sessions": [["08:00", "24:00"]]}, "sessions"),
        ({"sessions": []}, "sessions"),
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": [0, 7]}, "weekdays"),
        ({"weekdays": [0, 0]}, "weekdays"),
        ({"same_day_cutoff": dt.time(18, 0)}, "same_day_cutoff"),  # after closing
        ({"same_day_cutoff": dt.time(7, 0)}, "same_day_cutoff"),  # before opening
    ],
)
def test_a_malformed_schedule_is_refused(
    province: Province, changes: dict[str, Any], field: str
) -> None:
    services.update_schedule(province=province)
    with writes_nothing(province) as raised:
        services.update_schedule(province=province, **changes)
    assert list(raised.value.fields) == [field]
