from django.urls import path

from motcua.workcalendar import views

app_name = "workcalendar"

urlpatterns = [
    path("", views.calendar, name="calendar"),
]
