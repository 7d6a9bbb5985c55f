"""Route guards: one permission per page or API operation, checked against the Principal."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from motcua.core.errors import PermissionDenied
from motcua.core.permissions import PERMISSIONS, Principal

F = TypeVar("F", bound=Callable[..., Any])


def staff_user(actor: Any) -> Any:
    """The acting staff user, or None for an anonymous applicant or the system (for the
    "by whom" columns that point at a user)."""
    return actor if getattr(actor, "is_authenticated", False) else None


def principal_of(request: HttpRequest) -> Principal:
    return request.principal  # type: ignore[attr-defined]


def demand(request: HttpRequest, permission: str) -> Principal:
    """Return the acting principal, or raise PermissionDenied without `permission`."""
    principal = principal_of(request)
    if not principal.has(permission):
        raise PermissionDenied()
    return principal


def permission_required(permission: str) -> Callable[[F], F]:
    """Guard a page: anonymous users go to the login page, others need `permission`."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            demand(request, permission)
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
