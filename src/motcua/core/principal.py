"""Resolve the acting user into a `Principal` (permissions + jurisdiction)."""

from __future__ import annotations

from typing import Any

from motcua.core.permissions import ANONYMOUS, Principal


def principal_for(user: Any) -> Principal:
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    # The organisation app owns roles and memberships; core only knows the Principal shape.
    from motcua.organisation.selectors import principal_for_user

    return principal_for_user(user)
