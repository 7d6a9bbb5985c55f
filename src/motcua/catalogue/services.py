"""Writes to the catalogue. A changed procedure gets a new version; versions are never edited."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from motcua.catalogue.models import Procedure, ProcedureVersion
from motcua.catalogue.validation import problems_of
from motcua.core import audit
from motcua.core.access import staff_user
from motcua.core.errors import MotcuaError
from motcua.core.text import fold


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def spec_hash(document: dict[str, Any]) -> str:
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def import_procedures(*, documents: Any, actor: Any = None) -> ImportReport:
    """Store each procedure document as a new version when it differs from the current one.

    The whole batch is checked first: one invalid procedure and nothing is stored.
    """
    if not isinstance(documents, list):
        raise MotcuaError(_("A catalogue file is a list of procedures."), code="invalid_catalogue")
    problems: dict[str, list[str]] = {}
    for index, document in enumerate(documents, start=1):
        found = problems_of(document)
        if found:
            code = document.get("code") if isinstance(document, dict) else None
            problems[f"{index}: {code or '?'}"] = found
    if not problems:
        codes = [document["code"] for document in documents]
        if len(codes) != len(set(codes)):
            problems["codes"] = [_("the same procedure code appears twice")]
    if problems:
        raise MotcuaError(
            _("The catalogue is not valid; nothing was imported."),
            code="invalid_catalogue",
            fields=problems,
        )
    report = ImportReport()
    for document in documents:
        save_version(document=document, actor=actor, report=report)
    return report


def save_version(
    *, document: dict[str, Any], actor: Any = None, report: ImportReport | None = None
) -> ProcedureVersion:
    """Make `document` the current version of its procedure (inside the caller's transaction)."""
    problems = problems_of(document)
    if problems:
        raise MotcuaError(
            _("The procedure is not valid."), code="invalid_procedure", fields={"spec": problems}
        )
    procedure, created = Procedure.objects.select_for_update().get_or_create(code=document["code"])
    digest = spec_hash(document)
    current = procedure.current
    if current is not None and current.spec_hash == digest:
        if report is not None:
            report.unchanged.append(procedure.code)
        return current
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        number=(current.number + 1) if current else 1,
        spec=document,
        spec_hash=digest,
        name=document["name"],
        field_code=document["field"]["code"],
        field_name=document["field"]["name"],
        level=document["level"],
        online_level=document["online_level"],
        borderless="borderless" in document,
        search_key=fold(f"{document['code']} {document['name']} {document['field']['name']}"),
        created_by=staff_user(actor),
    )
    procedure.current = version
    procedure.save(update_fields=["current"])
    audit.record(
        actor=actor,
        action="catalogue.procedure.version",
        obj=procedure,
        new={"version": version.number, "spec_hash": digest},
    )
    if report is not None:
        (report.created if created else report.new_versions).append(procedure.code)
    return version


def export_procedures() -> list[dict[str, Any]]:
    return [
        procedure.current.spec
        for procedure in Procedure.objects.select_related("current").order_by("code")
        if procedure.current is not None
    ]
