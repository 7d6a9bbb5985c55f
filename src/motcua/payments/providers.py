"""Online payment gateways. Each one is a `PaymentProvider`; `get_provider()` picks the configured
one (`MOTCUA_PAYMENT_PROVIDER`).

Vietnamese gateways (VNPay, the national portal's PayGov) work by redirects: the merchant sends
the browser to the gateway with signed query parameters, the citizen pays there, and the gateway
sends the browser back to the return URL with a signed result, and calls the merchant's IPN
endpoint with the same result server to server. `DemoGatewayProvider` speaks that protocol with
the simulator in `motcua.payments.simulator`:

request (merchant → gateway)  version, command=pay, merchant, txn_ref, amount (đồng), currency,
                              order_info, return_url, create_date, expire_date, locale
result  (gateway → merchant)  merchant, txn_ref, amount, order_info, response_code ("00" paid,
                              "24" cancelled by the customer, "11" expired), transaction_no,
                              transaction_status, bank_code, pay_date

Every gateway parameter is named with the `gw_` prefix (VNPay's is `vnp_`), so that the
merchant's own parameters of the return URL (`next`) pass through unsigned and are told apart.
Both carry `gw_secure_hash`: HMAC-SHA512, keyed with the shared secret, over the other non-empty
gateway parameters sorted by name and URL-encoded (`gw_a=1&gw_b=x+y`), as VNPay does.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote_plus, urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import MotcuaError

if TYPE_CHECKING:
    from motcua.payments.models import PaymentAttempt

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
PREFIX = "gw_"
HASH_PARAM = "gw_secure_hash"
SUCCESS = "00"
CANCELLED_BY_CUSTOMER = "24"
EXPIRED = "11"
PROTOCOL_VERSION = "2.1.0"
DEMO_MERCHANT = "MOTCUA01"
# How long a payment request stays payable at the gateway.
REQUEST_LIFETIME = timedelta(minutes=15)


class BadSignature(MotcuaError):
    code = "bad_signature"
    status = 400
    default_message = _("The payment gateway's signature is not valid.")


@dataclass(frozen=True)
class GatewayResult:
    """A verified answer of the gateway about one attempt."""

    txn_ref: str
    amount: int
    response_code: str
    provider_txn: str
    raw: dict[str, str] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.response_code == SUCCESS

    @property
    def cancelled(self) -> bool:
        return self.response_code == CANCELLED_BY_CUSTOMER


class PaymentProvider(Protocol):
    name: str

    def redirect_url(self, attempt: PaymentAttempt, return_url: str) -> str:
        """Where to send the browser to pay `attempt`; the gateway comes back to `return_url`."""
        ...

    def verify(self, params: Mapping[str, str]) -> GatewayResult:
        """Check a result's signature (raise `BadSignature`) and read it."""
        ...


def gateway_params(params: Mapping[str, str]) -> dict[str, str]:
    """The gateway's parameters among `params` (the `gw_` ones), the hash included."""
    return {key: str(value) for key, value in params.items() if key.startswith(PREFIX)}


def canonical_query(params: Mapping[str, str]) -> str:
    """The signed text: the gateway parameters but the hash, sorted by name, URL-encoded."""
    return "&".join(
        f"{quote_plus(key)}={quote_plus(value)}"
        for key, value in sorted(gateway_params(params).items())
        if key != HASH_PARAM and value != ""
    )


def sign(params: Mapping[str, str], secret: str) -> str:
    return hmac.new(secret.encode(), canonical_query(params).encode(), hashlib.sha512).hexdigest()


def signed(params: Mapping[str, str], secret: str) -> dict[str, str]:
    """`params` plus their `secure_hash`."""
    plain = {key: value for key, value in gateway_params(params).items() if key != HASH_PARAM}
    return plain | {HASH_PARAM: sign(plain, secret)}


def signature_valid(params: Mapping[str, str], secret: str) -> bool:
    given = params.get(HASH_PARAM, "")
    return bool(given) and hmac.compare_digest(given.lower(), sign(params, secret))


def gateway_time(moment: datetime) -> str:
    """yyyyMMddHHmmss in Vietnam's time, as the gateways write dates."""
    return moment.astimezone(VIETNAM).strftime("%Y%m%d%H%M%S")


def parse_gateway_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=VIETNAM)


def payment_secret() -> str:
    """The key shared with the gateway: MOTCUA_PAYMENT_SECRET, or for the demo gateway one
    derived from the secret key."""
    if settings.PAYMENT_SECRET:
        return str(settings.PAYMENT_SECRET)
    if settings.PAYMENT_PROVIDER != "demo":
        raise ImproperlyConfigured(
            "MOTCUA_PAYMENT_SECRET must be set for the payment provider "
            f"{settings.PAYMENT_PROVIDER!r}: a key derived from the secret key only suits the "
            "demo gateway."
        )
    return hmac.new(
        settings.SECRET_KEY.encode(), b"motcua.payments.demo-gateway", hashlib.sha256
    ).hexdigest()


def simulator_url() -> str:
    return settings.PUBLIC_URL + reverse("payments:gateway_pay")


class DemoGatewayProvider:
    """The VNPay-like protocol against the simulator served by this process."""

    name = "demo"
    merchant = DEMO_MERCHANT

    def __init__(self, secret: str | None = None) -> None:
        self.secret = secret if secret is not None else payment_secret()

    def request_params(self, attempt: PaymentAttempt, return_url: str) -> dict[str, str]:
        now = timezone.now()
        payment = attempt.payment
        return signed(
            {
                "gw_version": PROTOCOL_VERSION,
                "gw_command": "pay",
                "gw_merchant": self.merchant,
                "gw_txn_ref": attempt.txn_ref,
                "gw_amount": str(attempt.amount),
                "gw_currency": "VND",
                "gw_order_info": f"{payment.reference} {payment.purpose}"[:255],
                "gw_return_url": return_url,
                "gw_create_date": gateway_time(now),
                "gw_expire_date": gateway_time(now + REQUEST_LIFETIME),
                "gw_locale": "vn",
            },
            self.secret,
        )

    def redirect_url(self, attempt: PaymentAttempt, return_url: str) -> str:
        return f"{simulator_url()}?{urlencode(self.request_params(attempt, return_url))}"

    def verify(self, params: Mapping[str, str]) -> GatewayResult:
        if not signature_valid(params, self.secret) or params.get("gw_merchant") != self.merchant:
            raise BadSignature()
        try:
            return GatewayResult(
                txn_ref=params["gw_txn_ref"],
                amount=int(params["gw_amount"]),
                response_code=params["gw_response_code"],
                provider_txn=params.get("gw_transaction_no", ""),
                raw=gateway_params(params),
            )
        except (KeyError, ValueError) as error:
            # Signed by the gateway yet incomplete: nothing to settle from it.
            raise MotcuaError(
                _("The payment gateway's answer is incomplete."), code="bad_result"
            ) from error


def get_provider() -> PaymentProvider:
    """The configured provider: "demo", or the dotted path of a `PaymentProvider` class."""
    name = settings.PAYMENT_PROVIDER
    if name == "demo":
        return DemoGatewayProvider()
    try:
        provider_class = import_string(name)
    except ImportError as error:
        raise ImproperlyConfigured(f"Unknown MOTCUA_PAYMENT_PROVIDER {name!r}.") from error
    provider: PaymentProvider = provider_class()
    return provider
