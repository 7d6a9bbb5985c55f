"""The compact seal (motcua.credentials.seal): its round trip, its size on paper, and every way
a seal can be altered, unknown or unreadable."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from typing import Any

import base45
import cbor2
import pytest
import segno
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone, translation

from motcua.core.b64url import b64url_decode
from motcua.credentials import issuance, keys, seal, verify
from motcua.credentials.models import IssuedCredential
from motcua.credentials.trust import FORGED, MALFORMED, UNKNOWN_ISSUER, Rejected
from tests.credentials.test_verify import raw_signature
from tests.org import Org

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterable[None]:
    with translation.override("en"):
        yield


def cose_of(text: str) -> list[Any]:
    message = cbor2.loads(zlib.decompress(base45.b45decode(text.removeprefix(seal.PREFIX))))
    assert isinstance(message, cbor2.CBORTag)
    assert message.tag == 18
    return list(message.value)


def seal_of(parts: list[Any], *, tag: bool = True) -> str:
    body = cbor2.dumps(cbor2.CBORTag(18, parts) if tag else parts)
    return seal.PREFIX + base45.b45encode(zlib.compress(body, 9)).decode()


def resigned(
    text: str, change: Callable[[dict[Any, Any]], None], key: ec.EllipticCurvePrivateKey
) -> str:
    """The seal with its claims changed and signed again by `key` (under the same kid)."""
    protected, unprotected, payload, _signature = cose_of(text)
    claims = cbor2.loads(payload)
    change(claims)
    payload = cbor2.dumps(claims)
    to_sign = cbor2.dumps(["Signature1", protected, b"", payload])
    return seal_of([protected, unprotected, payload, raw_signature(key, to_sign)])


def test_round_trip(credential: IssuedCredential) -> None:
    claims = seal.read_seal(seal.make_seal(credential))
    result = credential.result
    assert claims.issuer == keys.issuer_id()
    assert claims.type == "administrative_result"
    assert claims.number == result.number
    assert claims.holder_name == credential.holder_name
    assert claims.issued_on == timezone.localdate(result.approved_at).isoformat()
    assert claims.agency_code == result.agency.code
    assert claims.status_uri == credential.status_list.uri
    assert claims.status_index == credential.status_index
    assert claims.issued_at == credential.issued_at.replace(microsecond=0)
    assert claims.expires_at == credential.expires_at.replace(microsecond=0)
    assert claims.key.agency_code == result.agency.code


def test_seal_is_cose_sign1_with_kid_and_no_certificate(credential: IssuedCredential) -> None:
    text = seal.make_seal(credential)
    protected, unprotected, payload, signature = cose_of(text)
    assert cbor2.loads(protected) == {
        1: -7,
        4: b64url_decode(keys.signer_for(credential.result.agency).kid),
    }
    assert unprotected == {}
    assert len(signature) == 64
    assert set(cbor2.loads(payload)) == {1, 4, 6, -65537}


@pytest.mark.parametrize(
    ("holder", "number", "longest", "version"),
    [
        ("Nguyễn Văn An", "15/KQ-STP", 450, 13),
        ("Tôn Nữ Hoàng Thị Phương Thảo", "1234/QĐ-UBND-TP", 483, 13),
    ],
)
def test_seal_size_on_paper(
    credential: IssuedCredential,
    settings: Any,
    capsys: pytest.CaptureFixture[str],
    holder: str,
    number: str,
    longest: int,
    version: int,
) -> None:
    """With a real deployment's address, all of format.md's claims make about 430 to 480
    characters in the QR alphanumeric alphabet: a version 13 QR code (M). The result prints it
    at 34 mm, half a millimetre a module."""
    settings.PUBLIC_URL = "https://dichvucong.quangninh.gov.vn"
    credential.holder_name = holder
    credential.result.number = number
    text = seal.make_seal(credential)
    qr = segno.make(text, error="m", micro=False)
    with capsys.disabled():
        print(f"\nseal: {len(text)} characters, QR version {qr.version}-M ({qr.mode})")
    assert qr.mode == "alphanumeric"
    assert len(text) <= longest
    assert qr.version <= version
    assert seal.read_seal(text).holder_name == holder


def test_verdict_of_a_seal(credential: IssuedCredential, processing_org: Org) -> None:
    text = seal.make_seal(credential)
    verdict = verify.verify(text)
    assert (verdict.state, verdict.kind) == (verify.VALID, "seal")
    assert verdict.document_number == credential.result.number
    assert verdict.holder_name == credential.holder_name
    assert verdict.issuing_authority == credential.result.agency.name
    assert verdict.document_type == "Administrative procedure result"
    issuance.set_status(credential, "revoked", "Cấp nhầm", processing_org.users["leader_stp"])
    assert verify.verify(text).state == verify.REVOKED


def test_expired_seal(credential: IssuedCredential) -> None:
    credential.expires_at = timezone.now() - timezone.timedelta(days=1)
    assert verify.verify(seal.make_seal(credential)).state == verify.EXPIRED


def test_seal_dated_in_the_future_is_forged(credential: IssuedCredential) -> None:
    credential.issued_at = timezone.now() + timezone.timedelta(days=1)
    assert verify.verify(seal.make_seal(credential)).state == verify.FORGED


def test_changed_claim_is_forged(credential: IssuedCredential) -> None:
    protected, unprotected, payload, signature = cose_of(seal.make_seal(credential))
    claims = cbor2.loads(payload)
    claims[-65537]["h"] = "Kẻ Mạo Danh"
    tampered = seal_of([protected, unprotected, cbor2.dumps(claims), signature])
    with pytest.raises(Rejected) as rejected:
        seal.read_seal(tampered)
    assert rejected.value.state == FORGED
    assert verify.verify(tampered).holder_name == ""


def test_flipped_signature_bit_is_forged(credential: IssuedCredential) -> None:
    protected, unprotected, payload, signature = cose_of(seal.make_seal(credential))
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert verify.verify(seal_of([protected, unprotected, payload, flipped])).state == FORGED


def test_signed_by_another_key_under_the_kid_is_forged(credential: IssuedCredential) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    text = resigned(seal.make_seal(credential), lambda claims: None, other)
    assert verify.verify(text).state == FORGED


def test_unknown_kid_is_an_unknown_issuer(credential: IssuedCredential) -> None:
    _protected, unprotected, payload, signature = cose_of(seal.make_seal(credential))
    stranger = cbor2.dumps({1: -7, 4: bytes(32)})
    verdict = verify.verify(seal_of([stranger, unprotected, payload, signature]))
    assert verdict.state == UNKNOWN_ISSUER
    assert verdict.reason == "The seal was signed with a key this page does not know."


def test_another_agency_code_is_an_unknown_issuer(
    credential: IssuedCredential, processing_org: Org
) -> None:
    """The kid is the Department of Justice's; the seal claims the police: that key is not the
    police's."""
    police = processing_org.agencies["police"].code

    def claim_police(claims: dict[Any, Any]) -> None:
        claims[-65537]["a"] = police

    text = resigned(
        seal.make_seal(credential), claim_police, keys.signer_for(credential.result.agency).key
    )
    assert verify.verify(text).state == UNKNOWN_ISSUER


