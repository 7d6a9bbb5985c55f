"""The public verifier page: paste a credential or a seal, or upload a photo of its QR code, and
see at once whether it is valid, with the few facts needed to match it with the paper.

Nothing is stored or logged: the text and the image live for the request only (the rate
limit's counter is all that remains of a visit), and the response is not cached.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from PIL import Image, UnidentifiedImageError

from motcua.core.ratelimits import limit_public
from motcua.credentials import seal, verify
from motcua.digitisation.qr import read_qr_texts

# A phone's photo is a few MB; a scan of one page at 300 dpi less.
MAX_IMAGE_BYTES: Final = 10 * 1024 * 1024
MAX_IMAGE_PIXELS: Final = 50_000_000
# zxing-cpp reads a QR code of a page photographed whole at this size, and faster than larger.
DECODE_MAX_SIDE: Final = 3000

STATE_LABELS: Final = {
    verify.VALID: _("Valid"),
    verify.REVOKED: _("Revoked"),
    verify.SUSPENDED: _("Suspended"),
    verify.EXPIRED: _("Expired"),
    verify.FORGED: _("Forged or altered"),
    verify.UNKNOWN_ISSUER: _("Unknown issuer"),
    verify.MALFORMED: _("Not readable"),
    verify.UNKNOWN_STATUS: _("Status unknown"),
}
# The badge's colour: green only for valid; amber for what may come right again.
STATE_TONES: Final = {
    verify.VALID: "ok",
    verify.SUSPENDED: "warn",
    verify.EXPIRED: "warn",
    verify.UNKNOWN_STATUS: "warn",
}

# The claims a holder chooses to show, in words; a member of `details` (a form field of the
# dossier) keeps its own name.
CLAIM_LABELS: Final = {
    "holder_name": _("name"),
    "holder_id_number": _("personal identity number"),
    "holder_birth_date": _("date of birth"),
    "holder_address": _("address"),
    "details": _("details of the dossier"),
}


class VerifyForm(forms.Form):
    # Rendered by the template itself: its labels, ids and the camera input.
    credential = forms.CharField(
        required=False,
        max_length=verify.MAX_LENGTH,
        error_messages={"max_length": _("The text is too long to be a credential.")},
    )
    image = forms.FileField(required=False)

    def clean_image(self) -> str:
        """The text of the QR code on the uploaded image ("" without an upload)."""
        upload: UploadedFile | None = self.cleaned_data.get("image")
        if upload is None:
            return ""
        if upload.size is not None and upload.size > MAX_IMAGE_BYTES:
            raise forms.ValidationError(
                _("The image is larger than %(mb)d MB.") % {"mb": MAX_IMAGE_BYTES // 1024 // 1024}
            )
        try:
            with Image.open(upload) as image:
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise forms.ValidationError(_("The image has too many pixels."))
                image.thumbnail((DECODE_MAX_SIDE, DECODE_MAX_SIDE))
                texts = read_qr_texts(image)
        # Pillow raises OSError (and subclasses) or ValueError for files that are not images.
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            raise forms.ValidationError(
                _("This file is not an image. Upload a photo or a scan of the QR code.")
            ) from None
        if not texts:
            raise forms.ValidationError(
                _("No QR code was found on the image. Try a sharper, closer photo.")
            )
        return _best(texts)

    def clean(self) -> dict[str, str]:
        cleaned = super().clean() or {}
        if not self.errors and not cleaned.get("credential") and not cleaned.get("image"):
            raise forms.ValidationError(_("Paste a credential or seal, or upload a photo of it."))
        return cleaned

    def text(self) -> str:
        """What to check: the QR code of the upload, else the pasted text."""
        return self.cleaned_data.get("image") or self.cleaned_data.get("credential", "")


def _best(texts: list[str]) -> str:
    """Of the QR codes on a result's page, the seal; else a credential; else the first."""
    return next(
        (text for text in texts if seal.looks_like_seal(text)),
        next((text for text in texts if "~" in text), texts[0]),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def verify_page(request: HttpRequest) -> HttpResponse:
    limit_public(request, "credential_verify")
    form = VerifyForm(request.POST or None, request.FILES or None)
    verdict = verify.verify(form.text()) if request.method == "POST" and form.is_valid() else None
    context: dict[str, Any] = {"form": form, "verdict": verdict}
    if verdict is not None:
        context.update(
            label=STATE_LABELS[verdict.state],
            tone=STATE_TONES.get(verdict.state, "bad"),
            issued_on=_date(verdict.issued_on),
            # Only an SD-JWT leaves the holder a choice; a seal always shows the same facts.
            disclosed=[
                CLAIM_LABELS.get(name, name.removeprefix("details."))
                for name in (verdict.disclosed if verdict.kind == "sd-jwt" else ())
            ],
        )
    return render(request, "credentials/verifier.html", context)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
