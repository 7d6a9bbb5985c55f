"""The dossier API: staff intake with Idempotency-Key, decisions, scoped reads; the public
online submission and tracking."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from motcua.core.models import AuditEntry
from motcua.dossiers.models import Dossier
from tests.identity.dev_eid import MAI, eid_headers
from tests.intake_data import BIRTH_DATE, ID_NUMBER, pdf_bytes
from tests.org import Org

pytestmark = pytest.mark.django_db


def body(**changes: Any) -> dict[str, Any]:
    pdf = base64.b64encode(pdf_bytes(2)).decode()
    values: dict[str, Any] = {
        "procedure": "2.000815",
        "applicant": {
            "name": "Trần Thị Bình",
            "id_number": ID_NUMBER,
            "address": "Phường Hạ Long",
            "birth_date": BIRTH_DATE.isoformat(),
        },
        "data": {"ten_giay_to": "Học bạ", "so_trang": 2, "so_ban": 1},
        "commune": "06688",
        "files": [
            {"document": "ban_chinh", "name": "a.pdf", "content_base64": pdf},
            {"document": "ban_sao", "name": "b.pdf", "content_base64": pdf},
        ],
    }
    return values | changes


def staff(org: Org, key: str) -> Client:
    client = Client()
    client.force_login(org.users[key])
    return client


def post(client: Client, url: str, payload: dict[str, Any], **headers: str) -> Any:
    return client.post(url, payload, content_type="application/json", headers=headers)


def test_a_counter_officer_files_and_accepts_in_one_call(intake_org: Org) -> None:
    client = staff(intake_org, "counter_halong")
    response = post(
        client,
        reverse("api:dossiers_create"),
        body(channel="counter", decision={"decision": "accept"}),
        **{"Idempotency-Key": "abc"},
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == 2
    assert data["due_at"] is not None
    assert data["fee_amount"] == 4000
    assert data["receiving_point"]["id"] == intake_org.points["halong"].pk
    assert [slip["kind"] for slip in data["slips"]] == ["receipt"]
    again = post(
        client,
        reverse("api:dossiers_create"),
        body(channel="counter", decision={"decision": "accept"}),
        **{"Idempotency-Key": "abc"},
    )
    assert again.status_code == 200
    assert again.json()["code"] == data["code"]
    assert Dossier.objects.count() == 1


def test_staff_without_a_receiving_role_cannot_file(intake_org: Org) -> None:
    response = post(staff(intake_org, "officer_stp"), reverse("api:dossiers_create"), body())
    assert response.status_code == 403
    assert not Dossier.objects.exists()


def test_bad_input_answers_422_style_fields_and_stores_nothing(intake_org: Org) -> None:
    client = staff(intake_org, "counter_halong")
    bad = body(files=[{"document": "ban_sao", "name": "x.pdf", "content_base64": "!!!"}])
    response = post(client, reverse("api:dossiers_create"), bad)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_file"
    assert "documents.ban_sao" in response.json()["fields"]
    assert not Dossier.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_decision_reads_are_scoped_and_logged(
    intake_org: Org, eid_app_tokens: dict[str, str]
) -> None:
    response = post(
        Client(),
        reverse("api:public_dossiers_create"),
        body(applicant=MAI),
        **eid_headers(eid_app_tokens),
    )
    assert response.status_code == 201, response.json()
    code = response.json()["code"]
    halong = staff(intake_org, "counter_halong")
    listed = halong.get(reverse("api:dossiers")).json()
    assert [row["code"] for row in listed] == [code]
    assert staff(intake_org, "counter_tinh").get(reverse("api:dossiers")).json() == []
    assert (
        staff(intake_org, "counter_tinh").get(reverse("api:dossier", args=[code])).status_code
        == 404
    )
    before = AuditEntry.objects.filter(action="dossier.view").count()
    decided = post(
        halong,
        reverse("api:dossier_decide", args=[code]),
        {"decision": "supplement", "items": ["Thiếu trang 2"]},
    )
    assert decided.status_code == 200, decided.json()
    assert decided.json()["status"] == 5
    assert AuditEntry.objects.filter(action="dossier.view").count() > before
    illegal = post(
        halong, reverse("api:dossier_decide", args=[code]), {"decision": "accept", "revision": 0}
    )
    assert illegal.status_code == 409
    assert illegal.json()["error"] == "stale_dossier"


@pytest.mark.django_db(transaction=True)
def test_online_submission_and_tracking_show_no_personal_data(
    intake_org: Org, eid_app_tokens: dict[str, str]
) -> None:
    headers = eid_headers(eid_app_tokens) | {"Idempotency-Key": "k"}
    response = post(Client(), reverse("api:public_dossiers_create"), body(applicant=MAI), **headers)
    assert response.status_code == 201, response.json()
    tracking = response.json()
    assert tracking["status"] == 1
    assert tracking["applicant_initials"] == "T. T. M."
    assert "Trần" not in str(tracking)
    assert MAI["id_number"] not in str(tracking)
    code = tracking["code"]
    secret = tracking["tracking_url"].split("s=")[1]
    seen = Client().get(reverse("api:public_tracking", args=[code]), {"s": secret})
    assert seen.status_code == 200
    assert seen.json()["code"] == code
    wrong = Client().get(reverse("api:public_tracking", args=[code]), {"s": "guess"})
    assert wrong.status_code == 404
    replay = post(Client(), reverse("api:public_dossiers_create"), body(applicant=MAI), **headers)
    assert replay.status_code == 200
    assert replay.json()["code"] == code


def test_the_slip_pdf_is_served_to_staff_and_to_the_tracking_page(intake_org: Org) -> None:
    client = staff(intake_org, "counter_halong")
    data = post(
        client,
        reverse("api:dossiers_create"),
        body(channel="counter", decision={"decision": "accept"}),
    ).json()
    slip = data["slips"][0]["id"]
    pdf = client.get(reverse("api:dossier_slip_pdf", args=[data["code"], slip]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    secret = data["tracking_url"].split("s=")[1]
    public = Client().get(
        reverse("dossiers:tracked_slip", args=[slip]), {"code": data["code"], "s": secret}
    )
    assert public.status_code == 200
    assert public.content == pdf.content  # rendered once, then served from storage
    assert (
        Client()
        .get(reverse("dossiers:tracked_slip", args=[slip]), {"code": data["code"], "s": "x"})
        .status_code
        == 404
    )
