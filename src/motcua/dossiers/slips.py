"""The slips of a dossier's lifecycle that go to the applicant, rendered as A5 PDFs.

At receipt the officer chooses one outcome (DOMAIN.md, "Dossier lifecycle") and hands the
applicant the matching slip, following the forms of Thông tư 01/2018/TT-VPCP, Phụ lục:

* Mẫu 01, ``receipt``: *Giấy tiếp nhận hồ sơ và hẹn trả kết quả* (documents received, due date);
* Mẫu 02, ``supplement``: *Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ* (everything missing, at once);
* Mẫu 03, ``refusal``: *Phiếu từ chối tiếp nhận giải quyết hồ sơ* (the reasons).

Later the competent agency or the centre may issue two more, signed by the issuer, not the
applicant:

* Mẫu 04, ``apology``: *Phiếu xin lỗi và hẹn lại ngày trả kết quả* (why the result is late and
  the one new appointment);
* ``stop``: *Thông báo dừng giải quyết hồ sơ* of Thông tư 03/2025/TT-VPCP, when the applicant asks
  to stop and no result has been issued yet.

A slip is a legal document: its wording is Vietnamese and deliberately does **not** go through
Django i18n, whatever the user's UI language. Dates follow NĐ 30/2020 (a day below 10 and the
months 1 and 2 take a leading zero: "ngày 05 tháng 3 năm 2026", "ngày 01 tháng 02 năm 2026");
times and due dates use the numeric form of the forms ("08 giờ 30 phút, ngày 01/12/2026").
Every time is shown in Asia/Ho_Chi_Minh, whatever zone the aware datetime carries.

Rendering a PDF takes about a tenth of a second, which is slow next to the one short
transaction of the hot paths (DESIGN.md, "Performance facts"): the caller renders a slip once,
after commit (a job enqueued with ``transaction.on_commit``) or on first download, stores the
bytes and serves the stored file afterwards. This module only turns a :class:`Slip`, a plain
value built by the caller from the dossier, into HTML or PDF; it reads no database.

Nothing is fetched while rendering: the CSS is inlined in the HTML, the QR code (segno) is a
``data:`` URI, fonts come from fontconfig (``"Noto Serif", "DejaVu Serif", serif``, Debian's
fonts-noto-core and fonts-dejavu-core) and WeasyPrint gets a fetcher that only accepts ``data:``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

import segno
from django.template.loader import render_to_string

VIETNAM: Final = ZoneInfo("Asia/Ho_Chi_Minh")

RECEIPT: Final = "receipt"
SUPPLEMENT: Final = "supplement"
REFUSAL: Final = "refusal"
APOLOGY: Final = "apology"
STOP: Final = "stop"

TT_01_2018: Final = "Thông tư 01/2018/TT-VPCP"
TT_03_2025: Final = "Thông tư 03/2025/TT-VPCP"

#: kind → (form number in its circular, "" when unknown; title printed on the slip)
FORMS: Final[dict[str, tuple[str, str]]] = {
    RECEIPT: ("01", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"),
    SUPPLEMENT: ("02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"),
    REFUSAL: ("03", "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"),
    APOLOGY: ("04", "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"),
    # Mẫu số 05 of TT 03/2025, Phụ lục I, as secondary sources list the appendix [S]; the
    # gazette text itself was not read.
    STOP: ("05", "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ"),
}

#: kind → the circular whose appendix holds the form
CIRCULARS: Final[dict[str, str]] = {
    RECEIPT: TT_01_2018,
    SUPPLEMENT: TT_01_2018,
    REFUSAL: TT_01_2018,
    APOLOGY: TT_01_2018,
    STOP: TT_03_2025,
}

# Never a network or file fetch: the base URL only anchors relative URLs, and there are none.
_BASE_URL: Final = "about:blank"


@dataclass(frozen=True, slots=True)
class SlipDocument:
    """One row of the receipt's table of documents received."""

    name: str
    form: str  # already a Vietnamese label: "Bản chính", "Bản sao có chứng thực", ...
    count: int


