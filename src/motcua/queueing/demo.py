"""The demo's queues: the priority categories of Vietnamese practice, and at every centre of
the province a few queue services that all its counters serve, each counter preferring one."""

from __future__ import annotations

from django.db import transaction

from motcua.organisation.models import ServicePoint
from motcua.queueing.models import CounterService, PriorityCategory, QueueService

PRIORITIES = [
    # code, name, weight, colour
    ("nguoi-cao-tuoi", "Người cao tuổi", 3, "#8e24aa"),
    ("nguoi-khuyet-tat", "Người khuyết tật", 3, "#1565c0"),
    ("phu-nu-mang-thai", "Phụ nữ mang thai", 2, "#c2185b"),
    ("nguoi-co-con-nho", "Người có con nhỏ dưới 36 tháng", 2, "#ef6c00"),
    ("nguoi-co-cong", "Người có công với cách mạng", 2, "#b3261e"),
]
SERVICES = [
    # code, name, prefix, appointments per 30-minute slot
    ("chung-thuc", "Chứng thực", "A", 0),
    ("ho-tich", "Hộ tịch – khai sinh, kết hôn", "B", 2),
    ("dat-dai", "Đất đai – xây dựng", "C", 2),
    ("khac", "Thủ tục khác, tư vấn", "D", 0),
]


def load_demo() -> list[str]:
    points = build_demo_queues()
    return [
        f"Demo queues: {len(SERVICES)} services at {points} service points "
        "(a kiosk: /queue/kiosk/ttpvhcc-06688/)"
    ]


@transaction.atomic
def build_demo_queues() -> int:
    for order, (code, name, weight, colour) in enumerate(PRIORITIES):
        PriorityCategory.objects.get_or_create(
            code=code, defaults={"name": name, "weight": weight, "colour": colour, "order": order}
        )
    points = list(ServicePoint.objects.filter(active=True).prefetch_related("counters"))
    for point in points:
        counters = list(point.counters.filter(active=True).order_by("number"))
        for order, (code, name, prefix, capacity) in enumerate(SERVICES):
            service, created = QueueService.objects.get_or_create(
                service_point=point,
                code=code,
                defaults={
                    "name": name,
                    "prefix": prefix,
                    "order": order,
                    "appointment_capacity": capacity,
                },
            )
            if not created:
                continue
            CounterService.objects.bulk_create(
                CounterService(
                    counter=counter,
                    service=service,
                    # Each counter prefers one service (round robin), and serves all.
                    weight=2 if index % len(SERVICES) == order else 1,
                )
                for index, counter in enumerate(counters)
            )
    return len(points)
