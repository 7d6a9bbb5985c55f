"""The verifier (motcua.credentials.verify): every verdict state, each bad input of issue #7
(wrong signature, unknown issuer, expired, tampered disclosure, garbage), presentations with
and without key binding, and status lists of this deployment and of another issuer.

The helpers here (presentations, JWS and credentials built by hand, a foreign CA) serve the
other verifier tests too; the granted result and its credential come from conftest.py."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import time
from collections.abc import Iterable
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from django.utils import timezone, translation

from motcua.core.b64url import b64url, b64url_decode
from motcua.credentials import issuance, keys, offers, sdjwt, statuslist, verify
from motcua.credentials.models import IssuedCredential
from tests.credentials.wallet_client import Wallet
from tests.org import Org

pytestmark = pytest.mark.django_db

HOLDER_ID = "022090012345"  # tests/intake_data.py's applicant


@pytest.fixture(autouse=True)
def english() -> Iterable[None]:
    # Reasons are asserted on meaning through the state; a few assert the English wording.
    with translation.override("en"):
        yield


# --- Helpers shared by the verifier tests ---------------------------------------------------


def raw_signature(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def sign_jws(key: ec.EllipticCurvePrivateKey, header: dict[str, Any], payload: Any) -> str:
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, payload)
    )
    return signing_input + "." + b64url(raw_signature(key, signing_input.encode()))


def jws_parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    return (
        json.loads(b64url_decode(header)),
        json.loads(b64url_decode(payload)),
        signature,
    )


def disclosure_name(disclosure: str) -> str:
    return str(json.loads(b64url_decode(disclosure))[1])


def split(sd_jwt: str) -> tuple[str, list[str]]:
    issuer_jwt, *disclosures, _kb = sd_jwt.split("~")
    return issuer_jwt, disclosures


def presentation(
    sd_jwt: str,
    keep: Iterable[str],
    *,
    holder: ec.EllipticCurvePrivateKey | None = None,
    aud: str = "https://bank.example",
) -> str:
    """The SD-JWT with only the disclosures named in `keep`, and a key-binding JWT by `holder`."""
    issuer_jwt, disclosures = split(sd_jwt)
    chosen = [d for d in disclosures if disclosure_name(d) in set(keep)]
    presented = "~".join([issuer_jwt, *chosen]) + "~"
    if holder is None:
        return presented
    sd_hash = b64url(hashlib.sha256(presented.encode()).digest())
    payload = {"iat": int(time.time()), "aud": aud, "nonce": "n-0S6", "sd_hash": sd_hash}
    return presented + sign_jws(holder, {"typ": "kb+jwt", "alg": "ES256"}, payload)


def with_payload(sd_jwt: str, change: dict[str, Any], *, key: Any = None) -> str:
    """The SD-JWT with its payload changed: keeping the old signature, or re-signed by `key`
    under the same header."""
    issuer_jwt, disclosures = split(sd_jwt)
    header, payload, signature = jws_parts(issuer_jwt)
    payload.update(change)
    if key is not None:
        issuer_jwt = sign_jws(key, header, payload)
    else:
        head, _payload, _sig = issuer_jwt.split(".")
        body = b64url(json.dumps(payload, separators=(",", ":")).encode())
        issuer_jwt = f"{head}.{body}.{signature}"
    return "~".join([issuer_jwt, *disclosures]) + "~"


def by_hand(
    key: ec.EllipticCurvePrivateKey,
    x5c: list[str],
    payload: dict[str, Any],
    disclosable: dict[str, Any],
    *,
    typ: str = "dc+sd-jwt",
) -> str:
    """An SD-JWT VC built after format.md without the issuer's code."""
    disclosures = [
        b64url(json.dumps([b64url(secrets.token_bytes(16)), name, value]).encode())
        for name, value in disclosable.items()
    ]
    digests = sorted(b64url(hashlib.sha256(d.encode()).digest()) for d in disclosures)
    header = {"alg": "ES256", "typ": typ, "x5c": x5c}
    issuer_jwt = sign_jws(key, header, {**payload, "_sd_alg": "sha-256", "_sd": digests})
    return "~".join([issuer_jwt, *disclosures]) + "~"


