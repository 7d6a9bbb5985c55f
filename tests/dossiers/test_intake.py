"""Intake through the services: every channel, routing, codes, due dates, fees, the three
outcomes at receipt, idempotent retries."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import translation
from pypdf import PdfWriter

from motcua.core import audit
from motcua.core.errors import Conflict, MotcuaError
from motcua.core.models import AuditEntry
from motcua.dossiers import services
from motcua.dossiers.intake import UploadedFile
from motcua.dossiers.models import Channel, DailySequence, Dossier, DossierEvent, Slip, Status
from motcua.payments.models import Payment
from motcua.workcalendar.engine import VN_TZ
from tests.intake_data import applicant, certified_copy, land_change, pdf_bytes
from tests.org import Org

pytestmark = pytest.mark.django_db

# A Thursday, 10:00 in Vietnam.
THURSDAY_MORNING = dt.datetime(2026, 11, 26, 10, 0, tzinfo=VN_TZ)


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


@time_machine.travel(THURSDAY_MORNING, tick=False)
def test_an_online_dossier_waits_newly_registered_at_the_commune_centre(intake_org: Org) -> None:
    dossier = services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    assert dossier.status == Status.NEW
    assert dossier.receiving_point == intake_org.points["halong"]
    assert dossier.competent_agency == intake_org.agencies["ubnd_halong"]
    assert dossier.code == "000.01.30.H22-261126-0001"
    # 3 pages: 2,000 + 2,000 + 1,000 đ per copy, 2 copies.
    assert dossier.fee_amount == 10_000
    assert dossier.received_at is None
    assert dossier.due_at is None
    documents = {d.requirement: d for d in dossier.documents.all()}
    assert documents["ban_sao"].state == "submitted"
    assert (documents["ban_sao"].content_type, documents["ban_sao"].pages) == ("application/pdf", 3)
    assert [e.action for e in dossier.events.all()] == ["submitted"]
    assert AuditEntry.objects.filter(action="dossier.submit", object_id=str(dossier.pk)).exists()


@time_machine.travel(THURSDAY_MORNING, tick=False)
def test_accepting_sets_the_due_date_issues_the_receipt_and_asks_for_the_fee(
    intake_org: Org,
) -> None:
    dossier = services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    officer = intake_org.users["counter_halong"]
    dossier = services.accept_dossier(dossier=dossier, actor=officer)
    assert dossier.status == Status.RECEIVED
    assert dossier.received_at == THURSDAY_MORNING
    # A same-day procedure received before 15:00 is due at the end of the same day.
    assert dossier.due_at == dt.datetime(2026, 11, 26, 17, 0, tzinfo=VN_TZ)
    assert list(dossier.slips.values_list("kind", flat=True)) == [Slip.Kind.RECEIPT]
    payment = Payment.objects.get(reference=dossier.code)
    assert (payment.amount, payment.status) == (10_000, "due")
    event = dossier.events.last()
    assert event is not None
    assert (event.action, event.from_status, event.to_status) == ("received", 1, 2)
    assert event.actor == officer


def test_after_the_cut_off_a_same_day_procedure_is_due_the_next_working_day(
    intake_org: Org,
) -> None:
    friday_evening = dt.datetime(2026, 11, 27, 16, 0, tzinfo=VN_TZ)
    with time_machine.travel(friday_evening, tick=False):
        dossier = services.submit_dossier(
            submission=certified_copy(),
            channel=Channel.COUNTER,
            point=intake_org.points["halong"],
            actor=intake_org.users["counter_halong"],
            outcome=services.Outcome(services.ACCEPT),
        )
    assert dossier.due_at == dt.datetime(2026, 11, 30, 17, 0, tzinfo=VN_TZ)  # Monday


@time_machine.travel(THURSDAY_MORNING, tick=False)
def test_a_borderless_land_dossier_of_another_commune_goes_to_the_land_branch(
    intake_org: Org,
) -> None:
    """Received in Hạ Long for a parcel in Bãi Cháy: routed by the parcel's commune."""
    dossier = services.submit_dossier(
        submission=land_change(on_paper=frozenset({"don", "giay_chung_nhan"})),
        channel=Channel.COUNTER,
        point=intake_org.points["halong"],
        actor=intake_org.users["counter_halong"],
        outcome=services.Outcome(services.ACCEPT),
    )
    assert dossier.status == Status.RECEIVED
    assert dossier.commune == intake_org.communes["baichay"]
    assert dossier.competent_agency == intake_org.agencies["land_halong"]
    assert dossier.code.startswith("000.01.30.H22-261126-")  # the receiving agency's code
    # 8 working days after Thursday 26/11 (not counted): Monday 7/12, end of the day.
    assert dossier.due_at == dt.datetime(2026, 12, 8, 17, 0, tzinfo=VN_TZ)
    states = dict(dossier.documents.values_list("requirement", "state"))
    assert states == {"don": "submitted", "giay_chung_nhan": "submitted"}
    assert dossier.fee_amount is None  # set by the province
    assert not Payment.objects.filter(reference=dossier.code).exists()


