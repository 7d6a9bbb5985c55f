from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse

from motcua.catalogue import services
from motcua.catalogue.fees import compute_fee
from motcua.catalogue.models import Confidentiality, Procedure, ProcedureVersion
from motcua.core.errors import MotcuaError
from tests.catalogue_data import CERTIFIED_COPY, procedure


@pytest.mark.parametrize(
    ("pages", "copies", "expected"),
    [
        (1, 1, 2000),
        (2, 1, 4000),
        (3, 1, 5000),
        (10, 1, 12000),
        (10, 3, 36000),
        (500, 1, 200000),
        (500, 2, 400000),
    ],
)
def test_certified_copy_fee_tiers_and_cap(pages: int, copies: int, expected: int) -> None:
    assert compute_fee(CERTIFIED_COPY["fee"], pages=pages, copies=copies) == expected


def test_fixed_free_online_exempt_and_unset_fees() -> None:
    residence = {"kind": "fixed", "amount": 20000, "online_amount": 10000}
    assert compute_fee(residence) == 20000
    assert compute_fee(residence, online=True) == 10000
    assert compute_fee(residence, exempt=True) == 0
    assert compute_fee({"kind": "free"}) == 0
    assert compute_fee({"kind": "set_by_province", "note": "HĐND"}) is None
    with pytest.raises(ValueError, match="start at 1"):
        compute_fee(residence, pages=0)


