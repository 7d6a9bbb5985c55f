"""What the applicant is told at each step of their dossier, by every channel they gave.

The texts are Vietnamese whatever the officer's screen language: they go to the applicant
(NĐ 118/2025 asks that the applicant be kept informed of the progress). They are written into
the notification outbox inside the action's transaction and delivered after its commit.
"""

from __future__ import annotations

from django.utils import timezone, translation

from motcua.core.notifications import Message, Recipient, notify
from motcua.dossiers import printing
from motcua.dossiers.models import Dossier

# action → what the applicant reads; {code}, {due}, {agency}, {point} are filled in.
TEXTS: dict[str, str] = {
    "received": "Hồ sơ {code} đã được tiếp nhận. Hẹn trả kết quả: {due}.",
    "supplement_requested": "Hồ sơ {code} cần được bổ sung, hoàn thiện: xem phiếu yêu cầu "
    "và nộp bổ sung tại {point} hoặc trực tuyến.",
    "refused": "Hồ sơ {code} không được tiếp nhận: xem lý do trong phiếu từ chối.",
    "supplemented": "Đã nhận phần bổ sung của hồ sơ {code}.",
    "assigned": "Hồ sơ {code} đang được {agency} giải quyết. Hẹn trả kết quả: {due}.",
    "financial_obligation_requested": "Hồ sơ {code}: đề nghị ông/bà thực hiện nghĩa vụ tài "
    "chính; thời gian chờ không tính vào thời hạn giải quyết.",
    "financial_obligation_met": "Hồ sơ {code}: đã ghi nhận nghĩa vụ tài chính, hồ sơ tiếp "
    "tục được giải quyết. Hẹn trả kết quả: {due}.",
    "extended": "Hồ sơ {code} chậm so với hẹn: cơ quan giải quyết xin lỗi và hẹn lại ngày "
    "trả kết quả: {due}.",
    "approved": "Hồ sơ {code} đã có kết quả. Mời ông/bà nhận kết quả tại {point} hoặc theo "
    "hình thức đã đăng ký.",
    "returned": "Kết quả hồ sơ {code} đã được trả. Trân trọng cảm ơn ông/bà.",
    "stop_requested": "Đã nhận đề nghị dừng giải quyết hồ sơ {code}.",
    "stopped": "Hồ sơ {code} đã dừng giải quyết theo đề nghị của ông/bà.",
}


def tell_applicant(dossier: Dossier, action: str) -> None:
    text = TEXTS.get(action)
    if text is None:
        return
    due = (
        timezone.localtime(dossier.due_at).strftime("%H:%M ngày %d/%m/%Y") if dossier.due_at else ""
    )
    short = text.format(
        code=dossier.code,
        due=due,
        agency=dossier.competent_agency.name,
        point=dossier.receiving_point.name,
    )
    link = printing.tracking_url(dossier)
    with translation.override("vi"):
        status = dossier.get_status_display()
    notify(
        # Zalo's notification service reaches the applicant by phone number too.
        recipient=Recipient(
            email=dossier.applicant_email,
            phone=dossier.applicant_phone,
            zalo=dossier.applicant_phone,
        ),
        message=Message(
            subject=f"Hồ sơ {dossier.code}: {status}",
            body=f"Kính gửi ông/bà {dossier.applicant_name},\n\n{short}\n\n"
            f"Tra cứu tình trạng hồ sơ: {link}\n",
            short=f"{short} Tra cứu: {link}",
        ),
        reference=dossier.code,
        topic=f"dossier.{action}",
    )
