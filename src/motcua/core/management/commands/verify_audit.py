from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from motcua.core.audit import verify_chain
from motcua.core.models import AuditEntry


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log; name the first broken row."

    def handle(self, *args: Any, **options: Any) -> None:
        broken = verify_chain()
        if broken is not None:
            raise CommandError(
                f"Audit log chain broken at entry {broken.entry_id}: {broken.reason}."
            )
        self.stdout.write(
            self.style.SUCCESS(f"Audit log intact: {AuditEntry.objects.count()} entries verified.")
        )