@pytest.mark.django_db
def test_a_change_makes_a_new_version_and_the_old_one_stays() -> None:
    first = services.import_procedures(documents=[procedure()])
    assert first.created == ["2.000815"]
    again = services.import_procedures(documents=[procedure()])
    assert again.unchanged == ["2.000815"]
    changed = services.import_procedures(
        documents=[procedure(fee={"kind": "fixed", "amount": 3000})]
    )
    assert changed.new_versions == ["2.000815"]
    proc = Procedure.objects.get(code="2.000815")
    assert proc.current.number == 2
    old = ProcedureVersion.objects.get(procedure=proc, number=1)
    assert old.spec["fee"]["kind"] == "per_page"  # a dossier filed under v1 keeps its fee


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "place"),
    [
        ({"code": "2000815"}, "code"),
        ({"time": {"kind": "working_days"}}, "time"),
        ({"fee": {"kind": "per_page", "tiers": []}}, "fee"),
        ({"level": "district"}, "level"),
        (
            {
                "process": [
                    {
                        "code": "a",
                        "name": "A",
                        "role": "counter_officer",
                        "agency": "receiving",
                        "share": 0.5,
                    }
                ]
            },
            "tỷ lệ thời gian",
        ),
        ({"form": {"schema": {"type": "no-such-type"}}}, "JSON Schema"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_invalid_procedures_are_refused_whole(change: dict[str, object], place: str) -> None:
    good = procedure(code="2.000884", name="Chứng thực chữ ký")
    with pytest.raises(MotcuaError) as info:
        services.import_procedures(documents=[good, procedure(**change)])
    assert place in str(info.value.fields)
    assert not Procedure.objects.exists()


@pytest.mark.django_db
def test_yaml_import_and_export_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "catalogue.yaml"
    source.write_text(yaml.safe_dump([procedure()], allow_unicode=True), encoding="utf-8")
    call_command("catalogue", "import", str(source))
    exported = tmp_path / "out.yaml"
    call_command("catalogue", "export", str(exported))
    assert yaml.safe_load(exported.read_text(encoding="utf-8")) == [procedure()]
    broken = tmp_path / "broken.yaml"
    broken.write_text("- code: [unclosed", encoding="utf-8")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("catalogue", "import", str(broken))
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text(yaml.safe_dump([procedure(level="x")]), encoding="utf-8")
    with pytest.raises(CommandError, match="level"):
        call_command("catalogue", "import", str(invalid))


@pytest.mark.django_db
def test_the_demo_catalogue_is_valid_and_complete() -> None:
    from motcua.catalogue.demo import DEMO_FILE

    documents = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    report = services.import_procedures(documents=documents)
    assert len(report.created) >= 13
    codes = {d["code"] for d in documents}
    assert {"2.000815", "2.000884"} <= codes
    certified = next(d for d in documents if d["code"] == "2.000815")
    assert compute_fee(certified["fee"], pages=3) == 5000
    assert certified["time"] == {"kind": "same_day"}


@pytest.mark.django_db
def test_public_search_ignores_diacritics() -> None:
    services.import_procedures(
        documents=[
            procedure(),
            procedure(
                code="2.000884",
                name="Chứng thực chữ ký trong giấy tờ",
                fee={"kind": "fixed", "amount": 10000},
            ),
            procedure(
                code="1.001193",
                name="Đăng ký khai sinh",
                field={"code": "HOTICH", "name": "Hộ tịch"},
                fee={"kind": "free"},
            ),
        ]
    )
    client = Client()
    codes = [
        row["code"] for row in client.get(reverse("api:procedures"), {"q": "chung thuc"}).json()
    ]
    assert sorted(codes) == ["2.000815", "2.000884"]
    assert [
        r["code"] for r in client.get(reverse("api:procedures"), {"q": "KHAI SINH"}).json()
    ] == ["1.001193"]
    page = client.get(reverse("catalogue:procedures"), {"q": "dang ky"})
    assert "Đăng ký khai sinh" in page.content.decode()
    assert "Chứng thực chữ ký" not in page.content.decode()
    detail = client.get(reverse("catalogue:procedure", args=["2.000815"])).content.decode()
    assert "2.000 đ" in detail
    assert "200.000 đ" in detail
    fee = client.get(reverse("api:procedure_fee", args=["2.000815"]), {"pages": 3, "copies": 2})
    assert fee.json()["amount"] == 10000
    assert (
        client.get(reverse("api:procedure_fee", args=["2.000815"]), {"pages": 0}).status_code == 422
    )
    assert client.get(reverse("api:procedure", args=["9.999999"])).status_code == 404


@pytest.mark.django_db
@override_settings(PUBLIC_RATE="2/m")
def test_public_endpoints_are_rate_limited() -> None:
    from django.core.cache import cache

    cache.clear()
    client = Client(REMOTE_ADDR="10.1.1.1")
    for _ in range(2):
        assert client.get(reverse("api:procedures")).status_code == 200
    limited = client.get(reverse("api:procedures"))
    assert limited.status_code == 429
    assert limited.json()["error"] == "rate_limited"
    cache.clear()


@pytest.mark.django_db
def test_editing_in_the_admin_makes_a_new_version(org) -> None:  # type: ignore[no-untyped-def]
    import json

    from motcua.core.models import AuditEntry

    client = Client()
    client.force_login(org.users["sysadmin"])
    proc = Procedure.objects.get(code="2.000815")
    url = reverse("admin:catalogue_procedure_change", args=[proc.pk])
    page = client.get(url)
    assert page.status_code == 200
    changed = procedure(time={"kind": "working_days", "value": 2})
    form = {"active": "on", "confidentiality": Confidentiality.INTERNAL}
    saved = client.post(url, form | {"spec": json.dumps(changed)} | INLINE)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    proc.refresh_from_db()
    assert proc.current.number == 2
    assert proc.confidentiality == Confidentiality.INTERNAL
    assert proc.current.spec["time"] == {"kind": "working_days", "value": 2}
    assert AuditEntry.objects.filter(action="catalogue.procedure.version").count() == 2
    refused = client.post(url, form | {"spec": json.dumps(procedure(level="x"))} | INLINE)
    assert refused.status_code == 200
    assert "level" in refused.content.decode()
    proc.refresh_from_db()
    assert proc.current.number == 2


INLINE = {
    "versions-TOTAL_FORMS": "0",
    "versions-INITIAL_FORMS": "0",
    "versions-MIN_NUM_FORMS": "0",
    "versions-MAX_NUM_FORMS": "1000",
}
