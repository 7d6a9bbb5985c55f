"""`motcua digitise-folder FOLDER --point CODE --officer USERNAME`: digitise an archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from motcua.core.errors import MotcuaError
from motcua.core.principal import principal_for
from motcua.digitisation import batch
from motcua.digitisation.batch import Row
from motcua.organisation.models import ServicePoint


class Command(BaseCommand):
    help = (
        "Digitise a folder of scans listed in its manifest.csv (columns files, owner_id, "
        "owner_name, document_type). Stopped and run again, it goes on where it stopped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--manifest", type=Path, help="Default: FOLDER/manifest.csv.")
        parser.add_argument("--point", required=True, help="The service point's code.")
        parser.add_argument(
            "--officer", required=True, help="The user name of the officer who digitises."
        )
        parser.add_argument(
            "--batch", help="The batch's name, to resume it (default: the folder's name)."
        )
        parser.add_argument(
            "--confirm",
            action="store_true",
            help="Confirm (sign and store) the documents whose fields all pass the checks; "
            "the others wait at the station.",
        )
        parser.add_argument(
            "--parallel", type=int, default=2, help="Documents read at once (default 2)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        folder: Path = options["folder"]
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder.")
        point = ServicePoint.objects.filter(code=options["point"]).first()
        if point is None:
            raise CommandError(f"No service point {options['point']}.")
        officer = get_user_model().objects.filter(username=options["officer"]).first()
        if officer is None:
            raise CommandError(f"No user {options['officer']}.")
        principal = principal_for(officer)
        if not principal.has("document.digitise") or point.pk not in principal.service_point_ids:
            raise CommandError(f"{officer.get_username()} does not digitise at {point.code}.")
        try:
            rows = batch.read_manifest(folder, options["manifest"] or folder / "manifest.csv")
        except MotcuaError as error:
            problems = [str(m) for messages in error.fields.values() for m in messages]
            raise CommandError("\n".join([error.message, *problems])) from error
        with tqdm(total=len(rows), unit="doc", desc=folder.name) as bar:

            def done(row: Row, state: str) -> None:
                bar.set_postfix_str(f"{row.line}: {state}")
                bar.update()

            outcome = batch.run(
                rows=rows,
                batch=options["batch"] or folder.resolve().name,
                point=point,
                actor=officer,
                confirm=options["confirm"],
                parallel=options["parallel"],
                on_done=done,
            )
        self.stdout.write(
            f"read {outcome.read}, confirmed {outcome.confirmed}, "
            f"skipped (read before) {outcome.skipped}, failed {outcome.failed}"
        )
        for problem in outcome.problems or []:
            self.stderr.write(problem)
