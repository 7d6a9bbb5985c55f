"""Deployment checks (`motcua check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def demo_gateway_in_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.PAYMENT_PROVIDER != "demo":
        return []
    return [
        Warning(
            "MOTCUA_PAYMENT_PROVIDER is 'demo': the built-in gateway simulator marks fees paid "
            "without taking any money.",
            hint="Set MOTCUA_PAYMENT_PROVIDER to the bank's or the national portal's gateway "
            "and MOTCUA_PAYMENT_SECRET to the key it gave you.",
            id="motcua.payments.W001",
        )
    ]