def payload_like(credential: IssuedCredential, **change: Any) -> dict[str, Any]:
    """The always-disclosed claims the issuer puts in `credential`'s SD-JWT."""
    issuer_jwt, _disclosures = split(sdjwt.build(credential))
    _header, payload, _signature = jws_parts(issuer_jwt)
    del payload["_sd"], payload["_sd_alg"]
    return {**payload, **change}


def agency_signer(credential: IssuedCredential) -> keys.Signer:
    return keys.signer_for(credential.result.agency)


def self_made_ca(name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    now = dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def foreign_ca_signer(
    agency_code: str, ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None = None
) -> tuple[ec.EllipticCurvePrivateKey, list[str]]:
    """A key certified for `agency_code` by `ca`, by default a self-made CA nobody trusts."""
    ca_key, ca_certificate = ca or self_made_ca("Mallory CA")
    now = dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Sở Tư pháp"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sở Tư pháp"),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, agency_code),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(ca_key, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    return key, [base64.b64encode(der).decode()]


def holder_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    return keys.public_jwk_of(key.public_key())


# --- Valid ----------------------------------------------------------------------------------


def test_issued_credential_is_valid_with_its_facts(credential: IssuedCredential) -> None:
    verdict = verify.verify(sdjwt.build(credential))
    assert verdict.state == verify.VALID, verdict.reason
    result = credential.result
    assert verdict.kind == "sd-jwt"
    assert verdict.document_number == result.number
    assert verdict.title == result.title
    assert verdict.issuing_authority == result.agency.name
    assert verdict.issued_on == timezone.localdate(result.approved_at).isoformat()
    assert verdict.holder_name == credential.holder_name
    assert verdict.holder_id_number == "•••••••••345"
    assert HOLDER_ID not in str(verdict)
    assert {"holder_name", "holder_id_number", "details", "details.muc_dich"} <= set(
        verdict.disclosed
    )
    assert verdict.expires_at == credential.expires_at.replace(microsecond=0)
    assert not verdict.key_bound


def test_presentation_shows_only_what_the_holder_disclosed(credential: IssuedCredential) -> None:
    holder = ec.generate_private_key(ec.SECP256R1())
    sd_jwt = sdjwt.build(credential, holder_jwk=holder_jwk(holder))
    verdict = verify.verify(presentation(sd_jwt, {"holder_name"}, holder=holder))
    assert verdict.state == verify.VALID, verdict.reason
    assert verdict.disclosed == ("holder_name",)
    assert verdict.holder_name == credential.holder_name
    assert verdict.holder_id_number == ""
    assert verdict.key_bound
    assert verdict.audience == "https://bank.example"


def test_credential_received_by_a_wallet_verifies_as_presented(
    credential: IssuedCredential, wallet: Wallet
) -> None:
    """Issued over OpenID4VCI to the test wallet, presented with one fact of the dossier."""
    _offer, link, tx_code = offers.create_offer(credential)
    held = wallet.receive(link, tx_code)
    shown = held.present(["holder_name", "details.muc_dich"], aud="https://bank.example", nonce="n")
    verdict = verify.verify(shown)
    assert verdict.state == verify.VALID, verdict.reason
    # In the order of the signed digests, which is random; a parent before its members.
    assert sorted(verdict.disclosed) == ["details", "details.muc_dich", "holder_name"]
    assert verdict.disclosed.index("details") < verdict.disclosed.index("details.muc_dich")
    assert (verdict.key_bound, verdict.audience) == (True, "https://bank.example")
    assert verdict.holder_id_number == ""


def test_presentation_without_key_binding_is_valid_too(credential: IssuedCredential) -> None:
    holder = ec.generate_private_key(ec.SECP256R1())
    sd_jwt = sdjwt.build(credential, holder_jwk=holder_jwk(holder))
    verdict = verify.verify(presentation(sd_jwt, set()))
    assert verdict.state == verify.VALID
    assert verdict.disclosed == ()
    assert verdict.holder_name == ""
    assert not verdict.key_bound


def test_credential_wrapped_over_lines_and_the_old_typ_are_accepted(
    credential: IssuedCredential,
) -> None:
    signer = agency_signer(credential)
    sd_jwt = by_hand(
        signer.key, signer.x5c, payload_like(credential), {"holder_name": "A"}, typ="vc+sd-jwt"
    )
    wrapped = "\n".join(sd_jwt[i : i + 76] for i in range(0, len(sd_jwt), 76))
    verdict = verify.verify(f"  {wrapped}\n")
    assert verdict.state == verify.VALID, verdict.reason
    assert verdict.holder_name == "A"


def test_type_name_is_in_the_language_of_the_page(credential: IssuedCredential) -> None:
    sd_jwt = sdjwt.build(credential)
    assert verify.verify(sd_jwt).document_type == "Administrative procedure result"
    with translation.override("vi"):
        assert verify.verify(sd_jwt).document_type == "Kết quả giải quyết thủ tục hành chính"


# --- Forged ---------------------------------------------------------------------------------


def test_changed_claim_breaks_the_signature(credential: IssuedCredential) -> None:
    verdict = verify.verify(with_payload(sdjwt.build(credential), {"document_number": "99/KQ"}))
    assert verdict.state == verify.FORGED
    assert verdict.document_number == ""  # nothing unverified is shown
    assert not verdict.has_facts


def test_wrong_signature_is_forged(credential: IssuedCredential) -> None:
    """Signed by another key under the agency's certificate."""
    other = ec.generate_private_key(ec.SECP256R1())
    verdict = verify.verify(with_payload(sdjwt.build(credential), {}, key=other))
    assert verdict.state == verify.FORGED
    assert verdict.reason == "The signature does not match the content."


def test_tampered_disclosure_is_forged(credential: IssuedCredential) -> None:
    sd_jwt = sdjwt.build(credential)
    issuer_jwt, disclosures = split(sd_jwt)
    index = next(i for i, d in enumerate(disclosures) if disclosure_name(d) == "holder_name")
    salt, name, _value = json.loads(b64url_decode(disclosures[index]))
    disclosures[index] = b64url(json.dumps([salt, name, "Kẻ Mạo Danh"]).encode())
    verdict = verify.verify("~".join([issuer_jwt, *disclosures]) + "~")
    assert verdict.state == verify.FORGED
    assert verdict.reason == "A disclosed claim was changed."
    assert verdict.holder_name == ""


def test_a_disclosure_given_twice_is_refused(credential: IssuedCredential) -> None:
    issuer_jwt, disclosures = split(sdjwt.build(credential))
    verdict = verify.verify("~".join([issuer_jwt, *disclosures, disclosures[0]]) + "~")
    assert verdict.state == verify.MALFORMED


def test_nested_disclosure_without_its_parent_is_forged(credential: IssuedCredential) -> None:
    """details.muc_dich shown without details: its digest is nowhere in what was shown."""
    verdict = verify.verify(presentation(sdjwt.build(credential), {"muc_dich"}))
    assert verdict.state == verify.FORGED


def test_signed_by_an_agency_other_than_the_one_named_is_forged(
    credential: IssuedCredential, processing_org: Org
) -> None:
    """The police's key, certified by our CA, claiming the Department of Justice's result."""
    police = keys.signer_for(processing_org.agencies["police"])
    sd_jwt = by_hand(police.key, police.x5c, payload_like(credential), {})
    verdict = verify.verify(sd_jwt)
    assert verdict.state == verify.FORGED
    assert "not signed by the authority it names" in verdict.reason


def test_key_binding_by_another_key_is_forged(credential: IssuedCredential) -> None:
    holder = ec.generate_private_key(ec.SECP256R1())
    thief = ec.generate_private_key(ec.SECP256R1())
    sd_jwt = sdjwt.build(credential, holder_jwk=holder_jwk(holder))
    verdict = verify.verify(presentation(sd_jwt, {"holder_name"}, holder=thief))
    assert verdict.state == verify.FORGED
    assert verdict.reason == "The holder's signature on the presentation does not match."


def test_key_binding_over_other_disclosures_is_forged(credential: IssuedCredential) -> None:
    """A disclosure added after the holder signed: sd_hash no longer matches."""
    holder = ec.generate_private_key(ec.SECP256R1())
    sd_jwt = sdjwt.build(credential, holder_jwk=holder_jwk(holder))
    signed = presentation(sd_jwt, {"holder_name"}, holder=holder)
    presented, kb_jwt = signed.rsplit("~", 1)
    extra = next(d for d in split(sd_jwt)[1] if disclosure_name(d) == "holder_id_number")
    verdict = verify.verify(f"{presented}~{extra}~{kb_jwt}")
    assert verdict.state == verify.FORGED
    assert verdict.reason == "The presentation was changed after the holder signed it."


def test_key_binding_without_a_holder_key_is_forged(credential: IssuedCredential) -> None:
    holder = ec.generate_private_key(ec.SECP256R1())
    verdict = verify.verify(presentation(sdjwt.build(credential), {"holder_name"}, holder=holder))
    assert verdict.state == verify.FORGED


def test_credential_dated_in_the_future_is_forged(credential: IssuedCredential) -> None:
    signer = agency_signer(credential)
    later = int(time.time()) + 3600
    sd_jwt = by_hand(signer.key, signer.x5c, payload_like(credential, nbf=later), {})
    assert verify.verify(sd_jwt).state == verify.FORGED


# --- Unknown issuer -------------------------------------------------------------------------


def test_credential_of_another_ca_has_an_unknown_issuer(credential: IssuedCredential) -> None:
    key, x5c = foreign_ca_signer(credential.result.agency.code)
    verdict = verify.verify(by_hand(key, x5c, payload_like(credential), {"holder_name": "B"}))
    assert verdict.state == verify.UNKNOWN_ISSUER
    assert verdict.holder_name == ""


@pytest.mark.parametrize(
    ("x5c", "state"),
    [(None, verify.UNKNOWN_ISSUER), ("MIIB", verify.MALFORMED), (["bm90IERFUg"], verify.MALFORMED)],
)
def test_credential_without_a_readable_certificate(
    credential: IssuedCredential, x5c: Any, state: str
) -> None:
    issuer_jwt, disclosures = split(sdjwt.build(credential))
    header, payload, _signature = jws_parts(issuer_jwt)
    if x5c is None:
        del header["x5c"]
    else:
        header["x5c"] = x5c
    signed = sign_jws(agency_signer(credential).key, header, payload)
    assert verify.verify("~".join([signed, *disclosures]) + "~").state == state


def test_untrusted_iss_is_an_unknown_issuer(credential: IssuedCredential) -> None:
    signer = agency_signer(credential)
    payload = payload_like(credential, iss="https://evil.example/credentials")
    assert verify.verify(by_hand(signer.key, signer.x5c, payload, {})).state == (
        verify.UNKNOWN_ISSUER
    )


def test_trusted_foreign_ca_and_issuer_from_settings(
    credential: IssuedCredential, settings: Any, tmp_path: Any
) -> None:
    """Another province's CA and issuer, listed in the settings, are trusted: the signature is
    good, and the verdict then rests on its status list (here: one that cannot be fetched)."""
    ca = self_made_ca("Other province CA")
    key, x5c = foreign_ca_signer(credential.result.agency.code, ca)
    ca_file = tmp_path / "other-ca.pem"
    ca_file.write_bytes(ca[1].public_bytes(serialization.Encoding.PEM))
    other = "https://dichvucong.other.example/credentials"
    payload = payload_like(
        credential,
        iss=other,
        status={"status_list": {"idx": 7, "uri": "https://other.example/status/1"}},
    )
    sd_jwt = by_hand(key, x5c, payload, {})
    assert verify.verify(sd_jwt).state == verify.UNKNOWN_ISSUER

    settings.CREDENTIAL_TRUSTED_CAS = [str(ca_file)]
    assert verify.verify(sd_jwt).state == verify.UNKNOWN_ISSUER  # the issuer is not listed
    settings.CREDENTIAL_TRUSTED_ISSUERS = [other]
    verdict = verify.verify(sd_jwt)
    assert verdict.state == verify.UNKNOWN_STATUS, verdict.reason
    assert verdict.document_number == credential.result.number


# --- Expired --------------------------------------------------------------------------------


def test_expired_credential(credential: IssuedCredential) -> None:
    credential.expires_at = timezone.now() - dt.timedelta(days=1)
    verdict = verify.verify(sdjwt.build(credential))
    assert verdict.state == verify.EXPIRED
    assert verdict.reason.startswith("The credential expired on ")
    assert verdict.document_number == credential.result.number  # genuine: the facts show


# --- Malformed ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello",
        "not~a~credential~",
        "a.b.c~",
        "eyJhbGciOiJFUzI1NiJ9.e30.AAAA~",  # a JWT that is no SD-JWT (no typ)
        "~~~",
        "VNQR1:",
        "VNQR1:%%%%",
        "Nguyễn~Văn~",
        "[" * 20_000 + "~",
        b64url(b"[" * 5_000) + ".e30.AAAA~",  # nested too deep to parse
    ],
)
def test_garbage_is_malformed(text: str, db: Any) -> None:
    assert verify.verify(text).state == verify.MALFORMED