def test_a_procedure_that_is_not_borderless_is_refused_naming_where_to_go(
    intake_org: Org, media_in_tmp: Path
) -> None:
    submission = certified_copy(
        procedure_code="1.004873",
        data={},
        files={},
        commune_code="06673",
        on_paper=frozenset({"to_khai"}),
    )
    with translation.override("en"), pytest.raises(MotcuaError) as raised:
        services.submit_dossier(
            submission=submission,
            channel=Channel.COUNTER,
            point=intake_org.points["halong"],
            actor=intake_org.users["counter_halong"],
        )
    assert raised.value.code == "wrong_service_point"
    assert "Trung tâm PVHCC Phường Bãi Cháy" in str(raised.value)
    assert not Dossier.objects.exists()
    assert not DailySequence.objects.exists()


def test_codes_count_per_receiving_agency_and_local_day(intake_org: Org) -> None:
    def submit() -> str:
        return services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE).code

    # 23:30 on the 26th in Vietnam is 16:30 UTC: the code follows the Vietnamese day.
    with time_machine.travel(dt.datetime(2026, 11, 26, 23, 30, tzinfo=VN_TZ), tick=False):
        first, second = submit(), submit()
    with time_machine.travel(dt.datetime(2026, 11, 27, 0, 30, tzinfo=VN_TZ), tick=False):
        third = submit()
    assert [first, second, third] == [
        "000.01.30.H22-261126-0001",
        "000.01.30.H22-261126-0002",
        "000.01.30.H22-261127-0001",
    ]


def test_a_retried_submission_returns_the_first_dossier(intake_org: Org) -> None:
    first = services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE, key="k-1")
    again = services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE, key="k-1")
    other = services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE, key="k-2")
    assert again.pk == first.pk
    assert other.pk != first.pk
    assert Dossier.objects.count() == 2


def test_a_supplement_request_lists_everything_missing_at_once(intake_org: Org) -> None:
    dossier = services.submit_dossier(
        submission=certified_copy(files={}, on_paper=frozenset({"ban_chinh"})),
        channel=Channel.COUNTER,
        point=intake_org.points["halong"],
        actor=intake_org.users["counter_halong"],
        outcome=services.Outcome(services.SUPPLEMENT, ("Bản sao bị mờ, chụp lại",)),
    )
    assert dossier.status == Status.SUPPLEMENT
    slip = dossier.slips.get()
    assert slip.kind == Slip.Kind.SUPPLEMENT
    assert len(slip.items) == 2
    assert slip.items[0].startswith("Bản sao cần chứng thực")
    assert slip.items[1] == "Bản sao bị mờ, chụp lại"
    assert dossier.received_at is None


