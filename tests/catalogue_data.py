"""A small valid procedure document for tests (the demo file is tested separately)."""

from __future__ import annotations

import copy
from typing import Any

CERTIFIED_COPY: dict[str, Any] = {
    "code": "2.000815",
    "name": "Chứng thực bản sao từ bản chính giấy tờ, văn bản",
    "field": {"code": "CHTHUC", "name": "Chứng thực"},
    "level": "commune",
    "agency_kind": "peoples_committee",
    "online_level": "partial",
    "borderless": {"decision": "QĐ thử nghiệm"},
    "min_eid_level": 1,
    "time": {"kind": "same_day"},
    "fee": {
        "kind": "per_page",
        "tiers": [{"from_page": 1, "amount": 2000}, {"from_page": 3, "amount": 1000}],
        "cap_per_copy": 200000,
        "pages_field": "so_trang",
        "copies_field": "so_ban",
    },
    "documents": [
        {
            "code": "ban_chinh",
            "name": "Bản chính giấy tờ",
            "form": "show",
            "count": 1,
            "mandatory": True,
        },
        {
            "code": "ban_sao",
            "name": "Bản sao cần chứng thực",
            "form": "copy",
            "count": 1,
            "mandatory": True,
        },
    ],
    "form": {
        "schema": {
            "type": "object",
            "required": ["ten_giay_to", "so_trang", "so_ban"],
            "properties": {
                "ten_giay_to": {"type": "string", "title": "Tên giấy tờ", "maxLength": 200},
                "so_trang": {"type": "integer", "title": "Số trang", "minimum": 1},
                "so_ban": {"type": "integer", "title": "Số bản", "minimum": 1, "maximum": 1000},
            },
        },
        "ui": {"order": ["ten_giay_to", "so_trang", "so_ban"]},
    },
    "process": [
        {
            "code": "tiep_nhan",
            "name": "Tiếp nhận",
            "role": "counter_officer",
            "agency": "receiving",
            "share": 0.25,
        },
        {
            "code": "chung_thuc",
            "name": "Chứng thực",
            "role": "agency_leader",
            "agency": "competent",
            "share": 0.75,
        },
    ],
    "results": ["Bản sao được chứng thực từ bản chính"],
    "legal_basis": ["Nghị định 23/2015/NĐ-CP"],
}


def procedure(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(CERTIFIED_COPY)
    document.update(changes)
    return document
