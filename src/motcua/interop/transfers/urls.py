from django.urls import path

from motcua.interop.transfers import views

app_name = "transfers"

urlpatterns = [
    path("jwks.json", views.jwks, name="jwks"),
    path("inbox", views.inbox, name="inbox"),
    path("status", views.status, name="status"),
    path("applicant", views.applicant, name="applicant"),
    path("dossiers/<str:code>/", views.transfer, name="transfer"),
]
