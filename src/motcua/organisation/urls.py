from django.urls import path

from motcua.organisation import views

app_name = "organisation"

urlpatterns = [
    path("service-points/", views.service_points, name="service_points"),
    path("service-points/<int:point_id>/", views.service_point, name="service_point"),
    path("agencies/", views.agencies, name="agencies"),
    path("agencies/<int:agency_id>/", views.agency, name="agency"),
]
