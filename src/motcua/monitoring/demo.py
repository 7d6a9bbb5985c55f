"""The demo's monitoring: this year so far, generated (so that the overview opens populated),
and OKRs for the province and the two demo communes.

The year is generated once: when the province has generated dossiers already, they are kept
(`motcua generate --replace` makes new ones). Its size is a full year's
`MONITORING_DEMO_DOSSIERS` (default 20,000) in proportion to the part of the year gone by.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from motcua.monitoring import generate
from motcua.monitoring.models import KeyResult, Objective, UnitKind
from motcua.organisation.demo import DEMO_COMMUNES, PROVINCE

DEMO_SEED = 2026
MINIMUM_DOSSIERS = 200

# Where each KPI of the demo's key results stands on 1 January (the generator's starting
# shares: 15 % online, about 85 % on time, 30 % digitised).
BASELINES = {
    "online_share": "0.15",
    "on_time_rate": "0.85",
    "documents_digitised_rate": "0.30",
    "satisfaction_rate": "0.80",
    "online_payment_share": "0.20",
    "rating_average": "4.0",
}
# Key results: title, KPI (kpis.Figures.metrics), target.
Results = list[tuple[str, str, str]]


def load_demo() -> list[str]:
    lines = []
    today = timezone.localdate()
    if generate.has_generated(PROVINCE):
        lines.append(
            "Monitoring: the generated dossiers are kept "
            "(motcua generate --replace makes new ones)."
        )
    elif settings.MONITORING_DEMO_DOSSIERS == 0:
        lines.append("Monitoring: no generated dossiers (MOTCUA_DEMO_DOSSIERS=0).")
    else:
        share = today.timetuple().tm_yday / (366 if calendar.isleap(today.year) else 365)
        full_year = settings.MONITORING_DEMO_DOSSIERS
        report = generate.generate(
            province_code=PROVINCE,
            year=today.year,
            dossiers=max(round(full_year * share), min(MINIMUM_DOSSIERS, full_year)),
            seed=DEMO_SEED,
        )
        seconds = sum(report.seconds.values())
        lines.append(
            f"Monitoring: {report.dossiers} generated dossiers of {today.year} so far, "
            f"{report.tickets} queue tickets and {report.ratings} ratings ({seconds:.0f} s)."
        )
    created = seed_okrs(year=today.year)
    lines.append(f"Monitoring: demo OKRs for {today.year} ({created} new objectives).")
    return lines


@transaction.atomic
def seed_okrs(*, year: int) -> int:
    """The demo objectives of `year` with their key results; those that exist are kept.
    Returns how many objectives were created."""
    leaders = get_user_model().objects.in_bulk(["lanhdao.halong"], field_name="username")
    halong, baichay = DEMO_COMMUNES["halong"], DEMO_COMMUNES["baichay"]
    objectives: list[tuple[str, str, str, str, dt.date, Results]] = [
        (
            UnitKind.PROVINCE,
            PROVINCE,
            f"Chính quyền số phục vụ người dân, doanh nghiệp — 9 tháng đầu năm {year}",
            "UBND tỉnh Quảng Ninh",
            dt.date(year, 9, 30),
            [
                ("Tỷ lệ hồ sơ trực tuyến ≥ 70% vào cuối quý III", "online_share", "0.70"),
                ("Tỷ lệ hồ sơ giải quyết đúng và trước hạn ≥ 95%", "on_time_rate", "0.95"),
                ("Tỷ lệ số hóa thành phần hồ sơ ≥ 90%", "documents_digitised_rate", "0.90"),
            ],
        ),
        (
            UnitKind.PROVINCE,
            PROVINCE,
            f"Người dân hài lòng với dịch vụ hành chính công năm {year}",
            "UBND tỉnh Quảng Ninh",
            dt.date(year, 12, 31),
            [
                ("Mức độ hài lòng ≥ 90%", "satisfaction_rate", "0.90"),
                ("Tỷ lệ thanh toán trực tuyến ≥ 50%", "online_payment_share", "0.50"),
            ],
        ),
        (
            UnitKind.COMMUNE,
            halong,
            f"Phường Hạ Long: trả kết quả đúng hạn, phục vụ hài lòng năm {year}",
            "UBND Phường Hạ Long",
            dt.date(year, 12, 31),
            [
                ("Tỷ lệ hồ sơ đúng và trước hạn ≥ 95%", "on_time_rate", "0.95"),
                ("Tỷ lệ hồ sơ trực tuyến ≥ 60%", "online_share", "0.60"),
                ("Điểm đánh giá trung bình ≥ 4,5", "rating_average", "4.5"),
            ],
        ),
        (
            UnitKind.COMMUNE,
            baichay,
            f"Phường Bãi Cháy: chuyển đổi số một cửa năm {year}",
            "UBND Phường Bãi Cháy",
            dt.date(year, 12, 31),
            [
                ("Tỷ lệ hồ sơ trực tuyến ≥ 60%", "online_share", "0.60"),
                ("Tỷ lệ số hóa thành phần hồ sơ ≥ 80%", "documents_digitised_rate", "0.80"),
            ],
        ),
    ]
    created = 0
    for kind, key, title, owner, ends_on, results in objectives:
        objective, new = Objective.objects.get_or_create(
            unit_kind=kind,
            unit_key=key,
            title=title,
            defaults={
                "owner": leaders.get("lanhdao.halong") if key == halong else None,
                "owner_label": owner,
                "starts_on": dt.date(year, 1, 1),
                "ends_on": ends_on,
            },
        )
        created += new
        for title_, metric, target in results:
            KeyResult.objects.get_or_create(
                objective=objective,
                metric=metric,
                defaults={
                    "title": title_,
                    "baseline": Decimal(BASELINES[metric]),
                    "target": Decimal(target),
                },
            )
    return created
