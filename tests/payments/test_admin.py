"""The payments admin is read only, and open to system administrators only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from motcua.payments import services
from motcua.payments.models import PaymentAttempt
from tests.org import Org

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempt() -> PaymentAttempt:
    payment = services.create_payment(reference="H22-ADMIN-1", purpose="Lệ phí", amount=4000)
    services.start_online_payment(payment=payment, return_url="http://testserver/r")
    return PaymentAttempt.objects.get()


@pytest.mark.parametrize("user_key", ["sysadmin", "monitor", "counter_halong"])
def test_payments_admin_is_read_only_for_system_administrators(
    org: Org, attempt: PaymentAttempt, user_key: str
) -> None:
    client = Client()
    client.force_login(org.users[user_key])
    pages = [
        reverse("admin:payments_payment_changelist"),
        reverse("admin:payments_payment_change", args=[attempt.payment_id]),
        reverse("admin:payments_paymentattempt_changelist"),
        reverse("admin:payments_paymentattempt_change", args=[attempt.pk]),
    ]
    for url in pages:
        response = client.get(url)
        if user_key == "sysadmin":
            assert response.status_code == 200, url
        else:
            assert response.status_code == 302, url
    if user_key == "sysadmin":
        change = client.get(pages[1]).content.decode()
        assert attempt.txn_ref in change  # the attempts inline
        assert 'name="_save"' not in change
        assert client.get(reverse("admin:payments_payment_add")).status_code == 403
        index = client.get(reverse("admin:index")).content.decode()
        assert reverse("admin:payments_payment_changelist") in index


def test_the_admin_cannot_change_a_payment(org: Org, attempt: PaymentAttempt) -> None:
    client = Client()
    client.force_login(org.users["sysadmin"])
    url = reverse("admin:payments_payment_change", args=[attempt.payment_id])
    response: Any = client.post(url, {"status": "paid"})
    assert response.status_code == 403
    attempt.payment.refresh_from_db()
    assert attempt.payment.status == "pending"
