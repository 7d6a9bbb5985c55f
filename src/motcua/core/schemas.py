from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    """Every API error: a stable code, a translated message, and per-field messages."""

    error: str
    detail: str
    fields: dict[str, list[str]]


# The errors any logged-in operation may answer with; 422 is bad input (ninja validation).
STANDARD_ERRORS = (401, 403, 422)


def responses(ok: Any, *extra_errors: int) -> dict[int, Any]:
    """A ninja `response=` mapping: `ok` for 200 and ErrorOut for the standard and extra errors."""
    return {200: ok} | dict.fromkeys((*STANDARD_ERRORS, *extra_errors), ErrorOut)
