"""The national database adapter against its simulator, over real HTTP (pytest-django's
live server), and the failures a real platform has: refused credentials, outages, timeouts."""

from __future__ import annotations

import logging
import socket
from datetime import date
from typing import Any

import httpx
import pytest
import yaml
from django.core.exceptions import ImproperlyConfigured

from motcua.core.errors import MotcuaError
from motcua.digitisation import doctypes, simulator
from motcua.digitisation.national import (
    HttpNationalDatabases,
    NationalDatabaseUnavailable,
    PersonRecord,
    RegistryDocument,
    national_databases,
    national_db_token,
    normalise_tax_code,
)
from motcua.dossiers.cccd import check_cccd

MAI = "022190012345"
HUNG = "022085004567"
NOBODY = "022190099999"  # well formed, in no database
UNKNOWN_TAX_CODE = "5709999999"

served = pytest.mark.django_db(transaction=True)


@pytest.fixture
def simulator_url(live_server: Any, settings: Any) -> str:
    settings.NATIONAL_DB_PROVIDER = "demo"
    return f"{live_server.url}/simulators/national-db"


@pytest.fixture
def national(simulator_url: str, settings: Any) -> HttpNationalDatabases:
    settings.NATIONAL_DB_URL = simulator_url
    databases = national_databases()
    assert isinstance(databases, HttpNationalDatabases)
    return databases


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/simulators/national-db"


def test_every_demo_citizen_has_a_number_that_fits_them() -> None:
    data = yaml.safe_load(simulator.DATA_FILE.read_text(encoding="utf-8"))
    citizens = {record["id_number"]: record for record in data["citizens"]}
    assert len(citizens) == len(data["citizens"]) >= 5
    for number, record in citizens.items():
        check_cccd(number, date_of_birth=record["birth_date"], sex=record["sex"])
        assert number.startswith("022")  # born in Quảng Ninh
        for document in record["civil_status"]:
            if document["document_type"] == "marriage_certificate":
                fields = document["fields"]
                spouses = {fields["husband_id_number"], fields["wife_id_number"]}
                assert number in spouses
                assert spouses <= citizens.keys()
    assert citizens[MAI]["name"] == "Trần Thị Mai"
    assert citizens[HUNG]["name"] == "Nguyễn Văn Hùng"
    assert len(data["businesses"]) == 2
    special = {simulator.UNAVAILABLE_ID, simulator.SLOW_ID}
    assert not special & citizens.keys()


@served
def test_a_citizen_is_found_in_the_population_database(national: HttpNationalDatabases) -> None:
    # Spaces people type to group the digits are no obstacle.
    assert national.person("0221 9001 2345") == PersonRecord(
        id_number=MAI,
        name="Trần Thị Mai",
        birth_date=date(1990, 5, 12),
        sex="female",
        address="Số 18 phố Lê Thánh Tông, phường Hồng Gai, tỉnh Quảng Ninh",
        temporary_address="",
        phone="0912000101",
    )
    hung = national.person(HUNG)
    assert hung is not None
    assert (hung.name, hung.sex, hung.birth_date) == ("Nguyễn Văn Hùng", "male", date(1985, 3, 2))
    assert hung.temporary_address.endswith("phường Cẩm Phả, tỉnh Quảng Ninh")


@served
def test_every_demo_record_is_a_valid_document_of_the_store(
    national: HttpNationalDatabases,
) -> None:
    """What the databases answer can be kept in the document store as it is: the fields are
    those of the document type, valid, and say the same number, issuer and dates."""
    data = yaml.safe_load(simulator.DATA_FILE.read_text(encoding="utf-8"))
    documents: list[RegistryDocument | None] = [
        doc for record in data["citizens"] for doc in national.civil_status(record["id_number"])
    ]
    documents += [national.business(record["tax_code"]) for record in data["businesses"]]
    assert len(documents) == 10
    for document in documents:
        assert document is not None
        assert doctypes.field_problems(document.document_type, document.fields) == {}
        identity = doctypes.identity_of(document.document_type, document.fields)
        assert (identity.number, identity.issuer) == (document.number, document.issuer)
        assert identity.issued_on == _iso(document.issued_on)
        assert identity.valid_until == _iso(document.valid_until)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


@served
def test_an_unknown_citizen_is_none(national: HttpNationalDatabases) -> None:
    assert national.person(NOBODY) is None
    assert national.civil_status(NOBODY) == []


@served
def test_civil_status_lists_the_birth_and_marriage_records(
    national: HttpNationalDatabases,
) -> None:
    birth, marriage = national.civil_status(MAI)
    assert birth.registry == marriage.registry == "civil_status"
    assert birth.document_type == "birth_certificate"
    assert birth.title == "Trích lục khai sinh số 45/1990"
    assert (birth.number, birth.holder_id, birth.issued_on) == ("45/1990", MAI, date(1990, 5, 21))
    assert birth.valid_until is None
    assert birth.fields["birth_date"] == "1990-05-12"
    assert birth.fields["sex"] == "Nữ"
    assert birth.fields["mother_name"] == "Phạm Thị Lan"
    assert marriage.document_type == "marriage_certificate"
    assert marriage.fields["husband_id_number"] == HUNG
    assert marriage.fields["wife_id_number"] == MAI
    assert marriage.fields["registration_date"] == "2014-10-18"
    # The same marriage, as his record.
    his = [
        doc for doc in national.civil_status(HUNG) if doc.document_type == marriage.document_type
    ]
    assert [(doc.number, doc.holder_id) for doc in his] == [("112/2014", HUNG)]


