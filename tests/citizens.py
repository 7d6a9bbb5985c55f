"""Citizens logged in with e-ID in tests: a Citizen as the provider vouches for one, and a test
client whose session holds the login, as the login's callback leaves it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.test import Client

from motcua.identity import session
from motcua.identity.rp import Citizen
from tests.intake_data import BIRTH_DATE, ID_NUMBER


def citizen(**changes: Any) -> Citizen:
    """The applicant of tests/intake_data.py, logged in at level 2, unless told otherwise."""
    values: dict[str, Any] = {
        "sub": f"test-{changes.get('id_number', ID_NUMBER)}",
        "id_number": ID_NUMBER,
        "name": "Nguyễn Văn An",
        "birth_date": BIRTH_DATE.isoformat(),
        "gender": "male",
        "address": "Tổ 5, khu 3, phường Bãi Cháy",
        "phone": "+84912345678",
        "level": 2,
        "guardian": None,
        "organisation": None,
    } | changes
    return Citizen(**values)


def log_in(client: Client, person: Citizen | None = None) -> Client:
    """Put an e-ID login in the test client's session, as the login callback does."""
    request = HttpRequest()
    request.session = client.session
    session.sign_in(request, person or citizen())
    request.session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key
    return client
