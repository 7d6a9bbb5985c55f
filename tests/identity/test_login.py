"""Citizen login with e-ID: motcua as relying party of the development provider, over HTTP
(discovery, token, keys and userinfo are fetched from the live server), with the level asked
for and checked, and the document store opened to the logged-in citizen."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from motcua.identity import session
from tests.identity.dev_eid import query

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def provider(live_server: Any, settings: Any, tmp_path: Any) -> str:
    settings.DEV_EID_PROVIDER = True
    settings.PUBLIC_URL = live_server.url
    settings.MOTCUA_PKI_DIR = tmp_path / "pki"
    return str(live_server.url)


def log_in(client: Client, persona: str, *, level: str = "1", next_url: str = "/") -> Any:
    """The browser's part: motcua → the provider's chooser → the persona → back to motcua."""
    start = client.get(reverse("identity:login"), {"level": level, "next": next_url})
    assert start.status_code == 302, start.content
    authorize = urlsplit(start["Location"])
    chooser = client.get(authorize.path + "?" + authorize.query)
    assert chooser.status_code == 200
    chosen = client.post(
        authorize.path + "?" + authorize.query,
        dict(query(start["Location"])) | {"persona": persona},
    )
    if chosen.status_code != 302:
        return chosen
    back = urlsplit(chosen["Location"])
    return client.get(back.path + "?" + back.query)


def test_a_citizen_logs_in_at_level_two_and_opens_their_store(provider: str) -> None:
    client = Client()
    done = log_in(client, "mai", level="2", next_url="/my/documents/")
    assert (done.status_code, done["Location"]) == (302, "/my/documents/")
    citizen = session.current_citizen(client.get("/my/documents/").wsgi_request)
    assert citizen is not None
    assert (citizen.id_number, citizen.name, citizen.level) == ("022190012345", "Trần Thị Mai", 2)
    page = client.get("/my/documents/")
    assert page.context["owner"] == "022190012345"  # signed in by the e-ID login
    client.post(reverse("identity:logout"))
    assert "owner" not in (client.get("/my/documents/").context or {})


def test_a_level_one_account_cannot_log_in_where_level_two_is_needed(provider: str) -> None:
    refused = log_in(Client(), "hoa", level="2")
    assert refused.status_code == 400  # the provider offers only level-2 personas


def test_a_forged_or_replayed_answer_is_refused(provider: str) -> None:
    client = Client()
    start = client.get(reverse("identity:login"))
    answer = client.get(reverse("identity:callback"), {"state": "forged", "code": "x"})
    assert answer.status_code == 400
    assert "eid_citizen" not in client.session
    # The flow was spent by the forged answer: the real one no longer logs in either.
    authorize = urlsplit(start["Location"])
    chooser = client.get(authorize.path + "?" + authorize.query)
    assert chooser.status_code == 200
    chosen = client.post(
        authorize.path + "?" + authorize.query, dict(query(start["Location"])) | {"persona": "mai"}
    )
    back = urlsplit(chosen["Location"])
    late = client.get(back.path + "?" + back.query)
    assert late.status_code == 400


def test_a_cancelled_login_says_so(provider: str) -> None:
    client = Client()
    start = client.get(reverse("identity:login"))
    state = query(start["Location"])["state"]
    cancelled = client.get(reverse("identity:callback"), {"error": "access_denied", "state": state})
    assert cancelled.status_code == 400
    assert "eid_citizen" not in client.session


def test_the_next_address_stays_on_this_site(provider: str) -> None:
    client = Client()
    done = log_in(client, "mai", next_url="https://evil.example/")
    assert done["Location"] == "/"
