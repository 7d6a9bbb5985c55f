from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.monitoring import tracking
from motcua.monitoring.models import UnitDay


class Command(BaseCommand):
    help = (
        "Recompute every monitoring rollup from the raw dossiers and report each counter that "
        "differs from what is stored (exit status 1 if any). --repair rebuilds them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repair", action="store_true", help="Rebuild after reporting.")
        parser.add_argument("--show", type=int, default=20, help="Differences to list.")

    def handle(self, *args: Any, repair: bool, show: int, **options: Any) -> None:
        differences = tracking.verify()
        for difference in differences[:show]:
            self.stdout.write(
                f"{difference.row} {difference.counter}: stored {difference.stored}, "
                f"recomputed {difference.expected}"
            )
        if repair and differences:
            written = tracking.rebuild()
            self.stdout.write(f"Rebuilt {written} rollup rows.")
        if differences and not repair:
            raise CommandError(f"{len(differences)} differences between rollups and raw data.")
        self.stdout.write(
            self.style.SUCCESS(
                f"KPIs verified: {len(differences)} differences, "
                f"{UnitDay.objects.count()} day rows."
            )
        )
