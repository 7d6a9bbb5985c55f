"""Live-event topics of the organisation's units, open to whoever's jurisdiction reaches the unit.

The checks use the same selectors as every page and API read, so a principal hears the live
events of exactly the units it may see.
"""

from __future__ import annotations

from motcua.core.events import register_topic_kind
from motcua.core.permissions import Principal
from motcua.organisation import selectors
from motcua.organisation.models import Commune


def _as_id(key: str) -> int | None:
    return int(key) if key.isdigit() and len(key) < 19 else None


def province_topic(principal: Principal, key: str) -> bool:
    return key in principal.province_codes


def commune_topic(principal: Principal, key: str) -> bool:
    if key in principal.commune_codes:
        return True
    return Commune.objects.filter(
        code=key, province__code__in=sorted(principal.province_codes)
    ).exists()


def agency_topic(principal: Principal, key: str) -> bool:
    agency_id = _as_id(key)
    return agency_id is not None and selectors.agencies_for(principal).filter(pk=agency_id).exists()


def service_point_topic(principal: Principal, key: str) -> bool:
    point_id = _as_id(key)
    return (
        point_id is not None
        and selectors.service_points_for(principal).filter(pk=point_id).exists()
    )


def register() -> None:
    register_topic_kind("province", province_topic, replace=True)
    register_topic_kind("commune", commune_topic, replace=True)
    register_topic_kind("agency", agency_topic, replace=True)
    register_topic_kind("service_point", service_point_topic, replace=True)
