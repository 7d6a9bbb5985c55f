"""The result document a competent agency issues for a dossier, as an A4 PDF ready to be signed.

Two kinds (NĐ 118/2025, DOMAIN.md "Dossier lifecycle"):

* ``grant``: the result the procedure names (a certificate, a decision, a certified extract),
  titled with that name, e.g. *Phiếu lý lịch tư pháp số 1*;
* ``refusal``: the written answer that states why the dossier is not granted, titled
  *Thông báo / V/v không giải quyết hồ sơ*.

The layout is that of an administrative document of NĐ 30/2020 on A4 portrait: the letterhead
(superior authority and issuing agency with the number on the left, the national title and the
date on the right), the title centred, the "Căn cứ" lines, the body, "Nơi nhận:" at the bottom
left and the signature block at the bottom right. The signature block is text only ("(Đã ký số)")
and the rendered PDF has no signature field: the PAdES signer adds its own, invisible, in an
incremental update. A QR code and the printed address lead to the page where anyone checks the
result and its signature. A granted result that carries a verifiable credential also prints
that credential's compact seal as a second QR code, whose signature checks even offline.

Like :mod:`motcua.dossiers.slips`, this module is pure (a value in, HTML or PDF bytes out), fetches
nothing while rendering, and prints legal Vietnamese that never goes through Django i18n.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from motcua.dossiers.slips import format_date_line, html_to_pdf, qr_data_uri, vietnam_time

GRANT: Final = "grant"
REFUSAL: Final = "refusal"
KINDS: Final = (GRANT, REFUSAL)

REFUSAL_TITLE: Final = "THÔNG BÁO"
REFUSAL_SUBJECT: Final = "V/v không giải quyết hồ sơ"


@dataclass(frozen=True, slots=True, kw_only=True)
class ResultDocument:
    """Everything printed on a result document, already in the words that go on paper."""

    kind: str  # GRANT | REFUSAL
    number: str  # e.g. "15/KQ-STP"
    authority: str  # the superior body, upper case, e.g. "UBND TỈNH QUẢNG NINH"; may be ""
    agency: str  # the issuing agency, upper case, e.g. "SỞ TƯ PHÁP"
    place: str  # for the date line, e.g. "Quảng Ninh"
    issued_at: datetime  # aware
    title: str  # grant: the procedure's result name; ignored for a refusal
    procedure_name: str
    dossier_code: str
    applicant_name: str
    applicant_id_number: str  # "" when the applicant has none (an organisation)
    applicant_birth_date: date | None
    applicant_address: str
    facts: tuple[tuple[str, str], ...] = ()  # (label, value) rows from the e-form
    reasons: tuple[str, ...] = ()  # why a refusal refuses: at least one
    legal_basis: tuple[str, ...] = ()  # the "Căn cứ ..." lines, as written
    signer_title: str  # e.g. "GIÁM ĐỐC", or "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH" on two lines
    signer_name: str
    verify_url: str  # where anyone checks the result and its signature
    # The compact seal of the result's credential (motcua.credentials.seal), printed as a second
    # QR code that checks offline, and the page where anyone checks it; "" without a credential.
    seal: str = ""
    seal_check_url: str = ""

    def __post_init__(self) -> None:
        # A model's TextChoices member is welcome; keep its plain value.
        object.__setattr__(self, "kind", str(self.kind))
        if self.kind not in KINDS:
            raise ValueError(f"unknown result kind {self.kind!r}")
        if self.issued_at.utcoffset() is None:
            raise ValueError("issued_at must be an aware datetime")
        if not self.agency:
            raise ValueError("a result document needs the issuing agency")
        if self.kind == GRANT and not self.title:
            raise ValueError("a granted result needs its title")
        # A refusal must say why (NĐ 118/2025: "nêu rõ lý do không giải quyết").
        if self.kind == REFUSAL and not self.reasons:
            raise ValueError("a refusal needs at least one of its reasons")
        if not self.verify_url:
            raise ValueError("a result document needs verify_url")
        if self.seal and not self.seal_check_url:
            raise ValueError("a sealed result document needs seal_check_url")

    @property
    def heading(self) -> str:
        """The title as printed: the result's name in capitals, or the refusal notice's."""
        return self.title.upper() if self.kind == GRANT else REFUSAL_TITLE


# A slashed token such as "111/2010/NĐ-CP", "12/2020/HS-ST" or "ông/bà": Unicode line breaking
# allows a break after a slash before a letter, which splits a document's number over two lines.
_SLASHED: Final = re.compile(r"[^\s/]+(?:/[^\s/]+)+")
# Longer tokens (an address on the web) may still wrap, rather than overflow the page.
_SLASHED_MAX: Final = 32


def _keep_slashed_whole(text: str) -> SafeString:
    """``text`` escaped, with each short slashed token in a span that never breaks."""

    def wrap(match: re.Match[str]) -> str:
        token = match[0]
        return f'<span class="nobr">{token}</span>' if len(token) <= _SLASHED_MAX else token

    # Safe: the text is escaped first, and an escaped entity holds neither a slash nor a space,
    # so the spans only ever enclose whole escaped tokens.
    return mark_safe(_SLASHED.sub(wrap, conditional_escape(text)))  # noqa: S308


def _context(doc: ResultDocument) -> dict[str, Any]:
    birth_date = f"{doc.applicant_birth_date:%d/%m/%Y}" if doc.applicant_birth_date else ""
    subject = REFUSAL_SUBJECT if doc.kind == REFUSAL else ""
    whole = _keep_slashed_whole
    return {
        "doc": doc,
        "procedure_name": whole(doc.procedure_name),
        "applicant_address": whole(doc.applicant_address),
        "facts": [(whole(label), whole(value)) for label, value in doc.facts],
        "reasons": [whole(reason) for reason in doc.reasons],
        "legal_basis": [whole(line) for line in doc.legal_basis],
        "heading": doc.heading,
        "subject": subject,
        "metadata_title": f"{doc.heading} {subject}".strip() + f" – {doc.number}",
        "created": vietnam_time(doc.issued_at).isoformat(),
        "date_line": f"{doc.place}, {format_date_line(doc.issued_at)}",
        "birth_date": birth_date,
        "qr_data_uri": qr_data_uri(doc.verify_url),
        "seal_qr_data_uri": qr_data_uri(doc.seal) if doc.seal else "",
    }


def render_result_html(doc: ResultDocument) -> str:
    """The result document as a self-contained HTML page (CSS inlined, QR as a data URI)."""
    return render_to_string("dossiers/results/result.html", _context(doc))


def render_result_pdf(doc: ResultDocument) -> bytes:
    """The result document as an A4 portrait PDF, unsigned, with embedded Vietnamese fonts."""
    return html_to_pdf(render_result_html(doc))
