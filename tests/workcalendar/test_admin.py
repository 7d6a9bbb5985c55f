"""The calendar admin: the models' validation, saves through the audited services."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from motcua.core.models import AuditEntry
from motcua.organisation.models import Province
from motcua.workcalendar import services
from motcua.workcalendar.models import CalendarOverride, WorkingSchedule
from motcua.workcalendar.selectors import calendar_for
from tests.workcalendar.when import day

pytestmark = pytest.mark.django_db

OVERRIDE = {
    "date": "2026-11-28",
    "kind": "working_day",
    "name": "Làm bù cho ngày 23/11",
    "decision": "TB 6150/TB-BNV ngày 10/11/2025",
}


def test_the_lists_render_in_vietnamese(manager_client: Client, province: Province) -> None:
    services.create_override(
        province=province, date=day("2026-11-27"), kind="day_off", name="Bão", decision="CĐ 1"
    )
    overrides = manager_client.get(reverse("admin:workcalendar_calendaroverride_changelist"))
    assert overrides.status_code == 200
    html = overrides.content.decode()
    assert "Bão" in html
    assert "Thứ Sáu" in html  # the weekday of 27/11/2026
    schedules = manager_client.get(reverse("admin:workcalendar_workingschedule_changelist"))
    assert schedules.status_code == 200


def test_the_add_form_proposes_the_deployment_province(
    manager_client: Client, province: Province
) -> None:
    form = manager_client.get(reverse("admin:workcalendar_calendaroverride_add"))
    assert form.context["adminform"].form.initial["province"] == province.pk


def test_a_contradicting_override_is_refused(manager_client: Client, province: Province) -> None:
    url = reverse("admin:workcalendar_calendaroverride_add")
    refused = manager_client.post(url, OVERRIDE | {"province": province.pk, "kind": "day_off"})
    assert refused.status_code == 200
    assert "đã là ngày nghỉ" in refused.content.decode()
    no_decision = manager_client.post(url, OVERRIDE | {"province": province.pk, "decision": ""})
    assert no_decision.status_code == 200
    assert not CalendarOverride.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="workcalendar").exists()


def test_an_override_is_added_changed_and_deleted_with_audit(
    manager_client: Client, province: Province
) -> None:
    added = manager_client.post(
        reverse("admin:workcalendar_calendaroverride_add"), OVERRIDE | {"province": province.pk}
    )
    assert added.status_code == 302
    override = CalendarOverride.objects.get()
    assert calendar_for("22").is_working_day(day("2026-11-28"))
    created = AuditEntry.objects.get(action="workcalendar.override.create")
    assert (created.actor_label, created.ip) == ("manager", "127.0.0.1")

    change_url = reverse("admin:workcalendar_calendaroverride_change", args=[override.pk])
    changed = manager_client.post(change_url, OVERRIDE | {"date": "2026-11-29"})
    assert changed.status_code == 302
    assert calendar_for("22").is_working_day(day("2026-11-29"))
    assert not calendar_for("22").is_working_day(day("2026-11-28"))
    assert AuditEntry.objects.filter(action="workcalendar.override.update").count() == 1

    delete_url = reverse("admin:workcalendar_calendaroverride_delete", args=[override.pk])
    deleted = manager_client.post(delete_url, {"post": "yes"})
    assert deleted.status_code == 302
    assert not CalendarOverride.objects.exists()
    assert not calendar_for("22").is_working_day(day("2026-11-29"))
    assert AuditEntry.objects.filter(action="workcalendar.override.delete").count() == 1


def test_the_schedule_is_edited_as_text_and_checkboxes(
    manager_client: Client, province: Province
) -> None:
    schedule = services.update_schedule(province=province)
    url = reverse("admin:workcalendar_workingschedule_change", args=[schedule.pk])
    form = manager_client.get(url).content.decode()
    assert 'value="08:00–12:00, 13:00–17:00"' in form
    data = {
        "weekdays": ["0", "1", "2", "3", "4", "5"],
        "sessions": "07:30-11:30; 13:30–17:00",
        "same_day_cutoff": "15:30",
    }
    saved = manager_client.post(url, data)
    assert saved.status_code == 302
    schedule.refresh_from_db()
    assert schedule.weekdays == [0, 1, 2, 3, 4, 5]
    assert schedule.sessions == [["07:30", "11:30"], ["13:30", "17:00"]]
    assert calendar_for("22").is_working_day(day("2026-03-07"))
    assert AuditEntry.objects.filter(action="workcalendar.schedule.update").count() == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"sessions": "morning"},
        {"sessions": "13:00–17:00, 08:00–12:00"},
        {"sessions": "08:00–12:00, 11:00–17:00"},
        {"weekdays": []},
        {"same_day_cutoff": "19:00"},
    ],
)
def test_a_malformed_schedule_is_refused_in_the_admin(
    manager_client: Client, province: Province, changes: dict[str, Any]
) -> None:
    schedule = services.update_schedule(province=province)
    url = reverse("admin:workcalendar_workingschedule_change", args=[schedule.pk])
    data = {"weekdays": ["0", "1", "2", "3", "4"], "sessions": "08:00–12:00, 13:00–17:00"}
    refused = manager_client.post(url, data | {"same_day_cutoff": "15:00"} | changes)
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors
    assert WorkingSchedule.objects.get().sessions == [["08:00", "12:00"], ["13:00", "17:00"]]


def test_a_schedule_cannot_be_deleted(manager_client: Client, province: Province) -> None:
    schedule = services.update_schedule(province=province)
    url = reverse("admin:workcalendar_workingschedule_delete", args=[schedule.pk])
    assert manager_client.post(url, {"post": "yes"}).status_code == 403
    assert WorkingSchedule.objects.exists()


def test_viewers_do_not_manage_the_calendar(viewer_client: Client) -> None:
    response = viewer_client.get(reverse("admin:workcalendar_calendaroverride_changelist"))
    assert response.status_code in {302, 403}
