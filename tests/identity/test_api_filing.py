"""Online filing through the public API, logged in with e-ID: the app hands motcua the
provider's access token and ID token; motcua checks them against the provider over HTTP
(discovery, keys, userinfo from the live server) before the dossier is filed."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.test import Client

from motcua.dossiers.models import Dossier
from tests.identity.dev_eid import MAI, eid_headers
from tests.intake_data import pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True)

PDF = base64.b64encode(pdf_bytes(1)).decode()


def file(tokens: dict[str, str] | None, **applicant: str) -> Any:
    body = {
        "procedure": "2.000815",
        "applicant": MAI | applicant,
        "data": {"ten_giay_to": "Học bạ", "so_trang": 1, "so_ban": 1},
        "commune": "06688",
        "files": [
            {"document": "ban_chinh", "name": "a.pdf", "content_base64": PDF},
            {"document": "ban_sao", "name": "b.pdf", "content_base64": PDF},
        ],
    }
    return Client().post(
        "/api/v1/public/dossiers",
        body,
        content_type="application/json",
        headers=eid_headers(tokens) if tokens else {},
    )


def test_the_app_files_with_the_logins_tokens(eid_app_tokens: dict[str, str]) -> None:
    response = file(eid_app_tokens)
    assert response.status_code == 201, response.content
    dossier = Dossier.objects.get()
    assert (dossier.applicant_id_number, dossier.eid_level) == ("022190012345", 2)
    assert dossier.verified_hash


def test_without_a_login_the_procedure_is_refused(eid_app_tokens: dict[str, str]) -> None:
    response = file(None)
    assert response.status_code == 403
    assert response.json()["error"] == "eid_level_required"
    assert not Dossier.objects.exists()


def test_an_applicant_other_than_the_logged_in_citizen_is_refused(
    eid_app_tokens: dict[str, str],
) -> None:
    response = file(eid_app_tokens, name="Người Khác")
    assert response.status_code == 400
    assert "applicant.name" in response.json()["fields"]
    assert not Dossier.objects.exists()


def test_a_forged_id_token_is_refused(eid_app_tokens: dict[str, str]) -> None:
    header, payload, signature = eid_app_tokens["id"].split(".")
    forged = ".".join(
        [header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")]
    )
    response = file({"access": eid_app_tokens["access"], "id": forged})
    assert response.status_code == 400
    assert response.json()["error"] == "eid_login_failed"
    assert not Dossier.objects.exists()
