"""Background work of dossiers: slips rendered and mailed and results signed and stored after
the commit of their action, and the periodic deadline alerts."""

from __future__ import annotations

from datetime import timedelta

from django.core.mail import EmailMessage

from motcua.core.jobs import job, periodic
from motcua.digitisation import store
from motcua.dossiers import alerts, printing, results
from motcua.dossiers.models import Slip

SUBJECTS: dict[str, str] = {
    Slip.Kind.RECEIPT: "Giấy tiếp nhận hồ sơ và hẹn trả kết quả — hồ sơ {code}",
    Slip.Kind.SUPPLEMENT: "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ — hồ sơ {code}",
    Slip.Kind.REFUSAL: "Phiếu từ chối tiếp nhận hồ sơ — hồ sơ {code}",
}


@job(retries=3, backoff_seconds=5, queue_name="slow")
def render_slip(slip_id: int) -> None:
    printing.slip_pdf(slip_id)


@job(retries=5, backoff_seconds=30)
def email_slip(slip_id: int) -> None:
    """Send the applicant the slip: the same content as at the counter (NĐ 118/2025)."""
    slip = Slip.objects.select_related("dossier").get(pk=slip_id)
    dossier = slip.dossier
    body = "\n".join(
        [
            f"Kính gửi ông/bà {dossier.applicant_name},",
            "",
            f"Hồ sơ {dossier.code} ({dossier.version.name}): {slip.get_kind_display()}.",
            *(f"- {item}" for item in slip.items),
            "",
            f"Tra cứu tình trạng hồ sơ: {printing.tracking_url(dossier)}",
        ]
    )
    message = EmailMessage(
        subject=SUBJECTS[slip.kind].format(code=dossier.code),
        body=body,
        to=[dossier.applicant_email],
    )
    message.attach(f"{dossier.code}-{slip.kind}.pdf", printing.slip_pdf(slip_id), "application/pdf")
    message.send()


@job(retries=5, backoff_seconds=10, queue_name="slow")
def sign_result(result_id: int) -> None:
    results.sign_result(result_id)
    # Every issued result goes in the applicant's document store, for later dossiers.
    store.store_result(result_id=result_id)


@job(retries=5, backoff_seconds=10)
def store_result(result_id: int) -> None:
    """A result signed elsewhere (another instance's, for a dossier transferred there)."""
    store.store_result(result_id=result_id)


@periodic(every=timedelta(minutes=15), name="dossiers.deadline_alerts")
@job(retries=2)
def deadline_alerts() -> None:
    alerts.flag_deadlines()