def test_untrusted_issuer_is_an_unknown_issuer(credential: IssuedCredential) -> None:
    def other_issuer(claims: dict[Any, Any]) -> None:
        claims[1] = "https://evil.example/credentials"

    key = keys.signer_for(credential.result.agency).key
    assert verify.verify(resigned(seal.make_seal(credential), other_issuer, key)).state == (
        UNKNOWN_ISSUER
    )


def test_seal_wrapped_over_lines_is_read(credential: IssuedCredential) -> None:
    text = seal.make_seal(credential)
    wrapped = "\n".join(text[i : i + 40] for i in range(0, len(text), 40))
    assert seal.read_seal(f"\n {wrapped}\r\n").number == credential.result.number


def test_untagged_cose_sign1_is_read(credential: IssuedCredential) -> None:
    untagged = seal_of(cose_of(seal.make_seal(credential)), tag=False)
    assert seal.read_seal(untagged).number == credential.result.number


@pytest.mark.parametrize(
    "text",
    [
        "VNQR1:",
        "VNQR2:ABC",
        "VNQR1:%%%",  # not Base45
        "VNQR1:" + base45.b45encode(b"not zlib").decode(),
        "VNQR1:" + base45.b45encode(zlib.compress(b"\xff\xff", 9)).decode(),  # not CBOR
        "VNQR1:" + base45.b45encode(zlib.compress(cbor2.dumps([1, 2, 3]), 9)).decode(),
        # A zip bomb: a megabyte of zeros inflates past the limit.
        "VNQR1:" + base45.b45encode(zlib.compress(bytes(1_000_000), 9)).decode(),
        "VNQR1:" + base45.b45encode(zlib.compress(b"x", 9)[:-2]).decode(),  # truncated
    ],
)
def test_unreadable_seals_are_malformed(text: str, processing_org: Org) -> None:
    with pytest.raises(Rejected) as rejected:
        seal.read_seal(text)
    assert rejected.value.state == MALFORMED


@pytest.mark.parametrize(
    "change",
    [
        lambda claims: claims.pop(-65537),
        lambda claims: claims[-65537].pop("i"),
        lambda claims: claims[-65537].update(i="7"),
        lambda claims: claims.update({4: 10**30}),
        lambda claims: claims.update({6: True}),
    ],
)
def test_seal_lacking_its_claims_is_malformed(
    credential: IssuedCredential, change: Callable[[dict[Any, Any]], None]
) -> None:
    key = keys.signer_for(credential.result.agency).key
    assert verify.verify(resigned(seal.make_seal(credential), change, key)).state == MALFORMED


def test_wrong_algorithm_is_malformed(credential: IssuedCredential) -> None:
    protected, unprotected, payload, signature = cose_of(seal.make_seal(credential))
    header = cbor2.loads(protected)
    header[1] = -35  # ES384
    text = seal_of([cbor2.dumps(header), unprotected, payload, signature])
    assert verify.verify(text).state == MALFORMED
