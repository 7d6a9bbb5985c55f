"""The online form behind an e-ID login: the procedure's minimum level with step-up, the
applicant's verified fields locked and checked, who files for whom, and the citizen's log."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from motcua.catalogue.models import ProcedureVersion
from motcua.dossiers.intake import still_verified
from motcua.dossiers.models import Dossier
from tests.citizens import log_in
from tests.dossiers.test_pages import online_form, page_citizen
from tests.org import Org

pytestmark = pytest.mark.django_db

LEVEL_2_PROCEDURE = "2.000815"


def _require_level_2() -> None:
    for version in ProcedureVersion.objects.filter(procedure__code=LEVEL_2_PROCEDURE):
        version.spec = version.spec | {"min_eid_level": 2}
        version.save()


def test_an_anonymous_citizen_is_asked_to_log_in_and_cannot_post(intake_org: Org) -> None:
    client = Client()
    page = client.get(reverse("dossiers:apply", args=["2.000815"]))
    assert page.status_code == 200
    assert 'id="eid-required"' in page.content.decode()
    assert "level=1" in page.content.decode()
    refused = client.post(reverse("dossiers:apply", args=["2.000815"]), {})
    assert refused.status_code == 403
    assert not Dossier.objects.exists()


def test_a_level_1_login_is_offered_step_up_for_a_level_2_procedure(intake_org: Org) -> None:
    _require_level_2()
    client = Client()
    log_in(client, page_citizen(level=1))
    page = client.get(reverse("dossiers:apply", args=[LEVEL_2_PROCEDURE]))
    text = page.content.decode()
    assert 'id="step-up"' in text
    assert "level=2" in text
    assert client.post(reverse("dossiers:apply", args=[LEVEL_2_PROCEDURE]), {}).status_code == 403


def test_the_verified_fields_are_locked_and_kept_with_their_digest(intake_org: Org) -> None:
    client = Client()
    form = online_form(client)
    page = client.get(reverse("dossiers:apply", args=["2.000815"])).content.decode()
    assert 'name="applicant.name" value="Phạm Thị Cúc"' in page
    assert "readonly" in page
    client.post(reverse("dossiers:apply", args=["2.000815"]), form)
    dossier = Dossier.objects.get()
    assert dossier.eid_level == 2
    assert still_verified(dossier)
    Dossier.objects.filter(pk=dossier.pk).update(applicant_name="Người Khác")
    assert not still_verified(Dossier.objects.get())


def test_a_tampered_verified_field_is_refused(intake_org: Org) -> None:
    client = Client()
    form = online_form(client, **{"applicant.name": "Người Khác"})
    response = client.post(reverse("dossiers:apply", args=["2.000815"]), form)
    assert response.status_code == 400
    assert 'id="e-applicant.name"' in response.content.decode()
    assert not Dossier.objects.exists()


def test_an_expired_business_authorisation_cannot_file_for_the_business(intake_org: Org) -> None:
    client = Client()
    organisation = {
        "tax_code": "5701234567",
        "name": "Công ty TNHH Du lịch Vịnh Xanh",
        "role": "authorised_employee",
        "authorisation": {"scope": "Nộp hồ sơ", "valid_until": "2020-12-31"},
    }
    form = online_form(client) | {"represent": "organisation"}
    log_in(client, page_citizen(organisation=organisation))
    response = client.post(reverse("dossiers:apply", args=["2.000815"]), form)
    assert response.status_code == 400
    assert "Vịnh Xanh" in response.content.decode()  # the refusal names the business
    assert 'value="Giấy khai sinh"' in response.content.decode()  # what was typed stays
    assert not Dossier.objects.exists()


def test_a_legal_representative_files_for_the_business(intake_org: Org) -> None:
    client = Client()
    organisation = {"tax_code": "5702345678", "name": "Công ty CP", "role": "legal_representative"}
    form = online_form(client)
    log_in(client, page_citizen(organisation=organisation))
    client.post(reverse("dossiers:apply", args=["2.000815"]), form | {"represent": "organisation"})
    representation = Dossier.objects.get().representation
    assert representation["kind"] == "legal_representative"
    assert representation["number"] == "5702345678"


def test_the_citizen_sees_who_read_their_dossier(intake_org: Org) -> None:
    client = Client()
    client.post(reverse("dossiers:apply", args=["2.000815"]), online_form(client))
    officer = Client()
    officer.force_login(intake_org.users["counter_halong"])
    officer.get(reverse("dossiers:detail", args=[Dossier.objects.get().code]))
    page = client.get(reverse("identity:data_access"))
    assert page.status_code == 200
    assert Dossier.objects.get().code in page.content.decode()
