"""The process control slip (TT 01/2018 Mẫu 05): the dossier's hand-offs, one row each, as a
page and as an A5 PDF. It is rendered on request, since it changes with every hand-off."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.core.errors import NotFound
from motcua.dossiers import controlslip, printing, selectors, workflow
from motcua.dossiers.models import Dossier, Task
from motcua.workcalendar.selectors import calendar_for

# What each outcome reads as on the slip (legal document: Vietnamese, untranslated).
OUTCOMES = {
    "received": "Tiếp nhận hồ sơ",
    "proposed_grant": "Đề xuất giải quyết",
    "proposed_refuse": "Đề xuất từ chối giải quyết",
    "approved": "Phê duyệt",
    "sent_back": "Trả lại để xử lý lại",
    "replied": "Đã có ý kiến",
    "returned_counter": "Trả kết quả tại quầy",
    "returned_post": "Trả kết quả qua bưu chính",
    "returned_online": "Trả kết quả trực tuyến",
    "stopped": "Dừng giải quyết",
    # Transfers between instances (motcua.interop.transfers): the steps cancelled here.
    "transferred": "Chuyển liên thông sang hệ thống khác giải quyết",
    "sent_to_origin": "Gửi kết quả về nơi tiếp nhận hồ sơ gốc",
}


def _receiver(task: Task) -> str:
    place = task.service_point.name if task.service_point else task.agency.name
    person = task.closed_by or task.assignee
    if person is None:
        return place
    return f"{place} — {person.get_full_name() or person.get_username()}"


def rows(dossier: Dossier) -> list[controlslip.HandOff]:
    calendar = calendar_for(dossier.province.code)
    handoffs = []
    for task in selectors.tasks_of(dossier):
        result = ""
        if task.closed_at and task.due_at and task.state == Task.State.DONE:
            result = workflow.timeliness(task.closed_at, task.due_at, calendar)
        note = OUTCOMES.get(task.outcome, "")
        if task.kind == Task.Kind.CONSULT:
            note = f"Lấy ý kiến: {task.note}" + (f" — Trả lời: {task.reply}" if task.reply else "")
        handoffs.append(
            controlslip.HandOff(
                sender=task.sender,
                receiver=_receiver(task),
                at=task.opened_at,
                due_at=task.due_at,
                done_at=task.closed_at,
                result=result,
                note=note,
            )
        )
    return handoffs


def control_slip_pdf(dossier: Dossier) -> bytes:
    point = dossier.receiving_point
    if dossier.received_at is None or dossier.due_at is None:
        raise NotFound(_("The dossier has not been received yet."))
    return controlslip.render_control_slip_pdf(
        controlslip.ControlSlip(
            dossier_code=dossier.code,
            authority=dossier.receiving_agency.name.upper(),
            office=point.name.upper(),
            applicant_name=dossier.applicant_name,
            applicant_address=dossier.applicant_address,
            applicant_phone=dossier.applicant_phone,
            procedure_name=dossier.version.name,
            received_at=dossier.received_at,
            due_at=dossier.due_at,
            hand_offs=tuple(rows(dossier)),
            tracking_url=printing.tracking_url(dossier),
            printed_at=timezone.now(),
        )
    )
