"""Reads of the catalogue. The catalogue is public: no jurisdiction narrows it."""

from __future__ import annotations

from django.db.models import F, QuerySet

from motcua.catalogue.models import ProcedureVersion
from motcua.core.errors import NotFound
from motcua.core.text import fold


def offered_procedures(
    *, query: str = "", field_code: str = "", level: str = ""
) -> QuerySet[ProcedureVersion]:
    """Current versions of the offered procedures; the query ignores diacritics and case."""
    versions = ProcedureVersion.objects.filter(
        procedure__active=True, procedure__current=F("pk")
    ).select_related("procedure")
    for word in fold(query).split():
        versions = versions.filter(search_key__contains=word)
    if field_code:
        versions = versions.filter(field_code=field_code)
    if level:
        versions = versions.filter(level=level)
    return versions.order_by("field_name", "name")


def fields() -> list[tuple[str, str]]:
    return list(
        offered_procedures()
        .values_list("field_code", "field_name")
        .distinct()
        .order_by("field_name")
    )


def offered_procedure(code: str) -> ProcedureVersion:
    version = offered_procedures().filter(procedure__code=code).first()
    if version is None:
        raise NotFound()
    return version
