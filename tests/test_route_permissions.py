"""Every route × every role: who may open it, and what each one sees.

Every URL pattern of the project (pages, API operations, admin) must have a row in ROUTES or be
an admin route; a new route without a row fails `test_every_route_is_in_the_matrix`. Detail and
list routes also say which objects each user must see, so removing a jurisdiction check fails.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.signals import request_finished
from django.db import close_old_connections, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from motcua.digitisation import services as digitisation
from motcua.digitisation.models import StoredDocument
from motcua.dossiers import services as dossier_services
from motcua.dossiers.intake import Applicant, Submission, UploadedFile
from motcua.dossiers.models import Channel
from motcua.organisation.models import Counter
from tests.intake_data import pdf_bytes
from tests.org import STAFF, Org

ANONYMOUS = "anonymous"
USERS = [ANONYMOUS, *STAFF]
PUBLIC = "public"
LOGGED_IN = "logged_in"
NOWHERE = "nowhere"  # a name ninja reverses to build paths; it serves nothing (404 for all)


@dataclass(frozen=True)
class Route:
    """`access`: PUBLIC, LOGGED_IN or a permission code. `objects`: for routes taking one object
    id, the kind of object ("service_point" / "agency"); the visibility table says who sees which.
    `method`: the HTTP method to try. `query`: a query string the route needs."""

    access: str
    objects: str | None = None
    method: str = "get"
    query: str = ""
    lists: str | None = None
    only: frozenset[str] | None = None  # of those with `access`, only these users may
    args: tuple[Any, ...] = ()
    body: dict[str, Any] | None = None  # a JSON body to send
    expect: frozenset[int] | None = None  # the status every allowed user gets, if not 2xx/302
    tail: tuple[Any, ...] = ()  # URL arguments after the object's (an action's name)


APPLICANT = {
    "name": "Nguyễn Văn An",
    "id_number": "022090012345",
    "address": "Phường Hạ Long",
    "birth_date": "1990-05-12",
}
PDF = base64.b64encode(pdf_bytes(1)).decode()
ONLINE_BODY = {
    "procedure": "2.000815",
    "applicant": APPLICANT,
    "data": {"ten_giay_to": "Học bạ", "so_trang": 1, "so_ban": 1},
    "commune": "06688",
    "files": [
        {"document": "ban_chinh", "name": "a.pdf", "content_base64": PDF},
        {"document": "ban_sao", "name": "b.pdf", "content_base64": PDF},
    ],
}
COUNTER_BODY = ONLINE_BODY | {"channel": "counter"}
SCAN_BODY = {
    "owner_id": "022190012345",
    "owner_name": "Lê Thị Hoa",
    "declared_pages": 1,
    "files": [{"name": "a.pdf", "content_base64": PDF}],
}
RECEIVERS = frozenset({"counter_halong", "counter_tinh", "manager_halong"})
PROVINCE_WIDE = frozenset({"monitor", "sysadmin"})
NOT_YET = frozenset({404})  # nothing of the kind exists yet (no result, not received)


def counter_action(body: dict[str, Any], ticket: bool = False) -> Route:
    """A counter's action of the queue API: the counter is closed (409); a ticket that does not
    exist is not found (404)."""
    return Route(
        "queue.serve",
        objects="counter",
        method="post",
        body=body,
        tail=(0,) if ticket else (),
        expect=NOT_YET if ticket else frozenset({409}),
    )


def action(
    body: dict[str, Any], tail: tuple[Any, ...] = (), expect: frozenset[int] | None = None
) -> Route:
    """A processing action of the API on the matrix's dossiers (see ROUTES)."""
    return Route(
        "dossier.view",
        objects="dossier",
        method="post",
        body=body,
        tail=tail,
        expect=expect or frozenset({409}),
    )


