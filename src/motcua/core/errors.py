"""One base exception for everything a user can get wrong.

Services raise `MotcuaError` (or a subclass) with a translatable message; the web layer shows the
message, and the API turns it into `{"error": code, "detail": message, "fields": {...}}`.
"""

from __future__ import annotations

from typing import Any

from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _


class MotcuaError(Exception):
    code = "invalid"
    status = 400
    default_message: Any = _("The request is not valid.")

    def __init__(
        self,
        message: Any = None,
        *,
        code: str | None = None,
        fields: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.fields = fields or {}
        super().__init__(force_str(self.message))

    def as_dict(self) -> dict[str, Any]:
        return {
            "error": self.code,
            "detail": force_str(self.message),
            "fields": {
                name: [force_str(m) for m in _as_list(msgs)] for name, msgs in self.fields.items()
            },
        }


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


class PermissionDenied(MotcuaError):
    code = "forbidden"
    status = 403
    default_message = _("You do not have permission to do this.")


class NotFound(MotcuaError):
    code = "not_found"
    status = 404
    default_message = _("Not found, or outside your jurisdiction.")


class Conflict(MotcuaError):
    code = "conflict"
    status = 409
    default_message = _("This action conflicts with the current state.")
