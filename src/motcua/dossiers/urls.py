from django.urls import path

from motcua.dossiers import processing_views, views

app_name = "dossiers"

urlpatterns = [
    # Citizens
    path("apply/<str:code>/", views.apply, name="apply"),
    path("track/", views.track, name="track"),
    path("track/supplement", views.track_supplement, name="track_supplement"),
    path("track/slips/<int:slip_id>.pdf", views.tracked_slip, name="tracked_slip"),
    path("track/stop", views.track_stop, name="track_stop"),
    path("track/result.pdf", views.tracked_result, name="tracked_result"),
    path("results/ca.pem", processing_views.ca_certificate, name="ca_certificate"),
    path("results/<str:secret>/", processing_views.verify_result, name="verify_result"),
    path(
        "results/<str:secret>/result.pdf",
        processing_views.verified_result_pdf,
        name="verified_result_pdf",
    ),
    # Staff
    path("work/", processing_views.work, name="work"),
    path("dossiers/", views.dossier_list, name="list"),
    path("dossiers/receive/", views.receive_choose, name="receive_choose"),
    path("dossiers/receive/<str:code>/", views.receive, name="receive"),
    path("dossiers/<str:code>/", views.detail, name="detail"),
    path("dossiers/<str:code>/decision", views.decide, name="decide"),
    path("dossiers/<str:code>/fee", views.settle_fee, name="settle_fee"),
    path("dossiers/<str:code>/supplement", views.supplement, name="supplement"),
    path("dossiers/<str:code>/slips/<int:slip_id>.pdf", views.slip_pdf, name="slip_pdf"),
    path("dossiers/<str:code>/actions/<slug:action>", processing_views.act, name="act"),
    path("dossiers/<str:code>/control-slip/", processing_views.control_slip, name="control_slip"),
    path(
        "dossiers/<str:code>/control-slip.pdf",
        processing_views.control_slip_pdf,
        name="control_slip_pdf",
    ),
    path("dossiers/<str:code>/result.pdf", processing_views.result_pdf, name="result_pdf"),
    path(
        "dossiers/<str:code>/documents/<int:document_id>",
        views.document_file,
        name="document_file",
    ),
]
