"""The personas of the development e-ID provider (data/personas.yaml) and the claims each one
releases per scope; the claim names are documented in the package docstring."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Final

import yaml

from motcua.dossiers.cccd import check_cccd

DATA_FILE: Final = Path(__file__).resolve().parent.parent / "data" / "personas.yaml"

LEVEL_ACR: Final = {1: "urn:vneid:level1", 2: "urn:vneid:level2"}
ACR_LEVEL: Final = {acr: level for level, acr in LEVEL_ACR.items()}
# RFC 8176 method references for what each level's login asks of the citizen.
LEVEL_AMR: Final = {1: ["pwd"], 2: ["pwd", "otp", "mfa"]}

SCOPES: Final = ("openid", "profile", "address", "phone", "vn_eid", "vn_organisation")
CLAIMS: Final = (
    "sub",
    "name",
    "birthdate",
    "gender",
    "address",
    "phone_number",
    "phone_number_verified",
    "vn_id_number",
    "vn_eid_level",
    "guardian",
    "vn_organisation",
)
ROLES: Final = ("legal_representative", "authorised_employee")
RELATIONSHIPS: Final = ("mother", "father", "guardian")


@dataclass(frozen=True)
class Guardian:
    id_number: str
    name: str
    relationship: str


@dataclass(frozen=True)
class Organisation:
    tax_code: str
    name: str
    role: str
    # An authorised employee's mandate; None for a legal representative.
    authorisation_scope: str | None = None
    authorisation_valid_until: date | None = None

    def claim(self) -> dict[str, Any]:
        claim: dict[str, Any] = {"tax_code": self.tax_code, "name": self.name, "role": self.role}
        if self.authorisation_valid_until is not None:
            claim["authorisation"] = {
                "scope": self.authorisation_scope,
                "valid_until": self.authorisation_valid_until.isoformat(),
            }
        return claim


@dataclass(frozen=True)
class Persona:
    key: str
    name: str
    id_number: str
    birth_date: date
    sex: str
    address: str
    phone: str
    level: int
    guardian: Guardian | None = None
    organisation: Organisation | None = None

    @property
    def sub(self) -> str:
        return hashlib.sha256(f"motcua-dev-eid:{self.id_number}".encode()).hexdigest()[:32]

    @property
    def acr(self) -> str:
        return LEVEL_ACR[self.level]

    def claims(self, scopes: set[str]) -> dict[str, Any]:
        claims: dict[str, Any] = {"sub": self.sub}
        if "profile" in scopes:
            claims |= {
                "name": self.name,
                "birthdate": self.birth_date.isoformat(),
                "gender": self.sex,
            }
        if "address" in scopes:
            claims["address"] = {"formatted": self.address, "country": "VN"}
        if "phone" in scopes and self.phone:
            # A national number 0XXXXXXXXX is +84XXXXXXXXX.
            claims |= {"phone_number": "+84" + self.phone[1:], "phone_number_verified": True}
        if "vn_eid" in scopes:
            claims |= {"vn_id_number": self.id_number, "vn_eid_level": self.level}
            if self.guardian is not None:
                claims["guardian"] = {
                    "id_number": self.guardian.id_number,
                    "name": self.guardian.name,
                    "relationship": self.guardian.relationship,
                }
        if "vn_organisation" in scopes and self.organisation is not None:
            claims["vn_organisation"] = self.organisation.claim()
        return claims


@cache
def personas() -> dict[str, Persona]:
    """Every persona by key, in the file's order; the file is checked once per process."""
    with DATA_FILE.open(encoding="utf-8") as file:
        rows = yaml.safe_load(file)["personas"]
    return {row["key"]: _persona(row) for row in rows}


def _persona(row: dict[str, Any]) -> Persona:
    # A broken file is a programming error: fail loudly at first use.
    check_cccd(row["id_number"], date_of_birth=row["birth_date"], sex=row["sex"])
    if row["level"] not in LEVEL_ACR:
        raise ValueError(f"persona {row['key']}: unknown level {row['level']!r}")
    guardian = None
    if "guardian" in row:
        guardian = Guardian(**row["guardian"])
        check_cccd(guardian.id_number)
        if guardian.relationship not in RELATIONSHIPS:
            raise ValueError(f"persona {row['key']}: unknown relationship")
    organisation = None
    if "organisation" in row:
        data = row["organisation"]
        if data["role"] not in ROLES:
            raise ValueError(f"persona {row['key']}: unknown role {data['role']!r}")
        authorisation = data.get("authorisation") or {}
        if (data["role"] == "authorised_employee") != bool(authorisation):
            raise ValueError(f"persona {row['key']}: only an employee has an authorisation")
        organisation = Organisation(
            tax_code=data["tax_code"],
            name=data["name"],
            role=data["role"],
            authorisation_scope=authorisation.get("scope"),
            authorisation_valid_until=authorisation.get("valid_until"),
        )
    return Persona(
        key=row["key"],
        name=row["name"],
        id_number=row["id_number"],
        birth_date=row["birth_date"],
        sex=row["sex"],
        address=row["address"],
        phone=row["phone"],
        level=row["level"],
        guardian=guardian,
        organisation=organisation,
    )
