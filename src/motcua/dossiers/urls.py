from django.urls import path

app_name = "dossiers"

urlpatterns: list[path] = []
