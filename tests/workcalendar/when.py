"""Short spellings of dates and Vietnamese instants for the calendar tests."""

from __future__ import annotations

import datetime as dt

from motcua.workcalendar.engine import VN_TZ


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def at(text: str) -> dt.datetime:
    """'2026-02-13T16:00' in Vietnamese time (+07:00)."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN_TZ)
