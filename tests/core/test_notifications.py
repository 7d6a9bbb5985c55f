"""Notifications: one outbox row per reachable channel, delivered after commit by a job that
records each attempt, retries failures and never sends a row twice."""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from hypothesis import given
from hypothesis import strategies as st

from motcua.core import tasks
from motcua.core.jobs import PermanentJobError, Worker
from motcua.core.models import Notification
from motcua.core.notifications import (
    Message,
    Recipient,
    TextBackend,
    normalise_vn_mobile,
    notify,
    sms_segments,
)

EMAIL, SMS, ZALO = Notification.Channel.EMAIL, Notification.Channel.SMS, Notification.Channel.ZALO
PENDING, SENT, FAILED = (
    Notification.State.PENDING,
    Notification.State.SENT,
    Notification.State.FAILED,
)
TASK_PATH = "motcua.core.tasks.deliver_notification"

CODE = "H22.06688-260212-0042"
MESSAGE = Message(
    subject=f"Hồ sơ {CODE} đã được tiếp nhận",
    body=f"Kính gửi ông/bà Nguyễn Văn An,\n\nHồ sơ {CODE} đã được tiếp nhận.",
    short=f"Ho so {CODE} da duoc tiep nhan. Hẹn trả 20/02/2026.",
)
EVERYWHERE = Recipient(email="an@example.vn", phone="0912 345 678", zalo="5012345678901234567")


class FailingSmsBackend(TextBackend):
    def send(self, to: str, text: str) -> str:
        raise ConnectionError("the operator is down")


class NotABackend:
    pass


def send_to(recipient: Recipient, message: Message = MESSAGE) -> list[Notification]:
    return notify(recipient=recipient, message=message, reference=CODE, topic="dossier.received")


def deliver(row: Notification) -> Notification:
    tasks.deliver_notification.call(row.pk)
    row.refresh_from_db()
    return row


def logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "motcua.notifications"]


def drain() -> None:
    Worker(batch=True, interval=0).run()


