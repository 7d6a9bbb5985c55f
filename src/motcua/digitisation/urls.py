from django.urls import path

from motcua.digitisation import views

app_name = "digitisation"

urlpatterns = [
    # The station and its scans; the store has an address of its own (the navigation marks
    # the page by the beginning of its address).
    path("digitisation/", views.station, name="station"),
    path("digitisation/scans/<int:pk>/", views.item, name="item"),
    path("digitisation/scans/<int:pk>/confirm", views.confirm, name="confirm"),
    path("digitisation/scans/<int:pk>/retry", views.retry, name="retry"),
    path("digitisation/scans/<int:pk>/discard", views.discard, name="discard"),
    path("digitisation/scans/<int:pk>/searchable.pdf", views.searchable_pdf, name="searchable_pdf"),
    path("digitisation/reusable", views.reusable, name="reusable"),
    path("documents/", views.documents, name="documents"),
    path("documents/national", views.fetch_national, name="fetch_national"),
    path("documents/<int:pk>/", views.document, name="document"),
    path("documents/<int:pk>/file.pdf", views.document_file, name="document_file"),
    path("documents/<int:pk>/withdraw", views.withdraw, name="withdraw"),
]
