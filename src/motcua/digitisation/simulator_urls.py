"""The national database simulator's routes (`motcua.digitisation.simulator`), included under
/simulators/national-db/ (`motcua.digitisation.national.SIMULATOR_PATH`)."""

from django.urls import path

from motcua.digitisation import simulator

app_name = "national_db_simulator"

urlpatterns = [
    path("population/citizen", simulator.citizen, name="citizen"),
    path("civil-status/records", simulator.civil_status, name="civil_status"),
    path("business-registration/enterprise", simulator.enterprise, name="enterprise"),
]