ROUTES: dict[str, Route] = {
    "core:home": Route(PUBLIC),
    "core:login": Route(PUBLIC),
    "core:logout": Route(PUBLIC, method="post"),
    "core:audit_log": Route("audit.view"),
    "core:jobs": Route("jobs.view"),
    "set_language": Route(PUBLIC, method="post"),
    "organisation:service_points": Route("organisation.view", lists="service_point"),
    "organisation:service_point": Route("organisation.view", objects="service_point"),
    "organisation:agencies": Route("organisation.view", lists="agency"),
    "organisation:agency": Route("organisation.view", objects="agency"),
    "workcalendar:calendar": Route("calendar.view"),
    "api:calendar_days": Route("calendar.view", query="start=2026-02-01&end=2026-02-28"),
    "api:add_working_days": Route("calendar.view", query="start=2026-02-12&days=3"),
    "api:add_working_hours": Route("calendar.view", query="start=2026-02-12T10:00&hours=8"),
    "api:working_time": Route("calendar.view", query="start=2026-02-12T10:00&end=2026-02-24T10:00"),
    "api:same_day_due": Route("calendar.view", query="received_at=2026-02-13T16:00"),
    # Live events of the whole province: only province-wide principals may listen.
    "core:event_stream": Route(
        LOGGED_IN, query="topic=province.22", only=frozenset({"monitor", "sysadmin"})
    ),
    "api:api-root": Route(NOWHERE),
    "catalogue:procedures": Route(PUBLIC, query="q=chung+thuc"),
    "catalogue:procedure": Route(PUBLIC, args=("2.000815",)),
    "api:procedures": Route(PUBLIC, query="q=chung+thuc"),
    "api:procedure": Route(PUBLIC, args=("2.000815",)),
    "api:procedure_fee": Route(PUBLIC, args=("2.000815",), query="pages=3"),
    "api:health": Route(PUBLIC),
    "api:openapi-json": Route(PUBLIC),
    "api:openapi-view": Route(PUBLIC),
    "api:me": Route(LOGGED_IN),
    "api:agencies": Route("organisation.view", lists="agency"),
    "api:agency": Route("organisation.view", objects="agency"),
    "api:service_points": Route("organisation.view", lists="service_point"),
    "api:service_point": Route("organisation.view", objects="service_point"),
    "api:counters": Route("organisation.view", lists="counter"),
    # Dossiers
    "dossiers:apply": Route(PUBLIC, args=("2.000815",)),
    "dossiers:track": Route(PUBLIC),
    "dossiers:track_supplement": Route(PUBLIC, method="post", expect=frozenset({404})),
    "dossiers:tracked_slip": Route(PUBLIC, args=(0,), query="code=x&s=y", expect=frozenset({404})),
    "dossiers:list": Route("dossier.view", lists="dossier"),
    "dossiers:receive_choose": Route("dossier.receive"),
    "dossiers:receive": Route("dossier.receive", args=("2.000815",)),
    "dossiers:detail": Route("dossier.view", objects="dossier"),
    "dossiers:decide": Route("dossier.receive", objects="dossier", method="post"),
    "dossiers:settle_fee": Route("dossier.receive", objects="dossier", method="post"),
    "dossiers:supplement": Route("dossier.receive", objects="dossier", method="post"),
    "dossiers:slip_pdf": Route("dossier.view", objects="slip"),
    "dossiers:document_file": Route("dossier.view", objects="document"),
    "api:dossiers_create": Route(
        "dossier.receive", method="post", body=COUNTER_BODY, only=RECEIVERS
    ),
    "api:dossiers": Route("dossier.view", lists="dossier"),
    "api:dossier": Route("dossier.view", objects="dossier"),
    "api:dossier_decide": Route(
        "dossier.receive",
        objects="dossier",
        method="post",
        body={"decision": "refuse", "items": ["Không thuộc thẩm quyền"]},
    ),
    "api:dossier_slip_pdf": Route("dossier.view", objects="slip"),
    # Online filing needs an e-ID login (tests/identity/test_api_filing.py files with one):
    # without the login's tokens everyone is refused (403).
    "api:public_dossiers_create": Route(
        PUBLIC, method="post", body=ONLINE_BODY, expect=frozenset({403})
    ),
    "api:public_tracking": Route(PUBLIC, args=("x",), query="s=y", expect=frozenset({404})),
    # Processing. The matrix's dossiers wait for a supplement at receipt, so every processing
    # action is an illegal transition (409, or a page's redirect with the reason) for those
    # who see them; tests/dossiers/test_processing*.py walk the legal ones.
    "dossiers:work": Route("dossier.view"),
    "dossiers:act": Route("dossier.view", objects="dossier", method="post", tail=("approve",)),
    "dossiers:control_slip": Route("dossier.view", objects="dossier"),
    "dossiers:control_slip_pdf": Route("dossier.view", objects="dossier", expect=NOT_YET),
    "dossiers:result_pdf": Route("dossier.view", objects="dossier", expect=NOT_YET),
    "dossiers:verify_result": Route(PUBLIC, args=("x",), expect=NOT_YET),
    "dossiers:verified_result_pdf": Route(PUBLIC, args=("x",), expect=NOT_YET),
    "dossiers:ca_certificate": Route(PUBLIC),
    "dossiers:track_stop": Route(PUBLIC, method="post", expect=NOT_YET),
    "dossiers:tracked_result": Route(PUBLIC, query="code=x&s=y", expect=NOT_YET),
    "api:work_counts": Route("dossier.view"),
    "api:work_box": Route("dossier.view", args=("handle",)),
    "api:dossier_tasks": Route("dossier.view", objects="dossier"),
    "api:control_slip": Route("dossier.view", objects="dossier"),
    "api:control_slip_pdf": Route("dossier.view", objects="dossier", expect=NOT_YET),
    "api:dossier_result": Route("dossier.view", objects="dossier", expect=NOT_YET),
    "api:dossier_result_pdf": Route("dossier.view", objects="dossier", expect=NOT_YET),
    "api:dossier_assign": action({"assignee": "officer_stp"}),
    "api:dossier_consult": action({"agencies": ["000.00.02.H22"], "question": "?", "days": 1}),
    "api:dossier_consult_reply": action({"reply": "ok"}, tail=(0,)),
    "api:dossier_supplement_request": action({"items": ["Bổ sung"]}),
    "api:dossier_financial": action({"amount": 1000, "note": "Lệ phí"}),
    "api:dossier_propose": action({"decision": "grant"}),
    "api:dossier_approve": action({}),
    "api:dossier_send_back": action({"note": "Xem lại"}),
    "api:dossier_return": action({"method": "counter"}),
    "api:dossier_extend": action({"new_due_date": "2027-01-05", "reason": "Chờ xác minh"}),
    # Waiting for a supplement may still be stopped: the receiving point records the
    # applicant's request; others are refused (403).
    "api:dossier_stop_request": action({"reason": "Không cần nữa"}, expect=frozenset({200, 403})),
    "api:dossier_stop": action({}),
    # Queues (the matrix's points have counters but no queue services: nothing to issue or
    # call; tests/queueing walk the rest). A counter opens for its point's officers.
    "queueing:counters": Route("queue.serve"),
    "queueing:kiosk": Route(PUBLIC, args=("ttpvhcc-06688",)),
    "queueing:check_in": Route(
        PUBLIC, method="post", args=("ttpvhcc-06688",), expect=frozenset({400})
    ),
    "queueing:follow": Route(PUBLIC, args=("x",), expect=NOT_YET),
    "queueing:ticket_print": Route(PUBLIC, args=("x",), expect=NOT_YET),
    "queueing:follow_cancel": Route(PUBLIC, method="post", args=("x",), expect=NOT_YET),
    "queueing:book": Route(PUBLIC, args=("ttpvhcc-06688",)),
    "queueing:booking": Route(PUBLIC, args=("x",), expect=NOT_YET),
    # Display boards: public; the matrix has no queue services (an empty board, no call to
    # voice: a clip exists only for a number called to that counter today).
    "queueing:display": Route(PUBLIC, args=("ttpvhcc-06688",)),
    "queueing:board_state": Route(PUBLIC, args=("ttpvhcc-06688",)),
    "queueing:chime": Route(PUBLIC),
    "queueing:voice": Route(PUBLIC, args=("A001", 1), expect=NOT_YET),
    # The counter console, the rating tablet, the live view and the reports (no queue services:
    # empty queues; opening a counter, rolled back, sends back to the console: 302).
    "queueing:rate": Route(PUBLIC, method="post", args=("x",), expect=NOT_YET),
    "queueing:rate_tablet": Route(PUBLIC, args=(0,), expect=NOT_YET),
    "queueing:console": Route("queue.serve", objects="counter"),
    "queueing:console_act": Route("queue.serve", objects="counter", method="post", tail=("open",)),
    "queueing:live": Route("monitoring.view"),
    "queueing:live_point": Route("monitoring.view", objects="service_point"),
    "queueing:reports": Route("monitoring.view", query="format=csv"),
    "api:queue_issue": Route(
        PUBLIC,
        method="post",
        body={"service_point": "ttpvhcc-06688", "service": "none"},
        expect=NOT_YET,
    ),
    "api:queue_place": Route(PUBLIC, args=("x",), expect=NOT_YET),
    "api:queue_board": Route(PUBLIC, args=("ttpvhcc-06688",)),
    "api:queue_counter_open": Route("queue.serve", objects="counter", method="post", body={}),
    "api:queue_counter_pause": counter_action({"reason": "Họp"}),
    "api:queue_counter_resume": counter_action({}),
    "api:queue_counter_close": counter_action({}),
    "api:queue_call_next": counter_action({}),
    "api:queue_call": counter_action({}, ticket=True),
    "api:queue_recall": counter_action({}, ticket=True),
    "api:queue_start": counter_action({}, ticket=True),
    "api:queue_hold": counter_action({}, ticket=True),
    "api:queue_transfer": counter_action({"service": "none"}, ticket=True),
    "api:queue_no_show": counter_action({}, ticket=True),
    "api:queue_finish": counter_action({"dossier": ""}, ticket=True),
    "api:public_stop_request": Route(
        PUBLIC, method="post", args=("x",), body={"reason": "x", "secret": "y"}, expect=NOT_YET
    ),
    # Payments are public: a citizen pays without a staff login. Without the signed token or
    # the gateway's signed parameters nobody gets anything (tests/payments check the rest).
    "payments:payment": Route(PUBLIC, args=(0,), query="token=x", expect=frozenset({404})),
    "payments:start": Route(PUBLIC, args=(0,), method="post", expect=frozenset({404})),
    "payments:return": Route(PUBLIC, expect=frozenset({400})),
    "payments:ipn": Route(PUBLIC, method="post"),
    "payments:gateway_pay": Route(PUBLIC, expect=frozenset({400})),
    # Digitisation. The matrix's scans wait for OCR (nothing to confirm, retry or download:
    # 409 or 404); its stored documents came from a national database (no file).
    "digitisation:station": Route("document.digitise"),
    "digitisation:item": Route("document.digitise", objects="scan"),
    "digitisation:confirm": Route(
        "document.digitise", objects="scan", method="post", expect=frozenset({409})
    ),
    "digitisation:retry": Route("document.digitise", objects="scan", method="post"),
    "digitisation:discard": Route("document.digitise", objects="scan", method="post"),
    "digitisation:searchable_pdf": Route("document.digitise", objects="scan", expect=NOT_YET),
    "digitisation:documents": Route("document.view", query="q=giay+khai+sinh"),
    "digitisation:fetch_national": Route("document.digitise", method="post"),
    "digitisation:document": Route("document.view", objects="stored_document"),
    "digitisation:withdraw": Route("document.digitise", objects="stored_document", method="post"),
    "digitisation:document_file": Route("document.view", objects="stored_document", expect=NOT_YET),
    "digitisation:reusable": Route(
        "dossier.receive", query="procedure=2.000815&applicant.id_number=022190012345"
    ),
    "api:digitisation_scans_create": Route(
        "document.digitise", method="post", body=SCAN_BODY, only=RECEIVERS
    ),
    "api:digitisation_scans": Route("document.digitise", lists="scan"),
    "api:digitisation_scan": Route("document.digitise", objects="scan"),
    "api:digitisation_scan_confirm": Route(
        "document.digitise",
        objects="scan",
        method="post",
        body={"document_type": "other", "fields": {}},
        expect=frozenset({409}),
    ),
    "api:digitisation_scan_retry": Route(
        "document.digitise", objects="scan", method="post", body={}, expect=frozenset({409})
    ),
    "api:digitisation_scan_discard": Route(
        "document.digitise", objects="scan", method="post", body={}
    ),
    "api:digitisation_documents": Route("document.view", lists="stored_document"),
    "api:digitisation_document": Route("document.view", objects="stored_document"),
    "api:digitisation_metrics": Route("dossier.view", query="since=2026-01-01"),
    # Without a number nothing is looked up (422); tests/digitisation cover the lookups.
    "api:digitisation_population": Route(
        "dossier.receive", method="post", body={"id_number": ""}, expect=frozenset({400})
    ),
    "api:digitisation_cccd_qr": Route(
        "dossier.receive",
        method="post",
        body={"payload": "022190012345||Lê Thị Hoa|02011990|Nữ|Quảng Ninh|15082021"},
    ),
    # The citizen's own store: signed in by a one-time code (tests/digitisation).
    "my_store:home": Route(PUBLIC),
    "my_store:ask_code": Route(PUBLIC, method="post"),
    "my_store:enter_code": Route(PUBLIC, method="post"),
    "my_store:sign_out": Route(PUBLIC, method="post"),
    "my_store:file": Route(PUBLIC, args=(0,), expect=NOT_YET),
    "my_store:scan": Route(PUBLIC, args=("ttpvhcc-06688",)),  # → sign in first (302)
    "my_store:scan_status": Route(PUBLIC, args=(0,), expect=NOT_YET),
    # The development e-ID provider (on in the matrix; tests/identity walk the code flow): a
    # bare request names no known client (400), carries no client credentials or no token (401).
    "dev_eid:configuration": Route(PUBLIC),
    "dev_eid:jwks": Route(PUBLIC),
    "dev_eid:authorize": Route(PUBLIC, expect=frozenset({400})),
    "dev_eid:token": Route(PUBLIC, method="post", expect=frozenset({401})),
    "dev_eid:userinfo": Route(PUBLIC, expect=frozenset({401})),
    # Citizen login with e-ID (tests/identity/test_login.py walk it over HTTP). The matrix's
    # provider answers nowhere (503, see `matrix_org`); an answer without a login under way
    # is refused (400).
    "identity:login": Route(PUBLIC, expect=frozenset({503})),
    "identity:callback": Route(PUBLIC, expect=frozenset({400})),
    "identity:logout": Route(PUBLIC, method="post"),
    # The citizen's pages need an e-ID login: everyone else is sent to it (302).
    "identity:data_access": Route(PUBLIC),
    "credentials:wallet": Route(PUBLIC),
    "credentials:offer": Route(PUBLIC, method="post", args=(1,)),
    # The credential issuer (OpenID4VCI; tests/credentials walk it with a test wallet): its
    # metadata, keys and type descriptions are public; a bare token request lacks its grant
    # (400), the credential and notification endpoints their access token (401); the status
    # list of an agency that issued nothing does not exist (404).
    "credentials:issuer_metadata": Route(PUBLIC),
    "credentials:authorization_server_metadata": Route(PUBLIC),
    "credentials:jwt_vc_issuer_metadata": Route(PUBLIC),
    "credentials:jwks": Route(PUBLIC),
    "credentials:type_metadata": Route(PUBLIC, args=("birth_certificate",)),
    "credentials:status_list": Route(PUBLIC, args=("000.00.00.H22", 1), expect=frozenset({404})),
    "credentials:token": Route(PUBLIC, method="post", expect=frozenset({400})),
    "credentials:nonce": Route(PUBLIC, method="post"),
    "credentials:credential": Route(PUBLIC, method="post", expect=frozenset({401})),
    "credentials:notification": Route(PUBLIC, method="post", expect=frozenset({401})),
    # Anyone checks a credential or a result's seal (tests/credentials/test_verifier_*).
    "verifier:verify": Route(PUBLIC),
    "api:credentials_verify": Route(PUBLIC, method="post", body={"credential": "x"}),
    # The national databases' simulator stands for an outside system: without its bearer
    # token, which no user holds, everyone is refused (tests/digitisation/test_national.py).
    "national_db_simulator:citizen": Route(PUBLIC, method="post", expect=frozenset({401})),
    "national_db_simulator:civil_status": Route(PUBLIC, method="post", expect=frozenset({401})),
    "national_db_simulator:enterprise": Route(PUBLIC, method="post", expect=frozenset({401})),
    # Monitoring: the province as a whole is for province-wide roles; every unit's own rules
    # are walked by test_monitoring_units_follow_the_jurisdiction below.
    "monitoring:home": Route(LOGGED_IN),
    "monitoring:ranking": Route("monitoring.view", query="kind=commune"),
    "monitoring:unit": Route(LOGGED_IN, args=("province", "22"), only=PROVINCE_WIDE),
    "monitoring:tiles": Route(LOGGED_IN, args=("province", "22"), only=PROVINCE_WIDE),
    "monitoring:export": Route(LOGGED_IN, args=("province", "22", "csv"), only=PROVINCE_WIDE),
    "monitoring:report": Route(LOGGED_IN, args=("province", "22"), only=PROVINCE_WIDE),
    "api:monitoring_kpis": Route(LOGGED_IN, query="unit=province:22", only=PROVINCE_WIDE),
    "api:monitoring_children": Route(
        LOGGED_IN, query="unit=province:22&kind=commune", only=PROVINCE_WIDE
    ),
    "api:monitoring_trend": Route(LOGGED_IN, query="unit=province:22", only=PROVINCE_WIDE),
    "api:monitoring_index": Route(LOGGED_IN, query="unit=province:22", only=PROVINCE_WIDE),
    "api:monitoring_ranking": Route("monitoring.view", query="kind=commune"),
    "api:monitoring_index_definition": Route(LOGGED_IN),
    "api:monitoring_okrs": Route(LOGGED_IN, query="unit=province:22", only=PROVINCE_WIDE),
    # Other systems: OAuth 2.0 client credentials. A bare POST is a malformed token request;
    # no staff session carries a client's bearer token, so the exchange API refuses them all.
    "oauth:token": Route(PUBLIC, method="post", expect=frozenset({400})),
    "oauth:revoke": Route(PUBLIC, method="post", expect=frozenset({400})),
    "api:exchange_dossiers": Route(PUBLIC, expect=frozenset({401})),
    "api:exchange_dossiers_create": Route(
        PUBLIC, method="post", body=ONLINE_BODY, expect=frozenset({401})
    ),
    "api:exchange_dossier": Route(PUBLIC, args=("x",), expect=frozenset({401})),
    "api:exchange_dossier_events": Route(PUBLIC, args=("x",), expect=frozenset({401})),
    "api:exchange_dossier_document": Route(PUBLIC, args=("x", "y"), expect=frozenset({401})),
    "api:exchange_dossier_result": Route(PUBLIC, args=("x",), expect=frozenset({401})),
    # Transfers between motcua instances: the peers' endpoints take signed envelopes only (400
    # without one); the staff page and API act on a dossier of one's jurisdiction (a transfer
    # to an unknown peer is refused before anything else).
    "transfers:jwks": Route(PUBLIC),
    "transfers:inbox": Route(PUBLIC, method="post", expect=frozenset({400})),
    "transfers:status": Route(PUBLIC, method="post", expect=frozenset({400})),
    "transfers:applicant": Route(PUBLIC, method="post", expect=frozenset({400})),
    "transfers:transfer": Route("dossier.view", objects="dossier"),
    "api:transfer_peers": Route("dossier.view"),
    "api:dossier_transfers": Route("dossier.view", objects="dossier"),
    "api:dossier_transfer": action({"peer": 999999}, expect=frozenset({400})),
    "opendata:index": Route(PUBLIC),
    "opendata:procedures": Route(PUBLIC, args=("json",)),
    "opendata:kpis": Route(PUBLIC, args=("csv",)),
}

