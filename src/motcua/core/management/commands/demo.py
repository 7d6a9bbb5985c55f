from __future__ import annotations

import importlib
import os
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Set up the Quảng Ninh demo (migrate, load units, demo organisation and staff) and "
        "serve it with an in-process job worker. Running it again keeps the data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--setup-only", action="store_true", help="Prepare the data, then exit."
        )

    def handle(self, *args: Any, host: str, port: int, setup_only: bool, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        call_command("load_units", stdout=self.stdout)
        for line in self.load_app_demos():
            self.stdout.write(line)
        if setup_only:
            return
        self.serve(host, port)

    def load_app_demos(self) -> list[str]:
        """Call `load_demo()` of every motcua app that has a `demo` module, in app order."""
        lines: list[str] = []
        for config in apps.get_app_configs():
            if not config.name.startswith("motcua."):
                continue
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            lines += module.load_demo() or []
        return lines

    def serve(self, host: str, port: int) -> None:
        import uvicorn

        if "MOTCUA_PUBLIC_URL" not in os.environ:
            # QR codes, the payment gateway's return and the national database simulator are
            # reached at the address served, whatever port was chosen.
            settings.PUBLIC_URL = f"http://{host}:{port}"

        from motcua.core.jobs import start_in_process_worker

        # OCR takes seconds a page: its own worker, so that slips and notices never wait.
        workers = [
            start_in_process_worker(queue_names=("default", "slow")),
            start_in_process_worker(queue_names=("ocr",)),
        ]
        self.stdout.write(self.style.SUCCESS(f"motcua demo: http://{host}:{port}/"))
        try:
            uvicorn.run(
                "motcua.asgi:application",
                host=host,
                port=port,
                timeout_graceful_shutdown=2,
                log_level="info",
            )
        finally:
            for worker in workers:
                worker.stop()
