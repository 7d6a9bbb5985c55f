from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from motcua.core.models import AuditEntry
from motcua.organisation import services
from motcua.organisation.models import Agency, Role, RoleMembership, ServicePoint
from tests.org import Org


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["000.00.09.H22", "H22", "001.01.03.H22", "000.01.30.G01"])
def test_agency_codes_in_the_qd_20_2020_shape_are_accepted(org: Org, code: str) -> None:
    agency = Agency(code=code, name="X", level="province", kind="department", province=org.province)
    agency.full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "code", ["000.00.00.h22", "000.00.00.Z22", "000 00 00 H22", "000.00.00", "0" * 32 + ".H22"]
)
def test_malformed_agency_codes_are_refused(org: Org, code: str) -> None:
    agency = Agency(code=code, name="X", level="province", kind="department", province=org.province)
    with pytest.raises(ValidationError) as info:
        agency.full_clean()
    assert "code" in info.value.message_dict


@pytest.mark.django_db
def test_agency_level_and_commune_must_agree(org: Org) -> None:
    before = AuditEntry.objects.count()
    commune_level = Agency(
        code="000.09.30.H22",
        name="UBND",
        level="commune",
        kind="peoples_committee",
        province=org.province,
    )
    with pytest.raises(ValidationError) as info:
        services.save_agency(agency=commune_level)
    assert "commune" in info.value.message_dict
    provincial = Agency(
        code="000.00.09.H22",
        name="Sở",
        level="province",
        kind="department",
        province=org.province,
        commune=org.communes["halong"],
    )
    with pytest.raises(ValidationError):
        services.save_agency(agency=provincial)
    assert not Agency.objects.filter(code__in=["000.09.30.H22", "000.00.09.H22"]).exists()
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_agency_cannot_be_its_own_ancestor(org: Org) -> None:
    ubnd_tinh = org.agencies["ubnd_tinh"]
    ubnd_tinh.parent = org.agencies["ubnd_halong"]
    with pytest.raises(ValidationError):
        services.save_agency(agency=ubnd_tinh)


@pytest.mark.django_db
def test_opening_hours_are_validated(org: Org) -> None:
    point = org.points["halong"]
    for bad in [{"7": []}, {"0": [["13:00", "12:00"]]}, {"0": [["8h", "12:00"]]}, []]:
        point.opening_hours = bad
        with pytest.raises(ValidationError):
            services.save_service_point(point=point)
    assert ServicePoint.objects.get(pk=point.pk).opening_hours["0"][0] == ["07:30", "11:30"]


@pytest.mark.django_db
def test_role_scope_must_match_the_role(org: Org) -> None:
    counter_role = Role.objects.get(code="counter_officer")
    user = org.users["monitor"]
    before = RoleMembership.objects.count()
    with pytest.raises(ValidationError, match="điểm phục vụ"):
        services.grant_role(user=user, role=counter_role, scope=org.communes["halong"])
    with pytest.raises(ValidationError):
        RoleMembership(
            user=user,
            role=counter_role,
            service_point=org.points["halong"],
            commune=org.communes["halong"],
        ).full_clean()
    assert RoleMembership.objects.count() == before


@pytest.mark.django_db
def test_the_database_refuses_a_membership_with_two_scopes(org: Org) -> None:
    role = Role.objects.get(code="counter_officer")
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleMembership.objects.create(
            user=org.users["monitor"],
            role=role,
            service_point=org.points["halong"],
            commune=org.communes["halong"],
        )


@pytest.mark.django_db
def test_unknown_permission_codes_are_refused() -> None:
    role = Role(code="x", name="X", scope_kind="province", permissions=["dossier.fly"])
    with pytest.raises(ValidationError, match=r"dossier\.fly"):
        role.full_clean()


@pytest.mark.django_db
def test_granting_a_role_is_audited_and_idempotent(org: Org) -> None:
    role = Role.objects.get(code="provincial_monitor")
    user = org.users["counter_halong"]
    first = services.grant_role(user=user, role=role, scope=org.province)
    again = services.grant_role(user=user, role=role, scope=org.province)
    assert first.pk == again.pk
    assert (
        AuditEntry.objects.filter(action="organisation.role.grant", object_id=str(first.pk)).count()
        == 1
    )


@pytest.mark.django_db
def test_search_without_diacritics_finds_vietnamese_names(org: Org) -> None:
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(org.users["monitor"])
    page = client.get(reverse("organisation:service_points"), {"q": "ha long"})
    assert [p.code for p in page.context["page"]] == ["ttpvhcc-06688"]
    page = client.get(reverse("organisation:agencies"), {"q": "cong an"})
    assert [a.code for a in page.context["page"]] == ["000.01.16.H22"]
    page = client.get(reverse("organisation:agencies"), {"q": "Sở Tư"})
    assert [a.code for a in page.context["page"]] == ["000.00.02.H22"]


@pytest.mark.django_db
def test_admin_refuses_a_membership_whose_scope_does_not_match_the_role(org: Org) -> None:
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(org.users["sysadmin"])
    role = Role.objects.get(code="counter_officer")
    before = RoleMembership.objects.count()
    response = client.post(
        reverse("admin:organisation_rolemembership_add"),
        {"user": org.users["monitor"].pk, "role": role.pk, "commune": org.communes["halong"].pk},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "điểm phục vụ" in response.content.decode()
    assert RoleMembership.objects.count() == before
    added = client.post(
        reverse("admin:organisation_rolemembership_add"),
        {
            "user": org.users["monitor"].pk,
            "role": role.pk,
            "service_point": org.points["halong"].pk,
        },
    )
    assert added.status_code == 302
    membership = RoleMembership.objects.latest("pk")
    assert AuditEntry.objects.filter(
        action="organisation.rolemembership.create", object_id=str(membership.pk)
    ).exists()