# What each user's jurisdiction reaches (keys of the Org's points and agencies).
ALL_POINTS = {"tinh", "halong", "baichay"}
ALL_AGENCIES = {"ubnd_tinh", "stp", "ubnd_halong", "ca_halong", "ubnd_baichay"}
VISIBLE: dict[str, dict[str, set[str]]] = {
    "service_point": {
        "counter_halong": {"halong"},
        "counter_tinh": {"tinh"},
        "manager_halong": {"halong"},
        "officer_halong": {"halong"},
        "officer_stp": {"tinh"},
        "leader_halong": {"halong"},
        "chair_halong": {"halong"},
        "monitor": ALL_POINTS,
        "sysadmin": ALL_POINTS,
    },
    "agency": {
        "counter_halong": {"ubnd_halong", "ca_halong"},
        "counter_tinh": set(),
        "manager_halong": {"ubnd_halong", "ca_halong"},
        "officer_halong": {"ubnd_halong"},
        "officer_stp": {"stp"},
        "leader_halong": {"ubnd_halong"},
        "chair_halong": {"ubnd_halong", "ca_halong"},
        "monitor": ALL_AGENCIES,
        "sysadmin": ALL_AGENCIES,
    },
}
# Counters are seen where their service point is.
VISIBLE["counter"] = VISIBLE["service_point"]
# Dossiers (see `matrix_org`): one received in Hạ Long, one in Bãi Cháy. A point's staff see
# what it received, an agency's staff what it handles, the province everything.
VISIBLE["dossier"] = {
    "counter_halong": {"halong"},
    "manager_halong": {"halong"},
    "officer_halong": {"halong"},
    "leader_halong": {"halong"},
    "chair_halong": {"halong"},
    "monitor": {"halong", "baichay"},
    "sysadmin": {"halong", "baichay"},
}
VISIBLE["slip"] = VISIBLE["document"] = VISIBLE["dossier"]
# Scans and stored documents (see `matrix_org`): one of each at each of the two centres, seen
# by the centre's staff and its agency's, and by the province.
VISIBLE["scan"] = VISIBLE["stored_document"] = VISIBLE["dossier"]