@served
def test_a_certificate_of_marital_status_has_its_validity(
    national: HttpNationalDatabases,
) -> None:
    documents = {doc.document_type: doc for doc in national.civil_status("022078009876")}
    certificate = documents["marital_status_certificate"]
    assert certificate.valid_until == date(2026, 5, 3)
    assert certificate.fields["marital_status"] == "Chưa đăng ký kết hôn với ai"
    # A citizen whose birth register was never digitised has no records: paper is still needed.
    assert national.person("022162007788") is not None
    assert national.civil_status("022162007788") == []


@served
def test_a_business_is_found_by_its_tax_code(national: HttpNationalDatabases) -> None:
    business = national.business(" 5701234567 ")
    assert business is not None
    assert business.registry == "business_registration"
    assert business.document_type == "business_registration"
    assert (business.number, business.holder_id) == ("5701234567", "5701234567")
    assert business.issued_on == date(2023, 8, 21)  # its last change
    assert business.fields["enterprise_code"] == "5701234567"
    assert business.fields["company_name"] == "Công ty TNHH Du lịch Vịnh Xanh"
    assert business.fields["first_registered_on"] == "2018-04-09"
    assert business.fields["representative_id_number"] == MAI
    assert national.business(UNKNOWN_TAX_CODE) is None
    assert national.business("5701234567-001") is None  # no such branch


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("0101234567", "0101234567"),
        (" 0101 234 567 ", "0101234567"),
        ("0101234567-001", "0101234567-001"),
        ("0101234567001", "0101234567-001"),
    ],
)
def test_tax_codes_are_normalised(given: str, expected: str) -> None:
    assert normalise_tax_code(given) == expected


@pytest.mark.parametrize(
    "given", ["", "010123456", "01012345678", "0101234567-01", "MST0101234567"]
)
def test_malformed_tax_codes_are_refused(given: str) -> None:
    with pytest.raises(MotcuaError) as refused:
        normalise_tax_code(given)
    assert refused.value.code == "invalid_tax_code"
    assert "tax_code" in refused.value.fields


def test_a_malformed_identifier_is_refused_without_a_request() -> None:
    # Nothing listens there: any request would end in NationalDatabaseUnavailable instead.
    national = HttpNationalDatabases(base_url=closed_port_url(), token="t")
    for lookup, value in [
        (national.person, "02219001234"),
        (national.civil_status, "999190012345"),
        (national.business, "57012345"),
    ]:
        with pytest.raises(MotcuaError) as refused:
            lookup(value)
        assert not isinstance(refused.value, NationalDatabaseUnavailable)
        assert refused.value.code in {"invalid_id_number", "invalid_tax_code"}


@served
def test_a_refused_token_makes_the_database_unavailable(simulator_url: str) -> None:
    national = HttpNationalDatabases(base_url=simulator_url, token="not-the-token")
    with pytest.raises(NationalDatabaseUnavailable) as unavailable:
        national.person(MAI)
    error = unavailable.value
    assert (error.status, error.code, error.database) == (
        503,
        "national_database_unavailable",
        "population",
    )
    assert "dân cư" in error.as_dict()["detail"]  # names the database, in Vietnamese


@served
def test_the_simulator_wants_a_bearer_token_and_a_post(simulator_url: str) -> None:
    url = f"{simulator_url}/population/citizen"
    anonymous = httpx.post(url, json={"id_number": MAI})
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert anonymous.json() == {"error": "unauthorized"}
    headers = {"Authorization": f"Bearer {national_db_token()}"}
    assert httpx.get(url, headers=headers).status_code == 405
    assert httpx.post(url, headers=headers, content=b"[").status_code == 400
    found = httpx.post(url, headers=headers, json={"id_number": MAI})
    assert found.json()["name"] == "Trần Thị Mai"


