from django.contrib import admin
from django.urls import include, path

from motcua.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("", include("motcua.core.urls")),
    path("organisation/", include("motcua.organisation.urls")),
    path("calendar/", include("motcua.workcalendar.urls")),
    path("procedures/", include("motcua.catalogue.urls")),
    path("", include("motcua.dossiers.urls")),
    path("payments/", include("motcua.payments.urls")),
    path("queue/", include("motcua.queueing.urls")),
    path("monitoring/", include("motcua.monitoring.urls")),
    path("", include("motcua.digitisation.urls")),
    path("my/documents/", include("motcua.digitisation.citizen_urls")),
    path("simulators/national-db/", include("motcua.digitisation.simulator_urls")),
    path("dev-eid/", include("motcua.identity.dev_provider_urls")),
    path("", include("motcua.identity.urls")),
    path("", include("motcua.credentials.urls")),
    path("", include("motcua.credentials.verifier_urls")),
    path("oauth/", include("motcua.interop.oauth_urls")),
    path("open-data/", include("motcua.interop.opendata_urls")),
    path("interop/transfers/", include("motcua.interop.transfers.urls")),
    path("admin/", admin.site.urls),
]