def test_oversized_paste_is_malformed(db: Any) -> None:
    verdict = verify.verify("A" * (verify.MAX_LENGTH + 1) + "~")
    assert verdict.state == verify.MALFORMED
    assert verdict.reason == "The text is too long to be a credential."


def test_status_list_token_pasted_is_no_credential(credential: IssuedCredential) -> None:
    agency, number = credential.status_list.path_suffix.split("/")
    token = statuslist.token_for(agency, int(number))
    assert verify.verify(token + "~").state == verify.MALFORMED


# --- Revoked, suspended, status unknown -----------------------------------------------------


def test_revoked_and_suspended_credentials(
    credential: IssuedCredential, processing_org: Org
) -> None:
    sd_jwt = sdjwt.build(credential)
    leader = processing_org.users["leader_stp"]
    issuance.set_status(credential, "suspended", "Đang xác minh lại", leader)
    suspended = verify.verify(sd_jwt)
    assert suspended.state == verify.SUSPENDED
    assert suspended.document_number == credential.result.number
    issuance.set_status(credential, "valid", "Đã xác minh", leader)
    assert verify.verify(sd_jwt).state == verify.VALID
    issuance.set_status(credential, "revoked", "Cấp nhầm", leader)
    revoked = verify.verify(sd_jwt)
    assert revoked.state == verify.REVOKED
    assert revoked.reason == "The issuing authority has revoked this result."


