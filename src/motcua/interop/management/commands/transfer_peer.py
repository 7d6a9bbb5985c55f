from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import httpx
from django.core.management.base import BaseCommand, CommandError
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from motcua.interop.models import Peer
from motcua.interop.transfers import keys


class Command(BaseCommand):
    help = (
        "Manage the motcua instances this one exchanges dossiers with. Example: motcua "
        "transfer_peer add --name 'motcua Hà Nội' --url https://motcua.hanoi.example "
        "(fetches <url>/interop/transfers/jwks.json; --jwks FILE takes the keys from a file)."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="Add a peer, or update its name and keys.")
        add.add_argument("--name", required=True)
        add.add_argument("--url", required=True, help="Its base URL: its MOTCUA_PUBLIC_URL.")
        add.add_argument("--jwks", type=Path, help="Its JWKS file instead of fetching it.")
        actions.add_parser("list", help="List the peers.")
        actions.add_parser("jwks", help="Print this instance's public JWKS.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "add":
            self.add(options["name"], options["url"].rstrip("/"), options["jwks"])
        elif action == "jwks":
            self.stdout.write(json.dumps(keys.public_jwks(), indent=2))
        else:
            for peer in Peer.objects.order_by("name"):
                state = "active" if peer.active else "inactive"
                kids = ", ".join(str(key.get("kid", "?")) for key in peer.jwks.get("keys", []))
                self.stdout.write(f"{peer.name}\t{peer.base_url}\t{state}\t{kids}")

    def add(self, name: str, url: str, jwks_file: Path | None) -> None:
        try:
            if jwks_file is not None:
                jwks = json.loads(jwks_file.read_text())
            else:
                response = httpx.get(url + "/interop/transfers/jwks.json", timeout=10)
                response.raise_for_status()
                jwks = response.json()
            KeySet.import_key_set(jwks)  # refuse what is not a usable key set
        except (OSError, ValueError, httpx.HTTPError, JoseError) as error:
            raise CommandError(f"Could not read the peer's keys: {error}") from error
        peer, created = Peer.objects.update_or_create(
            base_url=url, defaults={"name": name, "jwks": jwks, "active": True}
        )
        verb = "Added" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} peer {peer.name} ({peer.base_url})."))
