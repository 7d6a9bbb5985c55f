from django.urls import path

from motcua.digitisation import citizen_views

app_name = "my_store"

urlpatterns = [
    path("", citizen_views.my_store, name="home"),
    path("code", citizen_views.ask_code, name="ask_code"),
    path("sign-in", citizen_views.enter_code, name="enter_code"),
    path("sign-out", citizen_views.sign_out, name="sign_out"),
    path("<int:pk>/file.pdf", citizen_views.my_file, name="file"),
    path("scan/<slug:point_code>/", citizen_views.kiosk_scan, name="scan"),
    path("scans/<int:pk>/", citizen_views.scan_status, name="scan_status"),
]
