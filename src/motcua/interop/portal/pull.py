"""Pulling the dossiers filed on the national portal into intake.

Each submission the portal lists as new is filed through the one intake service
(`submit_dossier`, channel online, with its documents), and a `PulledSubmission` is recorded in
the same transaction; then the portal is told the dossier's code. Filing is idempotent: the
dossier's submission key is the portal's id, so a run that crashed before recording, or whose
acknowledgement failed, finds the dossier again instead of filing a second one. A submission
intake refuses is recorded with the problems and reported back as rejected, never filed again.

The portal's submission document::

    {"id": "DVC-…", "procedure": "2.000488", "agency": "000.00.02.H22", "commune": "06688",
     "applicant": {"name", "id_type", "id_number", "birth_date", "address", "phone", "email"},
     "eid": {"subject": "…", "level": 2},           # the portal's e-ID login, if any
     "data": {...},                                  # the e-form
     "documents": [{"code": "to_khai", "name": "to-khai.pdf", "content_base64": "…",
                    "sha256": "…"}],
     "filed_at": "2026-12-01T02:00:00Z"}
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext as _

from motcua.core.errors import MotcuaError
from motcua.core.schemas import decode_base64
from motcua.dossiers import services
from motcua.dossiers.intake import Applicant, Submission, UploadedFile, VerifiedIdentity
from motcua.dossiers.models import Channel
from motcua.interop.models import PortalDossier, PulledSubmission
from motcua.interop.portal import mapping
from motcua.interop.portal.sync import pulled_key
from motcua.interop.portal.transport import PortalTransport
from motcua.interop.sinks import DeliveryError

logger = logging.getLogger("motcua.interop.portal")


@dataclass
class PullReport:
    filed: int = 0
    rejected: int = 0
    reported: int = 0


def pull_submissions(*, transport: PortalTransport) -> PullReport:
    """One run of the pull: file or reject what the portal lists as new, and tell the portal.
    The portal unreachable: nothing happens, the next run tries again."""
    report = PullReport()
    try:
        documents = transport.fetch_submissions()
    except DeliveryError as error:
        logger.warning("National portal submissions not fetched: %s", error)
        return report
    for document in documents:
        pulled = PulledSubmission.objects.filter(portal_id=str(document.get("id"))).first()
        if pulled is None:
            pulled = take_in(document)
            if pulled.state == PulledSubmission.State.FILED:
                report.filed += 1
            else:
                report.rejected += 1
        if tell_portal(pulled, transport):
            report.reported += 1
    return report


def take_in(document: dict[str, Any]) -> PulledSubmission:
    """File the submission, or record why intake refused it."""
    portal_id = str(document.get("id") or "")
    summary = {
        "portal_id": portal_id,
        "procedure_code": str(document.get("procedure") or "")[:60],
        "filed_at": str(document.get("filed_at") or "")[:40],
    }
    try:
        submission = parse(document)
        with transaction.atomic():
            dossier = services.submit_dossier(
                submission=submission, channel=Channel.ONLINE, key=pulled_key(portal_id)
            )
            return PulledSubmission.objects.create(
                **summary,
                state=PulledSubmission.State.FILED,
                dossier=dossier,
                pulled_at=timezone.now(),
            )
    except MotcuaError as error:
        return PulledSubmission.objects.create(
            **summary,
            state=PulledSubmission.State.REJECTED,
            pulled_at=timezone.now(),
            problem=force_str(error.message),
            problem_fields=error.as_dict()["fields"],
        )
    except IntegrityError:
        # Another run took it in at the same moment.
        return PulledSubmission.objects.get(portal_id=portal_id)


def tell_portal(pulled: PulledSubmission, transport: PortalTransport) -> bool:
    """Acknowledge a filed submission with the dossier's code, or report a rejection. Done
    whenever the portal still lists it as new (it did not hear us yet); a failure is left to
    the next run."""
    try:
        if pulled.dossier is not None:
            transport.ack_submission(pulled.portal_id, pulled.dossier.code)
        else:
            transport.reject_submission(pulled.portal_id, pulled.problem, pulled.problem_fields)
    except DeliveryError as error:
        logger.warning("National portal not told about %s: %s", pulled.portal_id, error)
        return False
    _reported(pulled)
    return True


@transaction.atomic
def _reported(pulled: PulledSubmission) -> None:
    now = timezone.now()
    if pulled.reported_at is None:
        pulled.reported_at = now
        pulled.save(update_fields=["reported_at"])
    if pulled.dossier is not None:
        # Acknowledged: the portal knows the dossier under our code, and its status changes
        # (waiting in the outbox until now) can be pushed.
        PortalDossier.objects.get_or_create(
            dossier=pulled.dossier,
            defaults={"source": PortalDossier.Source.PULLED, "known_since": now},
        )


def parse(document: dict[str, Any]) -> Submission:
    """The portal's submission as intake's `Submission`; one MotcuaError lists every problem of
    the document itself (intake then checks the dossier as for any online filing)."""
    found: dict[str, list[str]] = {}

    def problem(field: str, message: str) -> None:
        found.setdefault(field, []).append(message)

    if not str(document.get("id") or "").strip():
        problem("id", _("This field is required."))
    procedure = document.get("procedure")
    if not isinstance(procedure, str) or not procedure:
        problem("procedure", _("This field is required."))
        procedure = ""
    person = document.get("applicant")
    if not isinstance(person, dict):
        problem("applicant", _("This field is required."))
        person = {}
    birth_date = _date(person.get("birth_date"))
    if person.get("birth_date") and birth_date is None:
        problem("applicant.birth_date", _("Enter a valid date."))
    applicant = Applicant(
        name=str(person.get("name") or ""),
        id_number=str(person.get("id_number") or ""),
        address=str(person.get("address") or ""),
        birth_date=birth_date,
        phone=str(person.get("phone") or ""),
        email=str(person.get("email") or ""),
    )
    data = document.get("data") or {}
    if not isinstance(data, dict):
        problem("data", _("The form data must be an object."))
        data = {}
    files = _files(document.get("documents") or [], problem)
    if found:
        raise MotcuaError(
            _("The national portal's submission is not valid."),
            code="invalid_submission",
            fields=found,
        )
    return Submission(
        procedure_code=mapping.local_code(procedure),
        applicant=applicant,
        data=data,
        commune_code=str(document.get("commune") or "") or None,
        files=files,
        identity=_identity(document.get("eid"), applicant),
    )


def _files(documents: Any, problem: Any) -> dict[str, UploadedFile]:
    files: dict[str, UploadedFile] = {}
    if not isinstance(documents, list):
        problem("documents", _("The documents must be a list."))
        return files
    for item in documents:
        code = str(item.get("code") or "") if isinstance(item, dict) else ""
        field = f"documents.{code}"
        if not code:
            problem("documents", _("Each document needs its requirement code."))
            continue
        try:
            content = decode_base64(str(item.get("content_base64") or ""), field=field)
        except MotcuaError as error:
            problem(field, force_str(error.message))
            continue
        if hashlib.sha256(content).hexdigest() != str(item.get("sha256") or "").lower():
            problem(field, _("The file does not match its SHA-256 digest."))
            continue
        files[code] = UploadedFile(str(item.get("name") or code), content)
    return files


def _identity(eid: Any, applicant: Applicant) -> VerifiedIdentity | None:
    """The portal logs citizens in with e-ID and vouches for the applicant it sends."""
    if not isinstance(eid, dict) or not eid.get("subject"):
        return None
    level = eid.get("level")
    return VerifiedIdentity(
        subject=f"dvcqg:{eid['subject']}",
        level=level if isinstance(level, int) else 0,
        applicant=applicant,
    )


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
