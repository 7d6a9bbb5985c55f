"""The station's and the store's pages and API, the citizen's own store (signed in by a code),
the batch run from the command line, and fetching national database records over HTTP."""

from __future__ import annotations

import base64
import csv
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from motcua.core.models import Notification
from motcua.digitisation import services
from motcua.digitisation.models import Digitisation, DocumentAccess, StoredDocument
from motcua.dossiers import services as intake
from motcua.dossiers.models import Channel
from tests.digitisation.conftest import land_certificate_png, scanned
from tests.intake_data import ID_NUMBER, applicant, land_change
from tests.org import Org


def logged_in(org: Org, user: str) -> Client:
    client = Client()
    client.force_login(org.users[user])
    return client


def test_the_station_page_queues_a_scan_and_refuses_a_bad_one(processing_org: Org) -> None:
    client = logged_in(processing_org, "counter_halong")
    page = client.get(reverse("digitisation:station"))
    token = page.context["form_token"]
    form = {"owner_id": ID_NUMBER, "owner_name": "Nguyễn Văn An", "form_token": token}

    from django.core.files.uploadedfile import SimpleUploadedFile

    def upload() -> SimpleUploadedFile:
        return SimpleUploadedFile("gcn.png", land_certificate_png(), "image/png")

    refused = client.post(
        reverse("digitisation:station"), form | {"declared_pages": "2", "files": [upload()]}
    )
    assert refused.status_code == 400
    assert "declared_pages" in refused.context["errors"]
    assert not Digitisation.objects.exists()

    sent = client.post(
        reverse("digitisation:station"), form | {"declared_pages": "1", "files": [upload()]}
    )
    item = Digitisation.objects.get()
    assert sent.status_code == 302
    assert sent["Location"] == reverse("digitisation:item", args=[item.pk])
    again = client.post(  # the same form sent twice: the first scan, not a second one
        reverse("digitisation:station"), form | {"declared_pages": "1", "files": [upload()]}
    )
    assert again["Location"] == sent["Location"]
    assert Digitisation.objects.count() == 1
    progress = client.get(sent["Location"], headers={"HX-Request": "true"})
    assert b'hx-trigger="every 2s"' in progress.content  # the page follows the OCR


def test_the_api_reads_a_scan_and_confirms_it(processing_org: Org) -> None:
    client = logged_in(processing_org, "counter_halong")
    body = {
        "owner_id": ID_NUMBER,
        "owner_name": "Nguyễn Văn An",
        "declared_pages": 1,
        "files": [
            {"name": "gcn.png", "content_base64": base64.b64encode(land_certificate_png()).decode()}
        ],
    }
    created = client.post(
        "/api/v1/digitisation/scans",
        body,
        content_type="application/json",
        headers={"Idempotency-Key": "scan-1"},
    )
    assert created.status_code == 201, created.json()
    scan_id = created.json()["id"]
    replayed = client.post(
        "/api/v1/digitisation/scans",
        body,
        content_type="application/json",
        headers={"Idempotency-Key": "scan-1"},
    )
    assert (replayed.status_code, replayed.json()["id"]) == (200, scan_id)
    services.run_pipeline(scan_id)
    read = client.get(f"/api/v1/digitisation/scans/{scan_id}").json()
    assert (read["state"], read["detected_type"], read["pages_done"]) == (
        "review",
        "land_use_certificate",
        1,
    )
    wrong = client.post(
        f"/api/v1/digitisation/scans/{scan_id}/confirm",
        {"document_type": "land_use_certificate", "fields": read["fields"] | {"map_sheet": "x"}},
        content_type="application/json",
    )
    assert wrong.status_code == 400
    assert "fields.map_sheet" in wrong.json()["fields"]
    stored = client.post(
        f"/api/v1/digitisation/scans/{scan_id}/confirm",
        {
            "document_type": "land_use_certificate",
            "fields": read["fields"],
            "revision": read["revision"],
        },
        content_type="application/json",
    )
    assert stored.status_code == 200, stored.json()
    assert stored.json()["source"] == "scan"
    found = client.get("/api/v1/digitisation/documents", {"q": "to ban do 37"}).json()
    assert [row["id"] for row in found] == [stored.json()["id"]]
    other = logged_in(processing_org, "counter_tinh")
    assert other.get("/api/v1/digitisation/documents", {"q": "to ban do 37"}).json() == []
    assert other.get(f"/api/v1/digitisation/scans/{scan_id}").status_code == 404


def test_the_cccd_qr_endpoint_checks_the_payload(processing_org: Org) -> None:
    client = logged_in(processing_org, "counter_halong")
    good = client.post(
        "/api/v1/digitisation/cccd-qr",
        {"payload": f"{ID_NUMBER}||Nguyễn Văn An|12051990|Nam|Hạ Long|15082021\r\n"},
        content_type="application/json",
    )
    assert good.status_code == 200
    assert good.json() | {"address": ""} == {
        "id_number": ID_NUMBER,
        "old_id_number": "",
        "name": "Nguyễn Văn An",
        "birth_date": "1990-05-12",
        "sex": "male",
        "address": "",
        "issued_on": "2021-08-15",
    }
    female = client.post(  # the number is a man's: the card's data do not hold together
        "/api/v1/digitisation/cccd-qr",
        {"payload": f"{ID_NUMBER}||Nguyễn Thị An|12051990|Nữ|Hạ Long|15082021"},
        content_type="application/json",
    )
    assert female.status_code == 400
    assert female.json()["error"] == "invalid_cccd_qr"


