"""The development e-ID provider: discovery, the persona chooser, the code flow with PKCE,
tokens, userinfo, and every refusal the brief names."""

from __future__ import annotations

import base64
import hashlib
import os
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from joserfc.jwt import JWTClaimsRegistry

from motcua.dossiers.cccd import check_cccd
from motcua.identity.dev_provider import clients
from motcua.identity.dev_provider.personas import personas
from motcua.identity.models import DevEidGrant
from tests.identity.dev_eid import (
    CLIENT_ID,
    CLIENT_SECRET,
    CLIENTS,
    ISSUER,
    REDIRECT_URI,
    Login,
    authorize,
    basic,
    query,
    redeem,
    verified_claims,
)

LEVEL1 = "urn:vneid:level1"
LEVEL2 = "urn:vneid:level2"


@pytest.fixture
def provider(settings: Any, tmp_path: Any, db: None) -> Any:
    settings.DEV_EID_PROVIDER = True
    settings.PUBLIC_URL = "http://idp.example"
    settings.MOTCUA_PKI_DIR = tmp_path / "pki"
    settings.DEV_EID_CLIENTS = CLIENTS
    return settings


def test_discovery_names_the_endpoints_and_what_is_supported(provider: Any) -> None:
    config = Client().get("/dev-eid/.well-known/openid-configuration").json()
    assert config["issuer"] == ISSUER
    assert config["authorization_endpoint"] == ISSUER + "/authorize"
    assert config["token_endpoint"] == ISSUER + "/token"
    assert config["userinfo_endpoint"] == ISSUER + "/userinfo"
    assert config["jwks_uri"] == ISSUER + "/jwks"
    assert config["response_types_supported"] == ["code"]
    assert config["grant_types_supported"] == ["authorization_code"]
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert config["id_token_signing_alg_values_supported"] == ["ES256"]
    assert config["acr_values_supported"] == [LEVEL1, LEVEL2]
    assert set(config["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
    }
    assert {"openid", "profile", "vn_eid", "vn_organisation"} <= set(config["scopes_supported"])
    assert {"vn_id_number", "guardian", "vn_organisation"} <= set(config["claims_supported"])


def test_the_key_is_created_once_outside_the_repository_and_published(provider: Any) -> None:
    first = Client().get("/dev-eid/jwks").json()["keys"]
    second = Client().get("/dev-eid/jwks").json()["keys"]
    assert first == second
    assert len(first) == 1
    key = first[0]
    assert key["kty"] == "EC"
    assert key["crv"] == "P-256"
    assert key["alg"] == "ES256"
    assert "d" not in key
    assert key["kid"]
    path = provider.MOTCUA_PKI_DIR / "dev-eid" / "signing.pem"
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_the_chooser_lists_every_persona_with_its_level(provider: Any) -> None:
    response = Client().get(reverse("dev_eid:authorize"), Login().params())
    assert response.status_code == 200
    page = response.content.decode()
    for persona in personas().values():
        assert persona.name in page
        assert f'name="persona" value="{persona.key}"' in page
    assert "Định danh điện tử mức 1" in page  # Vietnamese first
    assert "Định danh điện tử mức 2" in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert "<script" not in page.split("</head>")[1]
    assert "style=" not in page


def test_code_flow_issues_a_signed_id_token_and_the_claims(provider: Any) -> None:
    client, login = Client(), Login()
    code = authorize(client, login, persona="hung")
    response = redeem(client, login, code)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 600
    claims = verified_claims(tokens["id_token"], client.get("/dev-eid/jwks").json())
    JWTClaimsRegistry(
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": CLIENT_ID},
        nonce={"essential": True, "value": login.nonce},
    ).validate(claims)
    hung = personas()["hung"]
    assert claims["sub"] == hung.sub
    assert claims["acr"] == LEVEL2
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["exp"] > claims["iat"] >= claims["auth_time"] - 1
    digest = hashlib.sha256(tokens["access_token"].encode()).digest()[:16]
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    info = client.get("/dev-eid/userinfo", HTTP_AUTHORIZATION="Bearer " + tokens["access_token"])
    assert info.status_code == 200
    assert info.json() == {
        "sub": hung.sub,
        "name": "Nguyễn Văn Hùng",
        "birthdate": "1985-03-02",
        "gender": "male",
        "address": {
            "formatted": "Số 18 phố Lê Thánh Tông, phường Hồng Gai, tỉnh Quảng Ninh",
            "country": "VN",
        },
        "phone_number": "+84983000202",
        "phone_number_verified": True,
        "vn_id_number": "022085004567",
        "vn_eid_level": 2,
        "vn_organisation": {
            "tax_code": "5702345678",
            "name": "Công ty Cổ phần Thủy sản Vân Đồn",
            "role": "legal_representative",
        },
    }


def test_userinfo_releases_only_the_granted_scopes(provider: Any) -> None:
    client, login = Client(), Login()
    code = authorize(client, login, persona="an", scope="openid vn_eid")
    token = redeem(client, login, code).json()["access_token"]
    info = client.post("/dev-eid/userinfo", HTTP_AUTHORIZATION="Bearer " + token).json()
    assert info == {
        "sub": personas()["an"].sub,
        "vn_id_number": "022216003311",
        "vn_eid_level": 2,
        "guardian": {"id_number": "022190012345", "name": "Trần Thị Mai", "relationship": "mother"},
    }
    assert client.get("/dev-eid/userinfo").status_code == 401
    bad = client.get("/dev-eid/userinfo", HTTP_AUTHORIZATION="Bearer nope")
    assert bad.status_code == 401
    assert 'error="invalid_token"' in bad["WWW-Authenticate"]


def test_personas_are_valid_people_of_the_national_simulator(db: None) -> None:
    found = personas()
    assert set(found) == {"mai", "hung", "an", "hoa", "duc"}
    for persona in found.values():
        check_cccd(persona.id_number, date_of_birth=persona.birth_date, sex=persona.sex)
    assert found["hoa"].level == 1
    employee = found["duc"].claims({"openid", "vn_organisation"})["vn_organisation"]
    assert employee == {
        "tax_code": "5701234567",
        "name": "Công ty TNHH Du lịch Vịnh Xanh",
        "role": "authorised_employee",
        "authorisation": {
            "scope": "Nộp hồ sơ và nhận kết quả thủ tục hành chính của doanh nghiệp",
            "valid_until": "2027-12-31",
        },
    }
    assert len({persona.sub for persona in found.values()}) == len(found)


def test_client_secret_post_is_accepted_and_a_wrong_secret_refused(provider: Any) -> None:
    client, login = Client(), Login()
    code = authorize(client, login)
    wrong = client.post(
        reverse("dev_eid:token"),
        login.token_form(code, client_id=CLIENT_ID, client_secret="wrong"),
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    wrong = client.post(
        reverse("dev_eid:token"), login.token_form(code), HTTP_AUTHORIZATION=basic(secret="x")
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    # A refused client does not spend the code.
    right = client.post(
        reverse("dev_eid:token"),
        login.token_form(code, client_id=CLIENT_ID, client_secret=CLIENT_SECRET),
    )
    assert right.status_code == 200
    assert right.json()["id_token"]


def test_an_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(provider: Any) -> None:
    login = Login()
    for overrides in (
        {"redirect_uri": "http://evil.example/cb"},
        {"redirect_uri": REDIRECT_URI + "/"},
        {"redirect_uri": None},
        {"client_id": "someone"},
    ):
        response = Client().get(reverse("dev_eid:authorize"), login.params(**overrides))
        assert response.status_code == 400
        assert "Location" not in response
        assert "Đăng nhập định danh điện tử bị từ chối" in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"nonce": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "profile"}, "invalid_scope"),
        ({"prompt": "none"}, "login_required"),
    ],
)
def test_bad_requests_are_answered_at_the_redirect_uri(
    provider: Any, overrides: dict[str, str | None], error: str
) -> None:
    login = Login()
    response = Client().get(reverse("dev_eid:authorize"), login.params(**overrides))
    assert response.status_code == 302
    answer = query(response["Location"])
    assert answer["error"] == error
    assert answer["state"] == login.state
    assert "code" not in answer


