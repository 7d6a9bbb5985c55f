"""Slips as the applicant gets them: the content of a `Slip` row laid out by `slips`, rendered
to PDF once (after commit, or on the first download) and kept."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from motcua.catalogue.presentation import money
from motcua.core.errors import NotFound
from motcua.dossiers import deadlines, slips
from motcua.dossiers.models import Dossier, DossierDocument, Slip

FORM_LABELS = {
    "original": "Bản chính",
    "copy": "Bản sao",
    "certified_copy": "Bản sao có chứng thực",
    "show": "Bản chính (xuất trình để đối chiếu)",
}
SLIP_SUFFIX: dict[str, str] = {
    Slip.Kind.RECEIPT: "TN",
    Slip.Kind.SUPPLEMENT: "BS",
    Slip.Kind.REFUSAL: "TC",
    Slip.Kind.APOLOGY: "XL",
    Slip.Kind.STOP: "DG",
}


def tracking_path(dossier: Dossier) -> str:
    """The dossier's public tracking page, with the secret that opens it."""
    query = urlencode({"code": dossier.code, "s": dossier.tracking_secret})
    return f"{reverse('dossiers:track')}?{query}"


def tracking_url(dossier: Dossier) -> str:
    """The same as an absolute address, for QR codes and mail."""
    return settings.PUBLIC_URL + tracking_path(dossier)


def staff_url(dossier: Dossier) -> str:
    """The dossier's page for officers, for alerts sent to them."""
    return settings.PUBLIC_URL + reverse("dossiers:detail", args=[dossier.code])


def layout(slip: Slip) -> slips.Slip:
    dossier = slip.dossier
    point = dossier.receiving_point
    officer = slip.issued_by
    documents = tuple(
        slips.SlipDocument(document.name, _form_label(document), document.count)
        for document in dossier.documents.all()
        if document.state != DossierDocument.State.MISSING
    )
    # Free, or an amount the province sets later: the schedule's note says what applies.
    note = dossier.version.fee.get("note", "Không thu")
    fee = money(dossier.fee_amount) if dossier.fee_amount else note
    return slips.Slip(
        kind=slip.kind,
        number=f"{dossier.code.rsplit('-', 1)[-1]}/{SLIP_SUFFIX[slip.kind]}",
        dossier_code=dossier.code,
        issued_at=slip.issued_at,
        place=(point.commune.short_name if point.commune else point.province.short_name),
        # An agency's slip (an apology) comes from it; the others from the receiving point.
        authority=(slip.agency.parent or slip.agency).name.upper()
        if slip.agency
        else dossier.receiving_agency.name.upper(),
        office=slip.agency.name.upper() if slip.agency else point.name.upper(),
        officer_name=(officer.get_full_name() or officer.get_username()) if officer else "",
        applicant_name=dossier.applicant_name,
        applicant_address=dossier.applicant_address,
        applicant_phone=dossier.applicant_phone,
        applicant_email=dossier.applicant_email,
        procedure_name=dossier.version.name,
        documents=documents,
        items=tuple(slips.SlipItem(text=item) for item in slip.items),
        processing_time=deadlines.describe_statutory_time(dossier.version.time),
        received_at=dossier.received_at,
        due_at=slip.dossier.due_before_extension if slip.new_due_at else dossier.due_at,
        new_due_at=slip.new_due_at,
        requested_at=_stop_requested_at(slip),
        return_place=point.name,
        fee=fee,
        contact=point.phone or point.address,
        tracking_url=tracking_url(dossier),
    )


def _stop_requested_at(slip: Slip) -> datetime | None:
    """When the applicant asked to stop, printed on the notice of stopping."""
    if slip.kind != Slip.Kind.STOP:
        return None
    request = slip.dossier.events.filter(action="stop_requested", at__lte=slip.issued_at).last()
    return request.at if request else None


def _form_label(document: DossierDocument) -> str:
    if document.state == DossierDocument.State.REPLACED:
        return "Khai thác dữ liệu điện tử (không phải nộp)"
    if document.state == DossierDocument.State.REUSED:
        return "Khai thác từ kho dữ liệu điện tử (không phải nộp lại)"
    return FORM_LABELS.get(document.form, document.form)


def slip_pdf(slip_id: int) -> bytes:
    """The slip's PDF, rendered and stored on first need; later calls read the stored file."""
    slip = Slip.objects.select_related(
        "dossier__receiving_point__commune",
        "dossier__receiving_point__province",
        "dossier__receiving_agency",
        "dossier__version",
        "issued_by",
        "agency__parent",
    ).get(pk=slip_id)
    if slip.pdf:
        with slip.pdf.open("rb") as stored:
            return stored.read()
    pdf = slips.render_slip_pdf(layout(slip))
    with transaction.atomic():
        locked = Slip.objects.select_for_update().get(pk=slip_id)
        if not locked.pdf:  # a concurrent renderer may have stored it first
            locked.pdf.save(f"{slip.dossier.code}-{slip.kind}-{slip.pk}.pdf", ContentFile(pdf))
    return pdf


def slip_response(dossier: Dossier, slip_id: int) -> HttpResponse:
    """One of `dossier`'s slips as a PDF download (404 for a slip of another dossier)."""
    slip = dossier.slips.filter(pk=slip_id).first()
    if slip is None:
        raise NotFound(_("No such slip."))
    response = HttpResponse(slip_pdf(slip.pk), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{dossier.code}-{slip.kind}.pdf"'
    return response
