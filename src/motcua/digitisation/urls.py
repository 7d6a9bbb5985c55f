from django.urls import path

from motcua.digitisation import views

app_name = "digitisation"

urlpatterns = [
    path("", views.station, name="station"),
    path("scans/<int:pk>/", views.item, name="item"),
    path("scans/<int:pk>/confirm", views.confirm, name="confirm"),
    path("scans/<int:pk>/retry", views.retry, name="retry"),
    path("scans/<int:pk>/discard", views.discard, name="discard"),
    path("scans/<int:pk>/searchable.pdf", views.searchable_pdf, name="searchable_pdf"),
    path("documents/", views.documents, name="documents"),
    path("documents/national", views.fetch_national, name="fetch_national"),
    path("documents/<int:pk>/", views.document, name="document"),
    path("documents/<int:pk>/file.pdf", views.document_file, name="document_file"),
    path("documents/<int:pk>/withdraw", views.withdraw, name="withdraw"),
    path("reusable", views.reusable, name="reusable"),
]