def test_the_counter_form_says_what_the_store_holds(processing_org: Org) -> None:
    services.confirm_digitisation(
        item=(item := scanned(processing_org)),
        document_type="land_use_certificate",
        values=dict(item.fields),
        actor=processing_org.users["counter_halong"],
    )
    client = logged_in(processing_org, "counter_halong")
    note = client.get(
        reverse("digitisation:reusable"),
        {"procedure": "1.012345", "applicant.id_number": ID_NUMBER},
    )
    assert "Giấy chứng nhận đã cấp" in note.content.decode()
    nothing = client.get(
        reverse("digitisation:reusable"),
        {"procedure": "1.012345", "applicant.id_number": "022190012345"},
    )
    assert nothing.content.strip() == b""
    looked_up = DocumentAccess.objects.filter(purpose=DocumentAccess.Purpose.LOOKUP)
    assert looked_up.count() == 1


def _code_sent_to(phone: str) -> str:
    sms = Notification.objects.filter(channel="sms", reference__startswith="store:").latest("pk")
    assert sms.recipient.endswith(phone[1:])
    found = re.search(r"\b([0-9]{6})\b", sms.body)
    assert found is not None
    return found.group(1)


def test_a_citizen_sees_their_store_and_who_opened_it(processing_org: Org) -> None:
    dossier = intake.submit_dossier(
        submission=land_change(
            applicant=applicant(phone="0912345678"),
            on_paper=frozenset({"don", "giay_chung_nhan"}),
        ),
        channel=Channel.COUNTER,
        actor=processing_org.users["counter_halong"],
        point=processing_org.points["halong"],
    )
    item = scanned(processing_org, dossier=dossier, requirement="giay_chung_nhan")
    document = services.confirm_digitisation(
        item=item,
        document_type="land_use_certificate",
        values=dict(item.fields),
        actor=processing_org.users["counter_halong"],
    )
    staff = logged_in(processing_org, "monitor")
    assert staff.get(reverse("digitisation:document", args=[document.pk])).status_code == 200

    citizen = Client()
    assert b"my_store" not in citizen.get(reverse("my_store:home")).content  # not signed in
    citizen.post(reverse("my_store:ask_code"), {"id_number": ID_NUMBER})
    code = _code_sent_to("0912345678")
    wrong = "000000" if code != "000000" else "111111"
    citizen.post(reverse("my_store:enter_code"), {"code": wrong})
    assert "accesses" not in (citizen.get(reverse("my_store:home")).context or {})
    citizen.post(reverse("my_store:enter_code"), {"code": code})
    page = citizen.get(reverse("my_store:home"))
    assert [row for row, _name in page.context["documents"]] == [document]
    purposes = {(a.purpose, a.actor_label) for a in page.context["accesses"]}
    assert ("view", "monitor") in purposes  # the provincial monitor opened it
    assert ("store", "counter_halong") in purposes
    assert citizen.get(reverse("my_store:file", args=[document.pk])).status_code == 200
    other = StoredDocument.objects.create(
        owner_id="022190012345",
        owner_name="Lê Thị Hoa",
        province=processing_org.province,
        document_type="other",
        title="Giấy tờ của người khác",
        source=StoredDocument.Source.NATIONAL_DB,
        file=document.file.name,
    )
    assert citizen.get(reverse("my_store:file", args=[other.pk])).status_code == 404
    citizen.post(reverse("my_store:sign_out"))
    assert citizen.get(reverse("my_store:file", args=[document.pk])).status_code == 404


def test_a_code_allows_five_tries_and_reveals_nothing(processing_org: Org) -> None:
    citizen = Client()
    unknown = citizen.post(reverse("my_store:ask_code"), {"id_number": "022190012345"}, follow=True)
    assert not Notification.objects.exists()  # nobody to send it to, and it does not say so
    (said,) = list(unknown.context["messages"])
    assert "mã đã được gửi" in str(said)  # the same answer as for a known number
    for _attempt in range(6):
        citizen.post(reverse("my_store:enter_code"), {"code": "123456"})
    refused = citizen.post(reverse("my_store:enter_code"), {"code": "123456"}, follow=True)
    assert "documents" not in refused.context
    assert "id_number" in refused.content.decode()  # back at the sign-in form


