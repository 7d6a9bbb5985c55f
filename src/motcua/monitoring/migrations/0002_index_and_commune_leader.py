"""The service-quality index as shipped (QĐ 766/QĐ-TTg), and the commune leader role for
deployments whose roles were created before it existed.

Group maxima are as the national portal shows them [R]; the formulas of the progress, online
service and online payment groups are their groups' defining rates; the others were not found
in the decision's annex (DOMAIN.md) and are marked provisional for the province to confirm.
"""

from django.db import migrations

GROUPS = [
    ("cong_khai", "Công khai, minh bạch", 18),
    ("tien_do", "Tiến độ giải quyết", 20),
    ("dvc_truc_tuyen", "Dịch vụ công trực tuyến", 12),
    ("thanh_toan", "Thanh toán trực tuyến", 10),
    ("hai_long", "Mức độ hài lòng", 18),
    ("so_hoa", "Số hóa hồ sơ", 22),
]
# group, code, name, formula, points, provisional, full when empty, source
INDICATORS = [
    (
        "cong_khai",
        "ho_so_xu_ly_tiep_nhan",
        "Hồ sơ được tiếp nhận hoặc từ chối công khai trên hệ thống",
        "(received + refused) / filed",
        18,
        True,
        True,
        "QĐ 766/QĐ-TTg, nhóm Công khai, minh bạch (công thức tạm)",
    ),
    (
        "tien_do",
        "ho_so_dung_han",
        "Hồ sơ giải quyết trước và đúng hạn",
        "(finished_early + finished_on_time) / finished",
        20,
        False,
        True,
        "QĐ 766/QĐ-TTg, nhóm Tiến độ, kết quả giải quyết",
    ),
    (
        "dvc_truc_tuyen",
        "ho_so_truc_tuyen",
        "Hồ sơ nộp trực tuyến",
        "filed_online / filed",
        12,
        False,
        False,
        "QĐ 766/QĐ-TTg, nhóm Cung cấp dịch vụ trực tuyến",
    ),
    (
        "thanh_toan",
        "thanh_toan_truc_tuyen",
        "Phí, lệ phí thanh toán trực tuyến",
        "payments_online / payments",
        10,
        False,
        False,
        "QĐ 766/QĐ-TTg, Thanh toán trực tuyến",
    ),
    (
        "hai_long",
        "hai_long_tiep_nhan",
        "Mức độ hài lòng về tiếp nhận, giải quyết TTHC (đánh giá tại quầy)",
        "satisfaction_rate",
        18,
        True,
        True,
        "QĐ 766/QĐ-TTg, nhóm Mức độ hài lòng (công thức tạm: điểm đánh giá trung bình / 5)",
    ),
    (
        "so_hoa",
        "so_hoa_thanh_phan",
        "Thành phần hồ sơ được số hóa",
        "documents_digitised / documents",
        11,
        True,
        False,
        "QĐ 766/QĐ-TTg, nhóm Số hóa hồ sơ (công thức tạm)",
    ),
    (
        "so_hoa",
        "so_hoa_ket_qua",
        "Kết quả giải quyết được số hóa (ký số)",
        "results_signed / results",
        11,
        True,
        False,
        "QĐ 766/QĐ-TTg, nhóm Số hóa hồ sơ (công thức tạm)",
    ),
]
BANDS = [(90, "Tốt", "#1f6f43"), (70, "Khá", "#2f6fb0"), (50, "Trung bình", "#b07a00"), (0, "Yếu", "#b3261e")]

COMMUNE_LEADER = {
    "code": "commune_leader",
    "name": "Lãnh đạo UBND xã",
    "scope_kind": "commune",
    "permissions": [
        "organisation.view",
        "calendar.view",
        "dossier.view",
        "document.view",
        "monitoring.view",
    ],
    "description": "Leads a commune: its service quality, agencies, centre and officers.",
}


def forwards(apps, schema_editor):
    Group = apps.get_model("monitoring", "IndexGroup")
    Indicator = apps.get_model("monitoring", "IndexIndicator")
    Band = apps.get_model("monitoring", "IndexBand")
    Role = apps.get_model("organisation", "Role")
    groups = {}
    for order, (code, name, points) in enumerate(GROUPS):
        groups[code] = Group.objects.create(code=code, name=name, max_points=points, order=order)
    for order, (group, code, name, formula, points, provisional, full, source) in enumerate(
        INDICATORS
    ):
        Indicator.objects.create(
            group=groups[group],
            code=code,
            name=name,
            formula=formula,
            points=points,
            provisional=provisional,
            full_when_empty=full,
            source=source,
            order=order,
        )
    for minimum, name, colour in BANDS:
        Band.objects.create(minimum=minimum, name=name, colour=colour)
    role = dict(COMMUNE_LEADER)
    Role.objects.get_or_create(code=role.pop("code"), defaults=role)


def backwards(apps, schema_editor):
    for model in ("IndexIndicator", "IndexGroup", "IndexBand"):
        apps.get_model("monitoring", model).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0001_initial"),
        ("organisation", "0002_default_roles"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
