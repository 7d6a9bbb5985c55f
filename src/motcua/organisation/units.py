"""Reference data for the two-tier units: 34 provinces and 3,321 commune-level units.

The default source is the `vietnamadminunits` package (its codes follow QĐ 19/2025/QĐ-TTg). A
JSON file in the same shape can replace it when the government publishes changes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from motcua.core.errors import MotcuaError

PROVINCE_CODE_RE = re.compile(r"^[0-9]{2}$")
COMMUNE_CODE_RE = re.compile(r"^[0-9]{5}$")
COMMUNE_KINDS = {"Xã": "xa", "Phường": "phuong", "Đặc khu": "dac_khu"}


@dataclass(frozen=True)
class ProvinceRow:
    code: str
    name: str
    short_name: str

    @property
    def kind(self) -> str:
        return "thanh_pho" if self.name.startswith("Thành phố") else "tinh"

    def as_fields(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "short_name": self.short_name,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class CommuneRow:
    code: str
    name: str
    short_name: str
    kind: str
    province_code: str

    def as_fields(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "short_name": self.short_name,
            "kind": self.kind,
        }


class UnitsSource:
    """Rows as dicts with the package's keys: provinceCode, province, provinceShort, wardCode,
    ward, wardShort, wardType."""

    def __init__(self, rows: Iterable[dict[str, Any]], description: str) -> None:
        self.rows = list(rows)
        self.description = description

    @classmethod
    def from_package(cls) -> UnitsSource:
        from vietnamadminunits.database import get_data

        return cls(get_data(table="admin_units"), "vietnamadminunits (QĐ 19/2025/QĐ-TTg)")

    @classmethod
    def from_file(cls, path: Path) -> UnitsSource:
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MotcuaError(
                _("Cannot read the units file %(path)s: %(reason)s") % {"path": path, "reason": exc}
            ) from exc
        if not isinstance(rows, list):
            raise MotcuaError(_("The units file must hold a JSON list of units."))
        return cls(rows, str(path))

    def validated(self) -> tuple[list[ProvinceRow], list[CommuneRow]]:
        """Check every row; raise one error listing the problems, before anything is written."""
        problems: list[str] = []
        provinces: dict[str, ProvinceRow] = {}
        communes: dict[str, CommuneRow] = {}
        for index, row in enumerate(self.rows, start=1):
            if not isinstance(row, dict):
                problems.append(_("row %(n)d is not an object") % {"n": index})
                continue
            p_code = str(row.get("provinceCode", ""))
            c_code = str(row.get("wardCode", ""))
            kind = COMMUNE_KINDS.get(str(row.get("wardType", "")))
            if not PROVINCE_CODE_RE.match(p_code):
                problems.append(
                    _("row %(n)d: unknown province code “%(code)s” (two digits expected)")
                    % {"n": index, "code": p_code}
                )
            if not COMMUNE_CODE_RE.match(c_code):
                problems.append(
                    _("row %(n)d: unknown commune code “%(code)s” (five digits expected)")
                    % {"n": index, "code": c_code}
                )
            if kind is None:
                problems.append(
                    _("row %(n)d: unknown unit type “%(type)s”")
                    % {"n": index, "type": row.get("wardType")}
                )
            if not row.get("province") or not row.get("ward"):
                problems.append(_("row %(n)d: a name is missing") % {"n": index})
            if c_code in communes:
                problems.append(
                    _("row %(n)d: commune code %(code)s appears twice")
                    % {"n": index, "code": c_code}
                )
            if problems and len(problems) > 50:
                break
            province = ProvinceRow(
                p_code, str(row.get("province", "")), str(row.get("provinceShort", ""))
            )
            if provinces.setdefault(p_code, province) != province:
                problems.append(
                    _("row %(n)d: province %(code)s has two different names")
                    % {"n": index, "code": p_code}
                )
            communes[c_code] = CommuneRow(
                c_code,
                str(row.get("ward", "")),
                str(row.get("wardShort", "")),
                kind or "",
                p_code,
            )
        if not communes and not problems:
            problems.append(_("the source holds no units"))
        if problems:
            raise MotcuaError(
                _("The units source is not valid; nothing was loaded: %(problems)s")
                % {"problems": "; ".join(problems[:50])},
                code="invalid_units",
            )
        return list(provinces.values()), list(communes.values())
