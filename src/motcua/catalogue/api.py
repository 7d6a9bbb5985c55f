from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from motcua.catalogue import selectors
from motcua.catalogue.fees import compute_fee
from motcua.catalogue.models import ProcedureVersion
from motcua.core.ratelimits import limit_public
from motcua.core.schemas import ErrorOut

router = Router()


class ProcedureSummaryOut(Schema):
    code: str
    version: int
    name: str
    field_code: str
    field_name: str
    level: str
    online_level: str
    borderless: bool

    @staticmethod
    def resolve_code(obj: ProcedureVersion) -> str:
        return obj.procedure.code

    @staticmethod
    def resolve_version(obj: ProcedureVersion) -> int:
        return obj.number


class ProcedureOut(ProcedureSummaryOut):
    spec: dict[str, Any]


class SearchQuery(Schema):
    q: str = ""
    field: str = ""
    level: str = ""


class FeeQuery(Schema):
    pages: int = Field(1, ge=1, le=10_000)
    copies: int = Field(1, ge=1, le=1_000)
    online: bool = False


class FeeOut(Schema):
    code: str
    version: int
    amount: int | None
    currency: str = "VND"


PUBLIC_ERRORS = {404: ErrorOut, 422: ErrorOut, 429: ErrorOut}


@router.get(
    "/procedures",
    auth=None,
    response={200: list[ProcedureSummaryOut], **PUBLIC_ERRORS},
    url_name="procedures",
)
def list_procedures(request: HttpRequest, query: Query[SearchQuery]) -> list[ProcedureVersion]:
    limit_public(request, "catalogue")
    return list(
        selectors.offered_procedures(query=query.q, field_code=query.field, level=query.level)
    )


@router.get(
    "/procedures/{code}",
    auth=None,
    response={200: ProcedureOut, **PUBLIC_ERRORS},
    url_name="procedure",
)
def get_procedure(request: HttpRequest, code: str) -> ProcedureVersion:
    limit_public(request, "catalogue")
    return selectors.offered_procedure(code)


@router.get(
    "/procedures/{code}/fee",
    auth=None,
    response={200: FeeOut, **PUBLIC_ERRORS},
    url_name="procedure_fee",
)
def procedure_fee(request: HttpRequest, code: str, query: Query[FeeQuery]) -> dict[str, Any]:
    limit_public(request, "catalogue")
    version = selectors.offered_procedure(code)
    amount = compute_fee(version.fee, pages=query.pages, copies=query.copies, online=query.online)
    return {"code": code, "version": version.number, "amount": amount}
