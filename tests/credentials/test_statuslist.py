"""Token Status Lists: the bit layout of the draft, the signed token served with its TTL, the
statuses set_status changes, and random allocation of entries (on PostgreSQL, concurrent)."""

from __future__ import annotations

import base64
import json
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography import x509
from django.db import connection
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from motcua.core.errors import MotcuaError
from motcua.credentials import issuance, statuslist
from motcua.credentials.models import IssuedCredential, StatusList
from motcua.dossiers import signing
from tests.credentials.conftest import TEST_SERVER, decided
from tests.credentials.wallet_client import jwt_parts, verify_x5c_jws
from tests.org import Org


def raw(lst: str) -> bytes:
    return zlib.decompress(base64.urlsafe_b64decode(lst + "=" * (-len(lst) % 4)))


def test_the_bit_layout_is_the_drafts() -> None:
    """draft-ietf-oauth-status-list §4.1's examples, for 1 and 2 bits an entry."""
    one_bit = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
    assert raw(statuslist.encode(dict(enumerate(one_bit)), 16, 1)) == bytes([0xB9, 0xA3])
    two_bits = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]
    assert raw(statuslist.encode(dict(enumerate(two_bits)), 12, 2)) == bytes([0xC9, 0x44, 0xF9])
    # The draft's own encoded lists decode to the same entries.
    assert [statuslist.status_at("eNrbuRgAAhcBXQ", 1, i) for i in range(16)] == one_bit
    assert [statuslist.status_at("eNo76fITAAPfAgc", 2, i) for i in range(12)] == two_bits


@given(
    bits=st.sampled_from([1, 2, 4, 8]),
    data=st.data(),
)
def test_encoded_statuses_decode_to_themselves(bits: int, data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=1, max_value=3000))
    statuses = data.draw(
        st.dictionaries(
            st.integers(min_value=0, max_value=size - 1),
            st.integers(min_value=0, max_value=(1 << bits) - 1),
            max_size=60,
        )
    )
    lst = statuslist.encode(statuses, size, bits)
    assert len(raw(lst)) == (size * bits + 7) // 8
    probes = (
        set(statuses)
        | {0, size - 1}
        | set(data.draw(st.lists(st.integers(0, size - 1), max_size=20)))
    )
    for index in probes:
        assert statuslist.status_at(lst, bits, index) == statuses.get(index, 0)


def test_encode_refuses_what_does_not_fit() -> None:
    with pytest.raises(ValueError, match="outside"):
        statuslist.encode({4: 1}, 4, 2)
    with pytest.raises(ValueError, match="does not fit"):
        statuslist.encode({0: 4}, 4, 2)
    with pytest.raises(ValueError, match="bits must be"):
        statuslist.encode({}, 4, 3)


@pytest.mark.parametrize(
    ("lst", "bits", "index"),
    [
        ("not base64 zlib!", 2, 0),
        ("eNrbuRgAAhcBXQ", 1, 16),
        ("eNrbuRgAAhcBXQ", 1, -1),
        ("eNrbuRgAAhcBXQ", 3, 0),
    ],
)
def test_a_broken_or_short_list_is_an_error_not_a_crash(lst: str, bits: int, index: int) -> None:
    with pytest.raises(MotcuaError):
        statuslist.status_at(lst, bits, index)


def fetch(client: Client, credential: IssuedCredential) -> tuple[dict, dict]:
    response = client.get(credential.status_list.uri.removeprefix(TEST_SERVER))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/statuslist+jwt"
    assert response["Cache-Control"] == "public, max-age=300"
    return verify_x5c_jws(response.content.decode(), signing.ca_certificate())


def test_the_status_list_token_is_signed_by_the_agency_with_a_ttl(
    client: Client, credential: IssuedCredential, processing_org: Org
) -> None:
    from motcua.credentials.keys import signer_for

    header, payload = fetch(client, credential)
    stp = signer_for(processing_org.agencies["stp"])
    assert header["typ"] == "statuslist+jwt"
    assert header["kid"] == stp.kid
    leaf = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
    assert leaf == stp.certificate
    assert payload["sub"] == credential.status_list.uri
    assert payload["sub"] == f"{TEST_SERVER}/credentials/status/000.00.02.H22/1"
    assert payload["ttl"] == 300
    assert payload["exp"] - payload["iat"] == 24 * 3600
    assert payload["status_list"]["bits"] == 2
    lst = payload["status_list"]["lst"]
    assert len(raw(lst)) == 65_536 * 2 // 8
    assert statuslist.status_at(lst, 2, credential.status_index) == statuslist.VALID


