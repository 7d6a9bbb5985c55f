"""The logged-in citizen, kept in the session after an e-ID login."""

from __future__ import annotations

import dataclasses
import time
from typing import Final
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

from motcua.identity.rp import Citizen

# An e-ID login is good for half an hour of inactivity-free use; then log in again.
SESSION_SECONDS: Final = 30 * 60
_CITIZEN = "eid_citizen"


def sign_in(request: HttpRequest, citizen: Citizen) -> None:
    request.session.cycle_key()  # a new session id for the logged-in citizen
    request.session[_CITIZEN] = {
        "claims": dataclasses.asdict(citizen),
        "until": time.time() + SESSION_SECONDS,
    }


def current_citizen(request: HttpRequest) -> Citizen | None:
    stored = request.session.get(_CITIZEN)
    if stored is None or stored["until"] < time.time():
        return None
    return Citizen(**stored["claims"])


def login_url(next_url: str, level: int = 1) -> str:
    """The e-ID login of at least `level`, coming back to `next_url`."""
    return f"{reverse('identity:login')}?{urlencode({'level': level, 'next': next_url})}"


def sign_out(request: HttpRequest) -> None:
    request.session.pop(_CITIZEN, None)
