"""Pushing a dossier's history to the national portal, one outbox event at a time.

The portal sees a dossier from its first reported event on: that event synchronises the dossier
(its codes, applicant, status and dates as of the event), every later one is a status change.
The status pushed is the event's, not the dossier's current one: the portal sink is ordered, so
the portal replays the dossier's sequence as it happened.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.db import IntegrityError
from django.utils import timezone

from motcua.dossiers.models import Channel, Dossier
from motcua.interop.models import OutboxEvent, PortalDossier
from motcua.interop.portal import mapping
from motcua.interop.portal.transport import DossierSync, PortalTransport, StatusChange
from motcua.interop.sinks import DeliveryError

# Dossiers pulled from the portal are filed with this submission key (+ the portal's id): a
# second run finds the dossier instead of filing it twice, and the sink knows where it came
# from.
PULLED_KEY_PREFIX = "portal:"
# Filed from afar, a dossier waits as "newly registered" (1) for the check at receipt, and
# the portal shows it so. One filed at a counter or by post is checked as it is filed: the
# portal first sees it at the outcome of that check (2 received, 3 refused, 5 supplement).
REMOTE_CHANNELS = frozenset({Channel.ONLINE, Channel.API})
# Events that keep the status but change what the portal shows: the due date moved.
DATE_CHANGES = frozenset({"extended"})


def pulled_key(portal_id: str) -> str:
    return PULLED_KEY_PREFIX + portal_id


def is_pulled(dossier: Dossier) -> bool:
    return (dossier.submission_key or "").startswith(PULLED_KEY_PREFIX)


def reported(dossier: Dossier, data: dict[str, Any]) -> bool:
    """Does the portal show this event of `dossier`? Its status changes and due-date moves do.
    Moves between internal steps that keep the status (assigned again, proposed, consulted,
    sent back, a paper digitised) do not: the portal shows statuses and dates, not motcua's
    process, and would only record them as repeats of the same status.

    A dossier transferred in from another motcua instance is never reported: its original is,
    by the instance that received it, and the portal must not count the dossier twice. One
    pulled from the portal is not reported as filed: the portal filed it."""
    if dossier.origin_code:
        return False
    if data["action"] == "submitted":
        return dossier.channel in REMOTE_CHANNELS and not is_pulled(dossier)
    return data["from_status"] != data["status"] or data["action"] in DATE_CHANGES


def push(event: OutboxEvent, transport: PortalTransport) -> None:
    """Send one event: the dossier's synchronisation if the portal does not know it yet, else
    its status change. Raises DeliveryError."""
    dossier = event.dossier
    if PortalDossier.objects.filter(dossier=dossier).exists():
        transport.push_status(status_change(event))
        return
    if is_pulled(dossier):
        # The portal knows the dossier only once the pull job has acknowledged it with our
        # code: until then a status change would name a dossier it does not know.
        raise DeliveryError("Waiting for the national portal to acknowledge the pulled dossier.")
    transport.push_dossier(dossier_sync(event, dossier))
    # Sent twice at once (a lost lease), the other sender may have recorded it already.
    with contextlib.suppress(IntegrityError):
        PortalDossier.objects.create(
            dossier=dossier, source=PortalDossier.Source.PUSHED, known_since=timezone.now()
        )


def dossier_sync(event: OutboxEvent, dossier: Dossier) -> DossierSync:
    data = event.data
    return DossierSync(
        event_id=str(event.event_id),
        code=dossier.code,
        procedure=mapping.portal_code(dossier.procedure),
        agency=data["receiving_agency"],
        competent_agency=data["competent_agency"],
        status=int(data["status"]),
        channel=dossier.channel,
        applicant_name=dossier.applicant_name,
        # Applicants are people identified by their 12-digit personal identity number (a
        # business files through its representative).
        applicant_id_type="cccd",
        applicant_id_number=dossier.applicant_id_number,
        submitted_at=dossier.submitted_at,
        received_at=data["received_at"],
        due_at=data["due_at"],
        finished_at=data["finished_at"],
    )


def status_change(event: OutboxEvent) -> StatusChange:
    data = event.data
    return StatusChange(
        event_id=str(event.event_id),
        code=event.subject,
        status=int(data["status"]),
        at=event.time,
        note=data["note"],
        received_at=data["received_at"],
        due_at=data["due_at"],
        finished_at=data["finished_at"],
    )
