"""Shared fixtures. The suite runs on SQLite by default and on PostgreSQL with DATABASE_URL."""

from __future__ import annotations

import os

import pytest
from django.db import connection

# Playwright's sync API runs an event loop in the test thread; live_server tests touch the ORM.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    # PBKDF2's deliberate slowness is for production; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def eid_app_tokens(live_server, settings, tmp_path, intake_org):  # type: ignore[no-untyped-def]
    """The development e-ID provider on the live server, and the tokens of a level-2 login of
    Trần Thị Mai (tests/identity/dev_eid.MAI) as a citizen's app obtains them for motcua."""
    from tests.identity.dev_eid import CLIENT_ID, CLIENT_SECRET, CLIENTS, app_tokens

    settings.DEV_EID_PROVIDER = True
    settings.PUBLIC_URL = live_server.url
    settings.MOTCUA_PKI_DIR = tmp_path / "pki"
    settings.DEV_EID_CLIENTS = CLIENTS
    settings.EID_CLIENT_ID, settings.EID_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
    return app_tokens(issuer=live_server.url + "/dev-eid")


@pytest.fixture
def org(db):  # type: ignore[no-untyped-def]
    from tests.org import build_org

    return build_org()


@pytest.fixture
def intake_org(org):  # type: ignore[no-untyped-def]
    """The test organisation plus a land registration branch serving two communes, and the
    procedures intake is tried with (tests/intake_data.py)."""
    from motcua.catalogue.services import import_procedures
    from motcua.organisation import services as organisation
    from motcua.organisation.models import Agency
    from tests.catalogue_data import procedure
    from tests.intake_data import LAND_CHANGE, LOCAL_ONLY

    branch = organisation.save_agency(
        agency=Agency(
            code="001.01.03.H22",
            name="Chi nhánh Văn phòng Đăng ký đất đai khu vực Hạ Long",
            kind="land_registration_branch",
            level="province",
            province=org.province,
        )
    )
    branch.served_communes.set([org.communes["halong"], org.communes["baichay"]])
    org.agencies["land_halong"] = branch
    org.points["tinh"].agencies.add(branch)
    import_procedures(documents=[procedure(), LAND_CHANGE, LOCAL_ONLY])
    return org


@pytest.fixture
def processing_org(intake_org, settings, tmp_path):  # type: ignore[no-untyped-def]
    """The intake organisation plus the provincial police, the leaders and officers who
    process, the judicial record procedure (tests/processing_data.py), and a demo PKI of the
    test's own."""
    from django.contrib.auth import get_user_model

    from motcua.catalogue.services import import_procedures
    from motcua.organisation import services as organisation
    from motcua.organisation.models import Agency, Role
    from tests.processing_data import JUDICIAL_RECORD, PROCESSING_STAFF

    settings.MOTCUA_PKI_DIR = tmp_path / "pki"
    intake_org.agencies["police"] = organisation.save_agency(
        agency=Agency(
            code="000.00.16.H22",
            name="Công an tỉnh Quảng Ninh",
            kind="police",
            level="province",
            province=intake_org.province,
        )
    )
    roles = {role.code: role for role in Role.objects.all()}
    for key, (role, agency) in PROCESSING_STAFF.items():
        user = get_user_model().objects.create_user(
            username=key, password="pw-" + key, email=f"{key}@example.vn"
        )
        organisation.grant_role(user=user, role=roles[role], scope=intake_org.agencies[agency])
        intake_org.users[key] = user
    import_procedures(documents=[JUDICIAL_RECORD])
    return intake_org


@pytest.fixture
def asgi_server(transactional_db):  # type: ignore[no-untyped-def]
    """The project's ASGI application served by uvicorn in a thread of the test process, on a
    free port; yields the base URL. Pages whose event streams must deliver need it:
    pytest-django's `live_server` is WSGI, under which Django reads an async streaming response
    to its end before sending anything. The server shares the test database."""
    import socket
    import threading
    import time

    import uvicorn
    from django.core.asgi import get_asgi_application

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        get_asgi_application(),
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):  # type: ignore[no-untyped-def]
    """Debian's Chromium: Playwright cannot download its own browser here."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ],
    }
