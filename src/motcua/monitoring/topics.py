"""The live topic of the monitoring pages: `monitoring.<province code>`. Its events say only
that some figure of the province moved (no data at all), so every staff member who may watch
monitoring may listen; the page then re-reads its tiles through its own scoped selectors."""

from __future__ import annotations

from motcua.core.events import register_topic_kind
from motcua.core.permissions import Principal
from motcua.organisation.models import Province


def monitoring_topic(principal: Principal, key: str) -> bool:
    return principal.has("monitoring.view") and Province.objects.filter(code=key).exists()


def register() -> None:
    register_topic_kind("monitoring", monitoring_topic, replace=True)
