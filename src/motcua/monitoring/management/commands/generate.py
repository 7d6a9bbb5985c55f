from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from motcua.core.errors import MotcuaError
from motcua.monitoring import generate


class Command(BaseCommand):
    help = (
        "Generate a synthetic year of a province's dossiers, queue tickets and ratings (up to "
        "now), then rebuild the monitoring rollups. Generated rows are marked; a second run adds "
        "a second batch unless --replace deletes the first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--province", required=True, help="The province code, e.g. 22.")
        parser.add_argument("--dossiers", type=int, required=True)
        parser.add_argument("--year", type=int, default=timezone.localdate().year)
        parser.add_argument("--seed", type=int, default=1, help="The same seed, the same data.")
        parser.add_argument("--tickets-per-dossier", type=float, default=0.6)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the dossiers and tickets generated before in the province first.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with tqdm(
            total=options["dossiers"], unit=" dossiers", file=sys.stderr, smoothing=0.05
        ) as bar:
            try:
                report = generate.generate(
                    province_code=options["province"],
                    year=options["year"],
                    dossiers=options["dossiers"],
                    seed=options["seed"],
                    tickets_per_dossier=options["tickets_per_dossier"],
                    replace=options["replace"],
                    on_progress=bar.update,
                    on_phase=bar.set_description_str,
                )
            except MotcuaError as exc:
                raise CommandError(str(exc)) from exc
        if report.deleted:
            self.stdout.write(f"Deleted {report.deleted} dossiers generated before.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {report.dossiers} dossiers ({report.first_day} to "
                f"{report.last_day}), {report.tickets} tickets, {report.ratings} ratings; "
                f"{report.officers_created} officers created; {report.rollup_rows} rollup rows."
            )
        )
        self.stdout.write(
            "Rows: " + ", ".join(f"{table} {count}" for table, count in report.rows.items())
        )
        self.stdout.write(
            "Time: " + ", ".join(f"{phase} {s:.1f} s" for phase, s in report.seconds.items())
        )
