"""The applicant of an online dossier from the e-ID login: the provider's verified claims, and
who files for whom (a guardian for a child; a business's representative or authorised
employee for the business), checked against those claims.

Nothing here trusts the browser: the identity is rebuilt from the session's claims at every
request, and the intake refuses a submission whose verified fields differ from it.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.core.errors import MotcuaError
from motcua.dossiers.intake import Applicant, Representation, VerifiedIdentity
from motcua.identity.rp import Citizen

# Children under 14 have an e-ID account only through a parent or guardian (NĐ 69/2024 Đ13;
# NĐ 59/2022 Đ11), who files for them.
GUARDIAN_BELOW_AGE: Final = 14
ORGANISATION_ROLES: Final = ("legal_representative", "authorised_employee")


def _refused(message: str) -> MotcuaError:
    return MotcuaError(message, code="representation_refused", status=403)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def verified_identity(citizen: Citizen, *, for_organisation: bool) -> VerifiedIdentity:
    """The identity a submission carries. `for_organisation`: the citizen files for the
    business their e-ID account acts for."""
    applicant = Applicant(
        name=citizen.name,
        id_number=citizen.id_number,
        address=citizen.address,
        birth_date=_birth_date(citizen),
        phone=national_phone(citizen.phone),
    )
    representation = (
        organisation_representation(citizen)
        if for_organisation
        else guardian_representation(citizen)
    )
    return VerifiedIdentity(citizen.sub, citizen.level, applicant, representation)


def guardian_representation(citizen: Citizen) -> Representation | None:
    """A child's account is used by its guardian, whom the provider names; a child without one
    cannot file."""
    birth_date = _birth_date(citizen)
    child = birth_date is not None and age_on(birth_date, timezone.localdate()) < GUARDIAN_BELOW_AGE
    guardian = citizen.guardian
    if not child:
        return None
    if not guardian or not guardian.get("id_number"):
        raise _refused(
            _("A child under %(age)d files through a parent's or guardian's e-ID account.")
            % {"age": GUARDIAN_BELOW_AGE}
        )
    return Representation(
        kind="guardian",
        name=str(guardian.get("name", "")),
        number=str(guardian["id_number"]),
        detail={"relationship": str(guardian.get("relationship", ""))},
    )


def organisation_representation(citizen: Citizen) -> Representation:
    """The business the provider says the citizen acts for, in which role; an authorisation
    past its end date no longer lets the employee file."""
    organisation = citizen.organisation
    if not organisation or organisation.get("role") not in ORGANISATION_ROLES:
        raise _refused(_("Your e-ID account does not act for a business."))
    detail: dict[str, str] = {}
    if organisation["role"] == "authorised_employee":
        authorisation = organisation.get("authorisation") or {}
        until = str(authorisation.get("valid_until", ""))
        try:
            expired = dt.date.fromisoformat(until) < timezone.localdate()
        except ValueError:
            expired = True
        if expired:
            raise _refused(
                _("Your authorisation to file for %(name)s has ended.")
                % {"name": organisation.get("name", "")}
            )
        detail = {"scope": str(authorisation.get("scope", "")), "valid_until": until}
    return Representation(
        kind=str(organisation["role"]),
        name=str(organisation.get("name", "")),
        number=str(organisation.get("tax_code", "")),
        detail=detail,
    )


def _birth_date(citizen: Citizen) -> dt.date | None:
    return dt.date.fromisoformat(citizen.birth_date) if citizen.birth_date else None


def prefilled(citizen: Citizen) -> dict[str, str]:
    """The applicant's fields the form shows locked, as the form's inputs hold them."""
    return {
        "name": citizen.name,
        "id_number": citizen.id_number,
        "birth_date": citizen.birth_date,
        "address": citizen.address,
    }


def national_phone(phone: str) -> str:
    """The provider publishes E.164 (+84…); the forms use the national format (0…)."""
    return "0" + phone[3:] if phone.startswith("+84") else phone
