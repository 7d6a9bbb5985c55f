"""Open data: the procedure catalogue and the aggregate KPIs, as JSON and CSV files anyone
may download, cache and reuse.

Each dataset is a `Document`: metadata (what it is, its licence, where it comes from, its
fields, the period) and rows. Bodies do not depend on the reader's language: fields are named
by code, names and descriptions are in Vietnamese, so one file serves every reader and every
shared cache. The KPIs are those of the monitoring pages, read from the same rollups
(`monitoring.kpis`), for the province, each commune and each agency: never an officer's
figures (personal data) and never a count over the dossiers themselves.

A document's `last_modified` is when its content, as it is now, was first served: the
rollups and the catalogue keep no time of their last change that covers every change (a
procedure withdrawn, a dossier's figures moved), so each file's fingerprint and the time it
was first seen are kept in the shared cache. Losing that entry only moves the date later,
which makes clients download again, never keep a stale copy.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.catalogue import presentation
from motcua.catalogue import selectors as catalogue
from motcua.core.errors import MotcuaError
from motcua.core.text import spreadsheet_safe
from motcua.monitoring import kpis, periods, units
from motcua.monitoring import selectors as monitoring
from motcua.monitoring.kpis import METRIC_LABELS, Figures, Period, Unit, is_rate
from motcua.organisation.models import Agency

# The licence is the province's to decide (Law on Digital Transformation and Decree 47/2024 on
# open data leave it to the data owner). Until it does, this deployment offers CC BY 4.0: free
# reuse, naming the province as the source.
LICENCE = {
    "name": "CC BY 4.0",
    "title": "Creative Commons Attribution 4.0 International",
    "url": "https://creativecommons.org/licenses/by/4.0/",
}
# The published KPIs: those the monitoring pages show, without the stocks (the state now,
# whatever the period: a past period's file would change every day) and without the officers'
# own figures.
METRICS = tuple(
    name
    for name in METRIC_LABELS
    if name not in kpis.STOCK_COUNTERS and not name.startswith("officer_")
)
FORMATS = ("json", "csv")
PERIOD_PATTERN = re.compile(r"^(\d{4})(?:-(?:(\d{2})|[Qq]([1-4])))?$")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string, integer, number, boolean, date (the JSON values' types)
    label: Any
    rate: bool = False  # a fraction from 0 to 1, empty when there is nothing to count

    def describe(self) -> str:
        """What the field holds, in the active language."""
        if self.rate:
            return _("%(label)s: a rate from 0 to 1, empty when there is nothing to count") % {
                "label": self.label
            }
        return force_str(self.label)


@dataclass(frozen=True)
class Dataset:
    name: str
    title: Any
    description: Any
    columns: tuple[Column, ...]
    params: tuple[str, ...] = ()  # the query parameters it takes

    def url(self, fmt: str, **params: str) -> str:
        path = reverse(f"opendata:{self.name}", args=[fmt])
        return f"{path}?{urlencode(params)}" if params else path


def _metric_column(name: str) -> Column:
    # Over no figures, counts are 0 and averages and rates None.
    kind = "integer" if isinstance(Figures().metrics()[name], int) else "number"
    return Column(name, kind, METRIC_LABELS[name], rate=is_rate(name))


PROCEDURES = Dataset(
    "procedures",
    gettext_lazy("Administrative procedures"),
    gettext_lazy(
        "Every procedure the province offers, in its current version: what the public "
        "catalogue shows."
    ),
    (
        Column("code", "string", gettext_lazy("National procedure code")),
        Column("version", "integer", gettext_lazy("Version of the procedure in this catalogue")),
        Column("name", "string", gettext_lazy("Name")),
        Column("field_code", "string", gettext_lazy("Field code")),
        Column("field_name", "string", gettext_lazy("Field")),
        Column("level", "string", gettext_lazy("Level: commune, province or delegated")),
        Column("online_level", "string", gettext_lazy("Online: full, partial or none")),
        Column(
            "borderless",
            "boolean",
            gettext_lazy("Submitted at any service centre of the province"),
        ),
        Column(
            "borderless_decision",
            "string",
            gettext_lazy("The decision that lets it be submitted anywhere in the province"),
        ),
        Column("agency_kind", "string", gettext_lazy("Kind of the competent agency")),
        Column(
            "competent_agency",
            "string",
            gettext_lazy("Code of the competent agency, where the kind alone does not say"),
        ),
        Column(
            "time_kind",
            "string",
            gettext_lazy("Processing time: same_day, working_days or working_hours"),
        ),
        Column("time_value", "number", gettext_lazy("Working days or hours (empty: same day)")),
        Column("time_text", "string", gettext_lazy("Processing time, as the catalogue says it")),
        Column("fee_kind", "string", gettext_lazy("Fee: free, fixed, per_page or set_by_province")),
        Column("fee_amount", "integer", gettext_lazy("Fixed fee in đồng (empty otherwise)")),
        Column(
            "fee_online_amount",
            "integer",
            gettext_lazy("Fixed fee in đồng when submitted online (empty: the same)"),
        ),
        Column("fee_text", "string", gettext_lazy("Fee, as the catalogue says it")),
        Column("fee_exemptions", "string", gettext_lazy("Who is exempt, separated by “; ”")),
        Column("documents", "integer", gettext_lazy("Documents in the dossier")),
        Column("documents_mandatory", "integer", gettext_lazy("Documents always required")),
        Column("results", "string", gettext_lazy("What the applicant receives, by “; ”")),
        Column("legal_basis", "string", gettext_lazy("Legal basis, separated by “; ”")),
        Column("url", "string", gettext_lazy("The procedure's page in the public catalogue")),
    ),
)

KPIS = Dataset(
    "kpis",
    gettext_lazy("Service figures"),
    gettext_lazy(
        "The figures of the monitoring pages over one month, quarter or year, for the "
        "province, each commune and each agency: totals only, no person's figures."
    ),
    (
        Column("period", "string", gettext_lazy("Period: 2026-11, 2026-Q4 or 2026")),
        Column("period_start", "date", gettext_lazy("First day of the period")),
        Column("period_end", "date", gettext_lazy("Last day of the period")),
        Column("unit_kind", "string", gettext_lazy("Unit: province, commune or agency")),
        Column(
            "unit_code",
            "string",
            gettext_lazy("Code of the unit (province and commune: QĐ 19/2025; agency: its code)"),
        ),
        Column("unit_name", "string", gettext_lazy("Name of the unit")),
        Column(
            "commune_code",
            "string",
            gettext_lazy("Commune of the unit (empty for the province and its agencies)"),
        ),
        *(_metric_column(name) for name in METRICS),
    ),
    params=("period",),
)
DATASETS = {dataset.name: dataset for dataset in (PROCEDURES, KPIS)}


@dataclass(frozen=True)
class Document:
    dataset: Dataset
    rows: list[dict[str, Any]]
    source: str  # the absolute URL of the JSON file
    period: Period | None = None

    @property
    def fingerprint(self) -> str:
        """What identifies the content, whatever the format it is served in."""
        text = json.dumps(
            [self.dataset.name, _period_meta(self.period), self.rows],
            sort_keys=True,
            ensure_ascii=False,
            default=_plain,
        )
        return fingerprint_of(text.encode())

    @property
    def filename(self) -> str:
        name = f"motcua-{settings.PROVINCE_CODE}-{self.dataset.name}"
        return f"{name}-{period_code(self.period)}" if self.period else name


def fingerprint_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# Periods -----------------------------------------------------------------------------------


def last_complete_month(today: dt.date) -> Period:
    return Period.of("month", today.replace(day=1) - dt.timedelta(days=1))


def read_period(text: str, *, today: dt.date) -> Period:
    """The month (`2026-11`), quarter (`2026-Q4`) or year (`2026`) asked for, begun by
    `today`; the last complete month when blank; MotcuaError (400) otherwise."""
    text = text.strip()
    if not text:
        return last_complete_month(today)
    found = PERIOD_PATTERN.match(text)
    month = int(found.group(2)) if found and found.group(2) else None
    if found is None or (month is not None and not 1 <= month <= 12):
        raise _bad_period(
            _(
                "“%(value)s” is not a period: write a month (2026-11), a quarter (2026-Q4) "
                "or a year (2026)."
            )
            % {"value": text[:20]}
        )
    year = int(found.group(1))
    if month is not None:
        period = Period.of("month", dt.date(year, month, 1))
    elif found.group(3):
        period = Period.of("quarter", dt.date(year, 3 * int(found.group(3)) - 2, 1))
    else:
        period = Period.of("year", dt.date(year, 1, 1))
    if not periods.EARLIEST <= period.start <= periods.LATEST:
        raise _bad_period(
            _("Choose a date between %(first)s and %(last)s.")
            % {"first": periods.EARLIEST.year, "last": periods.LATEST.year}
        )
    if period.start > today:
        raise _bad_period(
            _("The period %(value)s has not begun yet.") % {"value": period_code(period)}
        )
    return period


def _bad_period(detail: str) -> MotcuaError:
    return MotcuaError(detail, code="bad_period", fields={"period": [detail]})


def period_code(period: Period) -> str:
    if period.kind == "month":
        return f"{period.start:%Y-%m}"
    if period.kind == "quarter":
        return f"{period.start.year}-Q{(period.start.month - 1) // 3 + 1}"
    return str(period.start.year)


def _period_meta(period: Period | None) -> dict[str, Any] | None:
    if period is None:
        return None
    return {
        "kind": period.kind,
        "code": period_code(period),
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        # A period still running: its figures grow until it ends.
        "complete": period.end < kpis.today(),
    }


# The datasets ------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    # The configured address, not the request's Host header: a forged host must not end up
    # in a file that shared caches keep.
    return settings.PUBLIC_URL + path


def procedures() -> Document:
    """The current version of every offered procedure, by code."""
    rows = []
    with translation.override("vi"):
        for version in catalogue.offered_procedures().order_by("procedure__code"):
            rows.append(_procedure_row(version))
    return Document(PROCEDURES, rows, _absolute(PROCEDURES.url("json")))


def _procedure_row(version: Any) -> dict[str, Any]:
    spec = version.spec
    time, fee, documents = spec["time"], spec["fee"], spec["documents"]
    code = version.procedure.code
    return {
        "code": code,
        "version": version.number,
        "name": version.name,
        "field_code": version.field_code,
        "field_name": version.field_name,
        "level": version.level,
        "online_level": version.online_level,
        "borderless": version.borderless,
        "borderless_decision": spec.get("borderless", {}).get("decision", ""),
        "agency_kind": spec["agency_kind"],
        "competent_agency": spec.get("competent_agency", ""),
        "time_kind": time["kind"],
        "time_value": time.get("value"),
        "time_text": presentation.describe_time(time),
        "fee_kind": fee["kind"],
        "fee_amount": fee.get("amount"),
        "fee_online_amount": fee.get("online_amount"),
        "fee_text": presentation.describe_fee(fee),
        "fee_exemptions": "; ".join(fee.get("exemptions", [])),
        "documents": len(documents),
        "documents_mandatory": sum(1 for document in documents if document["mandatory"]),
        "results": "; ".join(spec["results"]),
        "legal_basis": "; ".join(spec["legal_basis"]),
        "url": _absolute(reverse("catalogue:procedure", args=[code])),
    }


def kpi_figures(period: Period) -> Document:
    """The province's figures over the period, then each commune's and each agency's (by
    code), read from the rollups as the monitoring pages read them."""
    province = Unit("province", settings.PROVINCE_CODE)
    now_day = kpis.today()
    meta = {"period": period_code(period), "period_start": period.start, "period_end": period.end}
    rows = [
        meta
        | _unit_meta("province", province.key, monitoring.name(province), "")
        | _metrics(kpis.figures(province, period, now_day=now_day))
    ]
    communes = kpis.figures_by("commune", period, within=province, now_day=now_day)
    names = units.children_of(province, "commune", communes)
    for code in sorted(names):
        rows.append(
            meta
            | _unit_meta("commune", code, names[code], code)
            | _metrics(communes.get(code, Figures()))
        )
    agencies = kpis.figures_by("agency", period, within=province, now_day=now_day)
    names = units.children_of(province, "agency", agencies)
    codes = {
        str(pk): (code, commune or "")
        for pk, code, commune in Agency.objects.filter(pk__in=[int(k) for k in names]).values_list(
            "pk", "code", "commune__code"
        )
    }
    for key in sorted(names, key=lambda key: codes[key][0]):
        code, commune = codes[key]
        rows.append(
            meta
            | _unit_meta("agency", code, names[key], commune)
            | _metrics(agencies.get(key, Figures()))
        )
    source = _absolute(KPIS.url("json", period=period_code(period)))
    return Document(KPIS, rows, source, period)


def _unit_meta(kind: str, code: str, name: str, commune: str) -> dict[str, Any]:
    return {"unit_kind": kind, "unit_code": code, "unit_name": name, "commune_code": commune}


def _metrics(figures: Figures) -> dict[str, Any]:
    values = figures.metrics()
    return {name: values[name] for name in METRICS}


# The files ---------------------------------------------------------------------------------


def published_at(document: Document) -> dt.datetime:
    """When the file's content, as it is now, was first served (to the second, as HTTP dates
    are). A new content is always dated after the one it replaces, even within the same
    second, so that If-Modified-Since never keeps a stale copy."""
    key = f"opendata:{document.filename}"
    fingerprint = document.fingerprint
    seen = cache.get(key)
    if isinstance(seen, tuple) and seen[0] == fingerprint:
        return seen[1]
    now = timezone.now().replace(microsecond=0)
    if isinstance(seen, tuple):
        now = max(now, seen[1] + dt.timedelta(seconds=1))
    cache.set(key, (fingerprint, now), timeout=None)
    return now


def _plain(value: Any) -> Any:
    """Values JSON has no type for: rates and averages as numbers, days as ISO dates."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def metadata(document: Document, last_modified: dt.datetime) -> dict[str, Any]:
    dataset = document.dataset
    with translation.override("vi"):
        meta: dict[str, Any] = {
            "dataset": dataset.name,
            "title": force_str(dataset.title),
            "description": force_str(dataset.description),
            "publisher": monitoring.name(Unit("province", settings.PROVINCE_CODE)),
            "licence": LICENCE,
            "source": document.source,
            "documentation": _absolute(reverse("opendata:index")),
            "last_modified": last_modified.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        }
        if document.period is not None:
            meta["period"] = _period_meta(document.period)
        meta["fields"] = [
            {"name": column.name, "type": column.type, "description": column.describe()}
            for column in dataset.columns
        ]
    return meta


def render(document: Document, fmt: str, last_modified: dt.datetime) -> bytes:
    return to_json(document, last_modified) if fmt == "json" else to_csv(document)


def to_json(document: Document, last_modified: dt.datetime) -> bytes:
    body = metadata(document, last_modified) | {"rows": document.rows}
    return json.dumps(body, ensure_ascii=False, default=_plain).encode("utf-8")


def to_csv(document: Document) -> bytes:
    """A header of field names, then the rows: UTF-8 with a byte-order mark (without which
    Excel reads Vietnamese in another code page), text a spreadsheet would run as a formula
    written as text. Rates stay fractions from 0 to 1, as in the JSON file."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    names = [column.name for column in document.dataset.columns]
    writer.writerow(names)
    for row in document.rows:
        writer.writerow([_cell(row[name]) for name in names])
    return out.getvalue().encode("utf-8")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return spreadsheet_safe(value)
