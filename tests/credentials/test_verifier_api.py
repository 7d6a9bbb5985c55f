"""The verifier API, POST /api/v1/credentials/verify: the verdict as JSON, its schema, refusal of
bad bodies. Tested on the router (ninja's TestClient); the rate limit needs the project's API
and runs once the router is mounted there."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from ninja.testing import TestClient

from motcua.credentials import issuance, sdjwt, seal, verify
from motcua.credentials.api import VerdictOut, router
from motcua.credentials.models import IssuedCredential
from tests.org import Org

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> TestClient:
    return TestClient(router)


def mounted_url() -> str | None:
    try:
        return reverse("api:credentials_verify")
    except NoReverseMatch:
        return None


def test_valid_credential(api: TestClient, credential: IssuedCredential) -> None:
    response = api.post("/verify", json={"credential": sdjwt.build(credential)})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == set(VerdictOut.model_fields)
    assert body["state"] == "valid"
    assert body["kind"] == "sd-jwt"
    assert body["document_number"] == credential.result.number
    assert body["holder_id_number"] == "•••••••••345"
    assert body["reason"]
    assert "holder_name" in body["disclosed"]
    assert body["expires_at"].startswith(str(credential.expires_at.year))


def test_states_through_the_api(
    api: TestClient, credential: IssuedCredential, processing_org: Org
) -> None:
    text = seal.make_seal(credential)
    assert api.post("/verify", json={"credential": text}).json()["state"] == "valid"
    issuance.set_status(credential, "revoked", "Cấp nhầm", processing_org.users["leader_stp"])
    body = api.post("/verify", json={"credential": text}).json()
    assert (body["state"], body["kind"]) == ("revoked", "seal")
    assert api.post("/verify", json={"credential": "rác"}).json() == {
        **dict.fromkeys(VerdictOut.model_fields, ""),
        "state": "malformed",
        "reason": verify.verify("rác").reason,
        "disclosed": [],
        "key_bound": False,
        "expires_at": None,
    }


@pytest.mark.parametrize(
    "body",
    [{}, {"credential": 12}, {"credential": "A" * (verify.MAX_LENGTH + 1)}, {"other": "x"}],
)
def test_bad_bodies_are_refused(api: TestClient, body: dict[str, Any], db: Any) -> None:
    assert api.post("/verify", json=body).status_code == 422


def test_states_are_documented() -> None:
    schema = VerdictOut.model_json_schema()
    assert set(schema["properties"]["state"]["enum"]) == set(verify.STATES)


@pytest.mark.skipif(mounted_url() is None, reason="the router is not in motcua.api yet")
def test_public_and_rate_limited(client: Client, settings: Any, db: Any) -> None:
    settings.PUBLIC_RATE = "2/m"
    url = mounted_url()
    assert url == "/api/v1/credentials/verify"
    codes = [
        client.post(url, {"credential": "x"}, content_type="application/json").status_code
        for _n in range(3)
    ]
    assert codes == [200, 200, 429]
