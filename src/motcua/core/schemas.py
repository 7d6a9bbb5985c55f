from __future__ import annotations

import base64
import binascii
from typing import Any

from django.utils.translation import gettext as _
from ninja import Schema

from motcua.core.errors import MotcuaError


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


def decode_base64(content: str, *, field: str) -> bytes:
    """A file sent base64-encoded in a JSON body; `invalid_file` on `field` if it is not."""
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError) as error:
        raise MotcuaError(
            _("The file is not valid base64."),
            code="invalid_file",
            fields={field: [_("The file is not valid base64.")]},
        ) from error