@pytest.fixture
def matrix_org(org: Org, settings: Any, tmp_path: Any) -> Org:
    """The organisation with a dossier in each of two communes, each with a scanned document
    and waiting for a supplement (so that it has a slip and may still be decided)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MOTCUA_PKI_DIR = tmp_path / "pki"
    settings.MOTCUA_VOICE_DIR = tmp_path / "voice"
    settings.DEV_EID_PROVIDER = True
    settings.EID_ISSUER = "http://127.0.0.1:1/eid"  # nothing answers there, whatever runs here
    for key, commune in [("halong", "06688"), ("baichay", "06673")]:
        dossier = dossier_services.submit_dossier(
            submission=Submission(
                procedure_code="2.000815",
                applicant=Applicant(
                    name="Lê Thị Hoa",
                    id_number="022190012345",
                    address="Quảng Ninh",
                    birth_date=dt.date(1990, 1, 2),
                ),
                data={"ten_giay_to": "Học bạ", "so_trang": 1, "so_ban": 1},
                commune_code=commune,
                files={"ban_chinh": UploadedFile("ban-chinh.pdf", pdf_bytes())},
                on_paper=frozenset({"ban_sao"}),
            ),
            channel=Channel.COUNTER,
            point=org.points[key],
            outcome=dossier_services.Outcome(dossier_services.SUPPLEMENT, ("Bản sao mờ",)),
        )
        org.dossiers[key] = dossier
        point = org.points[key]
        org.scans[key] = digitisation.start_digitisation(
            owner_id="022190012345",
            owner_name="Lê Thị Hoa",
            document_type="",
            declared_pages=1,
            files=[UploadedFile("a.pdf", pdf_bytes())],
            point=point,
            actor=None,
        )
        org.stored[key] = StoredDocument.objects.create(
            owner_id="022190012345",
            owner_name="Lê Thị Hoa",
            province=org.province,
            document_type="birth_certificate",
            title="Trích lục khai sinh",
            source=StoredDocument.Source.NATIONAL_DB,
            search_text="le thi hoa giay khai sinh",
            service_point=point,
            agency=point.agency,
        )
    return org


def walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def all_route_names() -> set[str]:
    return {name for name, _ in walk(get_resolver().url_patterns)}


def test_every_route_is_in_the_matrix() -> None:
    missing = {
        name for name in all_route_names() if name not in ROUTES and not name.startswith("admin:")
    }
    assert not missing, f"add these routes to ROUTES in {__file__}: {sorted(missing)}"


def may(user_key: str, access: str, only: frozenset[str] | None = None) -> bool:
    if only is not None and user_key not in only:
        return False
    if access == PUBLIC:
        return True
    if user_key == ANONYMOUS:
        return False
    if access == LOGGED_IN:
        return True
    from motcua.organisation.roles import DEFAULT_ROLES

    role_code = STAFF[user_key][0]
    role = next(r for r in DEFAULT_ROLES if r["code"] == role_code)
    return access in role["permissions"]  # type: ignore[operator]


def client_for(org: Org, user_key: str) -> Client:
    client = Client()
    if user_key != ANONYMOUS:
        client.force_login(org.users[user_key])
    return client


def object_ids(org: Org, kind: str) -> dict[str, int]:
    if kind == "agency":
        return {key: agency.pk for key, agency in org.agencies.items()}
    if kind == "dossier":
        return {key: dossier.pk for key, dossier in org.dossiers.items()}
    if kind == "scan":
        return {key: scan.pk for key, scan in org.scans.items()}
    if kind == "stored_document":
        return {key: document.pk for key, document in org.stored.items()}
    if kind == "counter_object":
        return {key: point.counters.order_by("number")[0].pk for key, point in org.points.items()}
    return {key: point.pk for key, point in org.points.items()}


def object_args(org: Org, kind: str) -> dict[str, list[Any]]:
    """The URL arguments naming each object of `kind`."""
    if kind == "dossier":
        return {key: [dossier.code] for key, dossier in org.dossiers.items()}
    if kind == "document":
        return {
            key: [dossier.code, dossier.documents.exclude(file="").get().pk]
            for key, dossier in org.dossiers.items()
        }
    if kind == "counter":
        return {key: [pk] for key, pk in object_ids(org, "counter_object").items()}
    if kind == "slip":
        return {
            key: [dossier.code, dossier.slips.get().pk] for key, dossier in org.dossiers.items()
        }
    return {key: [pk] for key, pk in object_ids(org, kind).items()}


def call(client: Client, route: Route, url: str) -> Any:
    """Call the route; a write is rolled back, so that it changes nothing the next route sees."""
    method: Callable[..., Any] = getattr(client, route.method)
    full = url + (f"?{route.query}" if route.query else "")
    extra = {"content_type": "application/json"} if route.body is not None else {}
    if route.method == "get":
        return method(full)
    with transaction.atomic():
        response = method(full, route.body or {}, **extra)
        transaction.set_rollback(True)
    return response


def close_without_ending_the_test_transaction(response: Any) -> None:
    """An event stream is checked by its status, not read to the end. Closing a streaming
    response sends request_finished, whose close_old_connections would close the test's
    database connection (its transaction is open) on PostgreSQL."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def assert_denied(response: Any, name: str, user_key: str) -> None:
    is_api = name.startswith("api:") or name == "core:event_stream"
    expected = ({401} if is_api else {302}) if user_key == ANONYMOUS else {403}
    assert response.status_code in expected, (name, user_key, response.status_code)
    if user_key == ANONYMOUS and not is_api:
        assert reverse("core:login") in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("user_key", USERS)
