"""A citizen's own access to their document store, by a one-time code sent to the phone or
email they gave on their dossiers.

A citizen logged in with e-ID (motcua.identity) is signed in already; the code is for those
without an e-ID account. The code is never stored in clear (an HMAC in the session), expires
after ten minutes, allows five tries, and the answer to a request never says whether the
number is known.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from motcua.core.errors import MotcuaError
from motcua.core.notifications import Message, Recipient, notify
from motcua.digitisation.owners import owner_key
from motcua.dossiers.cccd import check_cccd
from motcua.dossiers.models import Dossier
from motcua.identity.session import current_citizen
from motcua.identity.session import sign_out as sign_out_citizen

CODE_SECONDS = 10 * 60
SESSION_SECONDS = 30 * 60
MAX_ATTEMPTS = 5
_PENDING = "store_code"
_OWNER = "store_owner"


def _digest(owner: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"store-code:{owner}:{code}".encode(), hashlib.sha256).hexdigest()


def send_code(request: HttpRequest, id_number: str) -> None:
    """Send a code to the contacts of the newest dossier filed under `id_number`, if any."""
    owner = owner_key(id_number)
    try:
        check_cccd(owner)
    except MotcuaError as error:
        raise MotcuaError(error.message, code="invalid_id_number", fields=error.fields) from error
    code = f"{secrets.randbelow(1_000_000):06d}"
    request.session[_PENDING] = {
        "owner": owner,
        "digest": _digest(owner, code),
        "expires": time.time() + CODE_SECONDS,
        "attempts": 0,
    }
    contact = (
        Dossier.objects.filter(applicant_id_number=owner)
        .exclude(applicant_phone="", applicant_email="")
        .order_by("-submitted_at")
        .values("applicant_phone", "applicant_email")
        .first()
    )
    if contact is None:
        return  # said the same way as a sent code: the answer reveals nothing
    # Notices to applicants are Vietnamese, whatever the language of the screen.
    text = f"Mã truy cập kho dữ liệu điện tử của bạn: {code} (hiệu lực 10 phút)."
    with transaction.atomic():
        notify(
            recipient=Recipient(email=contact["applicant_email"], phone=contact["applicant_phone"]),
            message=Message(
                subject="Mã truy cập kho dữ liệu điện tử",
                body=f"{text}\nNếu bạn không yêu cầu mã này, hãy bỏ qua thư này.",
                short=text,
            ),
            reference=f"store:{owner}",
        )


def verify_code(request: HttpRequest, code: str) -> str:
    """The owner whose code this is, now signed in for half an hour; or a clear refusal."""
    pending: dict[str, Any] | None = request.session.get(_PENDING)
    if pending is None or pending["expires"] < time.time():
        request.session.pop(_PENDING, None)
        raise MotcuaError(_("The code has expired: ask for a new one."), code="code_expired")
    pending["attempts"] += 1
    request.session[_PENDING] = pending
    if pending["attempts"] > MAX_ATTEMPTS:
        request.session.pop(_PENDING, None)
        raise MotcuaError(_("Too many wrong codes: ask for a new one."), code="code_expired")
    if not hmac.compare_digest(pending["digest"], _digest(pending["owner"], code.strip())):
        raise MotcuaError(
            _("The code is not right."), code="wrong_code", fields={"code": [_("Check the code.")]}
        )
    request.session.pop(_PENDING, None)
    request.session.cycle_key()  # a new session id for the signed-in citizen
    request.session[_OWNER] = {"owner": pending["owner"], "until": time.time() + SESSION_SECONDS}
    return str(pending["owner"])


def owner_name(owner: str) -> str:
    """The name the owner gave on their newest dossier, or that their store knows them by."""
    from motcua.digitisation.models import StoredDocument

    name = (
        Dossier.objects.filter(applicant_id_number=owner)
        .order_by("-submitted_at")
        .values_list("applicant_name", flat=True)
        .first()
    ) or StoredDocument.objects.filter(owner_id=owner).values_list("owner_name", flat=True).first()
    return name or owner


def code_pending(request: HttpRequest) -> bool:
    pending = request.session.get(_PENDING)
    return pending is not None and pending["expires"] >= time.time()


def signed_in_owner(request: HttpRequest) -> str | None:
    """The citizen logged in with e-ID, or signed in with a code."""
    citizen = current_citizen(request)
    if citizen is not None and citizen.id_number:
        return citizen.id_number
    signed_in = request.session.get(_OWNER)
    if signed_in is None or signed_in["until"] < time.time():
        return None
    return str(signed_in["owner"])


def sign_out(request: HttpRequest) -> None:
    request.session.pop(_OWNER, None)
    request.session.pop(_PENDING, None)
    sign_out_citizen(request)
