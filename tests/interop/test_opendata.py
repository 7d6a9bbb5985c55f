"""Open data: the procedure catalogue and the aggregate KPIs as JSON and CSV files, with their
validators (ETag, Last-Modified, 304), CORS, rate limit and errors, and the index page that
describes them, in a real browser too."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Page, expect

from motcua.catalogue.models import Procedure
from motcua.catalogue.services import import_procedures
from motcua.core.text import FORMULA_STARTS
from motcua.dossiers import services
from motcua.dossiers.models import Channel
from motcua.interop import opendata
from motcua.monitoring import kpis
from motcua.monitoring.models import UnitDay
from motcua.workcalendar.engine import VN_TZ
from tests.browser.test_intake import ARTIFACTS
from tests.catalogue_data import procedure
from tests.intake_data import certified_copy
from tests.monitoring.flows import processed
from tests.org import Org
from tests.processing_data import judicial_record

# 2 December 2026: the last complete month is November, when the dossiers below were filed.
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=VN_TZ)
FILED_ON = dt.datetime(2026, 11, 17, 9, 0, tzinfo=VN_TZ)  # a Tuesday morning
NOVEMBER = kpis.Period.of("month", FILED_ON.date())
PROCEDURE_FIELDS = [column.name for column in opendata.PROCEDURES.columns]
KPI_FIELDS = [column.name for column in opendata.KPIS.columns]


@pytest.fixture
def frozen(settings: Any, tmp_path: Path) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def november(frozen: Any, processing_org: Org) -> Org:
    """Two dossiers of November: a judicial record received at the Hạ Long centre for the
    Department of Justice and processed that morning, and a certified copy filed online."""
    with time_machine.travel(FILED_ON, tick=False):
        dossier = services.submit_dossier(
            submission=judicial_record(),
            channel=Channel.COUNTER,
            actor=processing_org.users["counter_halong"],
            point=processing_org.points["halong"],
            outcome=services.Outcome("accept"),
        )
        processed(processing_org, dossier)
        services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    return processing_org


def get(name: str, fmt: str = "json", client: Client | None = None, **params: Any) -> Any:
    return (client or Client()).get(reverse(f"opendata:{name}", args=[fmt]), params)


def read_csv(response: Any) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


def rows_by_unit(body: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(row["unit_kind"], row["unit_code"]): row for row in body["rows"]}


# The procedure catalogue -------------------------------------------------------------------


@pytest.mark.django_db
def test_procedures_json_holds_every_offered_procedure_and_its_metadata(
    frozen: Any, processing_org: Org
) -> None:
    Procedure.objects.filter(code="1.012345").update(active=False)  # withdrawn
    response = get("procedures")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["dataset"] == "procedures"
    assert body["title"] == "Thủ tục hành chính"  # Vietnamese whatever the reader's language
    assert body["publisher"] == "Tỉnh Quảng Ninh"
    assert body["licence"]["name"] == "CC BY 4.0"
    assert body["source"] == django_settings.PUBLIC_URL + "/open-data/procedures.json"
    assert body["documentation"] == django_settings.PUBLIC_URL + "/open-data/"
    assert body["last_modified"] == "2026-12-02T03:00:00Z"
    assert [field["name"] for field in body["fields"]] == PROCEDURE_FIELDS
    assert all(field["description"] for field in body["fields"])
    offered = sorted(Procedure.objects.filter(active=True).values_list("code", flat=True))
    assert [row["code"] for row in body["rows"]] == offered
    assert "1.012345" not in offered
    row = {row["code"]: row for row in body["rows"]}["2.000815"]
    assert row == {
        "code": "2.000815",
        "version": 1,
        "name": "Chứng thực bản sao từ bản chính giấy tờ, văn bản",
        "field_code": "CHTHUC",
        "field_name": "Chứng thực",
        "level": "commune",
        "online_level": "partial",
        "borderless": True,
        "borderless_decision": "QĐ thử nghiệm",
        "agency_kind": "peoples_committee",
        "competent_agency": "",
        "time_kind": "same_day",
        "time_value": None,
        # Vietnamese whatever the reader's language: the body is the same for everyone.
        "time_text": "Trong ngày làm việc (tiếp nhận sau 15 giờ thì trả trong ngày làm việc "
        "tiếp theo)",
        "fee_kind": "per_page",
        "fee_amount": None,
        "fee_online_amount": None,
        "fee_text": row["fee_text"],
        "fee_exemptions": "",
        "documents": 2,
        "documents_mandatory": 2,
        "results": "Bản sao được chứng thực từ bản chính",
        "legal_basis": "Nghị định 23/2015/NĐ-CP",
        "url": django_settings.PUBLIC_URL + "/procedures/2.000815/",
    }
    assert "2.000 đ" in row["fee_text"]
    assert "200.000 đ" in row["fee_text"]
    english = Client()
    english.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    assert get("procedures", client=english).content == response.content
    assert "Accept-Language" not in response.get("Vary", "")


@pytest.mark.django_db
def test_procedures_csv_has_the_json_rows_and_quotes_formulas(
    frozen: Any, processing_org: Org
) -> None:
    import_procedures(
        documents=[
            procedure(
                code="2.999999",
                name='=HYPERLINK("http://evil.example","Bấm vào đây")',
                legal_basis=["+cmd|' /C calc'!A0"],
                fee={"kind": "fixed", "amount": 50000, "online_amount": 40000},
            )
        ]
    )
    response = get("procedures", "csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="motcua-22-procedures.csv"'
    header, *rows = read_csv(response)
    assert header == PROCEDURE_FIELDS
    json_rows = get("procedures").json()["rows"]
    assert [row[0] for row in rows] == [row["code"] for row in json_rows]
    evil = dict(zip(header, next(row for row in rows if row[0] == "2.999999"), strict=True))
    assert evil["name"] == '\'=HYPERLINK("http://evil.example","Bấm vào đây")'
    assert evil["legal_basis"] == "'+cmd|' /C calc'!A0"
    assert (evil["fee_kind"], evil["fee_amount"], evil["fee_online_amount"]) == (
        "fixed",
        "50000",
        "40000",
    )
    assert evil["borderless"] == "true"
    assert evil["time_value"] == ""  # same day: no value, as null in the JSON file
    for raw in rows:
        assert not any(cell.startswith(FORMULA_STARTS) for cell in raw)


# The KPIs ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_kpis_default_to_the_last_complete_month_with_the_monitoring_figures(
    november: Org,
) -> None:
    response = get("kpis")
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == {
        "kind": "month",
        "code": "2026-11",
        "start": "2026-11-01",
        "end": "2026-11-30",
        "complete": True,
    }
    assert body["source"] == django_settings.PUBLIC_URL + "/open-data/kpis.json?period=2026-11"
    assert [field["name"] for field in body["fields"]] == KPI_FIELDS
    rows = rows_by_unit(body)
    province = rows[("province", "22")]
    assert province["unit_name"] == "Tỉnh Quảng Ninh"
    assert (province["period"], province["period_start"], province["period_end"]) == (
        "2026-11",
        "2026-11-01",
        "2026-11-30",
    )
    assert (province["filed"], province["received"], province["finished"]) == (2, 1, 1)
    assert province["online_share"] == 0.5
    assert province["on_time_rate"] == 1.0
    halong = rows[("commune", "06688")]
    assert (halong["filed"], halong["commune_code"]) == (2, "06688")
    assert rows[("commune", "06673")]["filed"] == 0
    assert rows[("commune", "06673")]["on_time_rate"] is None  # a rate over nothing
    stp = rows[("agency", november.agencies["stp"].code)]
    assert stp["unit_name"] == "Sở Tư pháp"
    assert stp["commune_code"] == ""  # a provincial department
    assert (stp["filed"], stp["finished"], stp["results_signed_rate"]) == (1, 1, 1.0)
    ubnd_halong = rows[("agency", november.agencies["ubnd_halong"].code)]
    assert (ubnd_halong["commune_code"], ubnd_halong["filed"]) == ("06688", 1)
    # Exactly the monitoring figures of the same units and period.
    expected = kpis.figures(kpis.Unit("province", "22"), NOVEMBER).metrics()
    for name in opendata.METRICS:
        value = expected[name]
        assert province[name] == (float(value) if value is not None else None), name
    # Province, three communes, every agency: the units of the monitoring pages.
    kinds = [row["unit_kind"] for row in body["rows"]]
    assert kinds[0] == "province"
    assert kinds.count("commune") == 3
    assert kinds.count("agency") == len(november.agencies)


@pytest.mark.django_db
def test_kpis_hold_no_officer_or_personal_data(november: Org) -> None:
    json_body = get("kpis").content.decode()
    csv_body = get("kpis", "csv").content.decode()
    assert not [name for name in KPI_FIELDS if name.startswith("officer_")]
    assert {"in_progress", "overdue", "waiting_applicant"}.isdisjoint(KPI_FIELDS)
    assert {row["unit_kind"] for row in json.loads(json_body)["rows"]} == {
        "province",
        "commune",
        "agency",
    }
    for user in november.users.values():
        for text in (json_body, csv_body):
            assert f'"{user.username}"' not in text
            assert f",{user.username}," not in text
    for person in ("Nguyễn Văn An", "022090012345", "Trần Thị Mai"):
        assert person not in json_body
        assert person not in csv_body


@pytest.mark.django_db
def test_kpis_are_read_from_the_rollups(november: Org) -> None:
    """A rollup moved by hand moves the file: it reads the rollups, not the dossiers."""
    before = rows_by_unit(get("kpis").json())[("province", "22")]["received"]
    row = UnitDay.objects.filter(day__month=11, received__gt=0).first()
    assert row is not None
    UnitDay.objects.filter(pk=row.pk).update(received=row.received + 5)
    assert rows_by_unit(get("kpis").json())[("province", "22")]["received"] == before + 5


@pytest.mark.django_db
def test_kpis_of_a_quarter_a_year_and_a_running_month(november: Org) -> None:
    quarter = get("kpis", period="2026-Q4").json()
    assert quarter["period"]["code"] == "2026-Q4"
    assert (quarter["period"]["start"], quarter["period"]["end"]) == ("2026-10-01", "2026-12-31")
    assert quarter["period"]["complete"] is False
    assert rows_by_unit(quarter)[("province", "22")]["filed"] == 2
    year = get("kpis", period="2026").json()
    assert (year["period"]["kind"], year["period"]["start"]) == ("year", "2026-01-01")
    october = get("kpis", period="2026-10").json()
    assert october["period"]["complete"] is True
    assert rows_by_unit(october)[("province", "22")]["filed"] == 0
    december = get("kpis", period="2026-12").json()
    assert december["period"]["complete"] is False
    assert rows_by_unit(december)[("province", "22")]["filed"] == 0


@pytest.mark.django_db
def test_kpis_csv_rows_match_the_json_rows(november: Org) -> None:
    response = get("kpis", "csv", period="2026-11")
    assert response["Content-Disposition"] == ('attachment; filename="motcua-22-kpis-2026-11.csv"')
    header, *rows = read_csv(response)
    assert header == KPI_FIELDS
    by_unit = {(row[3], row[4]): dict(zip(header, row, strict=True)) for row in rows}
    province = by_unit[("province", "22")]
    assert (province["period"], province["period_start"], province["filed"]) == (
        "2026-11",
        "2026-11-01",
        "2",
    )
    assert province["online_share"] == "0.5000"  # a fraction, as in the JSON file
    assert by_unit[("commune", "06673")]["on_time_rate"] == ""
    assert len(rows) == len(get("kpis").json()["rows"])


# Errors, limits, headers -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"period": "2026-13"}, "bad_period"),
        ({"period": "November"}, "bad_period"),
        ({"period": "2026-Q5"}, "bad_period"),
        ({"period": "2027-01"}, "bad_period"),  # not begun
        ({"period": "1999"}, "bad_period"),
        ({"period": "2026-11", "unit": "officer"}, "bad_parameter"),
    ],
)
def test_bad_parameters_are_a_json_400(frozen: Any, org: Org, params: Any, code: str) -> None:
    response = get("kpis", **params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    assert set(body) == {"error", "detail", "fields"}
    assert body["error"] == code
    assert body["detail"]
    assert body["fields"]


@pytest.mark.django_db
def test_errors_are_translated(frozen: Any, org: Org) -> None:
    english = Client()
    english.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    vietnamese = get("kpis", period="1999").json()["detail"]
    assert get("kpis", client=english, period="1999").json()["detail"] == (
        "Choose a date between 2000 and 2100."
    )
    with translation.override("vi"):
        assert vietnamese == translation.gettext(
            "Choose a date between %(first)s and %(last)s."
        ) % {
            "first": 2000,
            "last": 2100,
        }
    assert vietnamese != "Choose a date between 2000 and 2100."
    # Errors are translated, so they vary with the language cookie (and are never cached).
    refused = get("procedures", q="x")
    assert refused.json()["error"] == "bad_parameter"
    assert "Cookie" in refused["Vary"]
    assert refused["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_etag_and_last_modified_answer_304_until_the_content_changes(
    frozen: Any, november: Org
) -> None:
    first = get("kpis")
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")
    assert last_modified == "Wed, 02 Dec 2026 03:00:00 GMT"
    assert first["Cache-Control"] == "public, max-age=300"
    assert first["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in first["Access-Control-Expose-Headers"]
    # One copy for every visitor in a shared cache: neither language nor cookie varies it.
    assert "Vary" not in first
    client = Client()
    again = client.get(reverse("opendata:kpis", args=["json"]), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert (again["ETag"], again["Access-Control-Allow-Origin"]) == (etag, "*")
    assert again["Cache-Control"] == "public, max-age=300"
    since = client.get(
        reverse("opendata:kpis", args=["json"]), HTTP_IF_MODIFIED_SINCE=last_modified
    )
    assert since.status_code == 304
    other = client.get(reverse("opendata:kpis", args=["json"]), HTTP_IF_NONE_MATCH='"other"')
    assert other.status_code == 200
    assert other.content == first.content
    # The same content a minute later: the same file, the same validators.
    frozen.shift(dt.timedelta(minutes=1))
    later = get("kpis")
    assert (later["ETag"], later["Last-Modified"], later.content) == (
        etag,
        last_modified,
        first.content,
    )
    # The CSV file has its own ETag and the same Last-Modified.
    as_csv = get("kpis", "csv")
    assert as_csv["ETag"] != etag
    assert as_csv["Last-Modified"] == last_modified

    # A rollup of November moves: the figures change, and so do the validators.
    row = UnitDay.objects.filter(day__month=11).first()
    assert row is not None
    UnitDay.objects.filter(pk=row.pk).update(filed_post=row.filed_post + 1)
    changed = client.get(
        reverse("opendata:kpis", args=["json"]),
        HTTP_IF_NONE_MATCH=etag,
        HTTP_IF_MODIFIED_SINCE=last_modified,
    )
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed.json()["rows"][0]["filed"] == 3
    stale = client.get(
        reverse("opendata:kpis", args=["json"]), HTTP_IF_MODIFIED_SINCE=last_modified
    )
    assert stale.status_code == 200
    assert stale["Last-Modified"] == "Wed, 02 Dec 2026 03:01:00 GMT"


@pytest.mark.django_db
def test_procedures_change_their_etag_when_a_procedure_is_withdrawn(
    frozen: Any, processing_org: Org
) -> None:
    first = get("procedures")
    Procedure.objects.filter(code="2.000815").update(active=False)
    second = get("procedures")
    assert second["ETag"] != first["ETag"]
    assert "2.000815" not in [row["code"] for row in second.json()["rows"]]
    # Changed within the second the old content was first served in: dated a second later,
    # so that If-Modified-Since alone does not keep the old copy either.
    assert first["Last-Modified"] == "Wed, 02 Dec 2026 03:00:00 GMT"
    assert second["Last-Modified"] == "Wed, 02 Dec 2026 03:00:01 GMT"
    assert second.json()["last_modified"] == "2026-12-02T03:00:01Z"
    url = reverse("opendata:procedures", args=["json"])
    client = Client()
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 200
    assert client.get(url, HTTP_IF_NONE_MATCH=second["ETag"]).status_code == 304


@pytest.mark.django_db
def test_files_are_rate_limited_with_a_json_429(frozen: Any, org: Org, settings: Any) -> None:
    settings.PUBLIC_RATE = "3/m"
    client = Client()
    answers = [get("procedures", client=client).status_code for _ in range(3)]
    assert answers == [200, 200, 200]
    limited = get("kpis", client=client)
    assert limited.status_code == 429
    assert limited.json()["error"] == "rate_limited"
    assert limited["Access-Control-Allow-Origin"] == "*"


@pytest.mark.django_db
def test_only_get_and_head(frozen: Any, org: Org) -> None:
    url = reverse("opendata:procedures", args=["json"])
    assert Client().post(url).status_code == 405
    assert Client().head(url).status_code == 200
    assert Client().get("/open-data/procedures.xml").status_code == 404


# The index page ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_index_describes_each_dataset_in_vietnamese_then_english(frozen: Any, org: Org) -> None:
    page = Client().get(reverse("opendata:index"))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="vi">' in html
    for url in (
        "/open-data/procedures.json",
        "/open-data/procedures.csv",
        "/open-data/kpis.json?period=2026-11",
        "/open-data/kpis.csv?period=2026-Q3",
        "/open-data/kpis.json?period=2025",
    ):
        assert f'href="{url}"' in html
    assert "CC BY 4.0" in html
    assert "https://creativecommons.org/licenses/by/4.0/" in html
    for name in (*PROCEDURE_FIELDS, *KPI_FIELDS):
        assert f"<code>{name}</code>" in html
    english = Client()
    english.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    html_en = english.get(reverse("opendata:index")).content.decode()
    assert '<html lang="en">' in html_en
    assert "<h1>Open data</h1>" in html_en
    assert "The licence is the province's to decide" in html_en.replace("&#x27;", "'")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_index_page_in_a_browser(live_server: Any, settings: Any, org: Org, page: Page) -> None:
    settings.PUBLIC_URL = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{live_server.url}/open-data/")
    expect(page.locator("h1")).to_be_visible()
    page.get_by_text("CC BY 4.0").first.wait_for()
    page.locator("details").first.locator("summary").click()
    expect(page.locator("details").first.locator("code", has_text="fee_text")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "opendata-index.png"), full_page=True)
    with page.expect_response(lambda r: "/open-data/procedures.json" in r.url) as answer:
        page.evaluate("fetch('/open-data/procedures.json').then(r => r.json())")
    assert answer.value.status == 200
    assert answer.value.json()["dataset"] == "procedures"
