"""How motcua talks to the national portal, behind one interface: the sink and the pull job
speak `PortalTransport`, and `transport()` gives the one the settings choose.

`HttpPortalTransport` speaks the portal's JSON API over HTTPS with a bearer token (the API the
simulator, `motcua.interop.portal.simulator`, plays). Failures come back as `DeliveryError`:
retryable when the portal may answer differently later (down, overloaded, timed out, our token
refused until an administrator fixes it), not retryable when it refused the request itself
(invalid, an illegal transition, an unknown dossier), with the portal's own explanation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from django.conf import settings

from motcua.interop.sinks import DeliveryError

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# Refusals of the request itself: sending the same request again cannot succeed.
FINAL_STATUSES = frozenset({400, 404, 409, 410, 413, 422})


@dataclass(frozen=True)
class DossierSync:
    """A dossier's first push: what the portal shows of it, as of one event."""

    event_id: str
    code: str
    procedure: str  # the procedure's code on the portal
    agency: str  # the receiving agency, whose code begins the dossier's
    competent_agency: str | None
    status: int
    channel: str
    applicant_name: str
    applicant_id_type: str
    applicant_id_number: str
    submitted_at: dt.datetime
    received_at: str | None
    due_at: str | None
    finished_at: str | None


@dataclass(frozen=True)
class StatusChange:
    event_id: str
    code: str
    status: int
    at: dt.datetime
    note: str
    received_at: str | None
    due_at: str | None
    finished_at: str | None


@dataclass(frozen=True)
class Answer:
    # The portal had received this event already (its id) and applied nothing.
    duplicate: bool


class PortalTransport(Protocol):
    def push_dossier(self, sync: DossierSync) -> Answer: ...

    def push_status(self, change: StatusChange) -> Answer: ...

    def fetch_submissions(self) -> list[dict[str, Any]]:
        """The dossiers filed on the portal that await the province (the portal's documents,
        read by `motcua.interop.portal.pull`)."""
        ...

    def ack_submission(self, portal_id: str, dossier_code: str) -> None: ...

    def reject_submission(self, portal_id: str, detail: str, fields: dict[str, Any]) -> None: ...


def enabled() -> bool:
    """Synchronisation is on when the portal's address is set."""
    return bool(settings.PORTAL_URL)


def transport() -> PortalTransport:
    return HttpPortalTransport(settings.PORTAL_URL, settings.PORTAL_TOKEN)


class HttpPortalTransport:
    def __init__(self, base_url: str, token: str, *, timeout: httpx.Timeout = TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/") + "/api/v1"
        self.token = token
        self.timeout = timeout

    def push_dossier(self, sync: DossierSync) -> Answer:
        body = {
            "event_id": sync.event_id,
            "code": sync.code,
            "procedure": sync.procedure,
            "agency": sync.agency,
            "competent_agency": sync.competent_agency,
            "status": sync.status,
            "channel": sync.channel,
            "applicant": {
                "name": sync.applicant_name,
                "id_type": sync.applicant_id_type,
                "id_number": sync.applicant_id_number,
            },
            "submitted_at": sync.submitted_at.isoformat(),
            "received_at": sync.received_at,
            "due_at": sync.due_at,
            "finished_at": sync.finished_at,
        }
        return _answer(self._call("POST", "/dossiers", body))

    def push_status(self, change: StatusChange) -> Answer:
        body = {
            "event_id": change.event_id,
            "status": change.status,
            "at": change.at.isoformat(),
            "note": change.note,
            "received_at": change.received_at,
            "due_at": change.due_at,
            "finished_at": change.finished_at,
        }
        return _answer(self._call("POST", f"/dossiers/{change.code}/status", body))

    def fetch_submissions(self) -> list[dict[str, Any]]:
        answer = self._call("GET", "/submissions", params={"state": "new"})
        return list(answer.get("submissions", []))

    def ack_submission(self, portal_id: str, dossier_code: str) -> None:
        self._call("POST", f"/submissions/{portal_id}/ack", {"dossier_code": dossier_code})

    def reject_submission(self, portal_id: str, detail: str, fields: dict[str, Any]) -> None:
        self._call("POST", f"/submissions/{portal_id}/reject", {"detail": detail, "fields": fields})

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            response = httpx.request(
                method,
                self.base_url + path,
                json=body,
                params=params,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self.timeout,
            )
        except httpx.TimeoutException as error:
            raise DeliveryError(f"The national portal did not answer in time: {error}") from error
        except httpx.TransportError as error:
            raise DeliveryError(f"The national portal cannot be reached: {error}") from error
        if response.is_success:
            answer = response.json() if response.content else {}
            return answer if isinstance(answer, dict) else {}
        raise DeliveryError(
            f"The national portal answered {response.status_code}: {_explanation(response)}",
            retryable=response.status_code not in FINAL_STATUSES,
        )


def _answer(body: dict[str, Any]) -> Answer:
    return Answer(duplicate=bool(body.get("duplicate")))


def _explanation(response: httpx.Response) -> str:
    """The portal's own words: its detail and each field's problem."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    if not isinstance(body, dict):
        return response.text[:500]
    parts = [str(body.get("detail") or body.get("error") or "")]
    parts += [f"{e.get('field')}: {e.get('message')}" for e in body.get("errors") or []]
    return "; ".join(part for part in parts if part)
