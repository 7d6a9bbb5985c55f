"""Ticket numbers: a counter row per (queue service, local day in Asia/Ho_Chi_Minh), incremented
by one upsert inside the issuing transaction (never a count or a max over tickets), so that
concurrent kiosks get consecutive numbers and the numbering restarts at local midnight."""

from __future__ import annotations

import datetime as dt

from django.db import connection

from motcua.queueing.models import DailyTicketCounter, QueueService
from motcua.workcalendar.engine import VN_TZ


def local_day(at: dt.datetime) -> dt.date:
    return at.astimezone(VN_TZ).date()


def next_sequence(service: QueueService, day: dt.date) -> int:
    """The next sequence number of `service` on `day`; the row stays locked until commit."""
    with connection.cursor() as cursor:
        cursor.execute(_NEXT, [service.pk, day])
        (sequence,) = cursor.fetchone()
    return int(sequence)


_TABLE = DailyTicketCounter._meta.db_table
_NEXT = f"""
    INSERT INTO {_TABLE} (service_id, day, last) VALUES (%s, %s, 1)
    ON CONFLICT (service_id, day) DO UPDATE SET last = {_TABLE}.last + 1
    RETURNING last
"""  # noqa: S608  (the table name is ours; the values are parameters)
