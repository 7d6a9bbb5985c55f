"""OpenID4VCI 1.0 pre-authorized code flow over HTTP, endpoint by endpoint, with every bad
input of issue #7 (wrong transaction code, replayed or expired code, bad proofs, reused
nonces, revoked credentials)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from motcua.core.errors import MotcuaError
from motcua.credentials import issuance, offers
from motcua.credentials.models import CredentialOffer, Delivery, IssuedCredential, Nonce
from tests.credentials.conftest import TEST_SERVER
from tests.credentials.wallet_client import (
    PRE_AUTHORIZED_GRANT,
    Wallet,
    WalletError,
    jwt_parts,
    new_key,
)
from tests.org import Org

ISSUER = TEST_SERVER + "/credentials"
CONFIG = "vn.motcua.administrative_result"


def offered(credential: IssuedCredential) -> tuple[dict[str, Any], str]:
    offer, _link, tx_code = offers.create_offer(credential)
    return offer, tx_code


def code_of(offer: dict[str, Any]) -> str:
    return str(offer["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"])


def token_form(offer: dict[str, Any], tx_code: str | None) -> dict[str, str]:
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code_of(offer)}
    if tx_code is not None:
        form["tx_code"] = tx_code
    return form


def wrong(tx_code: str) -> str:
    return f"{(int(tx_code) + 1) % 1_000_000:06d}"


def ready(wallet: Wallet, credential: IssuedCredential) -> str:
    """The wallet has read the metadata and holds an access token for the credential."""
    offer, tx_code = offered(credential)
    wallet.fetch_metadata(offer["credential_issuer"])
    return wallet.token(offer, tx_code)


def error_of(response: httpx.Response) -> str:
    return str(response.json()["error"])


# --- metadata ------------------------------------------------------------------------------


def test_issuer_metadata_names_the_endpoints_and_one_configuration_per_type(
    wallet_http: httpx.Client, processing_org: Org
) -> None:
    response = wallet_http.get("/.well-known/openid-credential-issuer/credentials")
    assert response.status_code == 200
    metadata = response.json()
    assert metadata["credential_issuer"] == ISSUER
    assert metadata["authorization_servers"] == [ISSUER]
    assert metadata["credential_endpoint"] == ISSUER + "/credential"
    assert metadata["nonce_endpoint"] == ISSUER + "/nonce"
    assert metadata["notification_endpoint"] == ISSUER + "/notification"
    configurations = metadata["credential_configurations_supported"]
    assert set(configurations) == {"vn.motcua." + name for name in issuance.TYPE_NAMES_EN}
    birth = configurations["vn.motcua.birth_certificate"]
    assert birth["format"] == "dc+sd-jwt"
    assert birth["vct"] == ISSUER + "/types/birth_certificate"
    assert birth["cryptographic_binding_methods_supported"] == ["jwk"]
    assert birth["credential_signing_alg_values_supported"] == ["ES256"]
    assert birth["proof_types_supported"] == {
        "jwt": {"proof_signing_alg_values_supported": ["ES256"]}
    }
    locales = {d["locale"]: d["name"] for d in birth["credential_metadata"]["display"]}
    assert locales == {"vi": "Giấy khai sinh", "en": "Birth certificate"}


def test_signed_issuer_metadata_verifies_against_the_ca(
    wallet: Wallet, processing_org: Org
) -> None:
    from motcua.credentials.keys import signer_for

    metadata = wallet.fetch_metadata(ISSUER)  # raises unless signed, chained and equal
    assert metadata["credential_issuer"] == ISSUER
    signed = wallet.http.get(
        "/.well-known/openid-credential-issuer/credentials", headers={"Accept": "application/jwt"}
    )
    assert signed.headers["Content-Type"] == "application/jwt"
    assert "Accept" in signed.headers["Vary"]
    header, payload, _input, _signature = jwt_parts(signed.text)
    # Signed by the province's People's Committee, the authority over every issuing agency.
    assert header["kid"] == signer_for(processing_org.agencies["ubnd_tinh"]).kid
    assert header["typ"] == "openidvci-issuer-metadata+jwt"
    assert payload["iss"] == payload["sub"] == ISSUER
    assert payload["iat"] <= time.time() < payload["exp"]


def test_signed_metadata_from_an_untrusted_ca_is_refused(
    wallet_http: httpx.Client, processing_org: Org
) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    key = new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Someone else's CA")])
    other_ca = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(timezone.now() - timedelta(days=1))
        .not_valid_after(timezone.now() + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(WalletError) as refused:
        Wallet(http=wallet_http, trust_anchor=other_ca).fetch_metadata(ISSUER)
    assert refused.value.step == "trust"


def test_authorization_server_metadata_allows_anonymous_pre_authorized_codes(
    wallet_http: httpx.Client, processing_org: Org
) -> None:
    metadata = wallet_http.get("/.well-known/oauth-authorization-server/credentials").json()
    assert metadata["issuer"] == ISSUER
    assert metadata["token_endpoint"] == ISSUER + "/token"
    assert metadata["grant_types_supported"] == [PRE_AUTHORIZED_GRANT]
    assert metadata["pre-authorized_grant_anonymous_access_supported"] is True


def test_jwt_vc_issuer_metadata_and_jwks_hold_every_active_agency_key(
    wallet_http: httpx.Client, processing_org: Org
) -> None:
    from motcua.credentials.keys import signer_for

    issuer = wallet_http.get("/.well-known/jwt-vc-issuer/credentials").json()
    jwks = wallet_http.get("/credentials/jwks.json")
    assert jwks.headers["Content-Type"] == "application/jwk-set+json"
    assert issuer["issuer"] == ISSUER
    assert issuer["jwks"] == jwks.json()
    by_kid = {key["kid"]: key for key in jwks.json()["keys"]}
    stp = signer_for(processing_org.agencies["stp"])
    assert by_kid[stp.kid] == {
        **stp.public_jwk,
        "kid": stp.kid,
        "alg": "ES256",
        "use": "sig",
        "x5c": stp.x5c,
    }
    assert len(by_kid) == len([a for a in processing_org.agencies.values() if a.active])


def test_type_metadata(wallet_http: httpx.Client, processing_org: Org) -> None:
    found = wallet_http.get("/credentials/types/birth_certificate")
    assert found.status_code == 200
    assert found.json()["vct"] == ISSUER + "/types/birth_certificate"
    claims = {tuple(claim["path"]): claim["sd"] for claim in found.json()["claims"]}
    assert claims[("holder_name",)] == "always"
    assert claims[("document_number",)] == "never"
    assert wallet_http.get("/credentials/types/nonsense").status_code == 404


# --- the whole flow ------------------------------------------------------------------------


def test_the_wallet_receives_the_credential_bound_to_its_key(
    credential: IssuedCredential, wallet: Wallet
) -> None:
    from motcua.credentials.keys import thumbprint

    offer, link, tx_code = offers.create_offer(credential)
    assert link.startswith("openid-credential-offer://?credential_offer=")
    assert offer["credential_configuration_ids"] == [CONFIG]
    assert offer["grants"][PRE_AUTHORIZED_GRANT]["tx_code"]["length"] == 6
    held = wallet.receive(link, tx_code)
    claims = held.claims()
    assert claims["holder_id_number"] == credential.holder_id_number
    assert claims["document_number"] == credential.result.number
    assert held.payload["cnf"]["jwk"] == {
        k: v for k, v in held.payload["cnf"]["jwk"].items() if k in ("kty", "crv", "x", "y")
    }
    delivery = Delivery.objects.get(credential=credential)
    assert delivery.holder_key_thumbprint == thumbprint(held.payload["cnf"]["jwk"])
    assert delivery.event == Delivery.Event.ACCEPTED  # the wallet's notification
    assert delivery.event_at is not None


def test_the_token_response_is_a_short_lived_bearer_token(
    credential: IssuedCredential, wallet_http: httpx.Client
) -> None:
    offer, tx_code = offered(credential)
    response = wallet_http.post("/credentials/token", data=token_form(offer, tx_code))
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert response.headers["Cache-Control"] == "no-store"
    stored = CredentialOffer.objects.get()
    assert stored.access_token_hash != body["access_token"]  # only a hash is kept
    assert stored.redeemed_at is not None


def test_protocol_endpoints_need_no_csrf_token(credential: IssuedCredential) -> None:
    offer, tx_code = offered(credential)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/credentials/token", token_form(offer, tx_code)).status_code == 200
    assert strict.post("/credentials/nonce").status_code == 200


def test_protocol_endpoints_take_no_get(client: Client, processing_org: Org) -> None:
    for path in ("token", "nonce", "credential", "notification"):
        assert client.get(f"/credentials/{path}").status_code == 405


# --- the token endpoint's refusals --------------------------------------------------------


def test_an_unknown_grant_type_or_code_is_refused(
    credential: IssuedCredential, wallet_http: httpx.Client
) -> None:
    offer, tx_code = offered(credential)
    form = token_form(offer, tx_code)
    unsupported = wallet_http.post("/credentials/token", data=form | {"grant_type": "password"})
    assert (unsupported.status_code, error_of(unsupported)) == (400, "unsupported_grant_type")
    missing = wallet_http.post("/credentials/token", data=form | {"pre-authorized_code": ""})
    assert error_of(missing) == "invalid_request"
    unknown = wallet_http.post("/credentials/token", data=form | {"pre-authorized_code": "x" * 43})
    assert error_of(unknown) == "invalid_grant"
    assert unknown.json()["error_description"]
    assert CredentialOffer.objects.get().redeemed_at is None


def test_a_missing_transaction_code_is_an_invalid_request(
    credential: IssuedCredential, wallet_http: httpx.Client
) -> None:
    offer, _tx_code = offered(credential)
    response = wallet_http.post("/credentials/token", data=token_form(offer, None))
    assert error_of(response) == "invalid_request"
    assert CredentialOffer.objects.get().failed_attempts == 0


def test_a_wrong_transaction_code_is_refused_and_counted(
    credential: IssuedCredential, wallet_http: httpx.Client
) -> None:
    offer, tx_code = offered(credential)
    response = wallet_http.post("/credentials/token", data=token_form(offer, wrong(tx_code)))
    assert (response.status_code, error_of(response)) == (400, "invalid_grant")
    assert response.json()["error_description"] == "Mã giao dịch không đúng."  # Vietnamese first
    with_english = wallet_http.post(
        "/credentials/token",
        data=token_form(offer, wrong(tx_code)),
        headers={"Cookie": "django_language=en"},
    )
    assert with_english.json()["error_description"] == "Wrong transaction code."
    stored = CredentialOffer.objects.get()
    assert (stored.failed_attempts, stored.redeemed_at) == (2, None)
    # The right code still works after a typo or two.
    assert (
        wallet_http.post("/credentials/token", data=token_form(offer, tx_code)).status_code == 200
    )


def test_five_wrong_transaction_codes_kill_the_offer(
    credential: IssuedCredential, wallet_http: httpx.Client
) -> None:
    offer, tx_code = offered(credential)
    for _attempt in range(offers.MAX_FAILED_ATTEMPTS):
        assert (
            error_of(wallet_http.post("/credentials/token", data=token_form(offer, wrong(tx_code))))
            == "invalid_grant"
        )
    right = wallet_http.post("/credentials/token", data=token_form(offer, tx_code))
    assert error_of(right) == "invalid_grant"
    stored = CredentialOffer.objects.get()
    assert stored.withdrawn_at is not None
    assert stored.access_token_hash is None


def test_an_expired_offer_is_refused(
    credential: IssuedCredential, wallet_http: httpx.Client
) -> None:
    offer, tx_code = offered(credential)
    CredentialOffer.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = wallet_http.post("/credentials/token", data=token_form(offer, tx_code))
    assert error_of(response) == "invalid_grant"
    assert CredentialOffer.objects.get().access_token_hash is None


def test_a_new_offer_supersedes_the_unredeemed_one(
    credential: IssuedCredential, wallet_http: httpx.Client
) -> None:
    first, first_tx = offered(credential)
    second, second_tx = offered(credential)
    assert (
        error_of(wallet_http.post("/credentials/token", data=token_form(first, first_tx)))
        == "invalid_grant"
    )
    assert (
        wallet_http.post("/credentials/token", data=token_form(second, second_tx)).status_code
        == 200
    )


def test_a_replayed_code_is_refused_and_revokes_the_token_it_gave(
    credential: IssuedCredential, wallet: Wallet
) -> None:
    offer, tx_code = offered(credential)
    wallet.fetch_metadata(ISSUER)
    access_token = wallet.token(offer, tx_code)
    replay = wallet.http.post("/credentials/token", data=token_form(offer, tx_code))
    assert (replay.status_code, error_of(replay)) == (400, "invalid_grant")
    response = wallet.request_credential(access_token, CONFIG, wallet.proof(wallet.nonce()))
    assert (response.status_code, error_of(response)) == (401, "invalid_token")
    assert Delivery.objects.count() == 0


# --- the nonce endpoint ---------------------------------------------------------------------


def test_nonces_are_fresh_and_not_cached(wallet_http: httpx.Client, processing_org: Org) -> None:
    first = wallet_http.post("/credentials/nonce")
    second = wallet_http.post("/credentials/nonce")
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "no-store"
    assert first.json()["c_nonce"] != second.json()["c_nonce"]
    assert Nonce.objects.count() == 2
    assert not Nonce.objects.filter(value_hash=first.json()["c_nonce"]).exists()  # hashed


def test_expired_nonces_are_cleared(wallet_http: httpx.Client, processing_org: Org) -> None:
    wallet_http.post("/credentials/nonce")
    Nonce.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    wallet_http.post("/credentials/nonce")
    assert Nonce.objects.count() == 1


# --- the credential endpoint's refusals -----------------------------------------------------


def test_a_reused_nonce_is_refused(credential: IssuedCredential, wallet: Wallet) -> None:
    access_token = ready(wallet, credential)
    nonce = wallet.nonce()
    assert wallet.request_credential(access_token, CONFIG, wallet.proof(nonce)).status_code == 200
    again = wallet.request_credential(access_token, CONFIG, wallet.proof(nonce))
    assert (again.status_code, error_of(again)) == (400, "invalid_nonce")
    assert Delivery.objects.count() == 1


def test_an_expired_unknown_or_missing_nonce_is_refused(
    credential: IssuedCredential, wallet: Wallet
) -> None:
    access_token = ready(wallet, credential)
    nonce = wallet.nonce()
    Nonce.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    for proof in (wallet.proof(nonce), wallet.proof("made-up"), wallet.proof(None)):
        response = wallet.request_credential(access_token, CONFIG, proof)
        assert error_of(response) == "invalid_nonce"
    assert Delivery.objects.count() == 0


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"aud": "https://someone-else.example/credentials"}, id="wrong-aud"),
        pytest.param({"typ": "JWT"}, id="wrong-typ"),
        pytest.param({"key": "other"}, id="wrong-signature"),
        pytest.param({"iat": -3600}, id="old-iat"),
        pytest.param({"iat": +3600}, id="future-iat"),
    ],
)
def test_a_bad_proof_is_refused(
    credential: IssuedCredential, wallet: Wallet, bad: dict[str, Any]
) -> None:
    access_token = ready(wallet, credential)
    nonce = wallet.nonce()
    proof = wallet.proof(
        nonce,
        aud=bad.get("aud"),
        typ=bad.get("typ", "openid4vci-proof+jwt"),
        iat=int(time.time()) + bad["iat"] if "iat" in bad else None,
        key=new_key() if "key" in bad else None,
    )
    response = wallet.request_credential(access_token, CONFIG, proof)
    assert (response.status_code, error_of(response)) == (400, "invalid_proof")
    assert response.json()["error_description"]
    assert Delivery.objects.count() == 0
    # The nonce survives a refused proof: the wallet retries with a good one.
    assert wallet.request_credential(access_token, CONFIG, wallet.proof(nonce)).status_code == 200


def test_proofs_without_a_public_key_or_not_a_jwt_are_refused(
    credential: IssuedCredential, wallet: Wallet
) -> None:
    from tests.credentials.wallet_client import b64url, public_jwk, sign_jwt

    access_token = ready(wallet, credential)
    nonce = wallet.nonce()
    claims = {"aud": ISSUER, "iat": int(time.time()), "nonce": nonce}
    private_jwk = {**public_jwk(wallet.key), "d": b64url(b"\x01" * 32)}
    proofs = [
        sign_jwt(wallet.key, {"alg": "ES256", "typ": "openid4vci-proof+jwt"}, claims),
        sign_jwt(
            wallet.key, {"alg": "ES256", "typ": "openid4vci-proof+jwt", "jwk": private_jwk}, claims
        ),
        sign_jwt(
            wallet.key,
            {"alg": "ES256", "typ": "openid4vci-proof+jwt", "jwk": {"kty": "RSA"}},
            claims,
        ),
        sign_jwt(
            wallet.key,
            {"alg": "HS256", "typ": "openid4vci-proof+jwt", "jwk": public_jwk(wallet.key)},
            claims,
        ),
        "not-a-jwt",
        "a.b.c",
    ]
    for proof in proofs:
        response = wallet.request_credential(access_token, CONFIG, proof)
        assert error_of(response) == "invalid_proof", proof


def test_malformed_credential_requests_are_refused(
    credential: IssuedCredential, wallet: Wallet
) -> None:
    access_token = ready(wallet, credential)
    proof = wallet.proof(wallet.nonce())
    bearer = {"Authorization": f"Bearer {access_token}"}
    post = wallet.http.post
    url = "/credentials/credential"
    cases = [
        (post(url, content=b"{not json", headers=bearer), "invalid_credential_request"),
        (post(url, json=[1, 2], headers=bearer), "invalid_credential_request"),
        (
            post(url, json={"proofs": {"jwt": [proof]}}, headers=bearer),
            "invalid_credential_request",
        ),
        (
            post(url, json={"credential_configuration_id": CONFIG}, headers=bearer),
            "invalid_credential_request",
        ),
        (
            post(
                url,
                json={"credential_configuration_id": CONFIG, "proofs": {"jwt": [proof, proof]}},
                headers=bearer,
            ),
            "invalid_credential_request",
        ),
        (
            post(
                url,
                json={
                    "credential_configuration_id": CONFIG,
                    "proof": {"proof_type": "jwt", "jwt": proof},
                },
                headers=bearer,
            ),
            "invalid_credential_request",
        ),
        (
            wallet.request_credential(access_token, "vn.motcua.birth_certificate", proof),
            "unknown_credential_configuration",
        ),
        (
            wallet.request_credential(access_token, "nonsense", proof),
            "unknown_credential_configuration",
        ),
    ]
    for response, error in cases:
        assert (response.status_code, error_of(response)) == (400, error)
    assert Delivery.objects.count() == 0


def test_a_missing_or_wrong_bearer_token_is_refused(
    credential: IssuedCredential, wallet: Wallet
) -> None:
    ready(wallet, credential)
    proof = wallet.proof(wallet.nonce())
    body = {"credential_configuration_id": CONFIG, "proofs": {"jwt": [proof]}}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}):
        response = wallet.http.post("/credentials/credential", json=body, headers=headers)
        assert (response.status_code, error_of(response)) == (401, "invalid_token")
        assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_an_expired_access_token_is_refused(credential: IssuedCredential, wallet: Wallet) -> None:
    access_token = ready(wallet, credential)
    CredentialOffer.objects.update(token_expires_at=timezone.now() - timedelta(seconds=1))
    response = wallet.request_credential(access_token, CONFIG, wallet.proof(wallet.nonce()))
    assert (response.status_code, error_of(response)) == (401, "invalid_token")


@pytest.mark.parametrize("status", ["revoked", "suspended"])
def test_a_revoked_or_suspended_credential_is_not_issued(
    credential: IssuedCredential, wallet: Wallet, processing_org: Org, status: str
) -> None:
    access_token = ready(wallet, credential)
    issuance.set_status(credential, status, "Cấp nhầm", processing_org.users["leader_stp"])
    response = wallet.request_credential(access_token, CONFIG, wallet.proof(wallet.nonce()))
    assert (response.status_code, error_of(response)) == (400, "credential_request_denied")
    assert Delivery.objects.count() == 0
    with pytest.raises(MotcuaError):
        offers.create_offer(credential)


def test_an_expired_credential_is_not_issued(credential: IssuedCredential, wallet: Wallet) -> None:
    access_token = ready(wallet, credential)
    IssuedCredential.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = wallet.request_credential(access_token, CONFIG, wallet.proof(wallet.nonce()))
    assert (response.status_code, error_of(response)) == (400, "credential_request_denied")
    assert Delivery.objects.count() == 0


def test_the_same_offer_serves_a_second_wallet_key_only_through_a_new_offer(
    credential: IssuedCredential, wallet: Wallet, wallet_http: httpx.Client
) -> None:
    """One result, two phones: each gets a copy bound to its own key, one status entry."""
    from motcua.dossiers import signing

    first = wallet.receive(*offers.create_offer(credential)[1:])
    second = Wallet(http=wallet_http, trust_anchor=signing.ca_certificate()).receive(
        *offers.create_offer(credential)[1:]
    )
    assert first.payload["cnf"] != second.payload["cnf"]
    assert first.payload["status"] == second.payload["status"]
    assert Delivery.objects.filter(credential=credential).count() == 2


# --- notifications --------------------------------------------------------------------------


def test_notifications_are_recorded_and_bad_ones_refused(
    credential: IssuedCredential, wallet: Wallet
) -> None:
    access_token = ready(wallet, credential)
    body = wallet.request_credential(access_token, CONFIG, wallet.proof(wallet.nonce())).json()
    notification_id = body["notification_id"]
    unknown = wallet.notify(access_token, "nope")
    assert (unknown.status_code, error_of(unknown)) == (400, "invalid_notification_id")
    bad_event = wallet.notify(access_token, notification_id, event="credential_eaten")
    assert error_of(bad_event) == "invalid_notification_request"
    assert wallet.notify("wrong-token", notification_id).status_code == 401
    deleted = wallet.notify(access_token, notification_id, event="credential_deleted")
    assert deleted.status_code == 204
    assert Delivery.objects.get().event == Delivery.Event.DELETED


# --- concurrency (PostgreSQL) ----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_of_one_code_give_exactly_one_token(
    processing_org: Org,
) -> None:
    from tests.credentials.conftest import decided

    credential = issuance.prepare_credential(decided(processing_org))
    assert credential is not None
    offer, tx_code = offered(credential)
    code = code_of(offer)

    def redeem(_index: int) -> str:
        try:
            return offers.redeem(code=code, tx_code=tx_code)[0]
        except offers.TokenError as refusal:
            return refusal.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(redeem, range(8)))
    tokens = [outcome for outcome in outcomes if outcome != "invalid_grant"]
    assert len(tokens) == 1
    assert outcomes.count("invalid_grant") == 7
    # The replays (the later redemptions) revoked the one token.
    with pytest.raises(offers.TokenError):
        offers.offer_for_token(tokens[0])


# --- over real HTTP ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_wallet_works_against_a_live_server(
    processing_org: Org, live_server: Any, settings: Any
) -> None:
    from motcua.dossiers import signing
    from tests.credentials.conftest import decided

    settings.PUBLIC_URL = live_server.url
    credential = issuance.prepare_credential(decided(processing_org))
    assert credential is not None
    _offer, link, tx_code = offers.create_offer(credential)
    with httpx.Client() as http:
        held = Wallet(http=http, trust_anchor=signing.ca_certificate()).receive(link, tx_code)
    assert held.payload["iss"] == live_server.url + "/credentials"
    assert Delivery.objects.get().event == Delivery.Event.ACCEPTED
