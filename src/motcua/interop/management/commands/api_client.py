from __future__ import annotations

import argparse
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from motcua.catalogue.models import Confidentiality, Procedure
from motcua.core.errors import MotcuaError
from motcua.interop.clients import services
from motcua.interop.clients.scopes import SCOPES
from motcua.interop.models import ApiClient
from motcua.organisation.models import Agency

CONFIDENTIALITY = {level.name.lower(): level.value for level in Confidentiality}


class Command(BaseCommand):
    help = (
        "Register an API client for another system and print its client ID and secret "
        "(shown this once: only its hash is kept). Example: motcua api_client create "
        "--name 'Cổng DVC tỉnh' --organisation 'Sở KH&CN' --scope dossiers.read "
        "--procedure 2.000815 --agency 000.00.00.H22"
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Register a client with one authorisation.")
        create.add_argument("--name", required=True)
        create.add_argument("--organisation", required=True)
        create.add_argument("--contact-email", default="")
        create.add_argument("--rate", default="600/m", help="Its rate limit, e.g. 600/m.")
        create.add_argument("--scope", action="append", required=True, choices=sorted(SCOPES))
        create.add_argument(
            "--procedure",
            action="append",
            default=[],
            help="A national procedure code; repeat for more; leave out for all procedures.",
        )
        create.add_argument(
            "--agency",
            action="append",
            required=True,
            help="An agency code (its sub-agencies are included); repeat for more.",
        )
        create.add_argument(
            "--max-confidentiality", choices=sorted(CONFIDENTIALITY), default="public"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        agencies = _by_code(Agency, options["agency"])
        procedures = _by_code(Procedure, options["procedure"]) if options["procedure"] else None
        client = ApiClient(
            name=options["name"],
            organisation=options["organisation"],
            contact_email=options["contact_email"],
            rate_limit=options["rate"],
        )
        try:
            client.full_clean(exclude=["application", "user"])
            with transaction.atomic():
                secret = services.register_client(client=client, actor=None)
                services.grant(
                    client=client,
                    scopes=options["scope"],
                    agencies=agencies,
                    procedures=procedures,
                    max_confidentiality=CONFIDENTIALITY[options["max_confidentiality"]],
                    actor=None,
                )
        except (MotcuaError, ValidationError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"client_id={client.client_id}\nclient_secret={secret}")


def _by_code(model: Any, codes: list[str]) -> list[Any]:
    found = {obj.code: obj for obj in model.objects.filter(code__in=codes)}
    missing = sorted(set(codes) - set(found))
    if missing:
        raise CommandError(f"Unknown {model._meta.verbose_name} codes: {', '.join(missing)}")
    return [found[code] for code in codes]
