"""A dossier transferred between two motcua instances, end to end over HTTP.

Three separate processes: the national portal simulator, instance A and instance B, each
`motcua demo` with its own data directory, port and signing key, both reporting to the
simulator. Each registers the other as its peer with `motcua transfer_peer add`, which fetches
the other's public keys. A's counter receives a dossier; A's Department of Justice leader
transfers it to B; B's officer asks for a supplement, which A's counter takes from the
applicant and A forwards to B; B's officers process it to its result; the result flows back
to A, whose counter returns it. Then: A's dossier has B's signed result, B's copy references
A's code and is not counted by B's monitoring, and the portal saw A's dossier only, as 2, 4,
5, 4, 9, 10.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.intake_data import BIRTH_DATE, ID_NUMBER, pdf_bytes
from tests.interop import portal_sim as simulator
from tests.interop.portal_sim import PortalSimulator, free_port

portal_sim = simulator.portal_sim

PASSWORD = "motcua-demo"  # motcua.organisation.demo.DEMO_PASSWORD
MOTCUA = str(Path(sys.executable).with_name("motcua"))
START_TIMEOUT = 60.0
FLOW_TIMEOUT = 60.0
T = TypeVar("T")


@dataclass
class Instance:
    name: str
    data_dir: Path
    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    sessions: dict[str, httpx.Client] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self, *args: str) -> str:
        done = subprocess.run(
            [MOTCUA, *args], env=self.env, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, f"{self.name}: motcua {' '.join(args)}\n{done.stderr}"
        return done.stdout

    def start(self) -> None:
        log = (self.data_dir / "server.log").open("wb")
        self.process = subprocess.Popen(
            [MOTCUA, "demo", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait_started(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert self.process.poll() is None, f"{self.name} exited: {self.log()}"
            try:
                if httpx.get(self.url + "/interop/transfers/jwks.json").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"{self.name} did not start: {self.log()}"
            time.sleep(0.2)

    def stop(self) -> None:
        for session in self.sessions.values():
            session.close()
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        return (self.data_dir / "server.log").read_text(errors="replace")[-3000:]

    def as_user(self, username: str) -> httpx.Client:
        """A logged-in session of a demo officer (login form, session cookie, CSRF)."""
        if username not in self.sessions:
            client = httpx.Client(base_url=self.url, timeout=30)
            page = client.get("/login/")
            token = _field(page.text, "csrfmiddlewaretoken")
            answer = client.post(
                "/login/",
                data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
                headers={"Referer": self.url + "/login/"},
            )
            assert answer.status_code == 302, f"{username} could not log in at {self.name}"
            client.headers["X-CSRFToken"] = client.cookies["csrftoken"]
            client.headers["Referer"] = self.url + "/"
            self.sessions[username] = client
        return self.sessions[username]

    def api(self, username: str, method: str, path: str, **kwargs: Any) -> Any:
        response = self.as_user(username).request(method, "/api/v1" + path, **kwargs)
        assert response.status_code in (200, 201), f"{method} {path}: {response.text}"
        return response.json()


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found, f"no {name} in the page"
    return found.group(1)


def _eventually(check: Callable[[], T | None], what: str, instances: list[Instance]) -> T:
    deadline = time.monotonic() + FLOW_TIMEOUT
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {i.name}\n{i.log()}" for i in instances)
            pytest.fail(f"Timed out waiting for {what}\n{logs}")
        time.sleep(0.5)


@pytest.fixture
def instances(tmp_path: Path, portal_sim: PortalSimulator) -> Iterator[tuple[Instance, Instance]]:
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "MOTCUA_TEST_DB_NAME", "DJANGO_SETTINGS_MODULE")
        and not key.startswith("PYTEST")
    }
    base |= {
        "MOTCUA_SECRET_KEY": "e2e-transfer-test-secret-key-not-for-production",
        "MOTCUA_SECURE": "false",
        "MOTCUA_STATIC_MANIFEST": "false",
        # The fewest synthetic dossiers the demo makes: a year of them is not needed here.
        "MOTCUA_DEMO_DOSSIERS": "0",
        "MOTCUA_PORTAL_URL": portal_sim.url,
        "MOTCUA_PORTAL_TOKEN": portal_sim.token,
    }
    pair = []
    for name in ("A", "B"):
        port = free_port()
        data_dir = tmp_path / name
        data_dir.mkdir()
        env = base | {
            "MOTCUA_DATA_DIR": str(data_dir),
            "MOTCUA_PUBLIC_URL": f"http://127.0.0.1:{port}",
        }
        pair.append(Instance(name, data_dir, port, env))
    a, b = pair
    # Setting the demo up takes half a minute: A's database, freshly set up, starts B's too
    # (two provinces load the same demo organisation); keys and files stay each one's own.
    a.command("demo", "--setup-only")
    shutil.copy(a.data_dir / "motcua.sqlite3", b.data_dir / "motcua.sqlite3")
    try:
        for instance in pair:
            instance.start()
        for instance in pair:
            instance.wait_started()
        a.command("transfer_peer", "add", "--name", "motcua B", "--url", b.url)
        b.command("transfer_peer", "add", "--name", "motcua A", "--url", a.url)
        yield a, b
    finally:
        for instance in pair:
            instance.stop()


def _monitored(b: Instance) -> dict[str, Any]:
    answer = b.api("giamsat.tinh", "GET", "/monitoring/kpis", params={"unit": "province:22"})
    return dict(answer["metrics"])


def test_a_dossier_transferred_to_another_instance_comes_back_with_its_result(
    instances: tuple[Instance, Instance], portal_sim: PortalSimulator
) -> None:
    a, b = instances
    everyone = [a, b]
    declaration = pdf_bytes(1)
    filed = a.api(
        "motcua.halong",
        "POST",
        "/dossiers",
        json={
            "procedure": "2.000488",
            "applicant": {
                "name": "Nguyễn Văn An",
                "id_number": ID_NUMBER,
                "address": "Tổ 5, khu 3, phường Bãi Cháy",
                "birth_date": BIRTH_DATE.isoformat(),
                "phone": "0912345678",
            },
            "data": {"loai_phieu": "Phiếu lý lịch tư pháp số 1", "muc_dich": "Xin việc"},
            "commune": "06688",
            "channel": "counter",
            "files": [
                {
                    "document": "to_khai",
                    "name": "to-khai.pdf",
                    "content_base64": base64.b64encode(declaration).decode(),
                }
            ],
            "decision": {"decision": "accept"},
        },
    )
    code = filed["code"]
    assert filed["status"] == 2
    before = _monitored(b)

    # A's Department of Justice leader transfers it to B, on the dossier's transfer page.
    leader = a.as_user("lanhdao.stp")
    page = leader.get(f"/interop/transfers/dossiers/{code}/")
    assert page.status_code == 200
    peer = re.search(r'<option value="(\d+)">motcua B', page.text)
    assert peer, page.text
    sent = leader.post(
        f"/interop/transfers/dossiers/{code}/", data={"peer": peer.group(1), "note": "Liên thông"}
    )
    assert sent.status_code == 302
    assert sent.headers["location"].endswith(f"/dossiers/{code}/")

    def remote_code() -> str | None:
        found = re.search(r"<code>([^<]+)</code>\)", leader.get(page.url).text)
        return found.group(1) if found else None

    copy = _eventually(remote_code, "B's ack", everyone)
    assert copy != code

    # B processes its copy to the result, through its processing API.
    head = b.api(
        "lanhdao.stp", "POST", f"/dossiers/{copy}/assign", json={"assignee": "chuyenvien.stp"}
    )
    assert head["status"] == 4

    # B's officer asks for a signed declaration: A asks its applicant, who hands it in at A's
    # counter, and A forwards it to B, whose processing goes on.
    wanted = "Tờ khai có chữ ký của người yêu cầu"
    b.api(
        "chuyenvien.stp", "POST", f"/dossiers/{copy}/supplement-request", json={"items": [wanted]}
    )

    def asked_at_a() -> dict[str, Any] | None:
        dossier = a.api("motcua.halong", "GET", f"/dossiers/{code}")
        return dossier if dossier["status"] == 5 else None

    asked = _eventually(asked_at_a, "B's supplement request at A", everyone)
    assert [slip["items"] for slip in asked["slips"] if slip["kind"] == "supplement"] == [[wanted]]
    signed = pdf_bytes(2)
    handed_in = a.as_user("motcua.halong").post(
        f"/dossiers/{code}/supplement",
        files={"file.to_khai": ("to-khai-ky.pdf", signed, "application/pdf")},
    )
    assert handed_in.status_code == 302

    def supplemented_at_b() -> dict[str, Any] | None:
        dossier = b.api("lanhdao.stp", "GET", f"/dossiers/{copy}")
        return dossier if dossier["status"] == 4 else None

    resumed = _eventually(supplemented_at_b, "the supplement at B", everyone)
    (declaration_at_b,) = [d for d in resumed["documents"] if d["requirement"] == "to_khai"]
    assert declaration_at_b["size"] == len(signed)

    b.api("chuyenvien.stp", "POST", f"/dossiers/{copy}/proposal", json={"decision": "grant"})
    b.api("lanhdao.stp", "POST", f"/dossiers/{copy}/approval", json={})
    copy_page = b.as_user("lanhdao.stp").get(f"/interop/transfers/dossiers/{copy}/").text
    assert f"<code>{code}</code>" in copy_page  # B's copy references A's original

    # The result flows back to A, whose counter returns it.
    def processed_at_a() -> dict[str, Any] | None:
        dossier = a.api("motcua.halong", "GET", f"/dossiers/{code}")
        return dossier if dossier["status"] == 9 else None

    _eventually(processed_at_a, "the result at A", everyone)
    returned = a.api(
        "motcua.halong", "POST", f"/dossiers/{code}/return", json={"method": "counter"}
    )
    assert returned["status"] == 10

    ours = a.api("motcua.halong", "GET", f"/dossiers/{code}/result")
    theirs = b.api("lanhdao.stp", "GET", f"/dossiers/{copy}/result")
    assert (ours["number"], ours["sha256"]) == (theirs["number"], theirs["sha256"])
    pdf = a.as_user("motcua.halong").get(f"/api/v1/dossiers/{code}/result.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")

    # B's monitoring did not count its copy.
    assert _monitored(b) == before

    # The portal saw A's dossier, in order, and nothing of B's copy.
    def portal_saw_the_return() -> list[int] | None:
        statuses = portal_sim.statuses(code)
        return statuses if statuses[-1:] == [10] else None

    assert _eventually(portal_saw_the_return, "the portal's 10", everyone) == [2, 4, 5, 4, 9, 10]
    received = portal_sim.received(code)
    assert all(entry["valid"] for entry in received)
    assert portal_sim.received(copy) == []