def test_routes_without_objects(matrix_org: Org, user_key: str) -> None:
    org = matrix_org
    for name, route in ROUTES.items():
        if route.objects:
            continue
        # A fresh client per route: logging out must not change the next route's answer.
        response = call(client_for(org, user_key), route, reverse(name, args=route.args))
        close_without_ending_the_test_transaction(response)
        if route.access == NOWHERE:
            assert response.status_code == 404, (name, user_key)
        elif may(user_key, route.access, route.only):
            expected = route.expect or {200, 201, 302}
            assert response.status_code in expected, (name, user_key, response.status_code)
            if response.status_code == 302:
                # Not the staff login (the citizen's pages send to the e-ID login instead).
                staff_login = reverse("core:login") + "?"
                assert not response["Location"].startswith(staff_login), (name, user_key)
            if route.lists:
                assert_list_scoped(org, name, route.lists, user_key, response)
        else:
            assert_denied(response, name, user_key)


def assert_list_scoped(org: Org, name: str, kind: str, user_key: str, response: Any) -> None:
    expected_keys = VISIBLE[kind].get(user_key, set())
    if kind == "counter":
        expected = set(
            Counter.objects.filter(
                service_point__in=[org.points[k] for k in expected_keys]
            ).values_list("pk", flat=True)
        )
    else:
        ids = object_ids(org, kind)
        expected = {ids[key] for key in expected_keys}
    if name.startswith("api:"):
        seen = {row["id"] for row in response.json()}
        assert seen == expected, (name, user_key)
    else:
        listed = {obj.pk for obj in response.context["page"].object_list}
        assert listed == expected, (name, user_key)


