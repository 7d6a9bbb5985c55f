"""The national portal simulator (`motcua.interop.portal.simulator`) as a separate process, for
tests that talk to it over real HTTP.

Use the fixtures by naming them in a test module (or importing them into a conftest)::

    from tests.interop import portal_sim as simulator

    portal_sim = simulator.portal_sim
    portal_sync = simulator.portal_sync  # needs portal_sim beside it

- `portal_sim`: a started simulator (a `PortalSimulator`), stopped after the test. Its state
  lives in a file of the test's tmp_path, so `stop()` then `start()` keeps what it received.
- `portal_sync`: `portal_sim` with motcua's portal synchronisation switched on for the test
  (settings PORTAL_URL and PORTAL_TOKEN point at it).

`PortalSimulator` API (stable; other tests rely on it):
- `.url` base URL (no trailing slash), `.token` the bearer token its /api/ needs;
- `.start()`, `.stop()` (the process is killed: the portal is down), `.running`;
- `.received(dossier=None)`: every request received, in arrival order, as dicts with `kind`
  ("sync", "status", "fetch", "ack", "reject", "failure"), `dossier`, `status`, `event_id`,
  `duplicate`, `valid`, `errors`, `body`, `seq`, `at`;
- `.statuses(dossier)`: the statuses the portal accepted for a dossier, in order;
- `.dossier(code)`: the portal's record of a dossier (status, history, …) or None;
- `.add_submission(**fields)`: file a dossier on the portal; returns its portal id (the fields
  of `submission()` below are a valid one);
- `.submissions()`: every submission with its `state` ("new", "acked", "rejected"),
  `dossier_code` and `rejection`;
- `.fail(times, status=503, match="", delay=0.0)`: answer the next `times` /api/ requests whose
  path contains `match` with `status`, after `delay` seconds;
- `.reset()`: forget everything.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.intake_data import BIRTH_DATE, ID_NUMBER, pdf_bytes

START_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PortalSimulator:
    def __init__(self, state_file: Path, *, port: int | None = None, token: str = "") -> None:
        self.port = port or free_port()
        self.token = token or secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.state_file = state_file
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        if self.running:
            return
        command = [sys.executable, "-m", "motcua.interop.portal.simulator"]
        command += ["--port", str(self.port), f"--token={self.token}"]
        command += ["--state", str(self.state_file)]
        self._process = subprocess.Popen(command)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"The portal simulator exited ({self._process.returncode}).")
            try:
                if self._call("GET", "/_sim/health").get("ok"):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("The portal simulator did not start.")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.kill()
        self._process.wait(timeout=10)
        self._process = None

    def received(self, dossier: str | None = None) -> list[dict[str, Any]]:
        query = "?dossier=" + urllib.parse.quote(dossier) if dossier else ""
        return list(self._call("GET", "/_sim/received" + query)["received"])

    def statuses(self, dossier: str) -> list[int]:
        """The statuses the portal accepted for `dossier` (first push included), in order."""
        return [
            entry["status"]
            for entry in self.received(dossier)
            if entry["kind"] in ("sync", "status") and entry["valid"] and not entry["duplicate"]
        ]

    def dossier(self, code: str) -> dict[str, Any] | None:
        try:
            return self._call("GET", "/_sim/dossiers/" + urllib.parse.quote(code))
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def add_submission(self, **fields: Any) -> str:
        return str(self._call("POST", "/_sim/submissions", fields)["id"])

    def submissions(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/_sim/submissions")["submissions"])

    def fail(self, times: int, status: int = 503, match: str = "", delay: float = 0.0) -> None:
        self._call(
            "POST", "/_sim/fail", {"times": times, "status": status, "match": match, "delay": delay}
        )

    def reset(self) -> None:
        self._call("POST", "/_sim/reset", {})

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 (a local http URL)
            self.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read())


def submission(**changes: Any) -> dict[str, Any]:
    """A valid portal submission of the judicial record certificate (tests/processing_data.py),
    filed after a level-2 e-ID login, with its declaration attached."""
    content = pdf_bytes(1)
    values: dict[str, Any] = {
        "procedure": "2.000488",
        "agency": "000.00.02.H22",
        "commune": "06688",
        "applicant": {
            "name": "Nguyễn Văn An",
            "id_type": "cccd",
            "id_number": ID_NUMBER,
            "birth_date": BIRTH_DATE.isoformat(),
            "address": "Tổ 5, khu 3, phường Bãi Cháy",
            "phone": "0912345678",
            "email": "an@example.vn",
        },
        "eid": {"subject": f"vneid-{ID_NUMBER}", "level": 2},
        "data": {"muc_dich": "Bổ sung hồ sơ xin việc"},
        "documents": [
            {
                "code": "to_khai",
                "name": "to-khai.pdf",
                "content_base64": base64.b64encode(content).decode(),
                "sha256": hashlib.sha256(content).hexdigest(),
            }
        ],
    }
    values.update(changes)
    return values


@pytest.fixture
def portal_sim(tmp_path: Path) -> Iterator[PortalSimulator]:
    simulator = PortalSimulator(tmp_path / "portal-state.json")
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture
def portal_sync(portal_sim: PortalSimulator, settings: Any) -> PortalSimulator:
    settings.PORTAL_URL = portal_sim.url
    settings.PORTAL_TOKEN = portal_sim.token
    return portal_sim
