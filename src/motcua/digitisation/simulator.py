"""A stand-in for the national databases, served by this process under /simulators/national-db/
so that tests and the demo run `HttpNationalDatabases`' real HTTP code. It answers the protocol
of `motcua.digitisation.national` from the synthetic records of `data/national_demo.yaml`, and
is on only while MOTCUA_NATIONAL_DB_PROVIDER is "demo" (404 otherwise).

It plays an outside system, not part of motcua: it has no rate limits, sessions or CSRF (its
callers are servers with a bearer token), and it keeps no state.

Special numbers let tests and demos meet the failures a real platform has:
- `UNAVAILABLE_ID` (population and civil status) and `UNAVAILABLE_TAX_CODE` answer 503;
- `SLOW_ID` answers only after `SLOW_SECONDS`, to run into a client's read timeout.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from motcua.digitisation.national import NOT_FOUND, national_db_token

DATA_FILE = Path(__file__).resolve().parent / "data" / "national_demo.yaml"
UNAVAILABLE_ID = "022099000503"
UNAVAILABLE_TAX_CODE = "5700000503"
SLOW_ID = "022099000504"
SLOW_SECONDS = 1.0

Answer = dict[str, Any]


@csrf_exempt
@require_POST
def citizen(request: HttpRequest) -> HttpResponse:
    return _serve(request, "id_number", _person)


@csrf_exempt
@require_POST
def civil_status(request: HttpRequest) -> HttpResponse:
    return _serve(request, "id_number", _civil_status)


@csrf_exempt
@require_POST
def enterprise(request: HttpRequest) -> HttpResponse:
    return _serve(request, "tax_code", _business)


def _serve(request: HttpRequest, key: str, lookup: Callable[[str], Answer | None]) -> HttpResponse:
    if settings.NATIONAL_DB_PROVIDER != "demo":
        raise Http404()
    if not _authorised(request):
        return JsonResponse(
            {"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"}
        )
    try:
        identifier = json.loads(request.body)[key]
    except (ValueError, TypeError, KeyError):
        identifier = None
    if not isinstance(identifier, str):
        return JsonResponse({"error": "bad_request"}, status=400)
    if identifier in (UNAVAILABLE_ID, UNAVAILABLE_TAX_CODE):
        return JsonResponse({"error": "unavailable"}, status=503)
    if identifier == SLOW_ID:
        time.sleep(SLOW_SECONDS)
    answer = lookup(identifier)
    if answer is None:
        return JsonResponse({"error": NOT_FOUND}, status=404)
    return JsonResponse(answer)


def _authorised(request: HttpRequest) -> bool:
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    return (
        scheme.lower() == "bearer"
        and bool(token)
        and hmac.compare_digest(token.encode(), national_db_token().encode())
    )


def _person(id_number: str) -> Answer | None:
    record = _citizens().get(id_number)
    if record is None:
        return None
    return {
        "id_number": record["id_number"],
        "name": record["name"],
        "birth_date": _text(record["birth_date"]),
        "sex": record["sex"],
        "address": record["address"],
        "temporary_address": record.get("temporary_address", ""),
        "phone": record.get("phone", ""),
    }


def _civil_status(id_number: str) -> Answer | None:
    record = _citizens().get(id_number)
    if record is None:
        return None
    return {
        "documents": [
            _document(item, registry="civil_status", holder_id=id_number)
            for item in record.get("civil_status", [])
        ]
    }


def _business(tax_code: str) -> Answer | None:
    record = _businesses().get(tax_code)
    if record is None:
        return None
    # The enterprise code on the registration certificate is the tax code.
    item = record | {"document_type": "business_registration", "number": tax_code}
    return _document(item, registry="business_registration", holder_id=tax_code)


def _document(item: dict[str, Any], *, registry: str, holder_id: str) -> Answer:
    return {
        "registry": registry,
        "document_type": item["document_type"],
        "number": str(item["number"]),
        "issuer": item["issuer"],
        "issued_on": _optional_text(item.get("issued_on")),
        "valid_until": _optional_text(item.get("valid_until")),
        "holder_id": holder_id,
        "title": item["title"],
        "fields": {name: _text(value) for name, value in item.get("fields", {}).items()},
    }


def _text(value: Any) -> str:
    # YAML reads unquoted dates as dates; the protocol writes them as ISO text.
    return value.isoformat() if isinstance(value, date) else str(value)


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _demo_data() -> dict[str, Any]:
    with DATA_FILE.open(encoding="utf-8") as file:
        data: dict[str, Any] = yaml.safe_load(file)
    return data


@cache
def _citizens() -> dict[str, dict[str, Any]]:
    return {str(record["id_number"]): record for record in _demo_data()["citizens"]}


@cache
def _businesses() -> dict[str, dict[str, Any]]:
    return {str(record["tax_code"]): record for record in _demo_data()["businesses"]}