@pytest.mark.django_db
@pytest.mark.parametrize("user_key", USERS)
def test_routes_with_objects_are_scoped(matrix_org: Org, user_key: str) -> None:
    org = matrix_org
    client = client_for(org, user_key)
    for name, route in ROUTES.items():
        if not route.objects:
            continue
        visible = VISIBLE[route.objects].get(user_key, set())
        for key, args in object_args(org, route.objects).items():
            response = call(client, route, reverse(name, args=[*args, *route.tail]))
            if not may(user_key, route.access):
                assert_denied(response, name, user_key)
            elif key in visible:
                expected = route.expect or ({200} if route.method == "get" else {200, 302})
                assert response.status_code in expected, (name, user_key, key, response.status_code)
            else:
                assert response.status_code == 404, (name, user_key, key, response.status_code)


def admin_urls(org: Org) -> Iterator[tuple[str, str]]:
    """Each registered model's changelist, add and change pages, plus the index."""
    from django.contrib import admin

    yield "admin:index", reverse("admin:index")
    for model in admin.site._registry:
        opts = model._meta
        base = f"admin:{opts.app_label}_{opts.model_name}"
        yield f"{base}_changelist", reverse(f"{base}_changelist")
        instance = model._default_manager.first()
        if instance is not None:
            yield f"{base}_change", reverse(f"{base}_change", args=[instance.pk])


