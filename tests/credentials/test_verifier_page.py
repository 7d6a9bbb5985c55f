"""The public verifier page /xac-thuc/: paste or upload, the verdict panel, every refusal of bad
input, CSRF, the rate limit, and that nothing of what is checked is stored or logged."""

from __future__ import annotations

import io
import logging
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import segno
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from motcua.core.models.audit import AuditEntry
from motcua.credentials import issuance, sdjwt, seal, verifier_views, verify
from motcua.credentials.models import IssuedCredential
from motcua.dossiers import results
from tests.browser.test_intake import quiet_event_stream
from tests.org import Org

pytestmark = pytest.mark.django_db

URL = "/xac-thuc/"


def qr_png(*texts: str) -> bytes:
    """A white page with the QR code of each text side by side, as a PNG."""
    images = []
    for text in texts:
        buffer = io.BytesIO()
        segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=6)
        images.append(Image.open(io.BytesIO(buffer.getvalue())).convert("L"))
    page = Image.new("L", (sum(i.width for i in images) + 40, max(i.height for i in images)), 255)
    x = 0
    for image in images:
        page.paste(image, (x, 0))
        x += image.width + 40
    out = io.BytesIO()
    page.save(out, format="PNG")
    return out.getvalue()


def upload(content: bytes, name: str = "qr.png", content_type: str = "image/png") -> Any:
    return SimpleUploadedFile(name, content, content_type=content_type)


def state_of(response: Any) -> str | None:
    verdict = response.context["verdict"]
    return verdict.state if verdict is not None else None


def test_url_name() -> None:
    assert reverse("verifier:verify") == URL


def test_page_offers_paste_and_camera(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Language"] == "vi"
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'enctype="multipart/form-data"' in page
    assert '<textarea id="f-credential" name="credential"' in page
    assert 'accept="image/*" capture="environment"' in page
    assert '<label for="f-credential">' in page
    assert '<label for="f-image">' in page
    assert 'class="panel verifier-about"' in page
    assert "credentials/verifier.css" in page
    assert 'id="verdict"' not in page


def test_pasted_credential_is_valid_with_minimal_fields(
    client: Client, credential: IssuedCredential
) -> None:
    response = client.post(URL, {"credential": sdjwt.build(credential)})
    assert state_of(response) == verify.VALID
    page = response.content.decode()
    assert 'data-state="valid"' in page
    assert "tone-ok" in page
    assert credential.result.number in page
    assert credential.holder_name in page
    assert "•••••••••345" in page
    assert credential.holder_id_number not in page
    # The pasted text is shown back, not the decoded personal data beyond the minimal fields.
    assert credential.result.dossier.applicant_address not in page


def test_revoked_and_suspended_badges(
    client: Client, credential: IssuedCredential, processing_org: Org
) -> None:
    sd_jwt = sdjwt.build(credential)
    leader = processing_org.users["leader_stp"]
    issuance.set_status(credential, "suspended", "Kiểm tra lại", leader)
    response = client.post(URL, {"credential": sd_jwt})
    assert state_of(response) == verify.SUSPENDED
    assert "tone-warn" in response.content.decode()
    issuance.set_status(credential, "revoked", "Cấp nhầm", leader)
    response = client.post(URL, {"credential": sd_jwt})
    assert state_of(response) == verify.REVOKED
    assert "tone-bad" in response.content.decode()


def test_forged_credential_shows_no_facts(client: Client, credential: IssuedCredential) -> None:
    head, payload, signature = sdjwt.build(credential).split("~")[0].split(".")
    forged = f"{head}.{payload}.{signature[:-4]}AAAA~"
    response = client.post(URL, {"credential": forged})
    assert state_of(response) == verify.FORGED
    page = response.content.decode()
    assert "tone-bad" in page
    assert 'data-field="document_number"' not in page


def test_uploaded_photo_of_the_seal_is_read(client: Client, credential: IssuedCredential) -> None:
    response = client.post(URL, {"image": upload(qr_png(seal.make_seal(credential)))})
    verdict = response.context["verdict"]
    assert (verdict.state, verdict.kind) == (verify.VALID, "seal")


def test_page_with_both_codes_checks_the_seal(client: Client, credential: IssuedCredential) -> None:
    result = credential.result
    png = qr_png(results.verify_url(result), seal.make_seal(credential))
    response = client.post(URL, {"image": upload(png, "scan.png")})
    assert response.context["verdict"].kind == "seal"


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (b"%PDF-1.7\n%...", "result.pdf", "application/pdf"),
        (b"not an image at all", "photo.jpg", "image/jpeg"),  # lies about its type
        (b"", "empty.png", "image/png"),
    ],
)
def test_non_image_upload_is_refused(
    client: Client, content: bytes, name: str, content_type: str, db: Any
) -> None:
    response = client.post(URL, {"image": upload(content, name, content_type)})
    assert response.status_code == 200
    assert response.context["verdict"] is None
    assert response.context["form"].errors["image"]
    assert 'id="f-image-error"' in response.content.decode()


