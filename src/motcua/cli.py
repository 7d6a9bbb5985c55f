"""The `motcua` console script: Django's manage.py with motcua's settings.

Commands may be written with dashes (`motcua load-units`, `motcua verify-audit`); they map to
the management commands of the same name with underscores.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and args[1] == "demo":
        # The demo is a development deployment: debug on, the development secret key allowed.
        os.environ.setdefault("MOTCUA_DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
