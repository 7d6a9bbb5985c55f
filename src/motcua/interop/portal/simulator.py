"""A stand-in for the national public service portal (Cổng Dịch vụ công quốc gia), for tests
and demonstrations: a small HTTP server of its own, standard library only, run as a separate
process::

    python -m motcua.interop.portal.simulator --port 8765 --token secret [--state state.json]

It records every request it receives, validates it as the portal would, keeps each dossier's
portal status, and serves dossiers "filed on the portal" for the province to pull.

The portal API (bearer token required):
- POST /api/v1/dossiers: synchronise a dossier (its first push); 422 with `errors` when invalid,
  409 when the code is known already.
- POST /api/v1/dossiers/{code}/status: a status change; 404 unknown dossier, 409 a transition
  the portal does not accept, 422 invalid.
- GET /api/v1/submissions?state=new: dossiers filed on the portal awaiting the province.
- POST /api/v1/submissions/{id}/ack {"dossier_code"}: the province filed it (idempotent).
- POST /api/v1/submissions/{id}/reject {"detail", "fields"}: the province cannot file it.
A request repeating the `event_id` of an accepted one answers 200 `{"duplicate": true}` and
changes nothing.

Control (no token; tests drive the simulator through it):
- GET /_sim/health; GET /_sim/received[?dossier=CODE] (every request, in arrival order);
  GET /_sim/dossiers/{code}; GET /_sim/submissions;
- POST /_sim/submissions (add a portal-filed dossier, answers its id); POST /_sim/reset;
- POST /_sim/fail {"times": n, "status": 503, "match": "", "delay": 0}: answer the next n
  /api/ requests whose path contains `match` with `status` (after `delay` seconds).

With --state FILE the state is written to FILE after every change and read back at start, so
the simulator can be stopped and started again ("the portal was down for a while").
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

# QĐ 20/2020/QĐ-TTg: up to 35 characters, groups of 2–3 of A–Z 0–9 joined by dots, ending with
# the level-1 code (H22).
AGENCY_CODE = r"(?:[0-9A-Z]{2,3}\.)*[A-Y][0-9]{2}"
AGENCY_CODE_RE = re.compile(rf"^{AGENCY_CODE}$")
# `<agency code>-YYMMDD-XXXX`, XXXX a daily sequence of at least four digits.
DOSSIER_CODE_RE = re.compile(rf"^(?P<agency>{AGENCY_CODE})-(?P<day>[0-9]{{6}})-[0-9]{{4,}}$")
# A national procedure code (2.000815), optionally with a locality suffix (.000.00.00.H22).
PROCEDURE_CODE_RE = re.compile(rf"^[0-9]\.[0-9]{{6}}(?:\.{AGENCY_CODE})?$")
CHANNELS = ("online", "counter", "post", "api")
ID_TYPES = ("cccd", "passport", "tax_code")

# The status changes the portal accepts (its codes 1–10), from the dossier lifecycle: receipt
# (1 → 2 received, 3 refused, 5 supplement asked at receipt), processing (4), the applicant's
# supplement (5 → 1 back to the check at receipt, 5 → 4 back to processing) and financial
# obligation (6 → 4), the applicant's request to stop (7) and the stop (8), the result (9) and
# its return (10). Repeating the current status is an update (a new due date, a note).
TRANSITIONS: dict[int, frozenset[int]] = {
    1: frozenset({2, 3, 5}),
    2: frozenset({4, 5, 6, 7, 8, 9}),
    3: frozenset(),
    4: frozenset({5, 6, 7, 8, 9}),
    5: frozenset({1, 2, 3, 4, 7, 8}),
    6: frozenset({4, 7, 8}),
    7: frozenset({2, 4, 5, 6, 8}),
    8: frozenset(),
    9: frozenset({10}),
    10: frozenset(),
}
# From these statuses on, the dossier has been received: its receipt and due dates are known.
RECEIVED_STATUSES = frozenset({2, 4, 6, 9, 10})


def accepts(before: int, after: int) -> bool:
    return after == before or after in TRANSITIONS.get(before, frozenset())


class Rejected(Exception):
    def __init__(self, status: int, error: str, detail: str, errors: list[dict[str, str]]):
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail
        self.errors = errors

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "detail": self.detail, "errors": self.errors}


def _empty_state() -> dict[str, Any]:
    return {"dossiers": {}, "events": {}, "received": [], "submissions": {}, "fail": None}


class Portal:
    """The simulator's state and rules, behind one lock (requests arrive on many threads)."""

    def __init__(self, token: str, state_file: Path | None = None) -> None:
        self.token = token
        self.state_file = state_file
        self.lock = threading.Lock()
        self.state = _empty_state()
        if state_file is not None and state_file.exists():
            self.state = json.loads(state_file.read_text(encoding="utf-8"))

    def save(self) -> None:
        if self.state_file is None:
            return
        # Written whole and renamed into place: a kill mid-write leaves the previous state.
        fd, temporary = tempfile.mkstemp(dir=self.state_file.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(self.state, out, ensure_ascii=False)
        os.replace(temporary, self.state_file)

    def log(self, **entry: Any) -> None:
        entry.setdefault("dossier", None)
        entry.setdefault("status", None)
        entry.setdefault("event_id", None)
        entry.setdefault("duplicate", False)
        entry.setdefault("valid", True)
        entry.setdefault("errors", [])
        entry.setdefault("body", None)
        entry["at"] = _now()
        entry["seq"] = len(self.state["received"]) + 1
        self.state["received"].append(entry)

    # Failure injection ---------------------------------------------------------------------

    def injected_failure(self, path: str) -> tuple[int, float] | None:
        fail = self.state["fail"]
        if not fail or fail["times"] <= 0 or fail["match"] not in path:
            return None
        fail["times"] -= 1
        return int(fail["status"]), float(fail["delay"])

    # Dossier synchronisation ---------------------------------------------------------------

    def sync(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        event_id = body.get("event_id")
        code = body.get("code")
        duplicate = self._duplicate("sync", code, body)
        if duplicate:
            return duplicate
        errors = _dossier_errors(body)
        if errors:
            raise Rejected(422, "invalid", "The dossier is not valid.", errors)
        if code in self.state["dossiers"]:
            raise Rejected(
                409,
                "already_synchronised",
                f"Dossier {code} is synchronised already: push its status changes.",
                [],
            )
        self.state["dossiers"][code] = {
            "code": code,
            "procedure": body["procedure"],
            "agency": body["agency"],
            "competent_agency": body.get("competent_agency"),
            "channel": body["channel"],
            "status": body["status"],
            "received_at": body.get("received_at"),
            "due_at": body.get("due_at"),
            "finished_at": body.get("finished_at"),
            "applicant": body["applicant"],
            "history": [
                {"status": body["status"], "at": body["submitted_at"], "event_id": event_id}
            ],
            "source": "pushed",
        }
        self.state["events"][event_id] = code
        self.log(kind="sync", dossier=code, status=body["status"], event_id=event_id, body=body)
        return 201, {"code": code, "status": body["status"]}

    def change_status(self, code: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        duplicate = self._duplicate("status", code, body)
        if duplicate:
            return duplicate
        errors = _status_errors(body)
        if errors:
            raise Rejected(422, "invalid", "The status change is not valid.", errors)
        dossier = self.state["dossiers"].get(code)
        if dossier is None:
            raise Rejected(404, "unknown_dossier", f"Dossier {code} is not known.", [])
        before, after = dossier["status"], body["status"]
        if not accepts(before, after):
            raise Rejected(
                409,
                "illegal_transition",
                f"Dossier {code} cannot go from status {before} to {after}.",
                [{"field": "status", "message": f"Not allowed after status {before}."}],
            )
        dossier["status"] = after
        for field in ("due_at", "finished_at", "received_at"):
            if body.get(field):
                dossier[field] = body[field]
        dossier["history"].append({"status": after, "at": body["at"], "event_id": body["event_id"]})
        self.state["events"][body["event_id"]] = code
        self.log(kind="status", dossier=code, status=after, event_id=body["event_id"], body=body)
        return 200, {"code": code, "status": after}

    def _duplicate(
        self, kind: str, code: Any, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]] | None:
        event_id = body.get("event_id")
        if not isinstance(event_id, str) or event_id not in self.state["events"]:
            return None
        self.log(
            kind=kind,
            dossier=code,
            status=body.get("status"),
            event_id=event_id,
            duplicate=True,
            body=body,
        )
        return 200, {"duplicate": True, "code": self.state["events"][event_id]}

    # Submissions filed on the portal -------------------------------------------------------

    def add_submission(self, body: dict[str, Any]) -> dict[str, Any]:
        portal_id = str(body.get("id") or f"DVC-{uuid.uuid4().hex[:12].upper()}")
        submission = {
            "id": portal_id,
            "filed_at": body.get("filed_at") or _now(),
            **{k: v for k, v in body.items() if k not in ("id", "filed_at")},
            "state": "new",
            "dossier_code": None,
            "rejection": None,
        }
        self.state["submissions"][portal_id] = submission
        return submission

    def submissions(self, state: str | None) -> list[dict[str, Any]]:
        found = [s for s in self.state["submissions"].values() if not state or s["state"] == state]
        self.log(kind="fetch", body={"state": state}, count=len(found))
        return found

    def ack(self, portal_id: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        submission = self._submission(portal_id)
        code = body.get("dossier_code")
        if not isinstance(code, str) or not DOSSIER_CODE_RE.match(code):
            raise Rejected(
                422,
                "invalid",
                "The dossier code is not valid.",
                [{"field": "dossier_code", "message": "Expected <agency code>-YYMMDD-XXXX."}],
            )
        if submission["state"] == "acked":
            if submission["dossier_code"] != code:
                raise Rejected(
                    409,
                    "already_acknowledged",
                    f"Submission {portal_id} was filed as {submission['dossier_code']}.",
                    [],
                )
            self.log(kind="ack", dossier=code, duplicate=True, body=body, submission=portal_id)
            return 200, {"duplicate": True, "id": portal_id, "dossier_code": code}
        if submission["state"] == "rejected":
            raise Rejected(409, "rejected", f"Submission {portal_id} was rejected.", [])
        submission["state"] = "acked"
        submission["dossier_code"] = code
        # Filed on the portal, so the portal knows the dossier from now on: newly registered.
        self.state["dossiers"].setdefault(
            code,
            {
                "code": code,
                "procedure": submission.get("procedure"),
                "agency": code.rsplit("-", 2)[0],
                "competent_agency": submission.get("agency"),
                "channel": "online",
                "status": 1,
                "received_at": None,
                "due_at": None,
                "finished_at": None,
                "applicant": submission.get("applicant"),
                "history": [{"status": 1, "at": submission["filed_at"], "event_id": None}],
                "source": "portal",
                "submission": portal_id,
            },
        )
        self.log(kind="ack", dossier=code, body=body, submission=portal_id)
        return 200, {"id": portal_id, "dossier_code": code}

    def reject(self, portal_id: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        submission = self._submission(portal_id)
        if submission["state"] == "acked":
            raise Rejected(
                409,
                "already_acknowledged",
                f"Submission {portal_id} was filed as {submission['dossier_code']}.",
                [],
            )
        duplicate = submission["state"] == "rejected"
        submission["state"] = "rejected"
        submission["rejection"] = {"detail": body.get("detail", ""), "fields": body.get("fields")}
        self.log(kind="reject", duplicate=duplicate, body=body, submission=portal_id)
        return 200, {"id": portal_id, "state": "rejected", "duplicate": duplicate}

    def _submission(self, portal_id: str) -> dict[str, Any]:
        submission = self.state["submissions"].get(portal_id)
        if submission is None:
            raise Rejected(404, "unknown_submission", f"Submission {portal_id} is not known.", [])
        return submission


# Validation ---------------------------------------------------------------------------------


def _dossier_errors(body: dict[str, Any]) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []

    def error(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    for field in ("event_id", "code", "procedure", "agency", "status", "channel", "submitted_at"):
        if body.get(field) in (None, ""):
            error(field, "Required.")
    if body.get("event_id") and not isinstance(body["event_id"], str):
        error("event_id", "A string.")
    agency = body.get("agency")
    if agency and not (isinstance(agency, str) and _agency_code(agency)):
        error("agency", "Not an agency code (QĐ 20/2020/QĐ-TTg).")
    competent = body.get("competent_agency")
    if competent and not (isinstance(competent, str) and _agency_code(competent)):
        error("competent_agency", "Not an agency code (QĐ 20/2020/QĐ-TTg).")
    code = body.get("code")
    if code:
        match = DOSSIER_CODE_RE.match(code) if isinstance(code, str) else None
        if match is None or not _valid_day(match["day"]):
            error("code", "Expected <agency code>-YYMMDD-XXXX.")
        elif agency and match["agency"] != agency:
            error("code", "The code does not begin with the receiving agency's code.")
    procedure = body.get("procedure")
    if procedure and not (isinstance(procedure, str) and PROCEDURE_CODE_RE.match(procedure)):
        error("procedure", "Not a national procedure code (e.g. 2.000815).")
    channel = body.get("channel")
    if channel and channel not in CHANNELS:
        error("channel", f"One of {', '.join(CHANNELS)}.")
    status = body.get("status")
    if status is not None and not _status_code(status):
        error("status", "A status code from 1 to 10.")
    for field in ("submitted_at", "received_at", "due_at", "finished_at"):
        if body.get(field) and not _instant(body[field]):
            error(field, "An ISO 8601 date and time with its offset.")
    if _status_code(status) and status in RECEIVED_STATUSES:
        for field in ("received_at", "due_at"):
            if not body.get(field):
                error(field, f"Required for status {status}.")
    applicant = body.get("applicant")
    if not isinstance(applicant, dict):
        error("applicant", "Required.")
    else:
        if not str(applicant.get("name") or "").strip():
            error("applicant.name", "Required.")
        if applicant.get("id_type") not in ID_TYPES:
            error("applicant.id_type", f"One of {', '.join(ID_TYPES)}.")
        if not str(applicant.get("id_number") or "").strip():
            error("applicant.id_number", "Required.")
    return errors


def _status_errors(body: dict[str, Any]) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    if not body.get("event_id") or not isinstance(body["event_id"], str):
        errors.append({"field": "event_id", "message": "Required, a string."})
    if not _status_code(body.get("status")):
        errors.append({"field": "status", "message": "A status code from 1 to 10."})
    if not body.get("at") or not _instant(body["at"]):
        errors.append({"field": "at", "message": "An ISO 8601 date and time with its offset."})
    for field in ("due_at", "finished_at", "received_at"):
        if body.get(field) and not _instant(body[field]):
            errors.append({"field": field, "message": "An ISO 8601 date and time."})
    return errors


def _agency_code(value: str) -> bool:
    return len(value) <= 35 and AGENCY_CODE_RE.match(value) is not None


def _status_code(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 10


def _valid_day(yymmdd: str) -> bool:
    try:
        dt.datetime.strptime(yymmdd, "%y%m%d")
    except ValueError:
        return False
    return True


def _instant(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return parsed.tzinfo is not None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")


# HTTP ---------------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    server: PortalServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the received list is the simulator's log."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/")
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        portal = self.server.portal
        try:
            body = self._body()
            if path.startswith("/_sim/"):
                status, answer = self._control(method, path, query, body)
            elif path.startswith("/api/"):
                status, answer = self._api(method, path, query, body)
            else:
                status, answer = 404, {"error": "not_found", "detail": "No such path."}
        except Rejected as rejected:
            status, answer = rejected.status, rejected.body()
        except ValueError:
            status, answer = 400, {"error": "invalid_json", "detail": "The body is not JSON."}
        with portal.lock:
            portal.save()
        self._send(status, answer)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return {}
        parsed = json.loads(self.rfile.read(length).decode("utf-8"))
        if not isinstance(parsed, dict):
            raise ValueError("not an object")
        return parsed

    def _send(self, status: int, answer: dict[str, Any]) -> None:
        data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _api(
        self, method: str, path: str, query: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        portal = self.server.portal
        if self.headers.get("Authorization") != f"Bearer {portal.token}":
            raise Rejected(401, "unauthorised", "A valid bearer token is required.", [])
        with portal.lock:
            failure = portal.injected_failure(path)
            if failure:
                portal.log(kind="failure", valid=False, body=body, path=path, answer=failure[0])
        if failure:
            time.sleep(failure[1])
            return failure[0], {"error": "unavailable", "detail": "Injected failure."}
        parts = [unquote(part) for part in path.split("/")[3:]]  # after /api/v1
        with portal.lock:
            try:
                return self._route(method, parts, query, body)
            except Rejected as rejected:
                portal.log(
                    kind=_kind(parts),
                    dossier=_dossier_of(parts, body),
                    status=body.get("status"),
                    event_id=body.get("event_id"),
                    valid=False,
                    errors=rejected.errors or [{"field": "", "message": rejected.detail}],
                    body=body,
                    answer=rejected.status,
                )
                raise

    def _route(
        self, method: str, parts: list[str], query: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        portal = self.server.portal
        match method, parts:
            case "POST", ["dossiers"]:
                return portal.sync(body)
            case "POST", ["dossiers", code, "status"]:
                return portal.change_status(code, body)
            case "GET", ["submissions"]:
                return 200, {"submissions": portal.submissions(query.get("state"))}
            case "POST", ["submissions", portal_id, "ack"]:
                return portal.ack(portal_id, body)
            case "POST", ["submissions", portal_id, "reject"]:
                return portal.reject(portal_id, body)
        raise Rejected(404, "not_found", "No such path.", [])

    def _control(
        self, method: str, path: str, query: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        portal = self.server.portal
        with portal.lock:
            state = portal.state
            match method, path.split("/")[2:]:
                case "GET", ["health"]:
                    return 200, {"ok": True}
                case "GET", ["received"]:
                    dossier = query.get("dossier")
                    entries = [
                        e for e in state["received"] if not dossier or e["dossier"] == dossier
                    ]
                    return 200, {"received": entries}
                case "GET", ["dossiers", code]:
                    found = state["dossiers"].get(unquote(code))
                    return (200, found) if found else (404, {"error": "not_found"})
                case "GET", ["submissions"]:
                    return 200, {"submissions": list(state["submissions"].values())}
                case "POST", ["submissions"]:
                    return 201, portal.add_submission(body)
                case "POST", ["reset"]:
                    portal.state = _empty_state()
                    return 200, {"ok": True}
                case "POST", ["fail"]:
                    state["fail"] = {
                        "times": int(body.get("times", 1)),
                        "status": int(body.get("status", 503)),
                        "match": str(body.get("match", "")),
                        "delay": float(body.get("delay", 0)),
                    }
                    return 200, state["fail"]
        return 404, {"error": "not_found", "detail": "No such path."}


def _dossier_of(parts: list[str], body: dict[str, Any]) -> Any:
    if parts[:1] == ["dossiers"] and len(parts) > 1:
        return parts[1]
    return body.get("code") or body.get("dossier_code")


def _kind(parts: list[str]) -> str:
    if parts[:1] == ["dossiers"]:
        return "status" if len(parts) > 2 else "sync"
    return parts[-1] if len(parts) > 2 else "fetch"


class PortalServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], portal: Portal) -> None:
        super().__init__(address, Handler)
        self.portal = portal


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="National public service portal simulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True, help="The bearer token /api/ requests need.")
    parser.add_argument("--state", type=Path, help="Keep the state in this JSON file.")
    args = parser.parse_args(argv)
    server = PortalServer((args.host, args.port), Portal(args.token, args.state))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
