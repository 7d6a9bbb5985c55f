"""Writing the outbox: every dossier state change becomes a CloudEvents 1.0 event in the same
transaction, with one delivery per destination that must receive it; delivery starts after
commit (`motcua.interop.delivery`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from motcua.core.jobs import enqueue_on_commit
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.interop import sinks, tasks
from motcua.interop.models import Delivery, OutboxEvent

SPEC_VERSION = "1.0"
TYPE_PREFIX = "vn.motcua.dossier."


def record(dossier_event: DossierEvent) -> OutboxEvent:
    """Called by `append_event`, inside the transaction of the state change. The event data
    holds codes and states only: a receiver reads personal data through the API, where its
    authorisations apply."""
    dossier = dossier_event.dossier
    event = OutboxEvent.objects.create(
        type=TYPE_PREFIX + dossier_event.action,
        source=settings.PUBLIC_URL,
        subject=dossier.code,
        time=dossier_event.at,
        data=event_data(dossier, dossier_event),
        dossier=dossier,
        procedure_code=dossier.procedure.code,
        agency_ids=sorted(
            {pk for pk in (dossier.receiving_agency_id, dossier.competent_agency_id) if pk}
        ),
    )
    now = timezone.now()
    deliveries = [
        Delivery(
            event=event, sink=sink.name, target=target, subject=event.subject, next_attempt_at=now
        )
        for sink in sinks.registered()
        for target in sink.targets(event)
    ]
    if deliveries:
        Delivery.objects.bulk_create(deliveries)
        enqueue_on_commit(tasks.deliver_due)
    return event


def event_data(dossier: Dossier, dossier_event: DossierEvent) -> dict[str, Any]:
    return {
        "dossier": dossier.code,
        "procedure": dossier.procedure.code,
        "action": dossier_event.action,
        "from_status": dossier_event.from_status,
        "status": dossier_event.to_status,
        "step": dossier.step,
        "channel": dossier.channel,
        "receiving_agency": _agency_code(dossier.receiving_agency),
        "competent_agency": _agency_code(dossier.competent_agency),
        "received_at": _iso(dossier.received_at),
        "due_at": _iso(dossier.due_at),
        "finished_at": _iso(dossier.finished_at),
        "actor": dossier_event.actor_label,
        "note": dossier_event.note,
        "history_id": dossier_event.pk,
    }


def as_cloudevent(event: OutboxEvent) -> dict[str, Any]:
    """The structured-mode CloudEvents 1.0 JSON document of an event."""
    return {
        "specversion": SPEC_VERSION,
        "id": str(event.event_id),
        "type": event.type,
        "source": event.source,
        "subject": event.subject,
        "time": event.time.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "data": event.data,
    }


def _agency_code(agency: Any) -> str | None:
    return agency.code if agency is not None else None


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
