"""Issue 7's whole path in a real browser (Debian's Chromium): a citizen logs in with the
development e-ID provider at level 2, files a judicial record request online with her details
prefilled from the login, the Department of Justice grants it (a job worker signs the result and
prepares its credential), the citizen adds the credential to a wallet (the test wallet redeems
the offer over HTTP with the transaction code), the public verifier page shows it valid, and,
once the department revokes it, revoked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from motcua.credentials import issuance
from motcua.credentials.models import IssuedCredential
from motcua.dossiers import processing, services, signing
from motcua.dossiers.models import Dossier
from tests.browser.test_intake import ARTIFACTS, quiet_event_stream
from tests.browser.test_processing import served, wait_until  # noqa: F401  (served: a fixture)
from tests.credentials.wallet_client import Wallet
from tests.intake_data import pdf_bytes
from tests.org import Org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def eid_served(served: str, settings: Any, tmp_path: Path) -> str:  # noqa: F811
    """The live server with its job worker (test_processing), and the development e-ID
    provider on."""
    settings.DEV_EID_PROVIDER = True
    settings.MOTCUA_PKI_DIR = tmp_path / "pki"
    settings.MEDIA_ROOT = tmp_path / "media"
    return served


def grant(org: Org, dossier: Dossier) -> None:
    """The check at receipt, the handling and the approval in the Department of Justice."""
    users = org.users
    services.accept_dossier(dossier=dossier, actor=users["counter_halong"])
    processing.assign_handler(
        dossier=dossier, assignee=users["officer_stp"], actor=users["leader_stp"]
    )
    processing.propose(dossier=dossier, decision="grant", note="", actor=users["officer_stp"])
    processing.approve(dossier=dossier, actor=users["leader_stp"])


def check(page: Page, base: str, credential: str) -> None:
    page.goto(f"{base}/xac-thuc/")
    page.get_by_label("Dán chứng thực (SD-JWT) hoặc mã xác thực (bắt đầu bằng VNQR1:)").fill(
        credential
    )
    page.get_by_role("button", name="Kiểm tra").click()


def test_login_file_issue_redeem_verify_revoke(
    page: Page, eid_served: str, tmp_path: Path, processing_org: Org
) -> None:
    quiet_event_stream(page.context)
    form_file = tmp_path / "to-khai.pdf"
    form_file.write_bytes(pdf_bytes(1))

    # The online form asks for an e-ID login; the citizen logs in as Trần Thị Mai (level 2).
    page.goto(f"{eid_served}/apply/2.000488/")
    page.get_by_role("link", name="Đăng nhập bằng định danh điện tử").click()
    page.get_by_role("button", name="Đăng nhập là Trần Thị Mai").click()

    # Her details come from the login, locked; she fills in the request and files it.
    name = page.get_by_label("Họ, chữ đệm và tên")
    expect(name).to_have_value("Trần Thị Mai")
    expect(name).to_have_attribute("readonly", "")
    expect(page.get_by_label("Số định danh cá nhân (12 chữ số)")).to_have_value("022190012345")
    expect(page.locator(".tag-verified").first).to_be_visible()
    page.get_by_label("Mục đích").fill("Bổ sung hồ sơ xin việc")
    where = page.get_by_label("Đơn vị hành chính cấp xã có thẩm quyền giải quyết")
    if where.count():
        where.select_option("06688")
    page.locator('input[name="file.to_khai"]').set_input_files(str(form_file))
    page.screenshot(path=str(ARTIFACTS / "apply-eid-prefilled.png"), full_page=True)
    page.get_by_role("button", name="Nộp hồ sơ").click()
    expect(page.get_by_role("heading", name="Tra cứu hồ sơ")).to_be_visible()
    dossier = Dossier.objects.get()
    assert (dossier.applicant_name, dossier.eid_level) == ("Trần Thị Mai", 2)

    # The department grants it; the worker signs the result and prepares its credential.
    grant(processing_org, dossier)
    wait_until(lambda: IssuedCredential.objects.filter(result__dossier=dossier).exists())

    # The citizen's wallet page offers it; the test wallet redeems the offer over HTTP.
    page.goto(f"{eid_served}/my/wallet/")
    page.get_by_role("button", name="Thêm vào ví của tôi").click()
    deep_link = page.locator("#offer-link").get_attribute("href")
    tx_code = page.locator("#offer-tx-code").inner_text().strip()
    assert deep_link is not None
    assert deep_link.startswith("openid-credential-offer://")
    page.screenshot(path=str(ARTIFACTS / "wallet-offer.png"), full_page=True)
    with httpx.Client(timeout=10) as http:
        held = Wallet(http=http, trust_anchor=signing.ca_certificate()).receive(deep_link, tx_code)
    assert held.claims()["holder_name"] == "Trần Thị Mai"

    # The public verifier: valid; once the department revokes it, revoked.
    check(page, eid_served, held.sd_jwt)
    expect(page.locator("#verdict")).to_have_attribute("data-state", "valid")
    page.screenshot(path=str(ARTIFACTS / "verifier-valid.png"), full_page=True)
    credential = IssuedCredential.objects.get(result__dossier=dossier)
    issuance.set_status(credential, "revoked", "Cấp nhầm", actor=processing_org.users["leader_stp"])
    check(page, eid_served, held.sd_jwt)
    expect(page.locator("#verdict")).to_have_attribute("data-state", "revoked")
    page.screenshot(path=str(ARTIFACTS / "verifier-revoked.png"), full_page=True)
