"""Publish live events from a separate process (run by the live-event tests).

Usage: python events_publisher.py '[{"topic": "...", "name": "...", "data": {...}}, ...]'
Prints one JSON line per event: {"id": <LiveEvent id>, "t": <wall clock before the transaction>}.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    import django

    django.setup()
    from django.db import transaction

    from motcua.core.events import publish

    for spec in json.loads(sys.argv[1]):
        started = time.time()
        with transaction.atomic():
            row = publish(spec["topic"], spec["name"], spec.get("data"))
        print(json.dumps({"id": row.pk, "t": started}), flush=True)


if __name__ == "__main__":
    main()
