"""Dossier codes: `<receiving agency code>-YYMMDD-XXXX` (DOMAIN.md), XXXX a daily sequence per
receiving agency in Vietnamese local time, at least four digits.

The sequence is a counter row per (agency, day), incremented by one upsert, never a count or a
max over dossiers: the upsert locks the row until the caller commits, so two concurrent receipts
queue on it and get consecutive numbers (PostgreSQL; SQLite has one writer at a time anyway).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from motcua.dossiers.models import DailySequence
from motcua.organisation.models import Agency
from motcua.workcalendar.engine import VN_TZ


def next_code(agency: Agency, at: dt.datetime) -> str:
    """The next dossier code of `agency` on the local day of `at` (inside the caller's
    transaction, which holds the counter row's lock until it commits)."""
    day = at.astimezone(VN_TZ).date()
    # One statement instead of insert-if-missing, lock and update: the ORM cannot say
    # "last = last + 1" on conflict. Both databases speak this (SQLite from 3.35).
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_NUMBER, [agency.pk, day])
        (number,) = cursor.fetchone()
    return f"{agency.code}-{day:%y%m%d}-{number:04d}"


_TABLE = DailySequence._meta.db_table
_NEXT_NUMBER = f"""
    INSERT INTO {_TABLE} (agency_id, day, last) VALUES (%s, %s, 1)
    ON CONFLICT (agency_id, day) DO UPDATE SET last = {_TABLE}.last + 1
    RETURNING last
"""  # noqa: S608  (the table name is ours; the values are parameters)