def test_an_incomplete_dossier_cannot_be_accepted(intake_org: Org) -> None:
    with translation.override("en"), pytest.raises(Conflict) as raised:
        services.submit_dossier(
            submission=certified_copy(files={}, on_paper=frozenset({"ban_chinh"})),
            channel=Channel.COUNTER,
            point=intake_org.points["halong"],
            actor=intake_org.users["counter_halong"],
            outcome=services.Outcome(services.ACCEPT),
        )
    assert raised.value.code == "incomplete_dossier"
    assert "Bản sao cần chứng thực" in str(raised.value)
    assert not Dossier.objects.exists()


def test_a_refusal_gives_its_reasons(intake_org: Org) -> None:
    dossier = services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    officer = intake_org.users["counter_halong"]
    with pytest.raises(MotcuaError) as raised:
        services.refuse_dossier(dossier=dossier, actor=officer, items=("  ",))
    assert raised.value.code == "no_items"
    dossier.refresh_from_db()
    assert dossier.status == Status.NEW
    services.refuse_dossier(dossier=dossier, actor=officer, items=("Giấy tờ giả mạo",))
    dossier.refresh_from_db()
    assert dossier.status == Status.NOT_RECEIVED
    assert dossier.slips.get().items == ["Giấy tờ giả mạo"]


def test_a_decided_dossier_cannot_be_decided_again(intake_org: Org) -> None:
    dossier = services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    officer = intake_org.users["counter_halong"]
    services.accept_dossier(dossier=dossier, actor=officer)
    events = DossierEvent.objects.count()
    with pytest.raises(Conflict) as raised:
        services.refuse_dossier(dossier=dossier, actor=officer, items=("muộn",))
    assert raised.value.code == "illegal_transition"
    assert DossierEvent.objects.count() == events
    assert Slip.objects.count() == 1


def test_a_stale_revision_is_refused(intake_org: Org) -> None:
    dossier = services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    officer = intake_org.users["counter_halong"]
    with pytest.raises(Conflict) as raised:
        services.accept_dossier(dossier=dossier, actor=officer, revision=dossier.revision + 1)
    assert raised.value.code == "stale_dossier"


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt("")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


BAD_SUBMISSIONS: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "identity number of the wrong length",
        {"applicant": applicant(id_number="12345")},
        "applicant.id_number",
        "12",
    ),
    (
        "identity number whose century digit contradicts the birth date",
        {"applicant": applicant(id_number="022290012345")},
        "applicant.id_number",
        "",
    ),
    (
        "e-form: a required field missing",
        {"data": {"so_trang": 3, "so_ban": 1}},
        "data.ten_giay_to",
        "required",
    ),
    (
        "e-form: wrong type",
        {"data": {"ten_giay_to": "x", "so_trang": "ba", "so_ban": 1}},
        "data.so_trang",
        "whole number",
    ),
    (
        "a file that is not what it claims",
        {
            "files": {
                "ban_chinh": UploadedFile("a.pdf", b"<html>not a pdf</html>"),
                "ban_sao": UploadedFile("b.pdf", b"%PDF-1.4 truncated"),
            }
        },
        "documents.ban_chinh",
        "PDF, JPEG, PNG or TIFF",
    ),
    ("a mandatory file missing online", {"files": {}}, "documents.ban_sao", "Attach"),
    (
        "an identity number with an unknown province code",
        {"applicant": applicant(id_number="999090012345")},
        "applicant.id_number",
        "999",
    ),
    (
        "an encrypted PDF",
        {
            "files": {
                "ban_chinh": UploadedFile("a.pdf", encrypted_pdf()),
                "ban_sao": UploadedFile("b.pdf", pdf_bytes()),
            }
        },
        "documents.ban_chinh",
        "password",
    ),
    (
        "a truncated PDF",
        {
            "files": {
                "ban_chinh": UploadedFile("a.pdf", pdf_bytes()[:200]),
                "ban_sao": UploadedFile("b.pdf", pdf_bytes()),
            }
        },
        "documents.ban_chinh",
        "damaged",
    ),
    ("an unknown commune", {"commune_code": "99999"}, "commune", "not a commune-level unit"),
]


