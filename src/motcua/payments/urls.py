from django.urls import path

from motcua.payments import simulator, views

app_name = "payments"

urlpatterns = [
    path("<int:payment_id>/", views.payment, name="payment"),
    path("<int:payment_id>/start", views.start, name="start"),
    path("return", views.gateway_return, name="return"),
    path("ipn", views.ipn, name="ipn"),
    # The demo gateway (on only with MOTCUA_PAYMENT_PROVIDER=demo).
    path("gateway/pay", simulator.pay, name="gateway_pay"),
]
