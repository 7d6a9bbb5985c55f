from __future__ import annotations

import itertools
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from motcua.core import audit
from motcua.core.models import AuditEntry


def _write(n: int, actor=None, object_id: str | None = "1") -> None:  # type: ignore[no-untyped-def]
    """n rows about one object (so in one chain), or about n objects with object_id=None."""
    for i in range(n):
        audit.record(
            actor=actor,
            action="test.write",
            object_type="test",
            object_id=object_id or str(i),
            new={"i": i, "name": "Hạ Long"},
        )


@pytest.mark.django_db
def test_entries_are_chained_and_verify() -> None:
    user = get_user_model().objects.create_user("auditor")
    _write(5, actor=user)
    entries = list(AuditEntry.objects.order_by("pk"))
    assert entries[0].prev_hash == audit.GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert entries[0].actor_label == "auditor"
    assert audit.verify_chain() is None
    call_command("verify_audit")


@pytest.mark.django_db
def test_edited_row_is_named() -> None:
    _write(5)
    third = AuditEntry.objects.order_by("pk")[2]
    AuditEntry.objects.filter(pk=third.pk).update(new_values={"i": 999})
    broken = audit.verify_chain()
    assert broken is not None
    assert broken.entry_id == third.pk
    with pytest.raises(CommandError, match=f"entry {third.pk}"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_removed_row_breaks_the_next_one() -> None:
    _write(5)
    rows = list(AuditEntry.objects.order_by("pk"))
    AuditEntry.objects.filter(pk=rows[1].pk).delete()
    broken = audit.verify_chain()
    assert broken is not None
    assert broken.entry_id == rows[2].pk


@pytest.mark.django_db
def test_truncated_tail_is_detected() -> None:
    _write(4)
    AuditEntry.objects.filter(pk=AuditEntry.objects.order_by("-pk")[0].pk).delete()
    broken = audit.verify_chain()
    assert broken is not None
    assert "truncated" in broken.reason


@pytest.mark.django_db
def test_a_rolled_back_write_leaves_no_row_and_no_gap() -> None:
    _write(1)

    def write_then_fail() -> None:
        with transaction.atomic():
            _write(1)
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        write_then_fail()
    _write(1)
    assert AuditEntry.objects.count() == 2
    assert audit.verify_chain() is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain() -> None:
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            _write(25, object_id=None)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert AuditEntry.objects.count() == 150
    assert AuditEntry.objects.values("chain").distinct().count() > 1
    assert audit.verify_chain() is None
