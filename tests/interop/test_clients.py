"""API clients: OAuth 2.0 client credentials at /oauth/token/, the exchange API narrowed to each
client's authorisations (procedures, agencies with their sub-agencies, confidentiality), rate
limits per client, and the call log."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken

from motcua.catalogue.models import Confidentiality, Procedure
from motcua.core.models import AuditEntry
from motcua.dossiers import services as dossier_services
from motcua.dossiers.models import Channel, Dossier, Result
from motcua.identity.data_access import reads_of
from motcua.interop.clients import services
from motcua.interop.models import ApiCall, ApiClient
from tests.intake_data import ID_NUMBER, certified_copy, land_change, pdf_bytes
from tests.org import Org

pytestmark = pytest.mark.django_db

CERTIFIED_COPY, LAND_CHANGE = "2.000815", "1.012345"


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def dossiers(intake_org: Org) -> dict[str, Dossier]:
    """Online certified copies at Hạ Long (competent: UBND Phường Hạ Long, under UBND tỉnh)
    and at Bãi Cháy, and a land change received at Hạ Long's counter (competent: the land
    registration branch, under no other agency)."""
    return {
        "copy_halong": dossier_services.submit_dossier(
            submission=certified_copy(), channel=Channel.ONLINE
        ),
        "copy_baichay": dossier_services.submit_dossier(
            submission=certified_copy(commune_code="06673"), channel=Channel.ONLINE
        ),
        "land": dossier_services.submit_dossier(
            submission=land_change(on_paper=frozenset({"don", "giay_chung_nhan"})),
            channel=Channel.COUNTER,
            point=intake_org.points["halong"],
            actor=intake_org.users["counter_halong"],
        ),
    }


def register(
    org: Org,
    *,
    scopes: tuple[str, ...] = ("dossiers.read",),
    procedures: tuple[str, ...] | None = (CERTIFIED_COPY,),
    agencies: tuple[str, ...] = ("ubnd_tinh", "land_halong"),
    max_confidentiality: int = Confidentiality.PUBLIC,
    rate: str = "600/m",
) -> tuple[ApiClient, str]:
    client = ApiClient(
        name="Hệ thống một cửa Sở Tư pháp", organisation="Sở Tư pháp", rate_limit=rate
    )
    secret = services.register_client(client=client, actor=None)
    services.grant(
        client=client,
        scopes=scopes,
        agencies=[org.agencies[key] for key in agencies],
        procedures=None
        if procedures is None
        else list(Procedure.objects.filter(code__in=procedures)),
        max_confidentiality=max_confidentiality,
        actor=None,
    )
    return client, secret


def token_response(client: ApiClient, secret: str, **fields: str) -> Any:
    basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
    return Client().post(
        reverse("oauth:token"),
        {"grant_type": "client_credentials", **fields},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )


def bearer(client: ApiClient, secret: str, **fields: str) -> Client:
    response = token_response(client, secret, **fields)
    assert response.status_code == 200, response.content
    return Client(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")


def listed(http: Client, **query: Any) -> list[str]:
    response = http.get(reverse("api:exchange_dossiers"), query)
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["items"]]


def detail_url(dossier: Dossier) -> str:
    return reverse("api:exchange_dossier", args=[dossier.code])


# Tokens ------------------------------------------------------------------------------------


def test_client_credentials_give_a_short_lived_token_with_the_clients_scopes(
    intake_org: Org,
) -> None:
    client, secret = register(intake_org, scopes=("dossiers.read", "dossiers.events.read"))
    response = token_response(client, secret)
    assert response.status_code == 200, response.content
    token = response.json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert set(token["scope"].split()) == {"dossiers.read", "dossiers.events.read"}
    assert "refresh_token" not in token
    # A subset on request; a scope the client was never granted is refused.
    subset = token_response(client, secret, scope="dossiers.read")
    assert subset.json()["scope"] == "dossiers.read"
    refused = token_response(client, secret, scope="dossiers.read dossiers.create")
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_scope"
    # The secret is kept hashed.
    client.application.refresh_from_db()
    assert client.application.client_secret != secret


def test_no_token_for_a_wrong_secret_an_inactive_client_or_another_grant(intake_org: Org) -> None:
    client, secret = register(intake_org)
    assert token_response(client, "not-the-secret").status_code == 401
    ApiClient.objects.filter(pk=client.pk).update(active=False)
    inactive = token_response(client, secret)
    assert inactive.status_code in (400, 401)
    assert "access_token" not in inactive.json()
    ApiClient.objects.filter(pk=client.pk).update(active=True)
    password = token_response(client, secret, grant_type="password", username="x", password="y")
    assert "access_token" not in password.json()
    assert AccessToken.objects.count() == 0


# Reach -------------------------------------------------------------------------------------


def test_a_client_reads_only_the_procedures_it_is_authorised_for(
    intake_org: Org, dossiers: dict[str, Dossier]
) -> None:
    client, secret = register(intake_org, procedures=(CERTIFIED_COPY,))
    http = bearer(client, secret)
    codes = listed(http)
    assert dossiers["copy_halong"].code in codes
    assert dossiers["land"].code not in codes
    allowed = http.get(detail_url(dossiers["copy_halong"]))
    assert allowed.status_code == 200
    assert allowed.json()["applicant_id_number"] == ID_NUMBER
    assert allowed.json()["procedure"] == CERTIFIED_COPY
    refused = http.get(detail_url(dossiers["land"]))
    assert refused.status_code == 403
    assert refused.json()["error"] == "forbidden"
    assert refused.json()["detail"]
    assert http.get(reverse("api:exchange_dossier", args=["NO-SUCH-CODE"])).status_code == 404


def test_an_agency_reaches_its_sub_agencies_and_no_other(
    intake_org: Org, dossiers: dict[str, Dossier]
) -> None:
    baichay, secret = register(intake_org, procedures=None, agencies=("ubnd_baichay",))
    http = bearer(baichay, secret)
    assert listed(http) == [dossiers["copy_baichay"].code]
    assert http.get(detail_url(dossiers["copy_halong"])).status_code == 403
    land, secret = register(intake_org, procedures=None, agencies=("land_halong",))
    assert listed(bearer(land, secret)) == [dossiers["land"].code]
    # UBND tỉnh is the parent of both wards' People's Committees: it reaches the copies, and
    # the land change through its receiving agency (UBND Phường Hạ Long).
    province, secret = register(intake_org, procedures=None, agencies=("ubnd_tinh",))
    assert sorted(listed(bearer(province, secret))) == sorted(d.code for d in dossiers.values())


def test_a_dossier_above_the_clients_confidentiality_is_out_of_reach(
    intake_org: Org, dossiers: dict[str, Dossier]
) -> None:
    Procedure.objects.filter(code=CERTIFIED_COPY).update(confidentiality=Confidentiality.SECRET)
    confidential, secret = register(intake_org, max_confidentiality=Confidentiality.CONFIDENTIAL)
    http = bearer(confidential, secret)
    assert listed(http) == []
    assert http.get(detail_url(dossiers["copy_halong"])).status_code == 403
    cleared, secret = register(intake_org, max_confidentiality=Confidentiality.SECRET)
    assert dossiers["copy_halong"].code in listed(bearer(cleared, secret))


def test_the_list_filters_and_pages(intake_org: Org, dossiers: dict[str, Dossier]) -> None:
    client, secret = register(intake_org, procedures=None)
    http = bearer(client, secret)
    first = http.get(reverse("api:exchange_dossiers"), {"limit": 2}).json()
    assert len(first["items"]) == 2
    assert first["next_offset"] == 2
    rest = http.get(reverse("api:exchange_dossiers"), {"limit": 2, "offset": 2}).json()
    assert rest["next_offset"] is None
    every = [item["code"] for item in first["items"] + rest["items"]]
    assert sorted(every) == sorted(d.code for d in dossiers.values())
    assert "applicant_name" not in first["items"][0]
    assert listed(http, procedure=LAND_CHANGE) == [dossiers["land"].code]
    assert listed(http, status=2) == []
    assert len(listed(http, status=1)) == 3
    later = (timezone.now() + dt.timedelta(minutes=1)).isoformat()
    assert listed(http, changed_since=later) == []


def test_the_history_needs_its_own_scope(intake_org: Org, dossiers: dict[str, Dossier]) -> None:
    url = reverse("api:exchange_dossier_events", args=[dossiers["copy_halong"].code])
    reader, secret = register(intake_org)
    assert bearer(reader, secret).get(url).status_code == 403
    historian, secret = register(intake_org, scopes=("dossiers.events.read",))
    http = bearer(historian, secret)
    response = http.get(url)
    assert response.status_code == 200
    assert [event["action"] for event in response.json()] == ["submitted"]
    # Reading the history is no licence to read the dossier itself.
    assert http.get(detail_url(dossiers["copy_halong"])).status_code == 403


# Tokens refused ----------------------------------------------------------------------------


def test_a_bad_expired_or_revoked_token_or_an_inactive_client_gets_401(
    intake_org: Org, dossiers: dict[str, Dossier]
) -> None:
    url = reverse("api:exchange_dossiers")
    client, secret = register(intake_org)

    def assert_refused(http: Client) -> None:
        response = http.get(url)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"
        assert set(response.json()) == {"error", "detail", "fields"}

    assert_refused(Client())
    assert_refused(Client(HTTP_AUTHORIZATION="Bearer not-a-token"))
    token = token_response(client, secret).json()["access_token"]
    http = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert http.get(url).status_code == 200
    AccessToken.objects.update(expires=timezone.now() - dt.timedelta(seconds=1))
    assert_refused(http)

    token = token_response(client, secret).json()["access_token"]
    http = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    ApiClient.objects.filter(pk=client.pk).update(active=False)
    assert_refused(http)
    ApiClient.objects.filter(pk=client.pk).update(active=True)
    assert http.get(url).status_code == 200

    basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
    revoked = Client().post(
        reverse("oauth:revoke"), {"token": token}, HTTP_AUTHORIZATION=f"Basic {basic}"
    )
    assert revoked.status_code == 200
    assert_refused(http)
    # A staff session is no way into the exchange API.
    staff = Client()
    staff.force_login(intake_org.users["sysadmin"])
    assert staff.get(url).status_code == 401


def test_each_client_has_its_own_rate_limit(intake_org: Org, dossiers: dict[str, Dossier]) -> None:
    slow, secret = register(intake_org, rate="2/m")
    other, other_secret = register(intake_org)
    http, other_http = bearer(slow, secret), bearer(other, other_secret)
    url = reverse("api:exchange_dossiers")
    assert [http.get(url).status_code for _ in range(3)] == [200, 200, 429]
    limited = http.get(url).json()
    assert limited["error"] == "rate_limited"
    assert other_http.get(url).status_code == 200


def test_token_requests_are_rate_limited_per_client_and_per_address(
    intake_org: Org, settings: Any
) -> None:
    settings.LOGIN_RATE = "3/m"
    client, secret = register(intake_org)
    other, other_secret = register(intake_org)
    statuses = [token_response(client, "guess").status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    # The fourth try of this client is refused even with the right secret, as JSON.
    limited = token_response(client, secret)
    assert limited.status_code == 429
    assert limited.json()["error"] == "rate_limited"
    assert limited["Cache-Control"] == "no-store"
    # The address is at its limit too: another client from it waits as well...
    assert token_response(other, other_secret).status_code == 429
    # ...but not from another address.
    basic = base64.b64encode(f"{other.client_id}:{other_secret}".encode()).decode()
    elsewhere = Client(REMOTE_ADDR="10.0.0.9").post(
        reverse("oauth:token"),
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert elsewhere.status_code == 200
    assert AccessToken.objects.filter(application=other.application).count() == 1
    assert not AccessToken.objects.filter(application=client.application).exists()


def test_guessed_tokens_are_rate_limited_per_address(
    intake_org: Org, dossiers: dict[str, Dossier], settings: Any
) -> None:
    settings.PUBLIC_RATE = "2/m"
    url = reverse("api:exchange_dossiers")
    guesser = Client(HTTP_AUTHORIZATION="Bearer guess")
    assert [guesser.get(url).status_code for _ in range(3)] == [401, 401, 429]
    client, secret = register(intake_org)
    # A valid token is not a guess: its calls count against its client's own limit.
    assert bearer(client, secret).get(url).status_code == 200


# Call log and personal data ----------------------------------------------------------------


def test_every_call_is_logged_refusals_included(
    intake_org: Org, dossiers: dict[str, Dossier]
) -> None:
    client, secret = register(intake_org, rate="3/m")
    http = bearer(client, secret)
    copy, land = dossiers["copy_halong"], dossiers["land"]
    assert http.get(detail_url(copy)).status_code == 200
    assert http.get(detail_url(land)).status_code == 403
    assert Client(HTTP_AUTHORIZATION="Bearer forged").get(detail_url(copy)).status_code == 401
    assert http.get(reverse("api:exchange_dossiers")).status_code == 200
    assert http.get(detail_url(copy)).status_code == 429
    calls = list(ApiCall.objects.order_by("pk"))
    assert [(call.status, call.resource) for call in calls] == [
        (200, copy.code),
        (403, land.code),
        (401, copy.code),
        (200, ""),
        (429, copy.code),
    ]
    assert [call.client_id for call in calls] == [client.pk, client.pk, None, client.pk, client.pk]
    assert {call.method for call in calls} == {"GET"}
    assert calls[0].path == detail_url(copy)
    assert calls[0].ip == "127.0.0.1"
    assert all(call.duration_ms >= 0 for call in calls)


def test_reading_a_dossier_is_logged_as_a_read_of_the_applicants_data(
    intake_org: Org, dossiers: dict[str, Dossier]
) -> None:
    client, secret = register(intake_org)
    http = bearer(client, secret)
    http.get(reverse("api:exchange_dossiers"))
    assert not AuditEntry.objects.filter(action="dossier.view").exists()
    http.get(detail_url(dossiers["copy_halong"]))
    entry = AuditEntry.objects.get(action="dossier.view")
    assert entry.actor == client.user
    assert entry.object_id == str(dossiers["copy_halong"].pk)
    # The citizen sees which system read their data.
    assert [read.by for read in reads_of(ID_NUMBER)] == [client.name]


# Documents and results --------------------------------------------------------------------


def document_url(dossier: Dossier, requirement: str) -> str:
    return reverse("api:exchange_dossier_document", args=[dossier.code, requirement])


def test_documents_need_their_own_scope_and_every_download_is_logged(
    intake_org: Org, dossiers: dict[str, Dossier]
) -> None:
    copy, land = dossiers["copy_halong"], dossiers["land"]
    reader, reader_secret = register(intake_org)
    assert bearer(reader, reader_secret).get(document_url(copy, "ban_chinh")).status_code == 403
    client, secret = register(intake_org, scopes=("dossiers.documents.read",))
    http = bearer(client, secret)
    got = http.get(document_url(copy, "ban_chinh"))
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == pdf_bytes(3)
    assert got["Content-Type"] == "application/pdf"
    assert f"{copy.code}-ban_chinh.pdf" in got["Content-Disposition"]
    # Beyond the client's procedures; not a document of the dossier.
    assert http.get(document_url(land, "don")).status_code == 403
    assert http.get(document_url(copy, "khong_co")).status_code == 404
    downloads = AuditEntry.objects.filter(action="dossier.view", object_id=str(copy.pk))
    assert [entry.new_values for entry in downloads] == [
        {"client": client.client_id, "document": "ban_chinh"}
    ]
    assert [read.by for read in reads_of(ID_NUMBER)] == [client.name]


def test_the_result_is_downloadable_once_signed(
    intake_org: Org, dossiers: dict[str, Dossier]
) -> None:
    copy = dossiers["copy_halong"]
    client, secret = register(intake_org, scopes=("dossiers.documents.read",))
    http = bearer(client, secret)
    url = reverse("api:exchange_dossier_result", args=[copy.code])
    assert http.get(url).status_code == 404
    # The result as approval leaves it, then as the signing job leaves it.
    result = Result.objects.create(
        dossier=copy,
        kind=Result.Kind.GRANT,
        number="15/2026/CT",
        title="Bản sao được chứng thực",
        agency=intake_org.agencies["ubnd_tinh"],
        approved_at=timezone.now(),
    )
    assert http.get(url).status_code == 404
    signed = pdf_bytes(1)
    result.pdf.save("ket-qua.pdf", ContentFile(signed), save=False)
    result.signed_at = timezone.now()
    result.save()
    got = http.get(url)
    assert (got.status_code, got.content, got["Content-Type"]) == (200, signed, "application/pdf")
    assert AuditEntry.objects.get(action="dossier.view").new_values["document"] == "result"


# Filing ------------------------------------------------------------------------------------


def filing(**changes: Any) -> dict[str, Any]:
    pdf = base64.b64encode(pdf_bytes(2)).decode()
    return {
        "procedure": CERTIFIED_COPY,
        "applicant": {
            "name": "Trần Thị Bình",
            "id_number": ID_NUMBER,
            "address": "Phường Hạ Long",
            "birth_date": "1990-05-12",
        },
        "data": {"ten_giay_to": "Học bạ", "so_trang": 2, "so_ban": 1},
        "commune": "06688",
        "files": [
            {"document": "ban_chinh", "name": "a.pdf", "content_base64": pdf},
            {"document": "ban_sao", "name": "b.pdf", "content_base64": pdf},
        ],
    } | changes


def post(http: Client, payload: dict[str, Any], **headers: str) -> Any:
    return http.post(
        reverse("api:exchange_dossiers_create"),
        payload,
        content_type="application/json",
        headers=headers,
    )


def test_filing_through_the_api_is_idempotent(intake_org: Org) -> None:
    client, secret = register(intake_org, scopes=("dossiers.create",))
    http = bearer(client, secret)
    first = post(http, filing(), **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.content
    code = first.json()["code"]
    assert first.json()["status"] == 1
    again = post(http, filing(), **{"Idempotency-Key": "k-1"})
    assert again.status_code == 200
    assert again.json()["code"] == code
    dossier = Dossier.objects.get()
    assert dossier.channel == Channel.API
    assert dossier.submitted_by == client.user
    assert dossier.events.get().actor_label == client.user.get_username()
    assert ApiCall.objects.filter(method="POST", resource=code).count() == 2
    # Another client's same key is its own.
    other, other_secret = register(intake_org, scopes=("dossiers.create",))
    assert (
        post(bearer(other, other_secret), filing(), **{"Idempotency-Key": "k-1"}).status_code == 201
    )
    assert Dossier.objects.count() == 2


def test_filing_needs_the_scope_the_procedure_and_the_agency(intake_org: Org) -> None:
    reader, secret = register(intake_org)
    assert post(bearer(reader, secret), filing()).status_code == 403
    other_procedure, secret = register(
        intake_org, scopes=("dossiers.create",), procedures=(LAND_CHANGE,)
    )
    assert post(bearer(other_procedure, secret), filing()).status_code == 403
    # Bãi Cháy's People's Committee may file, but this copy goes to Hạ Long's.
    other_agency, secret = register(
        intake_org, scopes=("dossiers.create",), agencies=("ubnd_baichay",)
    )
    refused = post(bearer(other_agency, secret), filing())
    assert refused.status_code == 403
    assert refused.json()["error"] == "forbidden"
    assert post(bearer(other_agency, secret), filing(commune="06673")).status_code == 201
    assert Dossier.objects.count() == 1


# Registration ------------------------------------------------------------------------------


def test_the_command_registers_a_client_whose_credentials_work(
    intake_org: Org, dossiers: dict[str, Dossier], capsys: pytest.CaptureFixture[str]
) -> None:
    call_command(
        "api_client",
        "create",
        "--name=Cổng dịch vụ công tỉnh",
        "--organisation=Văn phòng UBND tỉnh",
        "--scope=dossiers.read",
        f"--procedure={LAND_CHANGE}",
        "--agency=001.01.03.H22",
    )
    printed = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
    client = ApiClient.objects.get(application__client_id=printed["client_id"])
    assert client.user.has_usable_password() is False
    assert client.user.is_active is False
    assert listed(bearer(client, printed["client_secret"])) == [dossiers["land"].code]
    assert AuditEntry.objects.filter(action="interop.api_client.create").count() == 1
    assert AuditEntry.objects.filter(action="interop.api_client.grant").count() == 1


def test_the_admin_shows_a_new_clients_secret_once(intake_org: Org, django_user_model: Any) -> None:
    admin_user = django_user_model.objects.create_superuser("root", password="pw-root")
    browser = Client()
    browser.force_login(admin_user)
    agency = intake_org.agencies["ubnd_halong"]
    procedure = Procedure.objects.get(code=CERTIFIED_COPY)
    response = browser.post(
        reverse("admin:interop_apiclient_add"),
        {
            "name": "Hệ thống hộ tịch",
            "organisation": "Sở Tư pháp",
            "contact_name": "",
            "contact_email": "",
            "contact_phone": "",
            "active": "on",
            "rate_limit": "600/m",
            "authorisations-TOTAL_FORMS": "1",
            "authorisations-INITIAL_FORMS": "0",
            "authorisations-MIN_NUM_FORMS": "0",
            "authorisations-MAX_NUM_FORMS": "1000",
            "authorisations-0-scopes": ["dossiers.read", "dossiers.create"],
            "authorisations-0-procedures": [str(procedure.pk)],
            "authorisations-0-agencies": [str(agency.pk)],
            "authorisations-0-max_confidentiality": str(Confidentiality.INTERNAL),
        },
    )
    assert response.status_code == 200, response.content
    client = ApiClient.objects.get()
    text = response.content.decode()
    assert client.client_id in text
    secret = text.split("<code>")[3].split("</code>")[0]
    assert secret not in client.application.client_secret
    assert "no-store" in response["Cache-Control"]
    authorisation = client.authorisations.get()
    assert sorted(authorisation.scopes) == ["dossiers.create", "dossiers.read"]
    assert list(authorisation.agencies.all()) == [agency]
    assert token_response(client, secret).status_code == 200
    assert AuditEntry.objects.filter(action="interop.api_client.grant").count() == 1
    # Shown once: the client's page never holds it again.
    page = browser.get(reverse("admin:interop_apiclient_change", args=[client.pk]))
    assert page.status_code == 200
    assert secret not in page.content.decode()


def test_the_admin_issues_a_new_secret_and_the_old_one_stops_working(
    intake_org: Org, django_user_model: Any
) -> None:
    client, old_secret = register(intake_org)
    old_token = token_response(client, old_secret).json()["access_token"]
    admin_user = django_user_model.objects.create_superuser("root", password="pw-root")
    browser = Client()
    browser.force_login(admin_user)
    for name in ("admin:interop_apiclient_changelist", "admin:interop_apicall_changelist"):
        assert browser.get(reverse(name)).status_code == 200
    response = browser.post(
        reverse("admin:interop_apiclient_changelist"),
        {"action": "reset_secret", "_selected_action": [str(client.pk)]},
    )
    assert response.status_code == 200
    new_secret = response.content.decode().split("<code>")[3].split("</code>")[0]
    assert new_secret != old_secret
    assert token_response(client, old_secret).status_code == 401
    assert token_response(client, new_secret).status_code == 200
    refused = Client(HTTP_AUTHORIZATION=f"Bearer {old_token}").get(reverse("api:exchange_dossiers"))
    assert refused.status_code == 401
    assert AuditEntry.objects.filter(action="interop.api_client.reset_secret").count() == 1
