"""Adapters to the national databases whose data replaces paper (NQ 66.7/2025): population,
civil status and business registration. Asking a citizen again for what they hold is prohibited
(NĐ 118 Đ5), so intake looks there first.

The real databases are reached through the national data-sharing platform (NDXP, via the
province's LGSP) with agency credentials, and publish no open specification. `national_databases()`
returns the configured adapter (`MOTCUA_NATIONAL_DB_PROVIDER`):

- "demo": `HttpNationalDatabases` against the simulator this process serves
  (`motcua.digitisation.simulator`) under /simulators/national-db;
- "http": `HttpNationalDatabases` against `MOTCUA_NATIONAL_DB_URL`, a bridge at the LGSP that
  speaks the protocol below;
- the dotted path of a class implementing `NationalDatabases`, built without arguments.

The protocol: JSON over HTTPS, `Authorization: Bearer <MOTCUA_NATIONAL_DB_TOKEN>`, one POST per
lookup with the identifier in the body, never in the URL, so that access logs on both sides
(and httpx's own request log) never record a citizen identity number.

POST population/citizen               {"id_number"} → a person
POST civil-status/records             {"id_number"} → {"documents": [document, ...]}
POST business-registration/enterprise {"tax_code"}  → a document

A person: id_number, name, birth_date (ISO), sex ("male"/"female"), address, temporary_address,
phone. A document: registry, document_type, number, issuer, issued_on, valid_until (ISO or null),
holder_id, title, fields (an object of strings). Nobody known: 404 with {"error": "not_found"};
any other answer means the database could not be used.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, Protocol, cast

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import MotcuaError
from motcua.dossiers.cccd import Sex, describe_cccd, normalise_cccd

logger = logging.getLogger(__name__)

Database = Literal["population", "civil_status", "business_registration"]
SIMULATOR_PATH = "/simulators/national-db"
# The platform answers within a second when it is up; a counter officer should not wait long to
# learn that it is down and fall back to the paper documents.
TIMEOUT = httpx.Timeout(5.0, connect=2.0)
NOT_FOUND = "not_found"

UNAVAILABLE_MESSAGES: dict[Database, Any] = {
    "population": _(
        "The national population database is not answering. Try again in a few minutes."
    ),
    "civil_status": _("The civil status database is not answering. Try again in a few minutes."),
    "business_registration": _(
        "The national business registration database is not answering. Try again in a few minutes."
    ),
}

# Ten digits for an enterprise; a dependent unit (branch) adds a dash and three digits.
_TAX_CODE = re.compile(r"([0-9]{10})(?:-?([0-9]{3}))?", re.ASCII)
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class PersonRecord:
    """What the national population database (CSDL quốc gia về dân cư) holds about a citizen."""

    id_number: str
    name: str
    birth_date: date
    sex: Sex
    address: str  # permanent residence (nơi thường trú)
    temporary_address: str  # temporary residence (nơi tạm trú); "" if none
    phone: str  # "" if none registered


@dataclass(frozen=True)
class RegistryDocument:
    """A record a national database holds that stands for a paper document."""

    registry: Database
    document_type: str  # the document store's type code, e.g. "birth_certificate"
    number: str
    issuer: str
    issued_on: date | None
    valid_until: date | None
    holder_id: str  # the CCCD number or the tax code it belongs to
    title: str  # as the registry writes it, e.g. "Trích lục khai sinh số 45/1990"
    fields: dict[str, str]


class NationalDatabases(Protocol):
    def person(self, id_number: str) -> PersonRecord | None:
        """The citizen with this CCCD number, or None if the population database has none."""
        ...

    def civil_status(self, id_number: str) -> list[RegistryDocument]:
        """The civil status records (birth, marriage, marital status) of the citizen."""
        ...

    def business(self, tax_code: str) -> RegistryDocument | None:
        """The business registration of this tax code, or None if there is none."""
        ...


class NationalDatabaseUnavailable(MotcuaError):
    code = "national_database_unavailable"
    status = 503

    def __init__(self, database: Database) -> None:
        self.database = database
        super().__init__(UNAVAILABLE_MESSAGES[database])


class _BadAnswer(Exception):
    """An answer that cannot be read as the protocol says; the message names the key only,
    never a value (personal data)."""


def normalise_tax_code(tax_code: str) -> str:
    """The tax code as registries write it ("0101234567" or "0101234567-001"); raises
    `MotcuaError(code="invalid_tax_code")` if it is not one."""
    match = _TAX_CODE.fullmatch(_WHITESPACE.sub("", tax_code))
    if match is None:
        message = _("A tax code has 10 digits, or 13 for a branch, written like 0101234567-001.")
        raise MotcuaError(message, code="invalid_tax_code", fields={"tax_code": [message]})
    base, branch = match.groups()
    return f"{base}-{branch}" if branch else base


class HttpNationalDatabases:
    """The protocol of the module docstring; every call is one HTTP request, nothing is cached."""

    def __init__(self, *, base_url: str, token: str, timeout: httpx.Timeout = TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def person(self, id_number: str) -> PersonRecord | None:
        number = _checked_id(id_number)
        answer = self._lookup("population", "population/citizen", {"id_number": number})
        if answer is None:
            return None
        try:
            person = PersonRecord(
                id_number=_text(answer, "id_number"),
                name=_text(answer, "name"),
                birth_date=_date(answer, "birth_date"),
                sex=_sex(answer),
                address=_text(answer, "address"),
                temporary_address=_text(answer, "temporary_address"),
                phone=_text(answer, "phone"),
            )
        except _BadAnswer as error:
            raise _unavailable("population", f"unreadable {error}") from error
        if person.id_number != number:
            raise _unavailable("population", "an answer about another citizen")
        return person

    def civil_status(self, id_number: str) -> list[RegistryDocument]:
        number = _checked_id(id_number)
        answer = self._lookup("civil_status", "civil-status/records", {"id_number": number})
        if answer is None:
            return []
        documents = answer.get("documents")
        if not isinstance(documents, list):
            raise _unavailable("civil_status", "no document list")
        return [_document("civil_status", item, holder_id=number) for item in documents]

    def business(self, tax_code: str) -> RegistryDocument | None:
        code = normalise_tax_code(tax_code)
        database: Database = "business_registration"
        answer = self._lookup(database, "business-registration/enterprise", {"tax_code": code})
        return None if answer is None else _document(database, answer, holder_id=code)

    def _lookup(
        self, database: Database, path: str, query: dict[str, str]
    ) -> dict[str, Any] | None:
        """The JSON object answered, or None for "nobody known"; raises
        `NationalDatabaseUnavailable` for everything else."""
        try:
            response = httpx.post(
                f"{self.base_url}/{path}",
                json=query,
                headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
                timeout=self.timeout,
            )
        except httpx.HTTPError as error:
            raise _unavailable(database, type(error).__name__) from error
        try:
            answer = response.json()
        except ValueError as error:
            # Also a 404 page of a wrong base URL: it must not read as "nobody known".
            raise _unavailable(database, f"HTTP {response.status_code}, not JSON") from error
        if not isinstance(answer, dict):
            raise _unavailable(database, f"HTTP {response.status_code}, not a JSON object")
        if response.status_code == 404 and answer.get("error") == NOT_FOUND:
            return None
        if response.status_code != 200:
            raise _unavailable(database, f"HTTP {response.status_code}")
        return answer


def _checked_id(id_number: str) -> str:
    # A malformed number is the caller's typing error, told at once, and no request is made.
    number = normalise_cccd(id_number)
    describe_cccd(number)
    return number


def _unavailable(database: Database, reason: str) -> NationalDatabaseUnavailable:
    # The reason names the failure, never the identifier looked up (personal data).
    logger.warning("The national %s database could not be used: %s", database, reason)
    return NationalDatabaseUnavailable(database)


def _text(answer: dict[str, Any], key: str) -> str:
    value = answer.get(key)
    if not isinstance(value, str):
        raise _BadAnswer(key)
    return value


def _sex(answer: dict[str, Any]) -> Sex:
    value = _text(answer, "sex")
    if value not in ("male", "female"):
        raise _BadAnswer("sex")
    return cast(Sex, value)


def _date(answer: dict[str, Any], key: str) -> date:
    try:
        return date.fromisoformat(_text(answer, key))
    except ValueError as error:
        raise _BadAnswer(key) from error


def _optional_date(answer: dict[str, Any], key: str) -> date | None:
    return None if answer.get(key) is None else _date(answer, key)


def _document(database: Database, answer: Any, *, holder_id: str) -> RegistryDocument:
    try:
        if not isinstance(answer, dict):
            raise _BadAnswer("document")
        fields = answer.get("fields")
        if not isinstance(fields, dict) or not all(
            isinstance(value, str) for value in fields.values()
        ):
            raise _BadAnswer("fields")
        if _text(answer, "registry") != database:
            raise _BadAnswer("registry")
        document = RegistryDocument(
            registry=database,
            document_type=_text(answer, "document_type"),
            number=_text(answer, "number"),
            issuer=_text(answer, "issuer"),
            issued_on=_optional_date(answer, "issued_on"),
            valid_until=_optional_date(answer, "valid_until"),
            holder_id=_text(answer, "holder_id"),
            title=_text(answer, "title"),
            fields={str(key): value for key, value in fields.items()},
        )
    except _BadAnswer as error:
        raise _unavailable(database, f"unreadable {error}") from error
    if document.holder_id != holder_id:
        raise _unavailable(database, "a record of someone else")
    return document


def national_db_token() -> str:
    """The bearer token: MOTCUA_NATIONAL_DB_TOKEN, or for the demo simulator one derived from
    the secret key."""
    token = settings.NATIONAL_DB_TOKEN
    if token:
        return str(token)
    if _provider() != "demo":
        raise ImproperlyConfigured(
            "MOTCUA_NATIONAL_DB_TOKEN must be set for the national database provider "
            f"{_provider()!r}: a token derived from the secret key only suits the simulator."
        )
    return hmac.new(
        settings.SECRET_KEY.encode(), b"motcua.digitisation.national-db", hashlib.sha256
    ).hexdigest()


def national_databases() -> NationalDatabases:
    """The configured adapter (see the module docstring)."""
    provider = _provider()
    url = str(settings.NATIONAL_DB_URL)
    if provider == "demo":
        return HttpNationalDatabases(
            base_url=url or settings.PUBLIC_URL + SIMULATOR_PATH, token=national_db_token()
        )
    if provider == "http":
        if not url:
            raise ImproperlyConfigured(
                "MOTCUA_NATIONAL_DB_URL must be set for the national database provider 'http'."
            )
        return HttpNationalDatabases(base_url=url, token=national_db_token())
    try:
        adapter_class = import_string(provider)
    except ImportError as error:
        raise ImproperlyConfigured(f"Unknown MOTCUA_NATIONAL_DB_PROVIDER {provider!r}.") from error
    adapter: NationalDatabases = adapter_class()
    return adapter


def _provider() -> str:
    return str(settings.NATIONAL_DB_PROVIDER)
