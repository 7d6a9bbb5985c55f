"""Who read a citizen's personal data, when and why: the citizen's view of the logs.

Three logs hold such reads: the audit log (motcua reading the e-ID claims at a login; an
officer opening a dossier of theirs) and the document store's access log (a stored document
opened, looked up or reused). The citizen sees them merged, newest first, as Singpass shows
Myinfo's access records and VNeID its usage history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import islice
from typing import Final

from django.utils.translation import gettext as _

from motcua.core.models import AuditEntry
from motcua.digitisation.selectors import accesses_of
from motcua.dossiers.models import Dossier

CLAIMS_READ: Final = "eid.claims_read"
CITIZEN_OBJECT: Final = "identity.citizen"
LIMIT: Final = 200


@dataclass(frozen=True)
class DataRead:
    at: dt.datetime
    by: str
    what: str
    purpose: str


def reads_of(id_number: str, limit: int = LIMIT) -> list[DataRead]:
    """The newest `limit` reads of the personal data of the holder of `id_number`."""
    dossiers = dict(Dossier.objects.filter(applicant_id_number=id_number).values_list("pk", "code"))
    logins = AuditEntry.objects.filter(
        action=CLAIMS_READ, object_type=CITIZEN_OBJECT, object_id=id_number
    ).order_by("-at")[:limit]
    views = (
        AuditEntry.objects.filter(
            action="dossier.view",
            object_type="dossiers.dossier",
            object_id__in=[str(pk) for pk in dossiers],
        )
        .select_related("actor")
        .order_by("-at")[:limit]
    )
    reads = [
        DataRead(
            entry.at,
            _("motcua (e-ID login)"),
            ", ".join(entry.new_values.get("fields", [])),
            _("To fill in your details on online forms"),
        )
        for entry in logins
    ]
    reads += [
        DataRead(
            entry.at,
            _person(entry),
            _("Dossier %(code)s") % {"code": dossiers[int(entry.object_id)]},
            _("Handling the dossier"),
        )
        for entry in views
    ]
    reads += [
        DataRead(
            access.at,
            access.actor_label,
            access.document.title,
            str(access.get_purpose_display())
            + (f" — {access.dossier.code}" if access.dossier else ""),
        )
        for access in islice(accesses_of(id_number), limit)
    ]
    return sorted(reads, key=lambda read: read.at, reverse=True)[:limit]


def _person(entry: AuditEntry) -> str:
    actor = entry.actor
    return (actor.get_full_name() or actor.get_username()) if actor else entry.actor_label
