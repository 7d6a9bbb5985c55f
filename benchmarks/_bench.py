"""Shared set-up: a throwaway database with motcua migrated into it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@contextmanager
def throwaway_database() -> Iterator[str]:
    """Point DATABASE_URL at a fresh database, set Django up, migrate; drop it afterwards."""
    os.environ.setdefault("MOTCUA_DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    url = os.environ.get("DATABASE_URL", "")
    with tempfile.TemporaryDirectory() as folder:
        if url.startswith("postgres"):
            name = urlparse(url).path.lstrip("/")
            subprocess.run(["dropdb", "--if-exists", name], check=True)
            subprocess.run(["createdb", name], check=True)
        else:
            os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        try:
            yield os.environ["DATABASE_URL"]
        finally:
            from django.db import connections

            connections.close_all()
            if url.startswith("postgres"):
                subprocess.run(["dropdb", "--if-exists", name], check=True)


def rate(label: str, count: int, work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    elapsed = time.perf_counter() - started
    per_second = count / elapsed
    print(f"{label:<60} {count:>7} in {elapsed:6.2f} s = {per_second:9.1f}/s")
    return per_second


def machine() -> str:
    cores = os.cpu_count()
    return f"python {sys.version.split()[0]}, {cores} cores"
