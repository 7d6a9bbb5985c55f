"""The exports of a unit's figures (CSV, XLSX) and its monthly report (PDF), checked against
dossiers filed through the services, and who may download them."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from motcua.dossiers import services
from motcua.dossiers.models import Channel
from motcua.monitoring import kpis
from motcua.monitoring.kpis import METRIC_LABELS
from motcua.organisation import services as organisation
from motcua.organisation.models import Agency, Role
from tests.intake_data import certified_copy
from tests.org import Org

pytestmark = pytest.mark.django_db

FIXED = ["From", "To", "Kind", "Code", "Name"]


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def export_url(kind: str, key: Any, fmt: str, query: str = "") -> str:
    url = reverse("monitoring:export", args=[kind, str(key), fmt])
    return f"{url}?{query}" if query else url


def header() -> list[str]:
    """The columns, in Vietnamese as the exports are (the site's language by default)."""
    with translation.override("vi"):
        metrics = [
            f"{label} (%)" if name.endswith(("_rate", "_share")) else str(label)
            for name, label in METRIC_LABELS.items()
        ]
        fixed = [gettext(name) for name in [*FIXED, "Index score", "Band", "Rank"]]
    return [*fixed[:5], *metrics, *fixed[5:]]


def read_csv(response: Any) -> list[dict[str, str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # the BOM Excel needs to read UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


@pytest.fixture
def filed(intake_org: Org) -> Org:
    """One dossier filed online in Phường Hạ Long, through the intake service."""
    services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    return intake_org


def test_csv_of_the_province_holds_every_kpi_of_it_and_its_communes(filed: Org) -> None:
    response = client_of(filed.users["monitor"]).get(export_url("province", "22", "csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="motcua-province-22-')
    text = response.content.decode("utf-8")
    assert next(csv.reader(io.StringIO(text[1:]))) == header()
    rows = read_csv(response)
    names = [row[header()[4]] for row in rows]
    assert names[0] == "Tỉnh Quảng Ninh"
    filed_label, online_label = header()[5], header()[6]
    by_code = {row[header()[3]]: row for row in rows}
    assert by_code["22"][filed_label] == "1"
    assert by_code["22"][online_label] == "100.00"
    halong, baichay = filed.communes["halong"].code, filed.communes["baichay"].code
    assert by_code[halong][filed_label] == "1"
    assert by_code[baichay][filed_label] == "0"
    assert by_code[baichay][online_label] == ""  # a rate over nothing
    assert by_code[halong][header()[-1]] == "1"  # ranked first of the communes
    assert by_code[filed.agencies["stp"].code][header()[2]]  # a provincial agency's row
    period = kpis.Period.of("month", kpis.today())
    assert by_code["22"][header()[0]] == period.start.isoformat()
    assert Decimal(by_code[halong][header()[-3]]) > 0  # the index score


def test_xlsx_keeps_numbers_and_rates_as_numbers(filed: Org) -> None:
    halong = filed.communes["halong"].code
    response = client_of(filed.users["monitor"]).get(
        export_url("commune", halong, "xlsx", "period=today")
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == header()
    commune = rows[1]
    assert commune[3] == halong
    assert commune[5] == 1  # dossiers filed
    assert commune[6] == 1  # filed online: 100 %
    assert sheet.cell(row=2, column=7).number_format == "0.00%"
    agencies = {row[4]: row for row in rows[2:]}
    assert agencies["UBND Phường Hạ Long"][5] == 1  # the competent agency
    assert agencies["Công an Phường Hạ Long"][5] == 0
    assert isinstance(commune[-3], float | int)  # index score
    assert commune[-1] is not None  # the commune's rank among the province's communes


def test_text_that_looks_like_a_formula_stays_text(org: Org) -> None:
    organisation.save_agency(
        agency=Agency(
            code="000.01.99.H22",
            name='=HYPERLINK("http://evil.example","x")',
            kind="peoples_committee",
            level="commune",
            province=org.province,
            commune=org.communes["halong"],
        )
    )
    client = client_of(org.users["monitor"])
    halong = org.communes["halong"].code
    rows = read_csv(client.get(export_url("commune", halong, "csv")))
    assert '\'=HYPERLINK("http://evil.example","x")' in [row[header()[4]] for row in rows]
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(export_url("commune", halong, "xlsx")).content)
    ).active
    assert sheet is not None
    cells = [row[4] for row in sheet.iter_rows(min_row=2)]
    evil = next(cell for cell in cells if str(cell.value).startswith("=HYPERLINK"))
    assert evil.data_type == "s"


def test_an_officers_export_holds_their_own_figures(org: Org) -> None:
    officer = org.users["officer_halong"]
    rows = read_csv(client_of(officer).get(export_url("officer", officer.pk, "csv")))
    assert len(rows) == 1
    assert rows[0][header()[3]] == "officer_halong"
    assert rows[0][str(METRIC_LABELS["officer_steps_done"])] == "0"
    assert rows[0][str(METRIC_LABELS["filed"])] == ""  # not a figure of a person
    assert rows[0][header()[-3]] == ""  # nor is the index


def test_exports_and_reports_follow_the_jurisdiction(org: Org) -> None:
    leader = get_user_model().objects.create_user(username="chutich", password="x")
    organisation.grant_role(
        user=leader, role=Role.objects.get(code="commune_leader"), scope=org.communes["halong"]
    )
    client = client_of(leader)
    halong, baichay = org.communes["halong"].code, org.communes["baichay"].code
    own = client.get(export_url("commune", halong, "csv"))
    assert own.status_code == 200
    # The commune, then what its page lists: its own agencies and service points, no other's.
    codes = [row[header()[3]] for row in read_csv(own)]
    assert codes[0] == halong
    assert sorted(codes[1:]) == sorted(
        [
            org.agencies["ca_halong"].code,
            org.agencies["ubnd_halong"].code,
            org.points["halong"].code,
        ]
    )
    assert client.get(export_url("commune", baichay, "csv")).status_code == 403
    assert client.get(export_url("province", "22", "xlsx")).status_code == 403
    report = reverse("monitoring:report", args=["commune", baichay])
    assert client.get(report).status_code == 403
    own_report = client.get(reverse("monitoring:report", args=["commune", halong]))
    assert own_report.status_code == 200
    assert own_report.content.startswith(b"%PDF")
    assert client.get(export_url("commune", halong, "csv", "period=custom")).status_code == 400


def test_the_monthly_report_is_a_pdf_with_the_units_figures(filed: Org, tmp_path: Path) -> None:
    client = client_of(filed.users["monitor"])
    month = kpis.today().strftime("%Y-%m")
    url = reverse("monitoring:report", args=["commune", filed.communes["halong"].code])
    response = client.get(f"{url}?month={month}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"].startswith("private")
    assert response.content.startswith(b"%PDF")
    assert client.get(f"{url}?month=2026-13").status_code == 400
    assert client.get(f"{url}?month=march").status_code == 400
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils is not installed")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, check=True
    ).stdout.decode()
    assert "Phường Hạ Long" in text
    assert "UBND Phường Hạ Long" in text  # the agencies' ranking
    # pdftotext reads the ToUnicode maps: the glyphs themselves come from embedded fonts
    # that have Vietnamese (Noto Serif or DejaVu Serif).
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True).stdout
    assert b"Noto-Serif" in fonts or b"DejaVu-Serif" in fonts
