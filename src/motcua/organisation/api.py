from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from motcua.core.access import demand
from motcua.core.schemas import responses
from motcua.organisation import selectors
from motcua.organisation.models import Agency, Counter, ServicePoint

router = Router()


class AgencyOut(Schema):
    id: int
    code: str
    name: str
    level: str
    kind: str
    parent_id: int | None
    province_code: str | None
    commune_code: str | None

    @staticmethod
    def resolve_province_code(obj: Agency) -> str | None:
        return obj.province.code if obj.province else None

    @staticmethod
    def resolve_commune_code(obj: Agency) -> str | None:
        return obj.commune.code if obj.commune else None


class ServicePointOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    province_code: str
    commune_code: str | None
    address: str
    opening_hours: dict[str, list[list[str]]]

    @staticmethod
    def resolve_province_code(obj: ServicePoint) -> str:
        return obj.province.code

    @staticmethod
    def resolve_commune_code(obj: ServicePoint) -> str | None:
        return obj.commune.code if obj.commune else None


class CounterOut(Schema):
    id: int
    service_point_id: int
    number: int
    name: str
    active: bool


@router.get("/agencies", response=responses(list[AgencyOut]), url_name="agencies")
def list_agencies(request: HttpRequest) -> list[Agency]:
    principal = demand(request, "organisation.view")
    return list(selectors.agencies_for(principal))


@router.get("/agencies/{agency_id}", response=responses(AgencyOut, 404), url_name="agency")
def get_agency(request: HttpRequest, agency_id: int) -> Agency:
    principal = demand(request, "organisation.view")
    return selectors.agency_for(principal, agency_id)


@router.get("/service-points", response=responses(list[ServicePointOut]), url_name="service_points")
def list_service_points(request: HttpRequest) -> list[ServicePoint]:
    principal = demand(request, "organisation.view")
    return list(selectors.service_points_for(principal))


@router.get(
    "/service-points/{point_id}", response=responses(ServicePointOut, 404), url_name="service_point"
)
def get_service_point(request: HttpRequest, point_id: int) -> ServicePoint:
    principal = demand(request, "organisation.view")
    return selectors.service_point_for(principal, point_id)


@router.get("/counters", response=responses(list[CounterOut]), url_name="counters")
def list_counters(request: HttpRequest) -> list[Counter]:
    principal = demand(request, "organisation.view")
    return list(selectors.counters_for(principal))
