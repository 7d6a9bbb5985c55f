from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.core.errors import MotcuaError
from motcua.organisation import services
from motcua.organisation.units import UnitsSource


class Command(BaseCommand):
    help = "Load the 34 provinces and 3,321 commune-level units (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file",
            type=Path,
            help="A JSON list of units in vietnamadminunits' shape, instead of the package data.",
        )

    def handle(self, *args: Any, file: Path | None = None, **options: Any) -> None:
        try:
            source = UnitsSource.from_file(file) if file else UnitsSource.from_package()
            report = services.load_units(source=source)
        except MotcuaError as exc:
            raise CommandError(str(exc)) from exc
        if not report.changed:
            self.stdout.write(f"Units already loaded from {source.description}; nothing changed.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded from {source.description}: provinces {report.provinces_created} new, "
                f"{report.provinces_updated} updated; communes {report.communes_created} new, "
                f"{report.communes_updated} updated."
            )
        )
