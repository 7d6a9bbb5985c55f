"""Open data, at /open-data/: the index page and each dataset's JSON and CSV files."""

from django.urls import path, re_path

from motcua.interop import opendata_views

app_name = "opendata"
urlpatterns = [
    path("", opendata_views.index, name="index"),
    re_path(r"^procedures\.(?P<fmt>json|csv)$", opendata_views.procedures, name="procedures"),
    re_path(r"^kpis\.(?P<fmt>json|csv)$", opendata_views.kpi_figures, name="kpis"),
]
