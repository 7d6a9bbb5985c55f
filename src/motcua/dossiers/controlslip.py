"""The process control slip of a dossier (TT 01/2018/TT-VPCP, Mẫu 05), as an A5 landscape PDF.

The *Phiếu kiểm soát quá trình giải quyết hồ sơ* travels with the dossier: every hand-off from
one agency or section to the next is a row with the sender, the receiver, the hour, minute and
date the receiver got it, and whether the receiver's part finished early, on time or late
(DOMAIN.md, "Dossier lifecycle"). A row whose step is still open prints a blank result.

Like :mod:`motcua.dossiers.slips`, this module is pure: the caller builds a :class:`ControlSlip`
from the dossier and its events, and gets HTML or PDF bytes back; nothing is read from the
database or fetched while rendering. Its wording is legal text: Vietnamese, never translated.
The slip changes with every hand-off, so each copy prints when it was printed, and a stored PDF
is only good until the next hand-off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from django.template.loader import render_to_string

from motcua.dossiers.slips import (
    TT_01_2018,
    format_time_and_date,
    html_to_pdf,
    qr_data_uri,
)

TITLE: Final = "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"
FORM_NUMBER: Final = "05"
CIRCULAR: Final = TT_01_2018

EARLY: Final = "early"
ON_TIME: Final = "on_time"
LATE: Final = "late"
OPEN: Final = ""

#: result → the words of the form's column "Trước hạn/Đúng hạn/Quá hạn" (blank while open)
RESULT_LABELS: Final[dict[str, str]] = {
    EARLY: "Trước hạn",
    ON_TIME: "Đúng hạn",
    LATE: "Quá hạn",
    OPEN: "",
}


def _check_aware(owner: object, *names: str) -> None:
    for name in names:
        value = getattr(owner, name)
        if value is not None and value.utcoffset() is None:
            raise ValueError(f"{name} must be an aware datetime")


@dataclass(frozen=True, slots=True)
class HandOff:
    """One row of the table: the dossier passed from ``sender`` to ``receiver``."""

    sender: str
    receiver: str
    at: datetime  # aware: when the receiver got the dossier
    due_at: datetime | None  # the receiver's deadline for its part, if it has one
    done_at: datetime | None  # when the receiver finished its part; None while open
    result: str  # EARLY | ON_TIME | LATE, or OPEN while the part is not finished
    note: str = ""

    def __post_init__(self) -> None:
        # A model's TextChoices member is welcome; keep its plain value (it keys the labels).
        object.__setattr__(self, "result", str(self.result))
        _check_aware(self, "at", "due_at", "done_at")
        if self.result not in RESULT_LABELS:
            raise ValueError(f"unknown hand-off result {self.result!r}")
        # Early, on time and late judge a finished part: an open one has no result yet.
        if self.result != OPEN and self.done_at is None:
            raise ValueError("a hand-off with a result needs done_at")
        if self.done_at is not None and self.done_at < self.at:
            raise ValueError("done_at must not be before at")


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlSlip:
    """Everything printed on a process control slip, already in the words that go on paper."""

    dossier_code: str
    authority: str  # e.g. "UBND PHƯỜNG HẠ LONG"
    office: str  # e.g. "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG PHƯỜNG HẠ LONG"
    applicant_name: str
    applicant_address: str
    applicant_phone: str
    procedure_name: str
    received_at: datetime  # aware
    due_at: datetime  # aware: the due date on the receipt
    hand_offs: tuple[HandOff, ...]  # in the order they happened
    tracking_url: str
    printed_at: datetime  # aware: the slip changes with each hand-off; a copy says when it was

    def __post_init__(self) -> None:
        _check_aware(self, "received_at", "due_at", "printed_at")
        if not self.tracking_url:
            raise ValueError("a control slip needs tracking_url")


def _row(hand_off: HandOff) -> dict[str, str]:
    return {
        "sender": hand_off.sender,
        "receiver": hand_off.receiver,
        "at_text": format_time_and_date(hand_off.at),
        "result_label": RESULT_LABELS[hand_off.result],
        "due_text": format_time_and_date(hand_off.due_at) if hand_off.due_at else "",
        "done_text": format_time_and_date(hand_off.done_at) if hand_off.done_at else "",
        "note": hand_off.note,
    }


def _context(slip: ControlSlip) -> dict[str, Any]:
    return {
        "slip": slip,
        "title": TITLE,
        "description": f"Mẫu số {FORM_NUMBER}, {CIRCULAR}",
        "received_text": format_time_and_date(slip.received_at),
        "due_text": format_time_and_date(slip.due_at),
        "printed_text": format_time_and_date(slip.printed_at),
        "rows": [_row(hand_off) for hand_off in slip.hand_offs],
        "qr_data_uri": qr_data_uri(slip.tracking_url),
    }


def render_control_slip_html(slip: ControlSlip) -> str:
    """The control slip as a self-contained HTML page (CSS inlined, QR as a data URI)."""
    return render_to_string("dossiers/slips/control.html", _context(slip))


def render_control_slip_pdf(slip: ControlSlip) -> bytes:
    """The control slip as an A5 landscape PDF with embedded Noto Serif / DejaVu Serif fonts."""
    return html_to_pdf(render_control_slip_html(slip))