# -- notify ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("recipient", "expected"),
    [
        (EVERYWHERE, {EMAIL: "an@example.vn", SMS: "84912345678", ZALO: "5012345678901234567"}),
        (Recipient(email=" an@example.vn "), {EMAIL: "an@example.vn"}),
        (Recipient(phone="+84 98 765 4321"), {SMS: "84987654321"}),
        (Recipient(zalo="5012345678901234567"), {ZALO: "5012345678901234567"}),
        # A landline (Hạ Long, 0203) cannot take an SMS; a malformed address takes no mail.
        (Recipient(email="an@", phone="0203 3835 123"), {}),
        (Recipient(), {}),
    ],
)
def test_notify_writes_one_pending_row_per_reachable_channel(
    recipient: Recipient, expected: dict[str, str], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        rows = send_to(recipient)
    assert {row.channel: row.recipient for row in rows} == expected
    assert len(callbacks) == len(expected)
    stored = Notification.objects.all()
    assert {row.pk for row in stored} == {row.pk for row in rows}
    for row in stored:
        assert (row.state, row.attempts, row.reference, row.topic) == (
            PENDING,
            0,
            CODE,
            "dossier.received",
        )
        if row.channel == EMAIL:
            assert (row.subject, row.body, row.segments) == (MESSAGE.subject, MESSAGE.body, None)
        else:
            assert (row.subject, row.body) == ("", MESSAGE.short)
            # "ẹ" and "ả" make the text UCS-2: 50 characters fit one segment of 70.
            assert row.segments == (1 if row.channel == SMS else None)


@pytest.mark.django_db
def test_notify_uses_only_the_enabled_channels(settings: Any) -> None:
    settings.MOTCUA_NOTIFICATION_CHANNELS = ["email", "zalo"]
    assert sorted(row.channel for row in send_to(EVERYWHERE)) == [EMAIL, ZALO]
    settings.MOTCUA_NOTIFICATION_CHANNELS = ["email", "fax"]
    with pytest.raises(ImproperlyConfigured, match="fax"):
        send_to(EVERYWHERE)


@pytest.mark.django_db
def test_notify_stores_composed_text_and_a_one_line_subject() -> None:
    decomposed = unicodedata.normalize("NFD", "Hồ sơ đã được tiếp nhận")
    (email, sms) = send_to(
        Recipient(email="an@example.vn", phone="0912345678"),
        Message(subject=f"{decomposed}\r\nBcc: x@example.vn", body=decomposed, short=decomposed),
    )
    composed = unicodedata.normalize("NFC", decomposed)
    assert email.subject == f"{composed} Bcc: x@example.vn"
    assert email.body == sms.body == composed


def test_a_message_needs_a_body_and_a_short_text() -> None:
    with pytest.raises(ValueError, match="short text"):
        Message(subject="Hồ sơ", body="Nội dung", short=" ")
    with pytest.raises(ValueError, match="body"):
        Message(subject="Hồ sơ", body="", short="Nội dung")


@pytest.mark.django_db(transaction=True)
def test_delivery_waits_for_the_commit_and_a_rolled_back_change_notifies_nobody(
    mailoutbox: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    class ChangeFailed(Exception):
        pass

    def failing_change() -> None:
        with transaction.atomic():
            send_to(EVERYWHERE)
            raise ChangeFailed

    with pytest.raises(ChangeFailed):
        failing_change()
    assert not Notification.objects.exists()
    assert not DBTaskResult.objects.exists()

    with transaction.atomic():
        rows = send_to(EVERYWHERE)
        assert not DBTaskResult.objects.exists()
    jobs = DBTaskResult.objects.filter(task_path=TASK_PATH)
    assert sorted(job.args_kwargs["args"][0] for job in jobs) == sorted(row.pk for row in rows)

    caplog.set_level(logging.INFO, logger="motcua.notifications")
    drain()
    assert set(jobs.values_list("status", flat=True)) == {TaskResultStatus.SUCCESSFUL}
    assert set(Notification.objects.values_list("state", flat=True)) == {SENT}
    assert [message.to for message in mailoutbox] == [["an@example.vn"]]
    assert len(logged(caplog)) == 2  # the SMS and the Zalo message


# -- delivery --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_delivery_sends_the_email_once(mailoutbox: list[Any]) -> None:
    (row,) = send_to(Recipient(email="an@example.vn"))
    row = deliver(row)
    (message,) = mailoutbox
    assert (message.to, message.subject, message.body) == (
        ["an@example.vn"],
        MESSAGE.subject,
        MESSAGE.body,
    )
    assert (row.state, row.attempts, row.error) == (SENT, 1, "")
    assert row.provider_id == message.extra_headers["Message-ID"]
    assert row.sent_at is not None
    assert row.sent_at <= timezone.now()

    # Run again (a retry, a recovered job): nothing is sent and nothing changes.
    sent_at = row.sent_at
    assert tasks.deliver_notification.call(row.pk) == SENT
    row.refresh_from_db()
    assert len(mailoutbox) == 1
    assert (row.attempts, row.sent_at) == (1, sent_at)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("channel", "recipient"), [(SMS, "84912345678"), (ZALO, "5012345678901234567")]
)
def test_sms_and_zalo_go_through_the_logging_backends(
    channel: str, recipient: str, caplog: pytest.LogCaptureFixture, mailoutbox: list[Any]
) -> None:
    (row,) = (row for row in send_to(EVERYWHERE) if row.channel == channel)
    caplog.set_level(logging.INFO, logger="motcua.notifications")
    row = deliver(row)
    (record,) = logged(caplog)
    assert record.name == "motcua.notifications"
    assert recipient in record.getMessage()
    assert MESSAGE.short in record.getMessage()
    assert (row.state, row.attempts) == (SENT, 1)
    assert row.provider_id.startswith(f"{channel}-")
    assert row.provider_id in record.getMessage()
    assert mailoutbox == []

    assert deliver(row).attempts == 1
    assert len(logged(caplog)) == 1


@pytest.mark.django_db
def test_a_failing_backend_marks_the_row_failed_and_raises_for_a_retry(settings: Any) -> None:
    settings.MOTCUA_SMS_BACKEND = "tests.core.test_notifications.FailingSmsBackend"
    (row,) = send_to(Recipient(phone="0912345678"))
    for attempt in (1, 2):
        with pytest.raises(ConnectionError):
            deliver(row)
        row.refresh_from_db()
        assert (row.state, row.attempts, row.sent_at) == (FAILED, attempt, None)
        assert row.error == "ConnectionError: the operator is down"

    settings.MOTCUA_SMS_BACKEND = "motcua.core.notifications.LoggingSmsBackend"
    row = deliver(row)
    assert (row.state, row.attempts, row.error) == (SENT, 3, "")


@pytest.mark.django_db
def test_the_job_kit_retries_a_failed_delivery_later(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.MOTCUA_SMS_BACKEND = "tests.core.test_notifications.FailingSmsBackend"
    with django_capture_on_commit_callbacks(execute=True):
        (row,) = send_to(Recipient(phone="0912345678"))
    drain()
    job = DBTaskResult.objects.get(task_path=TASK_PATH)
    assert job.status == TaskResultStatus.READY
    assert job.run_after is not None
    assert job.run_after > timezone.now()
    row.refresh_from_db()
    assert (row.state, row.attempts) == (FAILED, 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("tests.core.test_notifications.Missing", "cannot be imported"),
        ("tests.core.test_notifications.NotABackend", "is not a TextBackend"),
    ],
)
def test_a_misconfigured_backend_is_recorded_as_a_failure(
    settings: Any, path: str, problem: str
) -> None:
    settings.MOTCUA_ZALO_BACKEND = path
    (row,) = send_to(Recipient(zalo="5012345678901234567"))
    with pytest.raises(ImproperlyConfigured, match=problem):
        deliver(row)
    row.refresh_from_db()
    assert row.state == FAILED
    assert "MOTCUA_ZALO_BACKEND" in row.error


@pytest.mark.django_db
def test_delivering_a_missing_row_fails_without_retries() -> None:
    with pytest.raises(PermanentJobError):
        tasks.deliver_notification.call(404)


@pytest.mark.django_db
def test_the_admin_lists_and_finds_notifications(admin_client: Any) -> None:
    send_to(EVERYWHERE)
    url = reverse("admin:core_notification_changelist")
    response = admin_client.get(
        url, {"q": CODE, "channel__exact": "sms", "state__exact": "pending"}
    )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    row = Notification.objects.first()
    assert row is not None
    change = admin_client.get(reverse("admin:core_notification_change", args=[row.pk]))
    assert change.status_code == 200
    assert admin_client.get(reverse("admin:core_notification_add")).status_code == 403


# -- mobile numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912 345 678", "84912345678"),
        ("+84912345678", "84912345678"),
        ("84912345678", "84912345678"),
        ("0084 912 345 678", "84912345678"),
        ("(+84) 912-345-678", "84912345678"),
        ("0912.345.678", "84912345678"),
        ("0326 123 456", "84326123456"),  # Viettel's 03x
        ("0559 123 456", "84559123456"),  # Reddi
        ("0879 123 456", "84879123456"),  # iTel
        ("0243 825 1234", None),  # a Hà Nội landline
        ("0912 345 67", None),  # a digit short
        ("0912 345 6789", None),  # a digit too many
        ("0951 234 567", None),  # 095 is no longer a mobile prefix
        ("0112 345 678", None),
        ("912345678", None),  # no trunk or country prefix: ambiguous
        ("+1 415 555 0100", None),
        ("０９１２３４５６７８", None),  # full-width digits
        ("", None),
    ],
)
def test_normalise_vn_mobile(raw: str, expected: str | None) -> None:
    assert normalise_vn_mobile(raw) == expected


