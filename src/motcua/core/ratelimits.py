"""Rate limits of public pages and API operations (per client IP, shared by all processes)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited


def limit_public(request: HttpRequest, group: str) -> None:
    """Count this request against `group`; raise Ratelimited (→ 429) past MOTCUA_PUBLIC_RATE."""
    if is_ratelimited(request, group=group, key="ip", rate=settings.PUBLIC_RATE, increment=True):
        raise Ratelimited()
