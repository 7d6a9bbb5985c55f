"""Webhooks: the outbox sink that POSTs events to the subscriptions that asked for them.

Each request carries one event as a structured-mode CloudEvents 1.0 JSON document
(`Content-Type: application/cloudevents+json`) and is signed as the Standard Webhooks
specification says (https://www.standardwebhooks.com/), with these headers:

- `webhook-id`: the event's id, the same on every retry and replay: the idempotency key.
- `webhook-timestamp`: when this attempt was sent, in whole Unix seconds.
- `webhook-signature`: `v1,` + base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")).

Verifying a request, on the receiver's side:

1. Take the raw request body as bytes, before any JSON parsing (re-serialising changes it).
2. Reject the request when `webhook-timestamp` is more than 5 minutes from your clock.
3. key = base64-decode the subscription's secret without its `whsec_` prefix.
4. expected = base64(HMAC-SHA256(key, id + "." + timestamp + "." + body)).
5. `webhook-signature` holds space-separated `v1,<signature>` entries: accept the request when
   one of them equals `v1,` + expected, compared in constant time (`hmac.compare_digest`).
6. Answer 2xx at once and process later. Keep the ids you have processed: an event can arrive
   more than once (after a timeout, a crash, a replay) and always with the same id.

Any Standard Webhooks library verifies these requests as they are. The answer decides what
happens next: 2xx delivered; 410 Gone ends the subscription (it is deactivated); 408, 429 and
5xx, timeouts and connection errors are retried with exponential backoff; any other status is
a refusal of the event itself and makes it a dead letter at once (replayable from the admin).

Events are not ordered: a dossier's later event can arrive before an earlier one after a
retry. Order them by `time` (or the `data.history_id`), or read the dossier's current state
through the API.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterable

import httpx
from cryptography.fernet import InvalidToken
from django.utils import timezone

from motcua.catalogue.models import Procedure
from motcua.interop import sinks
from motcua.interop.models import OutboxEvent, Subscription
from motcua.interop.models.webhooks import SECRET_PREFIX, type_matches
from motcua.interop.outbox import as_cloudevent
from motcua.interop.sinks import DeliveryError
from motcua.organisation.models import Agency

CONTENT_TYPE = "application/cloudevents+json"
TIMEOUT = httpx.Timeout(10.0, connect=3.0)
# Answers that may be different next time: the receiver timed out or is throttling us.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})
GONE = 410
# How much of a refusing answer's body is kept as the delivery's error.
ERROR_BODY_LENGTH = 500

_client: httpx.Client | None = None


def sign(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    """The `webhook-signature` value of a request."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def matching_subscriptions(event: OutboxEvent) -> list[int]:
    """The active subscriptions whose filters the event passes, in one query: the agency and
    procedure filters in SQL, the event types (few, short) in Python.

    It runs in every dossier write's transaction. Written as SQL (which SQLite and PostgreSQL
    both speak) because the same filter built with the ORM cost about 4 ms a write in Python
    alone; this costs well under one. An agency in a filter passes the events of its
    sub-agencies at any depth: the recursive `lineage` walks up from the event's agencies by
    primary key, so the cost does not grow with the province's agencies."""
    agency_ids = [int(pk) for pk in event.agency_ids]
    seed = f"IN ({', '.join(['%s'] * len(agency_ids))})" if agency_ids else "IS NULL"
    rows = Subscription.objects.raw(
        MATCHING_SQL.format(seed=seed, **_tables()), [*agency_ids, event.procedure_code]
    )
    return [row.pk for row in rows if type_matches(row.event_types, event.type)]


MATCHING_SQL = """
WITH RECURSIVE lineage(id) AS (
    SELECT id FROM {agency} WHERE id {seed}
    UNION
    SELECT a.parent_id FROM {agency} a JOIN lineage ON a.id = lineage.id
    WHERE a.parent_id IS NOT NULL
)
SELECT s.id, s.event_types FROM {subscription} s
WHERE s.active
AND (
    NOT EXISTS (SELECT 1 FROM {agency_links} l WHERE l.subscription_id = s.id)
    OR EXISTS (
        SELECT 1 FROM {agency_links} l
        WHERE l.subscription_id = s.id AND l.agency_id IN (SELECT id FROM lineage)
    )
)
AND (
    NOT EXISTS (SELECT 1 FROM {procedure_links} p WHERE p.subscription_id = s.id)
    OR EXISTS (
        SELECT 1 FROM {procedure_links} p JOIN {procedure} c ON c.id = p.procedure_id
        WHERE p.subscription_id = s.id AND c.code = %s
    )
)
"""


def _tables() -> dict[str, str]:
    return {
        "agency": Agency._meta.db_table,
        "subscription": Subscription._meta.db_table,
        "agency_links": Subscription.agencies.through._meta.db_table,
        "procedure_links": Subscription.procedures.through._meta.db_table,
        "procedure": Procedure._meta.db_table,
    }


class WebhookSink:
    name = "webhook"
    ordered = False

    def targets(self, event: OutboxEvent) -> Iterable[str]:
        return [str(pk) for pk in matching_subscriptions(event)]

    def send(self, event: OutboxEvent, target: str) -> None:
        subscription = Subscription.objects.filter(pk=int(target)).first()
        if subscription is None or not subscription.active:
            raise DeliveryError("The subscription was deleted or deactivated.", retryable=False)
        try:
            secret = subscription.secret
        except InvalidToken as exc:
            raise DeliveryError(
                "The subscription's secret was sealed under another SECRET_KEY: issue a new one.",
                retryable=False,
            ) from exc
        body = json.dumps(as_cloudevent(event), ensure_ascii=False, separators=(",", ":"))
        content = body.encode()
        msg_id = str(event.event_id)
        timestamp = str(int(time.time()))
        headers = {
            "content-type": CONTENT_TYPE,
            "webhook-id": msg_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": sign(secret, msg_id, timestamp, content),
        }
        try:
            response = client().post(subscription.callback_url, content=content, headers=headers)
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"Timed out: {exc!r}") from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"Cannot be reached: {exc!r}") from exc
        check(response, subscription)


def check(response: httpx.Response, subscription: Subscription) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    error = f"HTTP {status}: {response.text[:ERROR_BODY_LENGTH]}"
    if status == GONE:
        Subscription.objects.filter(pk=subscription.pk).update(
            active=False, deactivated_at=timezone.now()
        )
        raise DeliveryError(error + " (the subscription is deactivated)", retryable=False)
    retryable = status >= 500 or status in RETRYABLE_CLIENT_ERRORS
    raise DeliveryError(error, retryable=retryable)


def client() -> httpx.Client:
    """One client per process, so that connections to a receiver are reused. Redirects are
    not followed: a signed event goes to the address the subscription names, nowhere else."""
    global _client
    if _client is None:
        _client = httpx.Client(
            timeout=TIMEOUT, follow_redirects=False, headers={"user-agent": "motcua-webhooks"}
        )
    return _client


sinks.register(WebhookSink())