@served
def test_an_outage_makes_each_database_unavailable(
    national: HttpNationalDatabases, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with pytest.raises(NationalDatabaseUnavailable) as population:
        national.person(simulator.UNAVAILABLE_ID)
    with pytest.raises(NationalDatabaseUnavailable) as civil_status:
        national.civil_status(simulator.UNAVAILABLE_ID)
    with pytest.raises(NationalDatabaseUnavailable) as business:
        national.business(simulator.UNAVAILABLE_TAX_CODE)
    assert population.value.database == "population"
    assert civil_status.value.database == "civil_status"
    assert business.value.database == "business_registration"
    assert "hộ tịch" in str(civil_status.value)
    assert "đăng ký doanh nghiệp" in str(business.value)
    assert "HTTP 503" in caplog.text
    # Identifiers are personal data: no log line names them, httpx's request log included.
    assert simulator.UNAVAILABLE_ID not in caplog.text
    assert simulator.UNAVAILABLE_TAX_CODE not in caplog.text


def test_nothing_listening_makes_the_database_unavailable() -> None:
    national = HttpNationalDatabases(base_url=closed_port_url(), token="t")
    with pytest.raises(NationalDatabaseUnavailable) as unavailable:
        national.civil_status(MAI)
    assert unavailable.value.database == "civil_status"
    assert isinstance(unavailable.value.__cause__, httpx.ConnectError)


@served
def test_a_slow_answer_runs_into_the_read_timeout(simulator_url: str, settings: Any) -> None:
    national = HttpNationalDatabases(
        base_url=simulator_url,
        token=national_db_token(),
        timeout=httpx.Timeout(simulator.SLOW_SECONDS / 4, connect=2.0),
    )
    with pytest.raises(NationalDatabaseUnavailable) as unavailable:
        national.person(simulator.SLOW_ID)
    assert isinstance(unavailable.value.__cause__, httpx.ReadTimeout)


@served
def test_a_page_that_is_not_the_protocol_is_no_answer(live_server: Any, settings: Any) -> None:
    # A wrong base URL answers an HTML 404 page: that must not read as "nobody known".
    settings.NATIONAL_DB_PROVIDER = "demo"
    national = HttpNationalDatabases(base_url=f"{live_server.url}/nowhere", token="t")
    with pytest.raises(NationalDatabaseUnavailable):
        national.person(MAI)


@served
def test_an_answer_about_someone_else_is_refused(
    national: HttpNationalDatabases, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_person = simulator._person
    monkeypatch.setattr(simulator, "_person", lambda _id_number: real_person(HUNG))
    with pytest.raises(NationalDatabaseUnavailable):
        national.person(MAI)


@served
def test_an_unreadable_answer_is_refused_without_logging_its_values(
    national: HttpNationalDatabases,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    real_person = simulator._person

    def garbled(id_number: str) -> dict[str, Any] | None:
        answer = real_person(id_number)
        return None if answer is None else answer | {"birth_date": "12/05/1990"}

    monkeypatch.setattr(simulator, "_person", garbled)
    with pytest.raises(NationalDatabaseUnavailable):
        national.person(MAI)
    assert "unreadable birth_date" in caplog.text
    assert "12/05/1990" not in caplog.text


@served
def test_the_simulator_is_off_unless_the_demo_provider_is(
    simulator_url: str, settings: Any
) -> None:
    settings.NATIONAL_DB_PROVIDER = "http"
    settings.NATIONAL_DB_TOKEN = "real-token"
    answer = httpx.post(
        f"{simulator_url}/population/citizen",
        headers={"Authorization": "Bearer real-token"},
        json={"id_number": MAI},
    )
    assert answer.status_code == 404


def test_the_demo_provider_calls_this_process_with_a_derived_token(settings: Any) -> None:
    settings.NATIONAL_DB_PROVIDER = "demo"
    settings.PUBLIC_URL = "https://motcua.example.vn"
    settings.NATIONAL_DB_URL = ""
    settings.NATIONAL_DB_TOKEN = ""
    national = national_databases()
    assert isinstance(national, HttpNationalDatabases)
    assert national.base_url == "https://motcua.example.vn/simulators/national-db"
    assert national.token == national_db_token()
    assert len(national.token) == 64
    settings.SECRET_KEY = "another-secret-key-for-this-test"
    assert national_db_token() != national.token


def test_other_providers_need_their_url_and_token(settings: Any) -> None:
    settings.NATIONAL_DB_PROVIDER = "http"
    settings.NATIONAL_DB_URL = ""
    settings.NATIONAL_DB_TOKEN = ""
    with pytest.raises(ImproperlyConfigured, match="MOTCUA_NATIONAL_DB_URL"):
        national_databases()
    settings.NATIONAL_DB_URL = "https://lgsp.quangninh.example/ndxp/"
    with pytest.raises(ImproperlyConfigured, match="MOTCUA_NATIONAL_DB_TOKEN"):
        national_databases()
    settings.NATIONAL_DB_TOKEN = "agency-token"
    national = national_databases()
    assert isinstance(national, HttpNationalDatabases)
    assert (national.base_url, national.token) == (
        "https://lgsp.quangninh.example/ndxp",
        "agency-token",
    )
    settings.NATIONAL_DB_PROVIDER = "tests.digitisation.test_national.NoDatabases"
    assert isinstance(national_databases(), NoDatabases)
    settings.NATIONAL_DB_PROVIDER = "tests.digitisation.nowhere.Nothing"
    with pytest.raises(ImproperlyConfigured, match="Unknown"):
        national_databases()


class NoDatabases:
    """A provider given by its dotted path."""

    def person(self, id_number: str) -> PersonRecord | None:
        return None

    def civil_status(self, id_number: str) -> list[Any]:
        return []

    def business(self, tax_code: str) -> None:
        return None