def test_unreachable_status_list_is_unknown_status(
    credential: IssuedCredential, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(*args: Any, **kwargs: Any) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out")

    monkeypatch.setattr(httpx, "get", unreachable)
    signer = agency_signer(credential)
    status = {"status_list": {"idx": 3, "uri": "https://status.example/lists/1"}}
    verdict = verify.verify(
        by_hand(signer.key, signer.x5c, payload_like(credential, status=status), {})
    )
    assert verdict.state == verify.UNKNOWN_STATUS
    assert "could not be fetched" in verdict.reason
    assert verdict.document_number == credential.result.number


def test_missing_status_list_of_this_site_is_unknown_status(credential: IssuedCredential) -> None:
    signer = agency_signer(credential)
    uri = credential.status_list.uri.rsplit("/", 1)[0] + "/99"
    status = {"status_list": {"idx": 3, "uri": uri}}
    sd_jwt = by_hand(signer.key, signer.x5c, payload_like(credential, status=status), {})
    assert verify.verify(sd_jwt).state == verify.UNKNOWN_STATUS


def foreign_status_token(signer: keys.Signer, uri: str, statuses: dict[int, int]) -> str:
    now = int(time.time())
    return signer.sign_jwt(
        "statuslist+jwt",
        {
            "sub": uri,
            "iat": now,
            "exp": now + 3600,
            "ttl": 300,
            "status_list": {"bits": 2, "lst": statuslist.encode(statuses, 1024, 2)},
        },
    )


def test_fetched_status_list_is_checked_and_cached(
    credential: IssuedCredential, monkeypatch: pytest.MonkeyPatch
) -> None:
    signer = agency_signer(credential)
    uri = "https://status.example/lists/1"
    fetched: list[str] = []

    def serve(url: str, **kwargs: Any) -> httpx.Response:
        fetched.append(url)
        assert kwargs["timeout"] == 5
        token = foreign_status_token(signer, uri, {3: statuslist.INVALID})
        return httpx.Response(200, text=token, request=httpx.Request("GET", url))

    monkeypatch.setattr(httpx, "get", serve)
    status = {"status_list": {"idx": 3, "uri": uri}}
    sd_jwt = by_hand(signer.key, signer.x5c, payload_like(credential, status=status), {})
    assert verify.verify(sd_jwt).state == verify.REVOKED
    assert verify.verify(sd_jwt).state == verify.REVOKED
    assert fetched == [uri]  # the second time from the cache


@pytest.mark.parametrize("fault", ["other_agency", "other_sub", "forged", "expired"])
def test_status_list_that_does_not_check_out_is_unknown_status(
    credential: IssuedCredential,
    processing_org: Org,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
) -> None:
    signer = agency_signer(credential)
    uri = "https://status.example/lists/1"
    if fault == "other_agency":
        token = foreign_status_token(keys.signer_for(processing_org.agencies["police"]), uri, {})
    elif fault == "other_sub":
        token = foreign_status_token(signer, "https://status.example/lists/2", {})
    elif fault == "forged":
        header, payload, _signature = jws_parts(foreign_status_token(signer, uri, {3: 1}))
        payload["status_list"]["lst"] = statuslist.encode({}, 1024, 2)
        token = sign_jws(ec.generate_private_key(ec.SECP256R1()), header, payload)
    else:
        header, payload, _signature = jws_parts(foreign_status_token(signer, uri, {}))
        payload["exp"] = int(time.time()) - 10
        token = sign_jws(signer.key, header, payload)

    def serve(url: str, **kwargs: Any) -> httpx.Response:
        return httpx.Response(200, text=token, request=httpx.Request("GET", url))

    monkeypatch.setattr(httpx, "get", serve)
    status = {"status_list": {"idx": 3, "uri": uri}}
    sd_jwt = by_hand(signer.key, signer.x5c, payload_like(credential, status=status), {})
    assert verify.verify(sd_jwt).state == verify.UNKNOWN_STATUS


# --- A result's verification address --------------------------------------------------------


def test_result_address_gives_the_credential_state(
    credential: IssuedCredential, processing_org: Org, settings: Any
) -> None:
    from motcua.dossiers import results

    result = credential.result
    result.signed_at = timezone.now()
    result.save()
    address = results.verify_url(result)
    verdict = verify.verify(address)
    assert (verdict.state, verdict.kind) == (verify.VALID, "result")
    assert verdict.document_number == result.number
    issuance.set_status(credential, "revoked", "Cấp nhầm", processing_org.users["leader_stp"])
    assert verify.verify(address).state == verify.REVOKED
    assert verify.verify(address.replace(result.verification_secret, "x" * 20)).state == (
        verify.MALFORMED
    )
    assert verify.verify("https://elsewhere.example/results/abc/").state == verify.MALFORMED


def test_mask_keeps_only_the_last_three_digits() -> None:
    assert verify.mask_id_number("022090012345") == "•••••••••345"
    assert verify.mask_id_number("12") == "12"
