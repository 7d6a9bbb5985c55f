"""The citizen's wallet page: only their own credentials, behind an e-ID login, and an offer
that a wallet can redeem with what the page shows (QR/deep link and transaction code)."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from motcua.credentials import issuance
from motcua.credentials.models import CredentialOffer, IssuedCredential
from motcua.dossiers import results
from tests.citizens import citizen, log_in
from tests.credentials.conftest import decided
from tests.credentials.wallet_client import Wallet
from tests.intake_data import applicant
from tests.org import Org

WALLET = "/my/wallet/"


def offer_url(credential: IssuedCredential) -> str:
    return reverse("credentials:offer", args=[credential.pk])


def someone_elses(org: Org) -> IssuedCredential:
    other = decided(org, applicant=applicant(name="Trần Thị Bình", id_number="022190054321"))
    credential = issuance.prepare_credential(other)
    assert credential is not None
    return credential


def test_the_routes(credential: IssuedCredential) -> None:
    assert reverse("credentials:wallet") == WALLET
    assert offer_url(credential) == f"/my/wallet/{credential.pk}/offer"


def test_without_an_e_id_login_the_page_sends_to_the_login(
    client: Client, credential: IssuedCredential
) -> None:
    for response in (client.get(WALLET), client.post(offer_url(credential))):
        assert response.status_code == 302
        target = urlsplit(response["Location"])
        assert target.path == reverse("identity:login")
        assert parse_qs(target.query)["next"] == [WALLET]
    assert not CredentialOffer.objects.exists()


def test_the_page_lists_the_citizens_credentials_only(
    citizen_client: Client, credential: IssuedCredential, processing_org: Org
) -> None:
    other = someone_elses(processing_org)
    response = citizen_client.get(WALLET)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="credential-{credential.pk}"' in page
    assert f'id="credential-{other.pk}"' not in page
    assert "Trần Thị Bình" not in page
    assert credential.result.number in page
    assert credential.result.agency.name in page
    assert 'data-status="valid"' in page
    assert offer_url(credential) in page
    assert '<html lang="vi">' in page
    assert "<h1>" in page


def test_an_empty_wallet(client: Client, processing_org: Org) -> None:
    response = log_in(client, citizen(id_number="022190099999")).get(WALLET)
    assert response.status_code == 200
    assert 'id="wallet-empty"' in response.content.decode()


def test_a_revoked_credential_shows_its_state_and_cannot_be_offered(
    citizen_client: Client, credential: IssuedCredential, processing_org: Org
) -> None:
    issuance.set_status(credential, "revoked", "Cấp sai", processing_org.users["leader_stp"])
    page = citizen_client.get(WALLET).content.decode()
    assert 'data-status="revoked"' in page
    assert "Cấp sai" in page
    assert offer_url(credential) not in page
    refused = citizen_client.post(offer_url(credential))
    assert refused.status_code == 409
    assert 'id="wallet-error"' in refused.content.decode()
    assert not CredentialOffer.objects.exists()


def test_someone_elses_credential_cannot_be_offered(
    citizen_client: Client, credential: IssuedCredential, processing_org: Org
) -> None:
    other = someone_elses(processing_org)
    assert citizen_client.post(offer_url(other)).status_code == 404
    assert citizen_client.post("/my/wallet/999999/offer").status_code == 404
    assert not CredentialOffer.objects.exists()


def test_the_offer_needs_a_post_with_a_csrf_token(credential: IssuedCredential, db: None) -> None:
    strict = log_in(Client(enforce_csrf_checks=True), citizen())
    assert strict.get(offer_url(credential)).status_code == 405
    assert strict.post(offer_url(credential)).status_code == 403
    assert not CredentialOffer.objects.exists()


def test_the_offer_page_redeems_in_a_wallet(
    citizen_client: Client, credential: IssuedCredential, wallet: Wallet
) -> None:
    response = citizen_client.post(offer_url(credential))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert re.search(r'<img class="wallet-qr" id="offer-qr" src="data:image/png;base64,', page)
    link_match = re.search(r'id="offer-link" href="([^"]+)"', page)
    code_match = re.search(r'id="offer-tx-code"[^>]*>(\d{6})<', page)
    assert link_match is not None
    assert code_match is not None
    link, tx_code = html.unescape(link_match.group(1)), code_match.group(1)
    assert link.startswith("openid-credential-offer://?credential_offer=")
    expires = timezone.localtime(CredentialOffer.objects.get().expires_at)
    assert re.search(rf'id="offer-expiry">[^<]*{expires:%H:%M}', page)
    held = wallet.receive(link, tx_code)
    assert held.claims()["holder_id_number"] == credential.holder_id_number
    # The page now tells the citizen the credential is in a wallet.
    assert 'class="wallet-delivered"' in citizen_client.get(WALLET).content.decode()


def test_a_second_offer_replaces_the_first(
    citizen_client: Client, credential: IssuedCredential
) -> None:
    citizen_client.post(offer_url(credential))
    citizen_client.post(offer_url(credential))
    offers = CredentialOffer.objects.order_by("pk")
    assert [offer.withdrawn_at is not None for offer in offers] == [True, False]


def test_the_result_pdf_is_linked_once_signed(
    citizen_client: Client, credential: IssuedCredential
) -> None:
    pdf_url = reverse("dossiers:verified_result_pdf", args=[credential.result.verification_secret])
    assert pdf_url not in citizen_client.get(WALLET).content.decode()
    results.sign_result(credential.result.pk)
    page = citizen_client.get(WALLET).content.decode()
    assert pdf_url in page
    assert citizen_client.get(pdf_url)["Content-Type"] == "application/pdf"