def _manifest(folder: Path, rows: list[dict[str, str]]) -> None:
    with (folder / "manifest.csv").open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, ["files", "owner_id", "owner_name", "document_type"])
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.django_db(transaction=True)
def test_a_batch_run_digitises_a_folder_and_resumes(processing_org: Org, tmp_path: Path) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "gcn-an.png").write_bytes(land_certificate_png())
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 cut off")
    row = {"files": "gcn-an.png", "owner_id": ID_NUMBER, "owner_name": "Nguyễn Văn An"}
    _manifest(folder, [row | {"document_type": ""}])
    arguments: dict[str, Any] = {"point": "ttpvhcc-06688", "officer": "counter_halong"}
    call_command("digitise_folder", str(folder), confirm=True, **arguments)
    item = Digitisation.objects.get()
    assert (item.batch, item.state) == ("archive", Digitisation.State.CONFIRMED)
    assert StoredDocument.objects.get().document_type == "land_use_certificate"

    _manifest(
        folder,
        [
            row | {"document_type": ""},
            {"files": "broken.pdf", "owner_id": ID_NUMBER, "owner_name": "Nguyễn Văn An"}
            | {"document_type": "other"},
        ],
    )
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("digitise_folder", str(folder), stdout=out, stderr=err, **arguments)
    assert "skipped (read before) 1, failed 1" in out.getvalue()  # the first row: not again
    assert Digitisation.objects.count() == 1  # the broken file stored nothing
    assert "broken.pdf" in err.getvalue()


def test_national_records_are_fetched_into_the_store_over_http(
    processing_org: Org, live_server: Any, settings: Any
) -> None:
    settings.NATIONAL_DB_URL = live_server.url + "/simulators/national-db"
    client = logged_in(processing_org, "counter_halong")
    client.post(reverse("digitisation:fetch_national"), {"owner": "022190012345"})
    stored = StoredDocument.objects.filter(owner_id="022190012345")
    assert {(d.document_type, d.source) for d in stored} == {
        ("birth_certificate", "national_db"),
        ("marriage_certificate", "national_db"),
    }
    assert {d.owner_name for d in stored} == {"Trần Thị Mai"}  # the wife's copy is hers
    client.post(reverse("digitisation:fetch_national"), {"owner": "022190012345"})
    assert stored.count() == 2  # fetched again: the same rows
    down = client.post(
        reverse("digitisation:fetch_national"), {"owner": "022099000503"}, follow=True
    )
    assert "không phản hồi" in str(list(down.context["messages"])[-1])


def test_a_citizen_scans_at_the_kiosk_and_an_officer_confirms(processing_org: Org) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    intake.submit_dossier(
        submission=land_change(applicant=applicant(email="an@example.vn")),
        channel=Channel.COUNTER,
        actor=processing_org.users["counter_halong"],
        point=processing_org.points["halong"],
    )
    citizen = Client()
    kiosk = reverse("my_store:scan", args=["ttpvhcc-06688"])
    assert citizen.get(kiosk)["Location"] == reverse("my_store:home")  # sign in first
    citizen.post(reverse("my_store:ask_code"), {"id_number": ID_NUMBER})
    mail = Notification.objects.get(channel="email", reference=f"store:{ID_NUMBER}")
    code = re.search(r"\b([0-9]{6})\b", mail.body)
    assert code is not None
    citizen.post(reverse("my_store:enter_code"), {"code": code.group(1)})
    form = citizen.get(kiosk).context["form_token"]
    sent = citizen.post(
        kiosk,
        {
            "declared_pages": "1",
            "form_token": form,
            "files": [SimpleUploadedFile("gcn.png", land_certificate_png(), "image/png")],
        },
    )
    item = Digitisation.objects.get()
    assert sent["Location"] == reverse("my_store:scan_status", args=[item.pk])
    assert (item.owner_id, item.owner_name, item.created_by) == (ID_NUMBER, "Nguyễn Văn An", None)
    services.run_pipeline(item.pk)
    assert Client().get(reverse("my_store:scan_status", args=[item.pk])).status_code == 404
    # The officer sees it waiting at the station, checks it against the paper, confirms it.
    officer = logged_in(processing_org, "counter_halong")
    assert item in officer.get(reverse("digitisation:station")).context["items"]
    item.refresh_from_db()
    services.confirm_digitisation(
        item=item,
        document_type="land_use_certificate",
        values=dict(item.fields),
        actor=processing_org.users["counter_halong"],
    )
    page = citizen.get(reverse("my_store:home"))
    assert [row.owner_id for row, _name in page.context["documents"]] == [ID_NUMBER]


def test_the_counter_looks_the_applicant_up_in_the_population_database(
    processing_org: Org, live_server: Any, settings: Any
) -> None:
    from motcua.core.models import AuditEntry

    settings.NATIONAL_DB_URL = live_server.url + "/simulators/national-db"
    client = logged_in(processing_org, "counter_halong")

    def look_up(number: str) -> Any:
        return client.post(
            "/api/v1/digitisation/population",
            {"id_number": number},
            content_type="application/json",
        )

    found = look_up("0221 9001 2345")
    assert found.status_code == 200
    assert (found.json()["name"], found.json()["birth_date"]) == ("Trần Thị Mai", "1990-05-12")
    assert look_up(ID_NUMBER).status_code == 404  # a valid number the database does not hold
    assert look_up("022099000503").status_code == 503  # the database is down
    assert look_up("12345").status_code == 400
    lookups = AuditEntry.objects.filter(action="population.lookup")
    assert sorted(lookups.values_list("object_id", flat=True)) == [ID_NUMBER, "022190012345"]