def test_image_without_a_qr_code_is_refused(client: Client, db: Any) -> None:
    blank = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(blank, format="PNG")
    response = client.post(URL, {"image": upload(blank.getvalue())})
    assert response.context["verdict"] is None
    assert response.context["form"].errors["image"]


def test_oversized_image_is_refused(
    client: Client, credential: IssuedCredential, monkeypatch: pytest.MonkeyPatch
) -> None:
    png = qr_png(seal.make_seal(credential))
    monkeypatch.setattr(verifier_views, "MAX_IMAGE_BYTES", len(png) - 1)
    response = client.post(URL, {"image": upload(png)})
    assert response.context["verdict"] is None
    assert response.context["form"].errors["image"]


def test_image_with_too_many_pixels_is_refused(
    client: Client, monkeypatch: pytest.MonkeyPatch, db: Any
) -> None:
    monkeypatch.setattr(verifier_views, "MAX_IMAGE_PIXELS", 100 * 100)
    big = io.BytesIO()
    Image.new("L", (200, 200), 255).save(big, format="PNG")
    response = client.post(URL, {"image": upload(big.getvalue())})
    assert response.context["form"].errors["image"]


def test_oversized_paste_is_refused(client: Client, db: Any) -> None:
    response = client.post(URL, {"credential": "A" * (verify.MAX_LENGTH + 1)})
    assert response.context["verdict"] is None
    assert response.context["form"].errors["credential"]
    assert 'aria-invalid="true"' in response.content.decode()


def test_empty_form_is_refused(client: Client, db: Any) -> None:
    response = client.post(URL, {"credential": "  "})
    assert response.context["verdict"] is None
    assert response.context["form"].non_field_errors()


def test_garbage_is_malformed(client: Client, db: Any) -> None:
    response = client.post(URL, {"credential": "xin chào"})
    assert state_of(response) == verify.MALFORMED
    assert "tone-bad" in response.content.decode()


def test_form_needs_its_csrf_token(credential: IssuedCredential) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(URL, {"credential": sdjwt.build(credential)}).status_code == 403


def test_rate_limited(client: Client, settings: Any, db: Any) -> None:
    settings.PUBLIC_RATE = "3/m"
    codes = [client.post(URL, {"credential": "x"}).status_code for _n in range(4)]
    assert codes == [200, 200, 200, 429]


def test_nothing_is_stored_or_logged(
    client: Client, credential: IssuedCredential, caplog: pytest.LogCaptureFixture
) -> None:
    sd_jwt = sdjwt.build(credential)
    audit_entries = AuditEntry.objects.count()
    credentials = list(IssuedCredential.objects.values())
    with caplog.at_level(logging.DEBUG):
        assert state_of(client.post(URL, {"credential": sd_jwt})) == verify.VALID
        client.post(URL, {"image": upload(qr_png(seal.make_seal(credential)))})
    assert AuditEntry.objects.count() == audit_entries
    assert list(IssuedCredential.objects.values()) == credentials
    assert not Session.objects.exists()
    for secret in (credential.holder_name, credential.holder_id_number, sd_jwt[:40]):
        assert secret not in caplog.text


