"""Fixtures for the working calendar: the province, users holding calendar permissions, and a
pure calendar with the default week (no database)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from motcua.organisation.models import Province, Role, RoleMembership
from motcua.workcalendar.engine import WorkingCalendar


@pytest.fixture
def province(db: Any) -> Province:
    return Province.objects.create(
        code="22", name="Tỉnh Quảng Ninh", short_name="Quảng Ninh", kind="tinh"
    )


@pytest.fixture
def make_user(province: Province) -> Callable[..., Any]:
    def make(username: str, *permissions: str) -> Any:
        user = get_user_model().objects.create_user(username=username, password="x")
        if permissions:
            role = Role.objects.create(
                code=f"role-{username}",
                name=username,
                scope_kind="province",
                permissions=list(permissions),
            )
            RoleMembership.objects.create(user=user, role=role, province=province)
        return user

    return make


@pytest.fixture
def viewer(make_user: Callable[..., Any]) -> Any:
    return make_user("viewer", "calendar.view")


@pytest.fixture
def manager(make_user: Callable[..., Any]) -> Any:
    return make_user("manager", "calendar.view", "calendar.manage", "admin.access")


@pytest.fixture
def viewer_client(viewer: Any) -> Client:
    client = Client()
    client.force_login(viewer)
    return client


@pytest.fixture
def manager_client(manager: Any) -> Client:
    client = Client()
    client.force_login(manager)
    return client


@pytest.fixture(scope="session")
def calendar() -> WorkingCalendar:
    """Monday–Friday, 08:00–12:00 and 13:00–17:00, cut-off 15:00, no overrides."""
    return WorkingCalendar()
