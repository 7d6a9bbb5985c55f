from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache


@pytest.fixture
def officer(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("thu_ngan", password="pw-officer")


@pytest.fixture(autouse=True)
def fresh_rate_limits_and_gateway_memory(request: pytest.FixtureRequest) -> Any:
    """Rate-limit counters and the simulator's answers live in the shared database cache."""
    if request.node.get_closest_marker("django_db") is None:
        yield
        return
    request.getfixturevalue("_django_db_helper")  # database access as the marker asks
    cache.clear()
    yield
    cache.clear()