def test_prompt_login_shows_the_chooser(provider: Any) -> None:
    response = Client().get(reverse("dev_eid:authorize"), Login().params(prompt="login"))
    assert response.status_code == 200


def test_cancel_returns_access_denied(provider: Any) -> None:
    login = Login()
    response = Client().post(reverse("dev_eid:authorize"), login.params() | {"cancel": "1"})
    answer = query(response["Location"])
    assert answer["error"] == "access_denied"
    assert answer["state"] == login.state
    assert not DevEidGrant.objects.exists()


def test_csrf_protects_the_choice(provider: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("dev_eid:authorize"), Login().params() | {"persona": "mai"})
    assert response.status_code == 403
    assert not DevEidGrant.objects.exists()


def test_a_wrong_code_verifier_is_refused_and_spends_the_code(provider: Any) -> None:
    client, login = Client(), Login()
    code = authorize(client, login)
    wrong = redeem(client, login, code, code_verifier=Login().verifier)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    again = redeem(client, login, code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_a_missing_code_verifier_or_other_redirect_uri_is_refused(provider: Any) -> None:
    client, login = Client(), Login()
    code = authorize(client, login)
    form = login.token_form(code)
    del form["code_verifier"]
    response = client.post(reverse("dev_eid:token"), form, HTTP_AUTHORIZATION=basic())
    assert response.json()["error"] == "invalid_grant"
    code = authorize(client, login)
    response = redeem(client, login, code, redirect_uri="http://testserver/other")
    assert response.json()["error"] == "invalid_grant"


def test_a_replayed_code_is_refused_and_revokes_its_tokens(provider: Any) -> None:
    client, login = Client(), Login()
    code = authorize(client, login)
    first = redeem(client, login, code)
    assert first.status_code == 200
    token = first.json()["access_token"]
    assert client.get("/dev-eid/userinfo", HTTP_AUTHORIZATION="Bearer " + token).status_code == 200
    replay = redeem(client, login, code)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert client.get("/dev-eid/userinfo", HTTP_AUTHORIZATION="Bearer " + token).status_code == 401


def test_an_expired_code_is_refused(provider: Any) -> None:
    client, login = Client(), Login()
    code = authorize(client, login)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        response = redeem(client, login, code)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_an_expired_access_token_is_refused(provider: Any) -> None:
    client, login = Client(), Login()
    token = redeem(client, login, authorize(client, login)).json()["access_token"]
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        response = client.get("/dev-eid/userinfo", HTTP_AUTHORIZATION="Bearer " + token)
    assert response.status_code == 401


def test_token_endpoint_refusals(provider: Any) -> None:
    client, login = Client(), Login()
    code = authorize(client, login)
    answer = redeem(client, login, code, grant_type="password")
    assert answer.json()["error"] == "unsupported_grant_type"
    answer = redeem(client, login, "not-a-code")
    assert answer.json()["error"] == "invalid_grant"
    both = client.post(
        reverse("dev_eid:token"),
        login.token_form(code, client_secret=CLIENT_SECRET),
        HTTP_AUTHORIZATION=basic(),
    )
    assert both.json()["error"] == "invalid_request"
    assert client.get(reverse("dev_eid:token")).status_code == 405


def test_level_two_required_offers_only_level_two_personas(provider: Any) -> None:
    client, login = Client(), Login()
    page = client.get(reverse("dev_eid:authorize"), login.params(acr_values=LEVEL2))
    html = page.content.decode()
    assert "yêu cầu tài khoản định danh điện tử mức 2" in html
    assert 'name="persona" value="hoa"' not in html
    assert 'name="persona" value="mai"' in html
    refused = client.post(
        reverse("dev_eid:authorize"), login.params(acr_values=LEVEL2) | {"persona": "hoa"}
    )
    assert refused.status_code == 400
    assert "Location" not in refused
    assert not DevEidGrant.objects.exists()
    code = authorize(client, login, persona="mai", acr_values=LEVEL2)
    tokens = redeem(client, login, code).json()
    claims = verified_claims(tokens["id_token"], client.get("/dev-eid/jwks").json())
    assert claims["acr"] == LEVEL2


def test_a_level_one_persona_logs_in_at_level_one(provider: Any) -> None:
    client, login = Client(), Login()
    tokens = redeem(client, login, authorize(client, login, persona="hoa")).json()
    claims = verified_claims(tokens["id_token"], client.get("/dev-eid/jwks").json())
    assert claims["acr"] == LEVEL1
    assert claims["amr"] == ["pwd"]


def test_the_default_client_has_a_derived_secret_and_motcuas_callback(settings: Any) -> None:
    settings.DEV_EID_CLIENTS = None
    settings.PUBLIC_URL = "https://motcua.example"
    registered = clients.clients()
    assert list(registered) == ["motcua"]
    default = registered["motcua"]
    assert default.redirect_uris == (
        "https://motcua.example/login/eid/callback",
        "http://testserver/login/eid/callback",
    )
    assert default.secret == clients.default_secret()
    assert len(default.secret) == 64
    settings.SECRET_KEY = "another-secret-key"
    assert clients.default_secret() != default.secret


def test_every_route_is_404_while_the_provider_is_off(provider: Any) -> None:
    provider.DEV_EID_PROVIDER = False
    client = Client()
    for name in ("configuration", "authorize", "token", "userinfo", "jwks"):
        url = reverse(f"dev_eid:{name}")
        assert client.get(url, Login().params()).status_code == 404, name
        assert client.post(url, Login().params() | {"persona": "mai"}).status_code == 404, name
    assert not DevEidGrant.objects.exists()
    assert not (provider.MOTCUA_PKI_DIR / "dev-eid").exists()


@pytest.mark.django_db(transaction=True)
def test_full_code_flow_over_http(live_server: Any, settings: Any, tmp_path: Any) -> None:
    settings.DEV_EID_PROVIDER = True
    settings.PUBLIC_URL = live_server.url
    settings.MOTCUA_PKI_DIR = tmp_path / "pki"
    settings.DEV_EID_CLIENTS = CLIENTS
    login = Login()
    with httpx.Client(follow_redirects=False, timeout=10) as http:
        config = http.get(live_server.url + "/dev-eid/.well-known/openid-configuration").json()
        chooser = http.get(config["authorization_endpoint"], params=login.params(acr_values=LEVEL2))
        assert chooser.status_code == 200
        assert "Trần Thị Mai" in chooser.text
        csrf = chooser.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        chosen = http.post(
            config["authorization_endpoint"],
            data=login.params(acr_values=LEVEL2) | {"persona": "duc", "csrfmiddlewaretoken": csrf},
        )
        assert chosen.status_code == 302
        answer = query(chosen.headers["location"])
        assert answer["state"] == login.state
        assert answer["iss"] == config["issuer"]
        started = time.time()
        response = http.post(
            config["token_endpoint"],
            data=login.token_form(answer["code"]),
            auth=(CLIENT_ID, CLIENT_SECRET),
        )
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        tokens = response.json()
        claims = verified_claims(tokens["id_token"], http.get(config["jwks_uri"]).json())
        JWTClaimsRegistry(
            iss={"essential": True, "value": live_server.url + "/dev-eid"},
            aud={"essential": True, "value": CLIENT_ID},
            nonce={"essential": True, "value": login.nonce},
            acr={"essential": True, "value": LEVEL2},
        ).validate(claims)
        assert abs(claims["iat"] - started) < 5
        digest = hashlib.sha256(tokens["access_token"].encode()).digest()[:16]
        assert claims["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        info = http.get(
            config["userinfo_endpoint"],
            headers={"Authorization": "Bearer " + tokens["access_token"]},
        ).json()
        assert info["sub"] == claims["sub"] == personas()["duc"].sub
        assert info["vn_id_number"] == "022078009876"
        assert info["vn_organisation"]["role"] == "authorised_employee"
        replay = http.post(
            config["token_endpoint"],
            data=login.token_form(answer["code"]),
            auth=(CLIENT_ID, CLIENT_SECRET),
        )
        assert replay.status_code == 400
        assert replay.json()["error"] == "invalid_grant"


def test_the_choice_and_the_token_endpoint_are_rate_limited(provider: Any) -> None:
    provider.PUBLIC_RATE = "2/m"
    client, login = Client(), Login()
    statuses = [client.post(reverse("dev_eid:token"), {}).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    choices = [
        client.post(reverse("dev_eid:authorize"), login.params() | {"cancel": "1"}).status_code
        for _ in range(3)
    ]
    assert choices == [302, 302, 429]
    # Showing the chooser is not limited: only the choice is.
    assert client.get(reverse("dev_eid:authorize"), login.params()).status_code == 200
