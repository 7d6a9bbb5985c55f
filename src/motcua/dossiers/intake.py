"""What a submission carries, whatever its channel, and its checks before anything is stored.

Every channel (the citizen's online form, the counter, the post room, the REST API) builds a
`Submission` and hands it to `services.submit_dossier`; `check_submission` finds every problem at
once, so the applicant corrects them in one go, and nothing is written while any remains.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from motcua.catalogue.models import ProcedureVersion
from motcua.core.errors import MotcuaError
from motcua.dossiers import eforms
from motcua.dossiers.cccd import check_cccd
from motcua.dossiers.files import FileFacts, inspect_upload
from motcua.dossiers.models import Channel, Dossier

PHONE_RE = re.compile(r"^\+?[0-9 .]{9,15}$")


@dataclass(frozen=True)
class Applicant:
    name: str
    id_number: str
    address: str
    birth_date: dt.date | None = None
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class Representation:
    """Who files for the applicant, as the e-ID provider vouches: a guardian for a child, or a
    business's legal representative or authorised employee for the business."""

    kind: str  # "guardian", "legal_representative" or "authorised_employee"
    name: str  # the guardian's name, or the business's
    number: str  # the guardian's personal identity number, or the business's tax code
    detail: dict[str, str] = field(default_factory=dict)  # relationship, authorisation


@dataclass(frozen=True)
class VerifiedIdentity:
    """An e-ID login behind a submission: the applicant as the provider vouches for them (the
    fields the applicant may not change), the assurance level and who files for whom."""

    subject: str
    level: int
    applicant: Applicant
    representation: Representation | None = None


def verified_values(applicant: Applicant) -> dict[str, str]:
    """The applicant's fields an e-ID login vouches for (phone and e-mail stay their own)."""
    return {
        "name": applicant.name.strip(),
        "id_number": applicant.id_number.replace(" ", ""),
        "birth_date": applicant.birth_date.isoformat() if applicant.birth_date else "",
        "address": applicant.address.strip(),
    }