# --- In Chromium, on a desktop and a phone ----------------------------------------------------

# Where the brief asks for the screenshots, to look at them.
SHOTS = Path(tempfile.gettempdir()) / "shots"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def open_verifier(browser: Browser, base: str, device: dict[str, Any], errors: list[str]) -> Page:
    context = browser.new_context(**device)
    quiet_event_stream(context)
    page = context.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{base}{URL}")
    return page


def check_pasted(page: Page, text: str) -> None:
    page.locator("#f-credential").fill(text)
    page.locator("#verify-button").click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_paste_valid_then_revoked(
    browser: Browser, live_server: Any, credential: IssuedCredential, processing_org: Org
) -> None:
    SHOTS.mkdir(exist_ok=True)
    errors: list[str] = []
    sd_jwt = sdjwt.build(credential)
    for name, device in (("desktop", DESKTOP), ("phone", PHONE)):
        page = open_verifier(browser, live_server.url, device, errors)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        check_pasted(page, sd_jwt)
        verdict = page.locator("#verdict")
        expect(verdict).to_have_attribute("data-state", "valid")
        expect(verdict.locator('[data-field="document_number"]')).to_have_text(
            credential.result.number
        )
        expect(verdict.locator('[data-field="holder_id_number"]')).to_have_text("•••••••••345")
        page.screenshot(path=str(SHOTS / f"verifier-{name}-valid.png"), full_page=True)
        page.context.close()

    issuance.set_status(credential, "revoked", "Cấp nhầm", processing_org.users["leader_stp"])
    for name, device in (("desktop", DESKTOP), ("phone", PHONE)):
        page = open_verifier(browser, live_server.url, device, errors)
        check_pasted(page, sd_jwt)
        expect(page.locator("#verdict")).to_have_attribute("data-state", "revoked")
        expect(page.locator("#verdict")).to_have_class(re.compile(r"\btone-bad\b"))
        page.screenshot(path=str(SHOTS / f"verifier-{name}-revoked.png"), full_page=True)
        page.context.close()
    assert errors == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_photo_of_the_seal_and_a_forgery(
    browser: Browser, live_server: Any, credential: IssuedCredential
) -> None:
    errors: list[str] = []
    page = open_verifier(browser, live_server.url, PHONE, errors)
    page.locator("#f-image").set_input_files(
        files=[
            {
                "name": "anh.png",
                "mimeType": "image/png",
                "buffer": qr_png(seal.make_seal(credential)),
            }
        ]
    )
    page.locator("#verify-button").click()
    expect(page.locator("#verdict")).to_have_attribute("data-state", "valid")
    page.screenshot(path=str(SHOTS / "verifier-phone-seal.png"), full_page=True)

    page.goto(f"{live_server.url}{URL}")
    issuer_jwt, rest = sdjwt.build(credential).split("~", 1)
    check_pasted(page, issuer_jwt[:-6] + "AAAAAA~" + rest)
    expect(page.locator("#verdict")).to_have_attribute("data-state", "forged")
    expect(page.locator('#verdict [data-field="document_number"]')).to_have_count(0)
    page.screenshot(path=str(SHOTS / "verifier-phone-forged.png"), full_page=True)

    page.goto(f"{live_server.url}{URL}")
    page.locator("#f-image").set_input_files(
        files=[{"name": "ketqua.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7"}]
    )
    page.locator("#verify-button").click()
    expect(page.locator("#f-image-error")).to_be_visible()
    expect(page.locator("#verdict")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "verifier-phone-not-an-image.png"), full_page=True)
    assert errors == []
