"""Fixtures of the credential tests: a granted result and its credential, a wallet talking to
the issuer over HTTP in-process, and a citizen logged in with e-ID."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from motcua.credentials import issuance
from motcua.credentials.models import IssuedCredential
from motcua.dossiers import processing, services, signing
from motcua.dossiers.models import Channel, Result
from tests.citizens import citizen, log_in
from tests.credentials.wallet_client import Wallet
from tests.org import Org
from tests.processing_data import judicial_record

TEST_SERVER = "http://testserver"


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def issuer_on_test_server(settings: Any) -> None:
    # The issuer identifier must be the host the test client and the wallet talk to.
    settings.PUBLIC_URL = TEST_SERVER


def decided(org: Org, decision: str = "grant", note: str = "", **changes: Any) -> Result:
    """A judicial record dossier received, handled and approved with `decision`."""
    users = org.users
    dossier = services.submit_dossier(
        submission=judicial_record(**changes),
        channel=Channel.COUNTER,
        actor=users["counter_halong"],
        point=org.points["halong"],
        outcome=services.Outcome("accept"),
    )
    processing.assign_handler(
        dossier=dossier, assignee=users["officer_stp"], actor=users["leader_stp"]
    )
    processing.propose(dossier=dossier, decision=decision, note=note, actor=users["officer_stp"])
    processing.approve(dossier=dossier, actor=users["leader_stp"])
    return Result.objects.select_related("dossier", "agency").get(dossier=dossier)


@pytest.fixture
def granted(processing_org: Org) -> Result:
    return decided(processing_org)


@pytest.fixture
def credential(granted: Result) -> IssuedCredential:
    # results.sign_result calls prepare_credential too; it is idempotent.
    prepared = issuance.prepare_credential(granted)
    assert prepared is not None
    return prepared


class InTransactionWSGI:
    """Django's WSGI handler for httpx, inside the test's transaction: the end of a request
    must not close the test's database connection (Django's test client does the same)."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            body = b"".join(response)
            response.close()  # sends request_finished
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return [body]


@pytest.fixture
def wallet_http() -> Iterator[httpx.Client]:
    """An httpx client that reaches this Django in-process, as a wallet would over HTTP."""
    with httpx.Client(
        transport=httpx.WSGITransport(app=InTransactionWSGI()), base_url=TEST_SERVER
    ) as http:
        yield http


@pytest.fixture
def wallet(wallet_http: httpx.Client, processing_org: Org) -> Wallet:
    return Wallet(http=wallet_http, trust_anchor=signing.ca_certificate())


@pytest.fixture
def citizen_client(client: Client, db: None) -> Client:
    return log_in(client, citizen())
