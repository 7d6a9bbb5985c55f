from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from motcua.dossiers import signing


class Command(BaseCommand):
    help = (
        "Create the demo certification authority (once) and a signing certificate for every "
        "active agency that lacks a current one. Keys stay in MOTCUA_PKI_DIR on this machine."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        agencies, issued = signing.ensure_active_agencies()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo PKI in {signing.pki_dir()}: CA ready; {agencies} active agencies, "
                f"{issued} certificates issued now, {agencies - issued} already current."
            )
        )
