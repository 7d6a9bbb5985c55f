"""The dossier pages: the online form, the counter form, the dossier page, tracking."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from motcua.dossiers.models import Dossier, Status
from motcua.identity.rp import Citizen
from tests.citizens import citizen, log_in
from tests.intake_data import BIRTH_DATE, ID_NUMBER, pdf_bytes
from tests.org import Org

pytestmark = pytest.mark.django_db


def applicant_fields(**changes: str) -> dict[str, str]:
    values = {
        "applicant.name": "Phạm Thị Cúc",
        "applicant.id_number": ID_NUMBER,
        "applicant.birth_date": BIRTH_DATE.isoformat(),
        "applicant.address": "Phường Hạ Long",
        "applicant.phone": "0912345678",
    }
    return values | changes


def page_citizen(**changes: Any) -> Citizen:
    """The applicant of `applicant_fields`, as the e-ID login vouches for her."""
    return citizen(name="Phạm Thị Cúc", address="Phường Hạ Long", gender="female", **changes)


def token_of(page: Any) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', page.content.decode())
    assert match
    return match.group(1)


def online_form(client: Client, **changes: Any) -> dict[str, Any]:
    """The online form filled in by the applicant, logged in with e-ID (all demo procedures
    need a login)."""
    log_in(client, page_citizen())
    page = client.get(reverse("dossiers:apply", args=["2.000815"]))
    assert page.status_code == 200
    return {
        "form_token": token_of(page),
        **applicant_fields(),
        "commune": "06688",
        "data.ten_giay_to": "Giấy khai sinh",
        "data.so_trang": "1",
        "data.so_ban": "3",
        "file.ban_chinh": SimpleUploadedFile("a.pdf", pdf_bytes(), "application/pdf"),
        "file.ban_sao": SimpleUploadedFile("b.pdf", pdf_bytes(), "application/pdf"),
    } | changes


def test_a_citizen_submits_online_and_lands_on_the_tracking_page(intake_org: Org) -> None:
    client = Client()
    response = client.post(reverse("dossiers:apply", args=["2.000815"]), online_form(client))
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    assert dossier.channel == "online"
    assert dossier.fee_amount == 6000  # 1 page × 3 copies at 2,000 đ
    assert response["Location"].startswith(reverse("dossiers:track"))
    page = client.get(response["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert dossier.code in text
    assert "P. T. C." in text
    assert "Phạm Thị Cúc" not in text
    assert ID_NUMBER not in text


def test_the_online_form_resubmitted_makes_one_dossier(intake_org: Org) -> None:
    client = Client()
    form = online_form(client)
    token = form["form_token"]
    client.post(reverse("dossiers:apply", args=["2.000815"]), form)
    again = online_form(client, form_token=token)
    response = client.post(reverse("dossiers:apply", args=["2.000815"]), again)
    assert response.status_code == 302
    assert Dossier.objects.count() == 1


def test_the_online_form_shows_each_error_by_its_field_and_keeps_the_values(
    intake_org: Org,
) -> None:
    client = Client()
    form = online_form(
        client,
        **{
            "applicant.id_number": "0220900",
            "data.so_trang": "",
            "file.ban_sao": SimpleUploadedFile("b.pdf", b"MZ\x90\x00 not a pdf"),
        },
    )
    response = client.post(reverse("dossiers:apply", args=["2.000815"]), form)
    assert response.status_code == 400
    text = response.content.decode()
    assert 'id="e-applicant.id_number"' in text
    assert 'id="e-data.so_trang"' in text
    assert "b.pdf" in text  # the file's error names it
    assert 'value="Phạm Thị Cúc"' in text
    assert not Dossier.objects.exists()


def test_a_counter_officer_receives_a_land_dossier_of_another_commune(intake_org: Org) -> None:
    client = Client()
    client.force_login(intake_org.users["counter_halong"])
    page = client.get(reverse("dossiers:receive", args=["1.012345"]))
    assert page.status_code == 200
    form = {
        "form_token": token_of(page),
        "service_point": str(intake_org.points["halong"].pk),
        "channel": "counter",
        **applicant_fields(),
        "data.so_thua": "42",
        "data.ma_xa_thua_dat": "06673",
        "paper.don": "on",
        "paper.giay_chung_nhan": "on",  # not in the document store yet
        "decision": "accept",
    }
    response = client.post(reverse("dossiers:receive", args=["1.012345"]), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier = Dossier.objects.get()
    assert dossier.status == Status.RECEIVED
    assert dossier.competent_agency == intake_org.agencies["land_halong"]
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    text = detail.content.decode()
    assert dossier.code in text
    assert "Chi nhánh Văn phòng Đăng ký đất đai" in text
    slip = dossier.slips.get()
    pdf = client.get(reverse("dossiers:slip_pdf", args=[dossier.code, slip.pk]))
    assert pdf.content.startswith(b"%PDF")


def test_an_officer_decides_an_online_dossier_from_its_page(intake_org: Org) -> None:
    citizen = Client()
    citizen.post(reverse("dossiers:apply", args=["2.000815"]), online_form(citizen))
    dossier = Dossier.objects.get()
    officer = Client()
    officer.force_login(intake_org.users["counter_halong"])
    listing = officer.get(reverse("dossiers:list"), {"status": "1"})
    assert dossier.code in listing.content.decode()
    response = officer.post(
        reverse("dossiers:decide", args=[dossier.code]),
        {
            "decision": "supplement",
            "items_supplement": "Bản sao bị mờ\nThiếu trang 2",
            "revision": dossier.revision,
        },
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.SUPPLEMENT
    assert dossier.slips.get().items == ["Bản sao bị mờ", "Thiếu trang 2"]
    stale = officer.post(
        reverse("dossiers:decide", args=[dossier.code]),
        {"decision": "accept", "revision": "0"},
        follow=True,
    )
    assert stale.status_code == 200
    dossier.refresh_from_db()
    assert dossier.status == Status.SUPPLEMENT


def test_the_counter_collects_the_fee_or_records_an_exemption(intake_org: Org) -> None:
    from motcua.payments.models import Payment

    citizen = Client()
    citizen.post(reverse("dossiers:apply", args=["2.000815"]), online_form(citizen))
    dossier = Dossier.objects.get()
    officer = Client()
    officer.force_login(intake_org.users["counter_halong"])
    officer.post(reverse("dossiers:decide", args=[dossier.code]), {"decision": "accept"})
    page = officer.get(reverse("dossiers:detail", args=[dossier.code]))
    assert "6.000 đ" in page.content.decode()
    no_reason = officer.post(
        reverse("dossiers:settle_fee", args=[dossier.code]), {"method": "exempt"}, follow=True
    )
    assert no_reason.status_code == 200
    assert Payment.objects.get(reference=dossier.code).status == "due"
    officer.post(reverse("dossiers:settle_fee", args=[dossier.code]), {"method": "cash"})
    payment = Payment.objects.get(reference=dossier.code)
    assert (payment.status, payment.method) == ("paid", "cash")
    assert payment.recorded_by == intake_org.users["counter_halong"]
    again = officer.post(
        reverse("dossiers:settle_fee", args=[dossier.code]), {"method": "cash"}, follow=True
    )
    assert "Hồ sơ này không còn khoản phí" in again.content.decode()


def test_the_citizen_supplements_from_the_tracking_page(intake_org: Org) -> None:
    citizen = Client()
    citizen.post(reverse("dossiers:apply", args=["2.000815"]), online_form(citizen))
    dossier = Dossier.objects.get()
    officer = Client()
    officer.force_login(intake_org.users["counter_halong"])
    officer.post(
        reverse("dossiers:decide", args=[dossier.code]),
        {"decision": "supplement", "items_supplement": "Bản sao mờ, tải lại"},
    )
    track = citizen.get(
        reverse("dossiers:track"), {"code": dossier.code, "s": dossier.tracking_secret}
    )
    assert "Bản sao mờ, tải lại" in track.content.decode()
    assert reverse("dossiers:track_supplement") in track.content.decode()
    wrong = citizen.post(
        reverse("dossiers:track_supplement"),
        {
            "code": dossier.code,
            "s": "guess",
            "file.ban_sao": SimpleUploadedFile("b.pdf", pdf_bytes()),
        },
    )
    assert wrong.status_code == 404
    response = citizen.post(
        reverse("dossiers:track_supplement"),
        {
            "code": dossier.code,
            "s": dossier.tracking_secret,
            "paper.ban_sao": "on",  # ignored: citizens hand in files, not papers
            "file.ban_sao": SimpleUploadedFile("b2.pdf", pdf_bytes(2)),
        },
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.NEW
    assert dossier.documents.get(requirement="ban_sao").original_name == "b2.pdf"


def test_an_empty_online_form_names_every_missing_field_at_once(intake_org: Org) -> None:
    client = Client()
    log_in(client, page_citizen())
    page = client.get(reverse("dossiers:apply", args=["2.000815"]))
    response = client.post(
        reverse("dossiers:apply", args=["2.000815"]), {"form_token": token_of(page)}
    )
    assert response.status_code == 400
    text = response.content.decode()
    for field in ["applicant.name", "applicant.birth_date", "applicant.address", "data.so_trang"]:
        assert f'id="e-{field}"' in text, field
    assert "Trường này là bắt buộc." in text
    assert 'href="#f-applicant.name"' in text  # the summary links to the field
    assert not Dossier.objects.exists()


def test_an_officer_opens_a_scanned_document_and_the_read_is_logged(intake_org: Org) -> None:
    from motcua.core.models import AuditEntry

    citizen = Client()
    citizen.post(reverse("dossiers:apply", args=["2.000815"]), online_form(citizen))
    dossier = Dossier.objects.get()
    document = dossier.documents.get(requirement="ban_sao")
    officer = Client()
    officer.force_login(intake_org.users["counter_halong"])
    reads = AuditEntry.objects.filter(action="dossier.view").count()
    response = officer.get(reverse("dossiers:document_file", args=[dossier.code, document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="dossier.view").count() == reads + 1
    elsewhere = Client()
    elsewhere.force_login(intake_org.users["counter_tinh"])
    url = reverse("dossiers:document_file", args=[dossier.code, document.pk])
    assert elsewhere.get(url).status_code == 404
