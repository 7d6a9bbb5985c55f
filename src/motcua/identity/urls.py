from django.urls import path

from motcua.identity import views

app_name = "identity"

urlpatterns = [
    path("login/eid/", views.login, name="login"),
    path("login/eid/callback", views.callback, name="callback"),
    path("logout/eid", views.logout, name="logout"),
    path("my/data-access/", views.my_data_access, name="data_access"),
]
