"""Test data for processing: a provincial procedure handled by the Department of Justice with a
parallel consultation of the provincial police (the judicial record certificate), and the
officers of both (the `processing_org` fixture in tests/conftest.py sets them up)."""

from __future__ import annotations

from typing import Any

from motcua.dossiers.intake import Submission
from tests.catalogue_data import procedure
from tests.intake_data import applicant

JUDICIAL_RECORD = procedure(
    code="2.000488",
    name="Cấp Phiếu lý lịch tư pháp",
    field={"code": "LLTP", "name": "Lý lịch tư pháp"},
    level="province",
    agency_kind="department",
    competent_agency="000.00.02.H22",
    time={"kind": "working_days", "value": 10},
    fee={"kind": "free", "note": "Miễn phí (thử nghiệm)"},
    documents=[
        {"code": "to_khai", "name": "Tờ khai", "form": "original", "count": 1, "mandatory": True}
    ],
    form={
        "schema": {
            "type": "object",
            "required": ["muc_dich"],
            "properties": {"muc_dich": {"type": "string", "title": "Mục đích", "maxLength": 200}},
        }
    },
    process=[
        {
            "code": "tiep_nhan",
            "name": "Tiếp nhận",
            "role": "counter_officer",
            "agency": "receiving",
            "share": 0.1,
        },
        {
            "code": "tra_cuu",
            "name": "Tra cứu, xác minh",
            "role": "processing_officer",
            "agency": "competent",
            "share": 0.5,
        },
        {
            "code": "phe_duyet",
            "name": "Phê duyệt, ký",
            "role": "agency_leader",
            "agency": "competent",
            "share": 0.3,
        },
        {
            "code": "tra_ket_qua",
            "name": "Trả kết quả",
            "role": "counter_officer",
            "agency": "receiving",
            "share": 0.1,
        },
    ],
    results=["Phiếu lý lịch tư pháp số 1"],
    legal_basis=["Luật Lý lịch tư pháp 2009"],
)

# user key → (role code, agency key of the processing organisation)
PROCESSING_STAFF = {
    "leader_stp": ("agency_leader", "stp"),
    "officer_police": ("processing_officer", "police"),
    "leader_police": ("agency_leader", "police"),
}


def judicial_record(**changes: Any) -> Submission:
    values: dict[str, Any] = {
        "procedure_code": "2.000488",
        "applicant": applicant(email="an@example.vn"),
        "data": {"muc_dich": "Bổ sung hồ sơ xin việc"},
        "commune_code": "06688",
        "on_paper": frozenset({"to_khai"}),
    } | changes
    return Submission(**values)
