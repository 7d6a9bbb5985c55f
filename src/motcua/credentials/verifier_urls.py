from django.urls import path

from motcua.credentials import verifier_views

app_name = "verifier"

urlpatterns = [
    # "Xác thực": the public page where anyone checks a credential or a result's seal.
    path("xac-thuc/", verifier_views.verify_page, name="verify"),
]
