"""The issued credential checked by an SD-JWT implementation the issuer does not use: the
OpenWallet Foundation's `sd-jwt` (on jwcrypto), with the issuer key looked up by `kid` in the
JWKS the issuer publishes. That library checks neither typ nor exp/nbf (its verifier says so),
so the test does; key binding only when given both aud and nonce."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest
from jwcrypto.jwk import JWK
from jwcrypto.jws import InvalidJWSSignature
from sd_jwt.verifier import SDJWTVerifier

from motcua.credentials import offers
from motcua.credentials.models import IssuedCredential
from tests.credentials.conftest import TEST_SERVER
from tests.credentials.wallet_client import HeldCredential, Wallet, b64url, b64url_decode

VERIFIER = "https://verifier.example"


def key_lookup(http: httpx.Client) -> Any:
    jwks = http.get("/.well-known/jwt-vc-issuer/credentials").json()

    def issuer_key(issuer: str, header: dict[str, Any]) -> JWK:
        assert issuer == jwks["issuer"] == TEST_SERVER + "/credentials"
        (key,) = [key for key in jwks["jwks"]["keys"] if key["kid"] == header["kid"]]
        return JWK(**{name: key[name] for name in ("kty", "crv", "x", "y")})

    return issuer_key


def verify(http: httpx.Client, presentation: str, **key_binding: str) -> dict[str, Any]:
    verifier = SDJWTVerifier(presentation, key_lookup(http), **key_binding)
    header = json.loads(b64url_decode(presentation.split(".")[0]))
    payload = verifier.get_verified_payload()
    assert header["typ"] == "dc+sd-jwt"
    now = time.time()
    assert payload["nbf"] <= now < payload["exp"]
    return dict(payload)


@pytest.fixture
def held(credential: IssuedCredential, wallet: Wallet) -> HeldCredential:
    _offer, link, tx_code = offers.create_offer(credential)
    return wallet.receive(link, tx_code)


def test_the_whole_credential_verifies(held: HeldCredential, wallet_http: httpx.Client) -> None:
    payload = verify(wallet_http, held.sd_jwt)
    assert payload["holder_name"] == "Nguyễn Văn An"
    assert payload["holder_id_number"] == "022090012345"
    assert payload["details"] == {"muc_dich": "Bổ sung hồ sơ xin việc"}
    assert payload["document_number"] == held.payload["document_number"]
    assert payload["status"]["status_list"]["idx"] == held.payload["status"]["status_list"]["idx"]


def test_chosen_disclosures_with_key_binding_verify(
    held: HeldCredential, wallet_http: httpx.Client
) -> None:
    presentation = held.present(["holder_name", "details.muc_dich"], aud=VERIFIER, nonce="n-123")
    payload = verify(wallet_http, presentation, expected_aud=VERIFIER, expected_nonce="n-123")
    assert payload["holder_name"] == "Nguyễn Văn An"
    assert payload["details"] == {"muc_dich": "Bổ sung hồ sơ xin việc"}
    for hidden in ("holder_id_number", "holder_birth_date", "holder_address"):
        assert hidden not in payload


def test_showing_nothing_personal_still_verifies(
    held: HeldCredential, wallet_http: httpx.Client
) -> None:
    payload = verify(wallet_http, held.present([]))
    assert "holder_name" not in payload
    assert "details" not in payload
    assert payload["title"] == held.payload["title"]


def tampered(disclosure: str, value: Any) -> str:
    salt, name, _value = json.loads(b64url_decode(disclosure))
    return b64url(json.dumps([salt, name, value]).encode())


def test_a_tampered_disclosure_is_not_accepted(
    held: HeldCredential, wallet_http: httpx.Client
) -> None:
    presentation = held.present(["holder_name"])
    issuer_jwt, disclosure, _end = presentation.split("~")
    forged = f"{issuer_jwt}~{tampered(disclosure, 'Trần Thị Bình')}~"
    # Its digest is in no _sd array: the library drops it, the forged name never appears.
    payload = verify(wallet_http, forged)
    assert "holder_name" not in payload
    assert "Trần Thị Bình" not in json.dumps(payload, ensure_ascii=False)


def test_a_disclosure_tampered_after_key_binding_is_refused(
    held: HeldCredential, wallet_http: httpx.Client
) -> None:
    presentation = held.present(["holder_name"], aud=VERIFIER, nonce="n-1")
    issuer_jwt, disclosure, kb_jwt = presentation.split("~")
    forged = f"{issuer_jwt}~{tampered(disclosure, 'Trần Thị Bình')}~{kb_jwt}"
    with pytest.raises(ValueError, match="digest"):
        verify(wallet_http, forged, expected_aud=VERIFIER, expected_nonce="n-1")


def test_a_tampered_issuer_payload_is_refused(
    held: HeldCredential, wallet_http: httpx.Client
) -> None:
    header, payload, signature = held.issuer_jwt.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["document_number"] = "999/GCN"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidJWSSignature):
        verify(wallet_http, f"{header}.{forged_payload}.{signature}~")


def test_key_binding_for_another_verifier_or_nonce_is_refused(
    held: HeldCredential, wallet_http: httpx.Client
) -> None:
    presentation = held.present(["holder_name"], aud=VERIFIER, nonce="n-1")
    with pytest.raises(ValueError, match="audience"):
        verify(
            wallet_http, presentation, expected_aud="https://other.example", expected_nonce="n-1"
        )
    with pytest.raises(ValueError, match="nonce"):
        verify(wallet_http, presentation, expected_aud=VERIFIER, expected_nonce="n-2")
