"""Codes motcua and the national portal share, and the one they do not.

Statuses need no table: motcua's `Status` codes 1–10 are the portal's own (DOMAIN.md), so a
status is pushed as it is. Procedures are known on the portal by their national code, with the
province's locality suffix where the province's portal listing adds one; a procedure listed
differently has its code in `PortalProcedure` (admin-editable: the rule is seen only in public
code).
"""

from __future__ import annotations

import re

from django.conf import settings

from motcua.catalogue.models import Procedure
from motcua.interop.models import PortalProcedure

# The national part of a portal procedure code: 2.000815 in 2.000815.000.00.00.H22.
NATIONAL_CODE_RE = re.compile(r"^[0-9]\.[0-9]{6}")


def portal_code(procedure: Procedure) -> str:
    mapped = PortalProcedure.objects.filter(procedure=procedure).first()
    if mapped is not None:
        return mapped.portal_code
    suffix = settings.PORTAL_PROCEDURE_SUFFIX
    return f"{procedure.code}.{suffix}" if suffix else procedure.code


def local_code(code: str) -> str:
    """The local procedure code of a portal procedure code: the mapped one, else its national
    part."""
    mapped = PortalProcedure.objects.filter(portal_code=code).select_related("procedure").first()
    if mapped is not None:
        return mapped.procedure.code
    national = NATIONAL_CODE_RE.match(code)
    return national.group(0) if national else code
