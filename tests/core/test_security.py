from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from tests.org import Org


def _settings_import(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    return subprocess.run(
        [sys.executable, "-c", "import motcua.settings as s; print(s.SECURE)"],
        env=clean | env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_refuses_the_default_secret_key_without_debug() -> None:
    refused = _settings_import({})
    assert refused.returncode != 0
    assert "MOTCUA_SECRET_KEY" in refused.stderr
    assert _settings_import({"MOTCUA_DEBUG": "true"}).returncode == 0
    production = _settings_import({"MOTCUA_SECRET_KEY": "x" * 50})
    assert production.returncode == 0
    assert production.stdout.strip() == "True"  # HTTPS-only cookies and HSTS by default


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy() -> None:
    response = Client().get(reverse("core:home"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Language"] == "vi"


@pytest.mark.django_db
def test_english_is_one_click_away() -> None:
    client = Client()
    assert "Đăng nhập cán bộ" in client.get(reverse("core:home")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Staff login" in client.get(reverse("core:home")).content.decode()


@pytest.mark.django_db
def test_login_logout_and_csrf(org: Org) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("core:login"))
    token = page.cookies["csrftoken"].value
    refused = client.post(reverse("core:login"), {"username": "monitor", "password": "pw-monitor"})
    assert refused.status_code == 403  # no CSRF token
    logged_in = client.post(
        reverse("core:login"),
        {"username": "monitor", "password": "pw-monitor", "csrfmiddlewaretoken": token},
    )
    assert logged_in.status_code == 302
    assert client.get(reverse("api:me")).json()["roles"] == ["provincial_monitor"]
    token = client.cookies["csrftoken"].value
    client.post(reverse("core:logout"), {"csrfmiddlewaretoken": token})
    assert client.get(reverse("api:me")).status_code == 401


@pytest.mark.django_db
@override_settings(LOGIN_RATE="3/m")
def test_login_is_rate_limited_per_user_name(org: Org) -> None:
    cache.clear()
    url = reverse("core:login")
    for address in ["10.0.0.1", "10.0.0.2", "10.0.0.3"]:
        wrong = Client(REMOTE_ADDR=address).post(url, {"username": "monitor", "password": "no"})
        assert wrong.status_code == 200
    blocked = Client(REMOTE_ADDR="10.0.0.4").post(
        url, {"username": "monitor", "password": "pw-monitor"}
    )
    assert blocked.status_code == 429
    assert "Quá nhiều lần thử" in blocked.content.decode()
    cache.clear()
