from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.catalogue import services
from motcua.core.errors import MotcuaError


class Command(BaseCommand):
    help = "Import or export the procedure catalogue as YAML."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        importing = actions.add_parser("import", help="import a YAML list of procedures")
        importing.add_argument("file", type=Path)
        exporting = actions.add_parser("export", help="write the current catalogue as YAML")
        exporting.add_argument("file", type=Path, nargs="?", help="default: standard output")

    def handle(self, *args: Any, action: str, file: Path | None = None, **options: Any) -> None:
        if action == "import":
            self.import_file(file)
        else:
            self.export_file(file)

    def import_file(self, file: Path | None) -> None:
        assert file is not None
        try:
            documents = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        try:
            report = services.import_procedures(documents=documents)
        except MotcuaError as exc:
            lines = [str(exc)] + [
                f"  {place}: {'; '.join(map(str, problems))}"
                for place, problems in exc.fields.items()
            ]
            raise CommandError("\n".join(lines)) from exc
        self.stdout.write(
            f"{len(report.created)} new, {len(report.new_versions)} new versions, "
            f"{len(report.unchanged)} unchanged."
        )

    def export_file(self, file: Path | None) -> None:
        text = yaml.safe_dump(services.export_procedures(), allow_unicode=True, sort_keys=False)
        if file is None:
            sys.stdout.write(text)
        else:
            file.write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {file}.")
