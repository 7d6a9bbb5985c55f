"""Test data for intake: the procedures intake is tried with, a valid applicant, submissions
and PDF files (the `intake_org` fixture in tests/conftest.py sets them up)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from pypdf import PdfWriter

from motcua.dossiers.intake import Applicant, Submission, UploadedFile, VerifiedIdentity
from tests.catalogue_data import procedure

# 022: born registered in Quảng Ninh; 0: a man born in the 1900s; 90: in 1990.
ID_NUMBER = "022090012345"
BIRTH_DATE = dt.date(1990, 5, 12)

LAND_CHANGE = procedure(
    code="1.012345",
    name="Đăng ký biến động đất đai",
    field={"code": "DATDAI", "name": "Đất đai"},
    level="province",
    agency_kind="land_registration_branch",
    routing={"commune_field": "ma_xa_thua_dat"},
    time={"kind": "working_days", "value": 8},
    fee={"kind": "set_by_province", "note": "Theo Nghị quyết HĐND tỉnh"},
    documents=[
        {
            "code": "don",
            "name": "Đơn đăng ký biến động",
            "form": "original",
            "count": 1,
            "mandatory": True,
        },
        {
            "code": "giay_chung_nhan",
            "name": "Giấy chứng nhận đã cấp",
            "form": "original",
            "count": 1,
            "mandatory": True,
            "replaced_by": "document_store",
            "accepts": ["land_use_certificate"],
        },
    ],
    form={
        "schema": {
            "type": "object",
            "required": ["so_thua", "ma_xa_thua_dat"],
            "properties": {
                "so_thua": {"type": "string", "title": "Số thửa", "maxLength": 20},
                "ma_xa_thua_dat": {
                    "type": "string",
                    "title": "Xã nơi có thửa đất",
                    "pattern": "^[0-9]{5}$",
                },
            },
        }
    },
)
# A commune procedure that is not borderless: only the applicant's commune receives it.
LOCAL_ONLY = procedure(
    code="1.004873",
    name="Cấp Giấy xác nhận tình trạng hôn nhân",
    time={"kind": "working_days", "value": 3},
    fee={"kind": "fixed", "amount": 15000, "online_amount": 10000},
    documents=[
        {"code": "to_khai", "name": "Tờ khai", "form": "original", "count": 1, "mandatory": True}
    ],
    form={"schema": {"type": "object", "properties": {}}},
)
del LOCAL_ONLY["borderless"]


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def applicant(**changes: Any) -> Applicant:
    values = {
        "name": "Nguyễn Văn An",
        "id_number": ID_NUMBER,
        "address": "Tổ 5, khu 3, phường Bãi Cháy",
        "birth_date": BIRTH_DATE,
        "phone": "0912345678",
        "email": "",
    } | changes
    return Applicant(**values)


def verified(person: Applicant, level: int = 2) -> VerifiedIdentity:
    """An e-ID login that vouches for `person` (online filing needs one)."""
    return VerifiedIdentity(subject=f"test-{person.id_number}", level=level, applicant=person)


def _with_identity(values: dict[str, Any]) -> Submission:
    """The submission of `values`, logged in with e-ID as its applicant unless told otherwise."""
    values.setdefault("identity", verified(values["applicant"]))
    return Submission(**values)


def certified_copy(**changes: Any) -> Submission:
    values: dict[str, Any] = {
        "procedure_code": "2.000815",
        "applicant": applicant(),
        "data": {"ten_giay_to": "Bằng tốt nghiệp", "so_trang": 3, "so_ban": 2},
        "commune_code": "06688",
        "files": {
            "ban_chinh": UploadedFile("ban-chinh.pdf", pdf_bytes(3)),
            "ban_sao": UploadedFile("ban-sao.pdf", pdf_bytes(3)),
        },
    } | changes
    return _with_identity(values)


def land_change(**changes: Any) -> Submission:
    values: dict[str, Any] = {
        "procedure_code": "1.012345",
        "applicant": applicant(),
        "data": {"so_thua": "125", "ma_xa_thua_dat": "06673"},
        "on_paper": frozenset({"don"}),
    } | changes
    return _with_identity(values)
