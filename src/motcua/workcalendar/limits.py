"""Bounds on what the calendar accepts from users (API and page), against abuse and slips."""

from __future__ import annotations

import datetime as dt

# The `holidays` package computes Vietnam's lunar holidays up to 2100: outside these dates a
# calendar would silently lack them.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2099, 12, 31)

MAX_WORKING_DAYS = 3660
MAX_WORKING_HOURS = MAX_WORKING_DAYS * 8
MAX_LISTED_DAYS = 366  # one list of days: a year
MAX_SPAN_DAYS = 3660  # the working time between two instants: ten years