PREFIX = st.sampled_from(
    ["32", "39", "52", "55", "56", "58", "59", "70", "76", "79", "81", "86", "89", "90", "94", "99"]
)


@given(
    prefix=PREFIX,
    rest=st.text("0123456789", min_size=7, max_size=7),
    form=st.sampled_from(["0{}", "+84{}", "84{}", "0084{}", "+84 {}", "(0{})"]),
    gaps=st.lists(st.sampled_from([" ", ".", "-"]), max_size=3),
)
def test_every_written_form_of_a_mobile_normalises_to_one(
    prefix: str, rest: str, form: str, gaps: list[str]
) -> None:
    subscriber = prefix + rest
    written = form.format(subscriber) + "".join(gaps)
    assert normalise_vn_mobile(written) == "84" + subscriber
    assert normalise_vn_mobile("84" + subscriber) == "84" + subscriber


@given(st.text(max_size=20))
def test_normalised_numbers_are_84_and_nine_digits(raw: str) -> None:
    number = normalise_vn_mobile(raw)
    if number is not None:
        assert len(number) == 11
        assert number.startswith("84")
        assert number.isascii()
        assert number.isdigit()
        assert normalise_vn_mobile(number) == number


# -- SMS segments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension characters take two septets
        ("€" * 81, 2),
        ("a" * 152 + "€" + "a" * 152, 3),  # ... and are never split across two parts
        ("Hồ sơ " * 11 + "Hồ s", 1),  # 70 UCS-2 characters
        ("ồ" * 71, 2),
        ("ồ" * 134, 2),
        ("ồ" * 135, 3),
        ("😀" * 35, 1),  # two UTF-16 units each
        ("😀" * 36, 2),
    ],
)
def test_sms_segments(text: str, segments: int) -> None:
    assert sms_segments(text) == segments


@pytest.mark.django_db
def test_a_long_sms_is_kept_whole_and_its_segments_recorded() -> None:
    short = "Hồ sơ của ông/bà đã được giải quyết xong. " * 4
    (row,) = send_to(Recipient(phone="0912345678"), Message(subject="s", body="b", short=short))
    assert row.body == short
    assert row.segments == 3