@pytest.mark.django_db
@pytest.mark.parametrize("user_key", USERS)
def test_admin_is_for_system_administrators_only(org: Org, user_key: str) -> None:
    client = client_for(org, user_key)
    for name, url in admin_urls(org):
        response = client.get(url)
        if may(user_key, "admin.access"):
            assert response.status_code == 200, (name, response.status_code)
        else:
            # The admin sends everyone else to its login, which refuses logged-in staff (403)
            # and sends the anonymous to the staff login page.
            assert response.status_code == 302, (name, user_key)
            followed = client.get(response["Location"])
            assert followed.status_code in {302, 403}, (name, user_key)
            if user_key == ANONYMOUS:
                assert reverse("core:login") in followed["Location"]


@pytest.mark.django_db
def test_superuser_acts_as_province_administrator(org: Org) -> None:
    root = get_user_model().objects.create_superuser("root", password="pw-root")
    client = Client()
    client.force_login(root)
    assert client.get(reverse("admin:index")).status_code == 200
    seen = {row["id"] for row in client.get(reverse("api:service_points")).json()}
    assert seen == {point.pk for point in org.points.values()}


# Monitoring units (see motcua/monitoring/selectors.py): who may open each unit's page and API.
MONITORING_UNITS: dict[tuple[str, str], frozenset[str]] = {
    ("province", "22"): PROVINCE_WIDE,
    ("commune", "halong"): PROVINCE_WIDE | {"chair_halong", "manager_halong"},
    ("commune", "baichay"): PROVINCE_WIDE,
    ("agency", "ubnd_halong"): PROVINCE_WIDE | {"chair_halong", "manager_halong", "leader_halong"},
    ("agency", "ubnd_baichay"): PROVINCE_WIDE,
    ("service_point", "halong"): PROVINCE_WIDE | {"chair_halong", "manager_halong"},
    ("service_point", "baichay"): PROVINCE_WIDE,
    ("officer", "officer_halong"): PROVINCE_WIDE
    | {"officer_halong", "chair_halong", "manager_halong", "leader_halong"},
}