@pytest.mark.parametrize(
    ("case", "changes", "field", "words"), BAD_SUBMISSIONS, ids=[c[0] for c in BAD_SUBMISSIONS]
)
def test_bad_input_is_refused_with_its_field_and_stores_nothing(
    intake_org: Org, media_in_tmp: Path, case: str, changes: dict[str, Any], field: str, words: str
) -> None:
    audit_rows = AuditEntry.objects.count()
    with translation.override("en"), pytest.raises(MotcuaError) as raised:
        services.submit_dossier(submission=certified_copy(**changes), channel=Channel.ONLINE)
    fields = raised.value.as_dict()["fields"]
    assert field in fields, fields
    assert words in " ".join(fields[field])
    assert not Dossier.objects.exists()
    assert AuditEntry.objects.count() == audit_rows
    assert stored_files(media_in_tmp) == []


@pytest.mark.parametrize(
    ("limit", "words"),
    [({"UPLOAD_MAX_BYTES": 300}, "larger than the limit"), ({"UPLOAD_MAX_PAGES": 2}, "at most 2")],
)
def test_uploads_over_the_limits_are_refused_and_nothing_is_stored(
    intake_org: Org, settings: Any, media_in_tmp: Path, limit: dict[str, int], words: str
) -> None:
    for name, value in limit.items():
        setattr(settings, name, value)
    with translation.override("en"), pytest.raises(MotcuaError) as raised:
        services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    assert words in " ".join(raised.value.as_dict()["fields"]["documents.ban_sao"])
    assert not Dossier.objects.exists()
    assert stored_files(media_in_tmp) == []


def test_a_procedure_no_longer_offered_is_refused(intake_org: Org) -> None:
    from motcua.catalogue.models import Procedure

    Procedure.objects.filter(code="2.000815").update(active=False)
    with pytest.raises(MotcuaError) as raised:
        services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    assert raised.value.status == 404
    assert not Dossier.objects.exists()


def test_error_messages_are_vietnamese_by_default(intake_org: Org) -> None:
    with translation.override("vi"), pytest.raises(MotcuaError) as raised:
        services.submit_dossier(
            submission=certified_copy(data={"so_trang": 3, "so_ban": 1}), channel=Channel.ONLINE
        )
    body = raised.value.as_dict()
    assert re.search(r"[ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ]", body["detail"])
    assert body["fields"]["data.ten_giay_to"] == ["Trường này là bắt buộc."]


def test_an_online_dossier_for_a_counter_only_procedure_is_refused(intake_org: Org) -> None:
    from motcua.catalogue.services import import_procedures
    from tests.catalogue_data import procedure

    import_procedures(documents=[procedure(online_level="none")])
    with translation.override("en"), pytest.raises(MotcuaError) as raised:
        services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    assert "cannot be filed online" in " ".join(raised.value.as_dict()["fields"]["__all__"])


def test_a_supplement_sends_the_dossier_back_to_the_check(
    intake_org: Org, media_in_tmp: Path
) -> None:
    officer = intake_org.users["counter_halong"]
    dossier = services.submit_dossier(
        submission=certified_copy(files={"ban_chinh": UploadedFile("a.pdf", pdf_bytes())}),
        channel=Channel.COUNTER,
        point=intake_org.points["halong"],
        actor=officer,
        outcome=services.Outcome(services.SUPPLEMENT),
    )
    with pytest.raises(MotcuaError) as raised:
        services.supplement_dossier(
            dossier=dossier, files={"ban_sao": UploadedFile("b.pdf", b"%PDF-1.7 broken")}
        )
    assert "documents.ban_sao" in raised.value.fields
    assert dossier.documents.get(requirement="ban_sao").state == "missing"
    assert len(stored_files(media_in_tmp)) == 1  # only the first scan
    services.supplement_dossier(
        dossier=dossier, files={"ban_sao": UploadedFile("b.pdf", pdf_bytes(2))}
    )
    dossier.refresh_from_db()
    assert dossier.status == Status.NEW
    assert dossier.documents.get(requirement="ban_sao").pages == 2
    accepted = services.accept_dossier(dossier=dossier, actor=officer)
    assert accepted.status == Status.RECEIVED
    assert [e.action for e in accepted.events.all()] == [
        "submitted",
        "supplement_requested",
        "supplemented",
        "received",
    ]
    with pytest.raises(Conflict):
        services.supplement_dossier(
            dossier=dossier, files={"ban_sao": UploadedFile("b.pdf", pdf_bytes())}
        )


