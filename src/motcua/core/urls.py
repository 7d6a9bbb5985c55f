from django.urls import path

from motcua.core import sse, views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("audit/", views.audit_log, name="audit_log"),
    path("jobs/", views.jobs, name="jobs"),
    path("events/stream", sse.event_stream, name="event_stream"),
]
