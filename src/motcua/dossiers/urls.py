from django.urls import path

from motcua.dossiers import views

app_name = "dossiers"

urlpatterns = [
    # Citizens
    path("apply/<str:code>/", views.apply, name="apply"),
    path("track/", views.track, name="track"),
    path("track/supplement", views.track_supplement, name="track_supplement"),
    path("track/slips/<int:slip_id>.pdf", views.tracked_slip, name="tracked_slip"),
    # Staff
    path("dossiers/", views.dossier_list, name="list"),
    path("dossiers/receive/", views.receive_choose, name="receive_choose"),
    path("dossiers/receive/<str:code>/", views.receive, name="receive"),
    path("dossiers/<str:code>/", views.detail, name="detail"),
    path("dossiers/<str:code>/decision", views.decide, name="decide"),
    path("dossiers/<str:code>/fee", views.settle_fee, name="settle_fee"),
    path("dossiers/<str:code>/supplement", views.supplement, name="supplement"),
    path("dossiers/<str:code>/slips/<int:slip_id>.pdf", views.slip_pdf, name="slip_pdf"),
    path(
        "dossiers/<str:code>/documents/<int:document_id>",
        views.document_file,
        name="document_file",
    ),
]
