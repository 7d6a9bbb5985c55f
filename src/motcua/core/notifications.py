"""Notifications to applicants on pluggable channels: email, SMS and Zalo.

Sending, from a service (inside its `@transaction.atomic`)::

    notify(
        recipient=Recipient(email=dossier.applicant_email, phone=dossier.applicant_phone),
        message=Message(subject=..., body=..., short=...),
        reference=dossier.code,
        topic="dossier.received",
    )

`notify` writes one `Notification` row per channel the recipient can be reached on (an email
address; a Vietnamese mobile number; a Zalo user id) among MOTCUA_NOTIFICATION_CHANNELS, and
enqueues the `deliver_notification` job for each after the commit: a rolled-back change
notifies nobody. The rows hold the final text, so render it in the applicant's language
(`translation.override("vi")`) before calling; email gets `subject` and `body`, SMS and Zalo
get `short`.

Channels
    Email goes through Django's mail backend (EMAIL_BACKEND). SMS and Zalo go through a
    `TextBackend` named by MOTCUA_SMS_BACKEND / MOTCUA_ZALO_BACKEND; the defaults only log.

SMS length
    A short text is never cut: a long one is sent as a concatenated SMS, and the row records
    how many segments it takes (`sms_segments`), since operators bill each. Vietnamese with
    diacritics needs UCS-2, so one segment holds 70 characters, not 160; keep `short` brief.

Delivery
    At least once, as every job. A row already sent is skipped, and each attempt is recorded
    on the row (state, attempts, error); a failure is re-raised so that the job kit retries.
    No transaction is held while a provider is called: on SQLite it would hold the single
    write lock for the whole call.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from motcua.core import tasks
from motcua.core.jobs import PermanentJobError, enqueue_on_commit
from motcua.core.models import Notification

logger = logging.getLogger("motcua.notifications")

Channel = Notification.Channel
State = Notification.State

# The setting naming each text channel's backend.
BACKEND_SETTINGS = {Channel.SMS: "MOTCUA_SMS_BACKEND", Channel.ZALO: "MOTCUA_ZALO_BACKEND"}
# Kept on the row when an attempt fails: the job result holds the full traceback.
ERROR_MAX_CHARS = 2000


@dataclass(frozen=True)
class Recipient:
    """Where an applicant can be reached; blank fields are channels they cannot be reached on."""

    email: str = ""
    phone: str = ""
    zalo: str = ""


@dataclass(frozen=True)
class Message:
    """One notice in three forms: `subject` and `body` for email, `short` for SMS and Zalo."""

    subject: str
    body: str
    short: str

    def __post_init__(self) -> None:
        if not self.body.strip() or not self.short.strip():
            raise ValueError("A notification message needs a body and a short text.")


# -- Vietnamese mobile numbers ---------------------------------------------------------------

# The nine digits after the trunk 0 of a mobile number (numbering since 2018): Viettel 032-039,
# 086, 096-098; MobiFone 070, 076-079, 089, 090, 093; VinaPhone 081-085, 088, 091, 094;
# Vietnamobile 052, 056, 058, 092; Gmobile 059, 099; Reddi 055; iTel 087. Landlines are 02x.
MOBILE_SUBSCRIBER = re.compile(r"(?:3[2-9]|5[25689]|7[06-9]|8[1-9]|9[0-46-9])[0-9]{7}")
# What people write between digit groups: "0912 345 678", "0912.345.678", "(+84) 912-345-678".
SEPARATORS = re.compile(r"[\s.()-]")
# International, then national forms; the first prefix whose rest is a subscriber number wins.
PREFIXES = ("+84", "0084", "84", "0")


def normalise_vn_mobile(raw: str) -> str | None:
    """A Vietnamese mobile number in the international form without "+" ("0912 345 678",
    "+84912345678" → "84912345678"), or None if `raw` is no such number (a landline, a foreign
    number, a typo): SMS is sent to mobiles only.
    """
    digits = SEPARATORS.sub("", raw)
    for prefix in PREFIXES:
        if digits.startswith(prefix) and MOBILE_SUBSCRIBER.fullmatch(digits[len(prefix) :]):
            return "84" + digits[len(prefix) :]
    return None


# -- SMS segments ----------------------------------------------------------------------------

# GSM 03.38: the default alphabet (one septet each) and its extension table (two septets:
# the escape, then the character).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("\f^{}\\[~]|€")
# Units in a single SMS and in each part of a concatenated one (its header takes the rest).
GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def sms_segments(text: str) -> int:
    """How many SMS segments `text` is sent in.

    GSM 7-bit when every character is in the GSM alphabet (160 in one SMS, 153 per part),
    else UCS-2 (70 UTF-16 units in one SMS, 67 per part): one "ồ" or "đ" makes the whole
    text UCS-2. A character is never split across two parts.
    """
    if all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text):
        units = [2 if ch in GSM_EXTENDED else 1 for ch in text]
        single, part = GSM_SINGLE, GSM_PART
    else:
        units = [len(ch.encode("utf-16-le")) // 2 for ch in text]
        single, part = UCS2_SINGLE, UCS2_PART
    if sum(units) <= single:
        return 1
    segments, used = 1, 0
    for size in units:
        if used + size > part:
            segments, used = segments + 1, 0
        used += size
    return segments


# -- text channel backends -------------------------------------------------------------------


class TextBackend(ABC):
    """Sends short texts on one channel: an SMS operator's API, Zalo's.

    Named by a dotted path in settings and built with no arguments (read credentials from
    settings). Raise on failure: the attempt is recorded and retried, or failed at once with
    `PermanentJobError` (the provider refuses the number for good).
    """

    @abstractmethod
    def send(self, to: str, text: str) -> str:
        """Send `text` to `to` (84xxxxxxxxx for SMS, a user id for Zalo); return the provider's
        message id."""


class LoggingBackend(TextBackend):
    """Writes each message to the `motcua.notifications` log instead of sending it (the demo).
    The log then holds phone numbers and texts: not for production."""

    channel: str

    def send(self, to: str, text: str) -> str:
        message_id = f"{self.channel}-{uuid.uuid4().hex}"
        logger.info("%s to %s (%s): %s", self.channel, to, message_id, text)
        return message_id


class LoggingSmsBackend(LoggingBackend):
    channel = "sms"


class LoggingZaloBackend(LoggingBackend):
    channel = "zalo"


def text_backend(channel: str) -> TextBackend:
    """The configured backend of a text channel (sms or zalo)."""
    name = BACKEND_SETTINGS[Channel(channel)]
    path = getattr(settings, name)
    try:
        backend_class = import_string(path)
    except ImportError as error:
        raise ImproperlyConfigured(f"{name} {path!r} cannot be imported.") from error
    backend = backend_class()
    if not isinstance(backend, TextBackend):
        raise ImproperlyConfigured(f"{name} {path!r} is not a TextBackend.")
    return backend


# -- notify and deliver ----------------------------------------------------------------------


def enabled_channels() -> list[str]:
    channels = list(settings.MOTCUA_NOTIFICATION_CHANNELS)
    unknown = sorted(set(channels) - set(Channel.values))
    if unknown:
        raise ImproperlyConfigured(
            f"MOTCUA_NOTIFICATION_CHANNELS names unknown channels {unknown}; "
            f"use {', '.join(Channel.values)}."
        )
    return channels


def _addresses(recipient: Recipient) -> dict[str, str]:
    """The channels `recipient` can be reached on, each with its normalised address."""
    found: dict[str, str] = {}
    email = recipient.email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            pass  # an address no mail server would take: not reachable by email
        else:
            found[Channel.EMAIL] = email
    phone = normalise_vn_mobile(recipient.phone)
    if phone is not None:
        found[Channel.SMS] = phone
    zalo = recipient.zalo.strip()
    if zalo:
        found[Channel.ZALO] = zalo
    return found


def _nfc(text: str) -> str:
    # Decomposed Vietnamese (from some keyboards, or copied from a PDF) takes more SMS room:
    # "ệ" is then three code points instead of one.
    return unicodedata.normalize("NFC", text)


# No savepoint of its own (as audit.record): its one insert failing fails the caller's
# transaction anyway, and every dossier action would pay two more round trips.
@transaction.atomic(savepoint=False)
def notify(
    *, recipient: Recipient, message: Message, reference: str = "", topic: str = ""
) -> list[Notification]:
    """Queue `message` to `recipient` on every enabled channel they can be reached on; returns
    the rows written (none if they cannot be reached). Delivery starts after the commit."""
    enabled = enabled_channels()
    rows = []
    for channel, address in _addresses(recipient).items():
        if channel not in enabled:
            continue
        row = Notification(channel=channel, recipient=address, reference=reference, topic=topic)
        if channel == Channel.EMAIL:
            # A line break in a subject is refused by the mail backend (header injection).
            row.subject = " ".join(_nfc(message.subject).split())
            row.body = _nfc(message.body)
        else:
            row.body = _nfc(message.short)
            if channel == Channel.SMS:
                row.segments = sms_segments(row.body)
        rows.append(row)
    created = Notification.objects.bulk_create(rows)
    for row in created:
        enqueue_on_commit(tasks.deliver_notification, row.pk)
    return created


def deliver(*, notification_id: int) -> str:
    """Send one notification unless it was sent already; returns its state.

    A failed attempt is recorded on the row and its error re-raised, for the job to retry.
    The writes are conditional on the row not being sent, so that a late failure of a
    duplicate run never marks a sent row failed.
    """
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:
        raise PermanentJobError(f"Notification {notification_id} does not exist.")
    if notification.state == State.SENT:
        return State.SENT
    unsent = Notification.objects.filter(pk=notification_id).exclude(state=State.SENT)
    try:
        provider_id = _send(notification)
    except Exception as error:
        unsent.update(
            state=State.FAILED,
            attempts=F("attempts") + 1,
            error=f"{type(error).__name__}: {error}"[:ERROR_MAX_CHARS],
        )
        raise
    # Cut rather than fail: a failing write after a successful send would send it again.
    max_id = Notification._meta.get_field("provider_id").max_length
    unsent.update(
        state=State.SENT,
        attempts=F("attempts") + 1,
        error="",
        provider_id=provider_id[:max_id],
        sent_at=timezone.now(),
    )
    return State.SENT


def _send(notification: Notification) -> str:
    if notification.channel == Channel.EMAIL:
        return _send_email(notification)
    return text_backend(notification.channel).send(notification.recipient, notification.body)


def _send_email(notification: Notification) -> str:
    # Set here (Django would make one the same way) so that the row names the mail it sent.
    message_id = make_msgid(domain=str(DNS_NAME))
    EmailMessage(
        subject=notification.subject,
        body=notification.body,
        to=[notification.recipient],
        headers={"Message-ID": message_id},
    ).send()
    return message_id
