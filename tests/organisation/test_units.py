from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from motcua.core.errors import MotcuaError
from motcua.core.models import AuditEntry
from motcua.organisation import services
from motcua.organisation.models import Commune, Province
from motcua.organisation.units import UnitsSource


@pytest.mark.django_db
def test_load_units_loads_the_two_tier_units_once(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("load_units")
    assert Province.objects.count() == 34
    assert Commune.objects.count() == 3321
    quang_ninh = Province.objects.get(code="22")
    assert quang_ninh.name == "Tỉnh Quảng Ninh"
    in_qn = Commune.objects.filter(province=quang_ninh)
    assert in_qn.count() == 54
    assert in_qn.filter(kind="phuong").count() == 30
    assert in_qn.filter(kind="xa").count() == 22
    assert in_qn.filter(kind="dac_khu").count() == 2
    assert Commune.objects.get(code="06688").name == "Phường Hạ Long"
    assert Province.objects.get(code="01").kind == "thanh_pho"
    audit_rows = AuditEntry.objects.count()

    capsys.readouterr()
    call_command("load_units")
    assert "nothing changed" in capsys.readouterr().out
    assert Commune.objects.count() == 3321
    assert AuditEntry.objects.count() == audit_rows


ROW = {
    "provinceCode": "22",
    "province": "Tỉnh Quảng Ninh",
    "provinceShort": "Quảng Ninh",
    "wardCode": "06688",
    "ward": "Phường Hạ Long",
    "wardShort": "Hạ Long",
    "wardType": "Phường",
}


@pytest.mark.django_db
def test_a_renamed_unit_is_updated() -> None:
    services.load_units(source=UnitsSource([ROW], "test"))
    report = services.load_units(source=UnitsSource([ROW | {"ward": "Phường Hạ Long Mới"}], "t"))
    assert report.communes_updated == 1
    assert report.communes_created == 0
    assert Commune.objects.get(code="06688").name == "Phường Hạ Long Mới"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"wardCode": "6688"}, "mã xã"),
        ({"provinceCode": "A2"}, "mã tỉnh"),
        ({"wardType": "Quận"}, "loại đơn vị"),
        ({"ward": ""}, "thiếu tên"),
    ],
)
def test_bad_units_write_nothing(bad: dict[str, str], message: str) -> None:
    good = ROW | {"wardCode": "06673", "ward": "Phường Bãi Cháy"}
    with pytest.raises(MotcuaError, match=message):
        services.load_units(source=UnitsSource([good, ROW | bad], "test"))
    assert Commune.objects.count() == 0
    assert Province.objects.count() == 0


@pytest.mark.django_db
def test_duplicate_codes_and_bad_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(MotcuaError, match="xuất hiện hai lần"):
        services.load_units(source=UnitsSource([ROW, ROW], "test"))
    broken = tmp_path / "units.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="Không đọc được tệp"):
        call_command("load_units", file=broken)
    not_a_list = tmp_path / "object.json"
    not_a_list.write_text(json.dumps({"a": 1}), encoding="utf-8")
    with pytest.raises(CommandError, match="danh sách JSON"):
        call_command("load_units", file=not_a_list)
    assert Commune.objects.count() == 0
