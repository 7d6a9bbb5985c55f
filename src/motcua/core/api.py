from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from motcua.core.access import principal_of
from motcua.core.schemas import responses

router = Router()


class HealthOut(Schema):
    status: str


class PrincipalOut(Schema):
    user_id: int
    username: str
    roles: list[str]
    permissions: list[str]
    province_codes: list[str]
    commune_codes: list[str]
    agency_ids: list[int]
    service_point_ids: list[int]


@router.get("/health", auth=None, response=HealthOut, url_name="health")
def health(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok"}


@router.get("/me", response=responses(PrincipalOut), url_name="me")
def me(request: HttpRequest) -> dict[str, object]:
    principal = principal_of(request)
    return {
        "user_id": principal.user_id,
        "username": request.user.get_username(),
        "roles": sorted(principal.roles),
        "permissions": sorted(principal.permissions),
        "province_codes": sorted(principal.province_codes),
        "commune_codes": sorted(principal.commune_codes),
        "agency_ids": sorted(principal.agency_ids),
        "service_point_ids": sorted(principal.service_point_ids),
    }
