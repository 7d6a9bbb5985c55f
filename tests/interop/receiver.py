"""A webhook receiver for tests: a small stdlib HTTP server run as its own process, that
verifies every request as a Standard Webhooks receiver must (independently of motcua's code)
and writes one JSON line per request to a log file, so that what it received survives a
restart or a kill.

    python -m tests.interop.receiver --port 8123 --secrets secrets.json --log hooks.jsonl

Each subscription gets its own address, `/hook/<name>`; the secrets file maps each name to its
subscription's signing secret (`Receiver.url_for()` adds one) and is read on every request.
Behaviour is changed at run time through `POST /_control` with a JSON body:
`{"delay": 0.02}` (seconds before each answer), `{"fail": 3, "status": 500}` (answer the
next 3 requests with that status). `Receiver` below drives it from a test.

A log line: `{"id", "hook", "timestamp", "valid", "answered", "type", "subject", ...}`; `valid` is
false when a header is missing, the timestamp is more than 5 minutes off or no signature
matches (answered 401). Requests answered 2xx are the ones the receiver accepted.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import subprocess
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

TOLERANCE_SECONDS = 5 * 60
START_TIMEOUT = 15.0


def verify(secret: str, headers: Any, body: bytes) -> bool:
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (msg_id and timestamp and signatures):
        return False
    try:
        if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
            return False
    except ValueError:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, entry) for entry in signatures.split())


class State:
    def __init__(self, secrets: Path, log: Path) -> None:
        self.secrets = secrets
        self.log = log
        self.delay = 0.0
        self.fail = 0
        self.fail_status = 500
        self.lock = threading.Lock()

    def secret_of(self, hook: str) -> str | None:
        if not self.secrets.exists():
            return None
        known: dict[str, str] = json.loads(self.secrets.read_text())
        return known.get(hook)

    def answer_for(self) -> int:
        with self.lock:
            if self.fail > 0:
                self.fail -= 1
                return self.fail_status
        return HTTPStatus.NO_CONTENT

    def write(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry) + "\n"
        with self.lock, self.log.open("a") as log:
            log.write(line)


def handler_for(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            if self.path == "/_control":
                self.control(json.loads(body))
                return
            hook = self.path.removeprefix("/hook/")
            secret = state.secret_of(hook)
            valid = secret is not None and verify(secret, self.headers, body)
            time.sleep(state.delay)
            answered = state.answer_for() if valid else HTTPStatus.UNAUTHORIZED
            document = json.loads(body) if valid else {}
            state.write(
                {
                    "id": self.headers.get("webhook-id"),
                    "hook": hook,
                    "timestamp": self.headers.get("webhook-timestamp"),
                    "valid": valid,
                    "answered": int(answered),
                    "content_type": self.headers.get("content-type"),
                    "type": document.get("type"),
                    "subject": document.get("subject"),
                    "specversion": document.get("specversion"),
                    "at": time.time(),
                }
            )
            self.send_response(answered)
            self.send_header("content-length", "0")
            self.end_headers()

        def control(self, change: dict[str, Any]) -> None:
            with state.lock:
                state.delay = float(change.get("delay", state.delay))
                state.fail = int(change.get("fail", state.fail))
                state.fail_status = int(change.get("status", state.fail_status))
            self.send_response(HTTPStatus.NO_CONTENT)
            self.send_header("content-length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("content-length", "0")
            self.end_headers()

    return Handler


class Receiver:
    """The receiver process, driven from a test. `stop()` kills it (the receiver is down);
    `start()` brings it back on the same port, its log kept."""

    def __init__(self, port: int, folder: Path) -> None:
        self.port = port
        self.secrets = folder / "secrets.json"
        self.log = folder / "requests.jsonl"
        self._process: subprocess.Popen[bytes] | None = None

    def url_for(self, hook: str, secret: str) -> str:
        """The address of a new subscription `hook`, whose requests are checked with `secret`."""
        known = json.loads(self.secrets.read_text()) if self.secrets.exists() else {}
        self.secrets.write_text(json.dumps({**known, hook: secret}))
        return f"http://127.0.0.1:{self.port}/hook/{hook}"

    def start(self) -> None:
        command = [sys.executable, "-m", "tests.interop.receiver", "--port", str(self.port)]
        command += ["--secrets", str(self.secrets), "--log", str(self.log)]
        root = Path(__file__).resolve().parents[2]
        self._process = subprocess.Popen(command, cwd=root)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/", timeout=1)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    raise RuntimeError("the webhook receiver did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None

    def control(self, **change: Any) -> None:
        httpx.post(f"http://127.0.0.1:{self.port}/_control", json=change).raise_for_status()

    def requests(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        lines = self.log.read_text().splitlines()
        return [json.loads(line) for line in lines if line.endswith("}")]

    def accepted(self, hook: str | None = None) -> list[str]:
        """The ids of the requests answered 2xx, in arrival order (duplicates kept)."""
        return [
            r["id"]
            for r in self.requests()
            if 200 <= r["answered"] < 300 and hook in (None, r["hook"])
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secrets", type=Path, required=True)
    parser.add_argument("--log", type=Path, required=True)
    args = parser.parse_args()
    handler = handler_for(State(args.secrets, args.log))
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
