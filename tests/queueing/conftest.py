"""Queue tests: the test organisation with queues at the Hạ Long commune centre (two counters)
and the priority categories (see `queue_org`)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.org import Org


@pytest.fixture
def queue_org(org: Org, settings: Any, tmp_path: Any) -> Org:
    """Queue services A (certification), B (civil status, 2 appointments a slot) and C (land)
    at Hạ Long, served by its counters 1 and 2 (counter 1 prefers A, counter 2 prefers B);
    priority categories elderly (weight 3) and pregnant (2)."""
    from motcua.queueing.models import CounterService, PriorityCategory, QueueService

    settings.MOTCUA_VOICE_DIR = tmp_path / "voice"
    point = org.points["halong"]
    counters = list(point.counters.order_by("number"))
    services = {
        code: QueueService.objects.create(
            service_point=point, code=code, name=name, prefix=prefix, appointment_capacity=capacity
        )
        for code, name, prefix, capacity in [
            ("chung-thuc", "Chứng thực", "A", 0),
            ("ho-tich", "Hộ tịch", "B", 2),
            ("dat-dai", "Đất đai", "C", 0),
        ]
    }
    for index, counter in enumerate(counters):
        for code, service in services.items():
            preferred = (index == 0 and code == "chung-thuc") or (index == 1 and code == "ho-tich")
            CounterService.objects.create(
                counter=counter, service=service, weight=2 if preferred else 1
            )
    org.queue_services = services  # type: ignore[attr-defined]
    org.counters = counters  # type: ignore[attr-defined]
    org.priorities = {  # type: ignore[attr-defined]
        "elderly": PriorityCategory.objects.create(code="elderly", name="Người cao tuổi", weight=3),
        "pregnant": PriorityCategory.objects.create(
            code="pregnant", name="Phụ nữ mang thai", weight=2
        ),
    }
    return org
