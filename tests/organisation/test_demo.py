from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from motcua.organisation.demo import DEMO_PASSWORD, DEMO_STAFF
from motcua.organisation.models import Agency, Commune, Counter, Province, ServicePoint


@pytest.fixture
def demo(db, capsys: pytest.CaptureFixture[str], settings) -> str:  # type: ignore[no-untyped-def]
    settings.MONITORING_DEMO_DOSSIERS = 200  # the monitoring demo's synthetic year, kept small
    call_command("demo", setup_only=True)
    return capsys.readouterr().out


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=DEMO_PASSWORD)
    return client


def test_demo_builds_the_quang_ninh_organisation(demo: str) -> None:
    assert ServicePoint.objects.filter(kind="commune_centre").count() == 54
    assert ServicePoint.objects.filter(kind="provincial_centre").count() == 1
    assert Agency.objects.filter(level="commune", kind="peoples_committee").count() == 54
    assert Agency.objects.filter(level="commune", kind="commune_police").count() == 54
    assert Counter.objects.filter(service_point__code="ttpvhcc-tinh").count() == 12
    for username, *_ in DEMO_STAFF:
        assert username in demo  # every login is printed
    assert DEMO_PASSWORD in demo


def test_running_the_demo_again_keeps_the_data(demo: str) -> None:
    user = get_user_model().objects.get(username="motcua.halong")
    user.set_password("changed-by-the-officer")
    user.save()
    point = ServicePoint.objects.get(code="ttpvhcc-06688")
    point.phone = "0203 3 888 888"
    point.save()
    counts = (Agency.objects.count(), ServicePoint.objects.count(), Counter.objects.count())

    call_command("demo", setup_only=True)

    assert (Agency.objects.count(), ServicePoint.objects.count(), Counter.objects.count()) == counts
    assert ServicePoint.objects.get(code="ttpvhcc-06688").phone == "0203 3 888 888"
    assert (
        get_user_model()
        .objects.get(username="motcua.halong")
        .check_password("changed-by-the-officer")
    )


def test_commune_counter_officer_sees_only_their_commune(demo: str) -> None:
    client = login("motcua.halong")
    halong = Commune.objects.get(code="06688")
    points = client.get(reverse("api:service_points")).json()
    assert [p["code"] for p in points] == ["ttpvhcc-06688"]
    agencies = client.get(reverse("api:agencies")).json()
    assert {a["commune_code"] for a in agencies} == {halong.code}
    assert len(agencies) == 2  # the ward's People's Committee and police
    other = ServicePoint.objects.get(code="ttpvhcc-06673")
    assert client.get(reverse("api:service_point", args=[other.pk])).status_code == 404
    page = client.get(reverse("organisation:service_points"))
    assert page.status_code == 200
    assert "Phường Hạ Long" in page.content.decode()
    assert "Phường Bãi Cháy" not in page.content.decode()


def test_admin_lists_every_unit(demo: str) -> None:
    client = login("admin")
    provinces = client.get(reverse("admin:organisation_province_changelist"))
    assert provinces.context["cl"].result_count == 34
    communes = client.get(reverse("admin:organisation_commune_changelist"))
    assert communes.context["cl"].result_count == 3321
    province = Province.objects.get(code="22")
    in_qn = client.get(
        reverse("admin:organisation_commune_changelist") + f"?province__id__exact={province.pk}"
    )
    assert in_qn.context["cl"].result_count == 54
    # The admin speaks Vietnamese by default.
    assert "Đơn vị cấp xã" in in_qn.content.decode() or "đơn vị cấp xã" in in_qn.content.decode()


def test_provincial_monitor_sees_the_whole_province(demo: str) -> None:
    client = login("giamsat.tinh")
    assert len(client.get(reverse("api:service_points")).json()) == 55