def monitoring_key(org: Org, kind: str, name: str) -> str:
    if kind == "province":
        return name
    if kind == "commune":
        return org.communes[name].code
    if kind == "agency":
        return str(org.agencies[name].pk)
    if kind == "service_point":
        return str(org.points[name].pk)
    return str(org.users[name].pk)


@pytest.mark.django_db
@pytest.mark.parametrize("user_key", USERS)
def test_monitoring_units_follow_the_jurisdiction(org: Org, user_key: str) -> None:
    """A commune's leader sees the commune in full (its agencies, centre and officers) and the
    province's ranking, nothing of another commune; a provincial monitor sees everything;
    an officer sees their own figures."""
    client = client_for(org, user_key)
    for (kind, name), allowed in MONITORING_UNITS.items():
        key = monitoring_key(org, kind, name)
        page = client.get(reverse("monitoring:unit", args=[kind, key]))
        api = client.get(reverse("api:monitoring_kpis"), {"unit": f"{kind}:{key}"})
        if user_key in allowed:
            assert (page.status_code, api.status_code) == (200, 200), (kind, name, user_key)
        elif user_key == ANONYMOUS:
            assert (page.status_code, api.status_code) == (302, 401), (kind, name)
        else:
            assert (page.status_code, api.status_code) == (403, 403), (kind, name, user_key)
    ranking = client.get(reverse("monitoring:ranking"), {"kind": "commune"})
    if may(user_key, "monitoring.view"):
        assert ranking.status_code == 200
        assert "Phường Bãi Cháy" in ranking.content.decode()