def test_set_status_shows_in_the_list(
    client: Client, credential: IssuedCredential, processing_org: Org
) -> None:
    leader = processing_org.users["leader_stp"]
    steps = [
        ("suspended", statuslist.SUSPENDED),
        ("valid", statuslist.VALID),
        ("revoked", statuslist.INVALID),
    ]
    for status, expected in steps:
        issuance.set_status(credential, status, "Kiểm tra lại", leader)
        _header, payload = fetch(client, credential)
        lst = payload["status_list"]["lst"]
        assert statuslist.status_at(lst, 2, credential.status_index) == expected
        # Nobody else's entry changes.
        others = [i for i in range(0, 65_536, 4099) if i != credential.status_index]
        assert {statuslist.status_at(lst, 2, i) for i in others} == {0}


def test_unknown_lists_are_not_found(client: Client, credential: IssuedCredential) -> None:
    assert client.get("/credentials/status/000.00.02.H22/2").status_code == 404
    assert client.get("/credentials/status/000.00.99.H22/1").status_code == 404


def test_the_token_is_a_compact_jws(client: Client, credential: IssuedCredential) -> None:
    token = client.get(credential.status_list.uri.removeprefix(TEST_SERVER)).content.decode()
    header, _payload, _input, signature = jwt_parts(token)
    assert header["alg"] == "ES256"
    assert len(signature) == 64
    assert json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["alg"] == "ES256"


# --- allocation -----------------------------------------------------------------------------


@pytest.mark.parametrize("guesses", [issuance.RANDOM_TRIES, 0])
def test_allocation_finds_the_free_entries_by_guess_or_by_reading_the_list(
    processing_org: Org, monkeypatch: pytest.MonkeyPatch, guesses: int
) -> None:
    """With guesses, and with none (a nearly full list is read whole): every entry of a small
    list is given once, and in no fixed order across runs."""
    monkeypatch.setattr(issuance, "RANDOM_TRIES", guesses)
    StatusList.objects.create(agency=processing_org.agencies["stp"], number=1, size=5)
    placed = []
    for _n in range(5):
        credential = issuance.prepare_credential(decided(processing_org))
        assert credential is not None
        placed.append((credential.status_list.number, credential.status_index))
    assert sorted(placed) == [(1, index) for index in range(5)]


def test_allocation_is_random(processing_org: Org) -> None:
    """Indices of a large list are spread, not 0, 1, 2…: 8 draws from 65,536 entries are
    all below 8 with probability (8/65536)^8."""
    indices = []
    for _n in range(8):
        credential = issuance.prepare_credential(decided(processing_org))
        assert credential is not None
        indices.append(credential.status_index)
    assert max(indices) >= 8
    assert len(set(indices)) == 8


def test_a_full_list_makes_the_agency_a_new_one(processing_org: Org) -> None:
    stp = processing_org.agencies["stp"]
    StatusList.objects.create(agency=stp, number=1, size=2)
    credentials = [issuance.prepare_credential(decided(processing_org)) for _n in range(3)]
    placed = [(c.status_list.number, c.status_index) for c in credentials if c is not None]
    assert sorted(placed[:2]) == [(1, 0), (1, 1)]
    assert placed[2][0] == 2
    assert StatusList.objects.get(agency=stp, number=2).size == 65_536


def test_each_agency_has_its_own_lists(processing_org: Org) -> None:
    credential = issuance.prepare_credential(decided(processing_org))
    assert credential is not None
    assert credential.status_list.agency == processing_org.agencies["stp"]
    assert credential.status_list.path_suffix == "000.00.02.H22/1"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_never_collide_and_overflow_into_a_new_list(
    processing_org: Org,
) -> None:
    stp = processing_org.agencies["stp"]
    StatusList.objects.create(agency=stp, number=1, size=8)
    results = [decided(processing_org) for _n in range(14)]
    start = threading.Barrier(7)

    def prepare(index: int) -> tuple[int, int]:
        try:
            if index < 7:
                start.wait(timeout=10)  # the first seven race for the same list row
            credential = issuance.prepare_credential(results[index])
            assert credential is not None
            return credential.status_list.number, credential.status_index
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=7) as pool:
        placed = list(pool.map(prepare, range(len(results))))
    assert len(set(placed)) == 14
    assert sorted(index for number, index in placed if number == 1) == list(range(8))
    assert sum(1 for number, _index in placed if number == 2) == 6
    assert StatusList.objects.filter(agency=stp).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_preparations_of_one_result_make_one_credential(processing_org: Org) -> None:
    result = decided(processing_org)

    def prepare(_index: int) -> int:
        try:
            credential = issuance.prepare_credential(result)
            assert credential is not None
            return credential.pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = set(pool.map(prepare, range(6)))
    assert len(ids) == 1
    assert IssuedCredential.objects.count() == 1
