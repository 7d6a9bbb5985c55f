"""The VNPay-like signature: HMAC-SHA512 over the sorted, URL-encoded gateway parameters."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from motcua.core.errors import MotcuaError
from motcua.payments.providers import (
    DemoGatewayProvider,
    canonical_query,
    get_provider,
    payment_secret,
    sign,
    signature_valid,
    signed,
)

SECRET = "test-gateway-secret"
RESULT = {
    "gw_merchant": "MOTCUA01",
    "gw_txn_ref": "260212ABCDEF",
    "gw_amount": "4000",
    "gw_order_info": "H22.06688 Lệ phí chứng thực",
    "gw_response_code": "00",
    "gw_transaction_no": "14012345678901",
}


def test_the_signed_text_is_sorted_encoded_and_only_the_gateways() -> None:
    text = canonical_query(RESULT | {"next": "/x", "gw_bank_code": "", "gw_secure_hash": "h"})
    assert text == (
        "gw_amount=4000&gw_merchant=MOTCUA01"
        "&gw_order_info=H22.06688+L%E1%BB%87+ph%C3%AD+ch%E1%BB%A9ng+th%E1%BB%B1c"
        "&gw_response_code=00&gw_transaction_no=14012345678901&gw_txn_ref=260212ABCDEF"
    )


def test_the_hash_is_hmac_sha512_of_that_text() -> None:
    expected = hmac.new(
        SECRET.encode(), canonical_query(RESULT).encode(), hashlib.sha512
    ).hexdigest()
    assert sign(RESULT, SECRET) == expected
    assert len(expected) == 128
    params = signed(RESULT, SECRET)
    assert params["gw_secure_hash"] == expected
    assert signature_valid(params, SECRET)
    assert signature_valid(params | {"gw_secure_hash": expected.upper()}, SECRET)
    assert signature_valid(params | {"next": "/anything"}, SECRET)  # the merchant's own


@pytest.mark.parametrize(
    "change",
    [
        {"gw_amount": "40"},
        {"gw_response_code": "24"},
        {"gw_txn_ref": "260212ABCDEG"},
        {"gw_extra": "1"},
        {"gw_secure_hash": ""},
        {"gw_secure_hash": "z" * 128},
    ],
)
def test_any_change_breaks_the_signature(change: dict[str, str]) -> None:
    assert not signature_valid(signed(RESULT, SECRET) | change, SECRET)


def test_another_secret_breaks_the_signature() -> None:
    assert not signature_valid(signed(RESULT, SECRET), "another-secret")


def test_verify_reads_a_good_result_and_refuses_others() -> None:
    provider = DemoGatewayProvider(secret=SECRET)
    result = provider.verify(signed(RESULT, SECRET))
    assert result.succeeded
    assert not result.cancelled
    assert result.amount == 4000
    assert result.provider_txn == "14012345678901"
    with pytest.raises(MotcuaError) as refused:
        provider.verify(signed(RESULT | {"gw_merchant": "OTHER"}, SECRET))
    assert refused.value.code == "bad_signature"
    with pytest.raises(MotcuaError) as incomplete:
        provider.verify(signed({k: v for k, v in RESULT.items() if k != "gw_amount"}, SECRET))
    assert incomplete.value.code == "bad_result"


def test_the_demo_key_is_derived_from_the_secret_key(settings: Any) -> None:
    settings.PAYMENT_PROVIDER = "demo"
    settings.PAYMENT_SECRET = ""
    derived = payment_secret()
    assert len(derived) == 64
    assert settings.SECRET_KEY not in derived
    settings.PAYMENT_SECRET = "configured"
    assert payment_secret() == "configured"


def test_a_real_provider_needs_its_own_secret(settings: Any) -> None:
    settings.PAYMENT_PROVIDER = "motcua.payments.providers.DemoGatewayProvider"
    settings.PAYMENT_SECRET = ""
    with pytest.raises(ImproperlyConfigured):
        get_provider()
    settings.PAYMENT_SECRET = "from-the-bank"
    assert isinstance(get_provider(), DemoGatewayProvider)


def test_an_unknown_provider_is_a_configuration_error(settings: Any) -> None:
    settings.PAYMENT_PROVIDER = "no.such.Provider"
    with pytest.raises(ImproperlyConfigured):
        get_provider()


def test_the_deploy_check_warns_about_the_demo_gateway(settings: Any) -> None:
    from motcua.payments.checks import demo_gateway_in_production

    settings.PAYMENT_PROVIDER = "demo"
    assert [m.id for m in demo_gateway_in_production()] == ["motcua.payments.W001"]
    settings.PAYMENT_PROVIDER = "bank.Gateway"
    assert demo_gateway_in_production() == []
