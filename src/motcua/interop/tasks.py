"""Jobs of the interop app."""

from __future__ import annotations

from motcua.core.jobs import job


@job(retries=0)
def deliver_due() -> int:
    """Send the deliveries that are due (filled by the delivery part)."""
    from motcua.interop import delivery

    return delivery.deliver_due()
