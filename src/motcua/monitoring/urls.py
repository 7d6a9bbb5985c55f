from django.urls import path, re_path

from motcua.monitoring import exports, report, views

app_name = "monitoring"

# A unit: its kind, and its key (a province or commune code, or an agency, service point or
# user number: digits in every case).
UNIT = r"(?P<kind>province|commune|agency|service_point|officer)/(?P<key>[0-9]{1,12})"

urlpatterns = [
    path("", views.home, name="home"),
    path("ranking/", views.ranking, name="ranking"),
    re_path(rf"^{UNIT}/$", views.unit_page, name="unit"),
    re_path(rf"^{UNIT}/tiles$", views.tiles_partial, name="tiles"),
    re_path(rf"^{UNIT}/export\.(?P<fmt>csv|xlsx)$", exports.export, name="export"),
    re_path(rf"^{UNIT}/report\.pdf$", report.monthly_report, name="report"),
]