@dataclass(frozen=True, slots=True)
class SlipItem:
    """A missing item (supplement request) or a reason for refusal."""

    text: str
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Slip:
    """Everything printed on one slip, already in the words that go on paper."""

    kind: str  # RECEIPT | SUPPLEMENT | REFUSAL | APOLOGY | STOP
    number: str  # slip number, e.g. "15/TN"
    dossier_code: str
    issued_at: datetime  # aware
    place: str  # for the date line, e.g. "Hạ Long"
    authority: str  # e.g. "UBND PHƯỜNG HẠ LONG"
    office: str  # e.g. "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG PHƯỜNG HẠ LONG"
    officer_name: str
    applicant_name: str
    applicant_address: str
    applicant_phone: str
    applicant_email: str
    procedure_name: str
    documents: tuple[SlipDocument, ...] = ()
    # Missing items (supplement), or the reasons: for refusing (refusal), for the delay
    # (apology), for stopping (stop).
    items: tuple[SlipItem, ...] = ()
    processing_time: str = ""  # e.g. "03 ngày làm việc"
    received_at: datetime | None = None  # defaults to issued_at
    due_at: datetime | None = None  # required for a receipt; the date first promised (apology)
    new_due_at: datetime | None = None  # the new appointment, only and always on an apology
    # When the applicant asked to stop, only on a stop notice; printed when known.
    requested_at: datetime | None = None
    return_place: str = ""
    fee: str = ""  # already formatted, e.g. "4.000 đ"
    contact: str = ""  # whom to ask while completing the dossier
    tracking_url: str

    def __post_init__(self) -> None:
        # A model's TextChoices member is welcome; keep its plain value (it names the template).
        object.__setattr__(self, "kind", str(self.kind))
        if self.kind not in FORMS:
            raise ValueError(f"unknown slip kind {self.kind!r}")
        for name in ("issued_at", "received_at", "due_at", "new_due_at", "requested_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name} must be an aware datetime")
        if self.kind in (RECEIPT, APOLOGY) and self.due_at is None:
            raise ValueError(f"the {self.kind} slip needs due_at")
        if self.kind != RECEIPT and not self.items:
            raise ValueError(f"the {self.kind} slip needs at least one item")
        self._check_new_due_at()
        self._check_requested_at()
        if not self.tracking_url:
            raise ValueError("a slip needs tracking_url")

    def _check_new_due_at(self) -> None:
        if self.kind != APOLOGY:
            if self.new_due_at is not None:
                raise ValueError("only an apology slip carries new_due_at")
            return
        if self.new_due_at is None:
            raise ValueError("an apology slip needs new_due_at")
        assert self.due_at is not None  # checked above
        # The apology moves the appointment (once) to a later moment, never an earlier one.
        if self.new_due_at <= self.due_at:
            raise ValueError("new_due_at must be after due_at")

    def _check_requested_at(self) -> None:
        if self.requested_at is None:
            return
        if self.kind != STOP:
            raise ValueError("only a stop notice carries requested_at")
        # The notice answers the applicant's request: it cannot precede it.
        if self.requested_at > self.issued_at:
            raise ValueError("requested_at must not be after issued_at")

    @property
    def form_number(self) -> str:
        return FORMS[self.kind][0]

    @property
    def circular(self) -> str:
        return CIRCULARS[self.kind]

    @property
    def title(self) -> str:
        return FORMS[self.kind][1]


# --- Vietnamese dates -------------------------------------------------------------------------


def vietnam_time(value: datetime) -> datetime:
    """``value`` as a wall-clock time in Vietnam; a naive datetime is refused, never guessed."""
    if value.utcoffset() is None:
        raise ValueError("an aware datetime is needed")
    return value.astimezone(VIETNAM)


def format_date_line(value: datetime) -> str:
    """The date of a document: "ngày 01 tháng 12 năm 2026" (NĐ 30/2020 zero-padding)."""
    local = vietnam_time(value)
    month = f"{local.month:02d}" if local.month < 3 else str(local.month)
    return f"ngày {local.day:02d} tháng {month} năm {local.year}"


def format_time_and_date(value: datetime) -> str:
    """A moment on the forms: "08 giờ 30 phút, ngày 01/12/2026"."""
    local = vietnam_time(value)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


# --- QR code ----------------------------------------------------------------------------------

QR_BORDER: Final = 4  # the quiet zone of the standard, in modules


def make_qr(url: str) -> segno.QRCode:
    """The QR code printed on a slip (a regular QR, never a Micro QR)."""
    return segno.make(url, error="m", micro=False)


def qr_data_uri(url: str) -> str:
    """The QR code of ``url`` as a PNG ``data:`` URI, for an ``<img>`` that fetches nothing."""
    # One pixel a module, drawn without interpolation (CSS image-rendering): crisp at any size.
    return str(make_qr(url).png_data_uri(scale=1, border=QR_BORDER))


# --- Rendering --------------------------------------------------------------------------------


def _two_digits(count: int) -> str:
    return f"{count:02d}"


def _context(slip: Slip) -> dict[str, Any]:
    received_at = slip.received_at or slip.issued_at
    return {
        "slip": slip,
        "title": slip.title,
        "date_line": f"{slip.place}, {format_date_line(slip.issued_at)}",
        "received_text": format_time_and_date(received_at),
        "due_text": format_time_and_date(slip.due_at) if slip.due_at else "",
        "new_due_text": format_time_and_date(slip.new_due_at) if slip.new_due_at else "",
        "requested_text": format_time_and_date(slip.requested_at) if slip.requested_at else "",
        "documents": [
            {"name": doc.name, "form": doc.form, "count": _two_digits(doc.count)}
            for doc in slip.documents
        ],
        "qr_data_uri": qr_data_uri(slip.tracking_url),
    }


def render_slip_html(slip: Slip) -> str:
    """The slip as a self-contained HTML page (CSS inlined, QR as a data URI)."""
    return render_to_string(f"dossiers/slips/{slip.kind}.html", _context(slip))


def html_to_pdf(html: str) -> bytes:
    """Render a self-contained page (everything inlined or ``data:``) to PDF, fetching nothing."""
    # Imported here: WeasyPrint loads pango and fontconfig, which most processes never need.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    pdf = HTML(string=html, base_url=_BASE_URL, url_fetcher=fetcher).write_pdf()
    assert pdf is not None  # no target given: WeasyPrint returns the bytes
    return bytes(pdf)


def render_slip_pdf(slip: Slip) -> bytes:
    """The slip as an A5 portrait PDF with embedded Noto Serif / DejaVu Serif fonts."""
    return html_to_pdf(render_slip_html(slip))