def verified_hash(subject: str, level: int, values: dict[str, str]) -> str:
    """The digest kept with an e-ID dossier: a later change of a verified field shows."""
    text = json.dumps(
        {"sub": subject, "level": level, **values}, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(text.encode()).hexdigest()


def still_verified(dossier: Dossier) -> bool:
    """The dossier's applicant fields are still those the e-ID login vouched for."""
    values = verified_values(
        Applicant(
            name=dossier.applicant_name,
            id_number=dossier.applicant_id_number,
            address=dossier.applicant_address,
            birth_date=dossier.applicant_birth_date,
        )
    )
    return dossier.verified_hash == verified_hash(dossier.eid_subject, dossier.eid_level, values)


@dataclass(frozen=True)
class UploadedFile:
    name: str
    data: bytes


@dataclass(frozen=True)
class Submission:
    procedure_code: str
    applicant: Applicant
    data: dict[str, Any]
    commune_code: str | None = None
    # Scans or files by requirement code, and the requirements handed in on paper.
    files: dict[str, UploadedFile] = field(default_factory=dict)
    on_paper: frozenset[str] = frozenset()
    queue_ticket: str = ""
    identity: VerifiedIdentity | None = None
    # A linked copy of a dossier transferred in from another motcua instance: that instance's
    # id and the original's code (motcua.interop.transfers).
    origin_instance: str = ""
    origin_code: str = ""


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    facts: FileFacts


def required_level(version: ProcedureVersion, channel: str) -> int:
    """The e-ID assurance level a submission of this procedure needs: its minimum online; none
    where staff see the applicant's identity papers."""
    return int(version.spec.get("min_eid_level", 0)) if channel == Channel.ONLINE else 0


def check_level(version: ProcedureVersion, channel: str, identity: VerifiedIdentity | None) -> None:
    """Refuse a submission whose e-ID login is missing or of too low a level."""
    needed = required_level(version, channel)
    level = identity.level if identity else 0
    if level < needed:
        raise MotcuaError(
            _(
                "This procedure can be filed online only after logging in with an e-ID of "
                "level %(level)d."
            )
            % {"level": needed},
            code="eid_level_required",
            status=403,
        )


def check_submission(
    submission: Submission,
    version: ProcedureVersion,
    channel: str,
    reusable: frozenset[str] = frozenset(),
) -> dict[str, CheckedFile]:
    """Raise one MotcuaError listing every problem; return the files with their facts.
    `reusable`: the documents the applicant's store holds valid copies of (taken, not asked)."""
    check_level(version, channel, submission.identity)
    found: dict[str, list[str]] = {}
    _check_applicant(submission.applicant, found)
    if submission.identity is not None:
        _check_verified(submission.applicant, submission.identity, found)
    for name, messages in eforms.problems(version.spec["form"], submission.data).items():
        found.setdefault(f"data.{name}" if name != "__all__" else "data", []).extend(messages)
    files = _check_documents(submission, version, channel, reusable, found)
    if channel == Channel.ONLINE and version.online_level == "none":
        found.setdefault("__all__", []).append(
            _("This procedure cannot be filed online: please come to a service centre.")
        )
    if len(submission.queue_ticket) > 20:
        found.setdefault("queue_ticket", []).append(_("At most %(n)d characters.") % {"n": 20})
    if found:
        raise MotcuaError(
            _("The dossier has problems; nothing was submitted. Please correct them."),
            code="invalid_dossier",
            fields=found,
        )
    return files


def _check_applicant(applicant: Applicant, found: dict[str, list[str]]) -> None:
    def problem(name: str, message: str) -> None:
        found.setdefault(f"applicant.{name}", []).append(message)

    if not applicant.name.strip():
        problem("name", _("This field is required."))
    elif len(applicant.name) > 100:
        problem("name", _("At most %(n)d characters.") % {"n": 100})
    if not applicant.address.strip():
        problem("address", _("This field is required."))
    elif len(applicant.address) > 300:
        problem("address", _("At most %(n)d characters.") % {"n": 300})
    if applicant.birth_date is None:
        problem("birth_date", _("This field is required."))
    elif not dt.date(1900, 1, 1) <= applicant.birth_date <= dt.date.today():
        problem("birth_date", _("Enter a date of birth between 1900 and today."))
    try:
        check_cccd(applicant.id_number, date_of_birth=applicant.birth_date)
    except MotcuaError as error:
        for message in error.fields.get("id_number", [error.message]):
            problem("id_number", str(message))
    if applicant.phone and not PHONE_RE.match(applicant.phone):
        problem("phone", _("Enter a phone number of 9 to 15 digits."))
    if applicant.email:
        try:
            validate_email(applicant.email)
        except ValidationError:
            problem("email", _("Enter a valid email address."))


def _check_verified(
    applicant: Applicant, identity: VerifiedIdentity, found: dict[str, list[str]]
) -> None:
    """A field the e-ID provider vouched for must come back as it was sent: a changed one was
    tampered with (the form shows them read-only)."""
    sent = verified_values(identity.applicant)
    for name, value in verified_values(applicant).items():
        if value != sent[name]:
            found.setdefault(f"applicant.{name}", []).append(
                _("This field was verified by your e-ID login and cannot be changed.")
            )


def _check_documents(
    submission: Submission,
    version: ProcedureVersion,
    channel: str,
    reusable: frozenset[str],
    found: dict[str, list[str]],
) -> dict[str, CheckedFile]:
    required = {document["code"]: document for document in version.documents}
    unknown = sorted((set(submission.files) | set(submission.on_paper)) - set(required))
    if unknown:
        found.setdefault("documents", []).append(
            _("These are not documents of this procedure: %(codes)s.")
            % {"codes": ", ".join(unknown)}
        )
    if channel == Channel.ONLINE and submission.on_paper:
        found.setdefault("documents", []).append(
            _("An online dossier cannot hand in paper documents.")
        )
    checked: dict[str, CheckedFile] = {}
    for code, upload in submission.files.items():
        if code not in required:
            continue
        try:
            checked[code] = CheckedFile(upload, inspect_upload(upload.name, upload.data))
        except MotcuaError as error:
            found.setdefault(f"documents.{code}", []).append(str(error.message))
    if channel == Channel.ONLINE:
        for code, document in required.items():
            needed = document["mandatory"] and "replaced_by" not in document
            if needed and code not in submission.files and code not in reusable:
                found.setdefault(f"documents.{code}", []).append(
                    _("Attach this document (PDF, JPEG, PNG or TIFF).")
                )
    return checked


def check_supplement(
    dossier: Dossier, files: dict[str, UploadedFile], on_paper: frozenset[str]
) -> dict[str, CheckedFile]:
    """The files and papers of a supplement, checked whole before anything is stored."""
    found: dict[str, list[str]] = {}
    known = set(dossier.documents.values_list("requirement", flat=True))
    unknown = sorted((set(files) | on_paper) - known)
    if unknown:
        found.setdefault("documents", []).append(
            _("These are not documents of this procedure: %(codes)s.")
            % {"codes": ", ".join(unknown)}
        )
    if not files and not on_paper:
        found.setdefault("documents", []).append(_("Add at least one document."))
    checked: dict[str, CheckedFile] = {}
    for code, upload in files.items():
        try:
            checked[code] = CheckedFile(upload, inspect_upload(upload.name, upload.data))
        except MotcuaError as error:
            found.setdefault(f"documents.{code}", []).append(str(error.message))
    if found:
        raise MotcuaError(
            _("The supplement has problems; nothing was added. Please correct them."),
            code="invalid_supplement",
            fields=found,
        )
    return checked


def missing_documents(version: ProcedureVersion, present: set[str]) -> list[dict[str, Any]]:
    """Mandatory documents neither handed in, nor taken from the document store, nor read
    from a national database instead."""
    return [
        document
        for document in version.documents
        if document["mandatory"]
        and document.get("replaced_by", "document_store") == "document_store"
        and document["code"] not in present
    ]
