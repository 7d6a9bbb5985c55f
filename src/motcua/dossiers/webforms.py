"""The dossier form of the pages (the citizen's online form and the counter's): fields laid out
from the procedure's e-form, a submission read back from the POST, and errors placed by field.

HTML names: `applicant.<field>`, `data.<field>`, `commune`, `file.<document>` (an upload) and
`paper.<document>` (handed in on paper, at the counter). Errors come back from the services
under the same keys.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core import signing
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.catalogue.models import ProcedureVersion
from motcua.core.errors import MotcuaError
from motcua.dossiers import eforms
from motcua.dossiers.intake import Applicant, Submission, UploadedFile
from motcua.organisation.models import Commune

TOKEN_SALT = "motcua.dossiers.form-token"  # noqa: S105  (a signing salt, not a secret)
TOKEN_MAX_AGE = 24 * 3600

APPLICANT_FIELDS = [
    # name, label, kind, required, max length
    ("name", gettext_lazy("Full name"), "text", True, 100),
    ("id_number", gettext_lazy("Personal identity number (12 digits)"), "text", True, 12),
    ("birth_date", gettext_lazy("Date of birth"), "date", True, None),
    ("address", gettext_lazy("Place of residence"), "text", True, 300),
    ("phone", gettext_lazy("Phone"), "tel", False, 20),
    ("email", gettext_lazy("Email (to receive the slips)"), "email", False, 254),
]


@dataclass(frozen=True)
class Row:
    """One input as the template draws it."""

    name: str
    label: str
    kind: str
    required: bool
    value: Any = ""
    errors: tuple[str, ...] = ()
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    verified: bool = False  # vouched for by the e-ID login: shown read-only


def new_token() -> str:
    """A one-time token for one form: resubmitting the same form finds the first dossier."""
    return signing.dumps(secrets.token_urlsafe(16), salt=TOKEN_SALT)


def submission_key(request: HttpRequest, id_number: str) -> str | None:
    token = request.POST.get("form_token", "")
    try:
        signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    return f"form:{token}:{id_number.replace(' ', '')}"


def commune_choices(province_code: str) -> tuple[tuple[str, str], ...]:
    communes = Commune.objects.filter(province__code=province_code).order_by("name")
    return tuple((commune.code, commune.name) for commune in communes)


def rows(
    version: ProcedureVersion,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    communes: tuple[tuple[str, str], ...],
    verified: dict[str, str] | None = None,
) -> dict[str, list[Row]]:
    """The rows of the three sections: applicant, the procedure's data, the commune.
    `verified`: the applicant's fields from the e-ID login, which replace what was typed."""

    def errs(name: str) -> tuple[str, ...]:
        return tuple(str(message) for message in errors.get(name, ()))

    verified = verified or {}
    applicant = [
        Row(
            f"applicant.{name}",
            str(label),
            kind,
            required,
            verified.get(name, values.get(f"applicant.{name}", "")),
            errs(f"applicant.{name}"),
            max_length=length,
            verified=name in verified,
        )
        for name, label, kind, required, length in APPLICANT_FIELDS
    ]
    commune_field = version.spec.get("routing", {}).get("commune_field")
    data = []
    for field in eforms.form_fields(version.spec["form"]):
        name = f"data.{field.name}"
        choices = tuple((choice, choice) for choice in field.choices)
        kind = field.kind
        if field.name == commune_field:
            kind, choices = "choice", communes
        data.append(
            Row(
                name,
                field.title,
                kind,
                field.required,
                values.get(name, ""),
                errs(name),
                field.help,
                choices,
                field.max_length,
                field.minimum,
                field.maximum,
            )
        )
    where = []
    if not commune_field:
        where.append(
            Row(
                "commune",
                _("Commune-level unit whose agency handles the dossier"),
                "choice",
                True,
                values.get("commune", ""),
                errs("commune") + errs("unknown_commune"),
                choices=communes,
            )
        )
    return {"applicant": applicant, "data": data, "where": where}


def _date_or_none(text: str) -> dt.date | None:
    """A typed date, or None (then the intake checks say the date of birth is required: the
    browser's date input lets only real dates through)."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def read_submission(
    request: HttpRequest, version: ProcedureVersion, *, counter: bool
) -> tuple[Submission, dict[str, Any]]:
    """The submission a POST carries, and the typed values to show again on error."""
    post = request.POST
    values = {key: post.get(key, "") for key in post if key != "csrfmiddlewaretoken"}
    raw_data = {key[5:]: value for key, value in values.items() if key.startswith("data.")}
    birth_date = _date_or_none(post.get("applicant.birth_date", ""))
    documents = [document["code"] for document in version.documents]
    files, on_paper = handed_in(request, documents, counter=counter)
    submission = Submission(
        procedure_code=version.procedure.code,
        applicant=Applicant(
            name=post.get("applicant.name", ""),
            id_number=post.get("applicant.id_number", ""),
            address=post.get("applicant.address", ""),
            birth_date=birth_date,
            phone=post.get("applicant.phone", ""),
            email=post.get("applicant.email", ""),
        ),
        data=eforms.from_strings(version.spec["form"], raw_data),
        commune_code=post.get("commune") or None,
        files=files,
        on_paper=on_paper,
        queue_ticket=post.get("queue_ticket", "").strip(),
    )
    return submission, values


def handed_in(
    request: HttpRequest, documents: list[str], *, counter: bool
) -> tuple[dict[str, UploadedFile], frozenset[str]]:
    """The files uploaded for `documents`, and (at the counter only: citizens send files) the
    documents ticked as handed in on paper."""
    files = {
        code: UploadedFile(upload.name or code, upload.read())
        for code in documents
        if (upload := request.FILES.get(f"file.{code}")) is not None
    }
    on_paper = frozenset(
        code for code in documents if counter and request.POST.get(f"paper.{code}")
    )
    return files, on_paper


def flash_refusal(request: HttpRequest, problem: MotcuaError) -> None:
    """A refused action of a page that redirects: its message and each field's, as messages."""
    messages.error(request, problem.message)
    for field_messages in problem.fields.values():
        for message in field_messages:
            messages.error(request, message)