@time_machine.travel(THURSDAY_MORNING, tick=False)
def test_the_check_at_receipt_is_due_in_8_working_hours_online_and_1_day_in_person(
    intake_org: Org,
) -> None:
    online = services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    in_person = services.submit_dossier(
        submission=certified_copy(),
        channel=Channel.COUNTER,
        point=intake_org.points["halong"],
        actor=intake_org.users["counter_halong"],
    )
    assert online.check_due_at == dt.datetime(2026, 11, 27, 10, 0, tzinfo=VN_TZ)
    assert in_person.check_due_at == dt.datetime(2026, 11, 27, 17, 0, tzinfo=VN_TZ)


def test_the_slip_is_mailed_with_its_pdf_when_the_applicant_gave_an_email(
    intake_org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core import mail

    from motcua.dossiers import tasks

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        dossier = services.submit_dossier(
            submission=certified_copy(applicant=applicant(email="an@example.vn")),
            channel=Channel.ONLINE,
        )
        services.refuse_dossier(
            dossier=dossier, actor=intake_org.users["counter_halong"], items=("Sai thủ tục",)
        )
    assert len(callbacks) >= 2  # rendering and mailing wait for the commit
    slip = dossier.slips.get()
    tasks.email_slip.call(slip.pk)
    (message,) = mail.outbox
    assert message.to == ["an@example.vn"]
    assert dossier.code in message.subject
    assert "Sai thủ tục" in message.body
    name, content, kind = message.attachments[0]
    assert name == f"{dossier.code}-refusal.pdf"
    assert (kind, content[:4]) == ("application/pdf", b"%PDF")


def test_every_audit_row_of_one_dossier_shares_a_chain(intake_org: Org) -> None:
    """One chain head locked per transaction: two receipts at once never lock two heads in
    opposite orders (which deadlocked on PostgreSQL)."""
    dossier = services.submit_dossier(
        submission=certified_copy(files={}, on_paper=frozenset({"ban_chinh", "ban_sao"})),
        channel=Channel.COUNTER,
        point=intake_org.points["halong"],
        actor=intake_org.users["counter_halong"],
        outcome=services.Outcome(services.ACCEPT),
    )
    rows = AuditEntry.objects.filter(
        action__in=["dossier.submit", "dossier.accept", "payments.payment.create"]
    )
    assert rows.count() == 3
    assert {row.chain for row in rows} == {audit.chain_for("", "", "", dossier.code)}


def test_the_receiving_point_hears_of_each_new_and_decided_dossier(intake_org: Org) -> None:
    from motcua.core.models import LiveEvent

    topic = f"service_point.{intake_org.points['halong'].pk}"
    online = services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    at_counter = services.submit_dossier(
        submission=certified_copy(files={}, on_paper=frozenset({"ban_chinh", "ban_sao"})),
        channel=Channel.COUNTER,
        point=intake_org.points["halong"],
        actor=intake_org.users["counter_halong"],
        outcome=services.Outcome(services.ACCEPT),
    )
    heard = list(LiveEvent.objects.filter(topic=topic).values_list("name", "data"))
    assert heard == [
        ("dossier.submitted", {"code": online.code}),
        ("dossier.received", {"code": at_counter.code}),
    ]
