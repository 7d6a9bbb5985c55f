"""Deadline arithmetic per second on one core (pure engine: no database)."""

from __future__ import annotations

import datetime as dt
import random

from _bench import machine, rate

from motcua.workcalendar.engine import VN_TZ, WorkingCalendar

N = 20_000


def main() -> None:
    calendar = WorkingCalendar(
        weekdays=frozenset(range(5)),
        sessions=[["08:00", "12:00"], ["13:00", "17:00"]],
        same_day_cutoff=dt.time(15, 0),
    )
    rng = random.Random(7)
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(730)) for _ in range(N)]
    instants = [
        dt.datetime.combine(day, dt.time(rng.randrange(24), rng.randrange(60)), tzinfo=VN_TZ)
        for day in days
    ]
    print(f"calendar_arithmetic — {machine()}")
    rate("add 7 working days", N, lambda: [calendar.add_working_days(d, 7) for d in days])
    rate("add 15 working days", N, lambda: [calendar.add_working_days(d, 15) for d in days])
    rate("add 24 working hours", N, lambda: [calendar.add_working_hours(i, 24) for i in instants])
    rate("same-day due (15:00 cut-off)", N, lambda: [calendar.same_day_due(i) for i in instants])
    rate(
        "working time over ~2 weeks",
        N,
        lambda: [calendar.working_time_between(i, i + dt.timedelta(days=14)) for i in instants],
    )


if __name__ == "__main__":
    main()
