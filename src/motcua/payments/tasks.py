"""Jobs of the payments app.

`deliver_ipn` is the demo gateway's (the simulator's) server-to-server call: it posts a signed
result to the merchant's IPN endpoint over real HTTP, as VNPay does, and is retried until the
merchant confirms it.
"""

from __future__ import annotations

import httpx
from django.conf import settings
from django.urls import reverse

from motcua.core.jobs import PermanentJobError, job

# The merchant's answers that end the delivery: confirmed, or already confirmed.
CONFIRMED = {"00", "02"}
# Answers that no retry can change: unknown order, wrong amount, bad signature.
REFUSED = {"01", "04", "97"}
IPN_TIMEOUT_SECONDS = 10.0


def ipn_url() -> str:
    return settings.PUBLIC_URL + reverse("payments:ipn")


@job(retries=5, backoff_seconds=30)
def deliver_ipn(params: dict[str, str]) -> str:
    """POST the signed result `params` to the merchant; returns its RspCode."""
    response = httpx.post(ipn_url(), data=params, timeout=IPN_TIMEOUT_SECONDS)
    response.raise_for_status()
    code = str(response.json().get("RspCode", ""))
    if code in CONFIRMED:
        return code
    if code in REFUSED:
        raise PermanentJobError(
            f"The merchant refused the IPN of {params.get('gw_txn_ref')}: {code}"
        )
    raise RuntimeError(f"The merchant answered the IPN with {code!r}; trying again later")
