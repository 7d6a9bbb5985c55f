"""Audit log appends per second: each append locks the chain head, hashes and inserts."""

from __future__ import annotations

import threading

from _bench import machine, rate, throwaway_database

PER_WRITER = 400


def append(n: int, writer: int = 0) -> None:
    """n appends, each its own transaction, about n different objects (spread over chains)."""
    from django.db import connection, transaction

    from motcua.core import audit

    for i in range(n):
        with transaction.atomic():
            audit.record(
                actor=None,
                action="bench.append",
                object_type="bench",
                object_id=f"{writer}-{i}",
                new={"i": i, "name": "Phường Hạ Long"},
            )
    connection.close()


def main() -> None:
    with throwaway_database() as url:
        print(f"audit_append — {machine()} — {url.split('?')[0]}")
        rate("1 writer", PER_WRITER, lambda: append(PER_WRITER))
        from django.db import connection

        if connection.vendor == "postgresql":

            def concurrent() -> None:
                threads = [threading.Thread(target=append, args=(PER_WRITER, w)) for w in range(8)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()

            rate("8 concurrent writers", 8 * PER_WRITER, concurrent)
        from motcua.core.audit import verify_chain

        rate(
            "verify the whole chain",
            PER_WRITER * (9 if connection.vendor == "postgresql" else 1),
            verify_chain,
        )
        assert verify_chain() is None


if __name__ == "__main__":
    main()
