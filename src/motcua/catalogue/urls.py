from django.urls import path

from motcua.catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("", views.procedures, name="procedures"),
    path("<str:code>/", views.procedure, name="procedure"),
]
