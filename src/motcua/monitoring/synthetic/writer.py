"""Writing rows fast: rows built as lists over each table's defaults, written with
PostgreSQL's COPY (executemany on SQLite), on PostgreSQL by a second thread while the next
batch is built; primary keys handed out before the rows exist, and the daily counters of
dossier codes and ticket numbers advanced in one statement per day."""

from __future__ import annotations

import datetime as dt
import json
import queue
import threading
from collections import Counter as Tally
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction

from motcua.queueing import reports as queue_reports


def pk_column(model: type[models.Model]) -> str:
    return str(model._meta.pk.column)


class Table:
    """Rows of one table, built from keyword arguments over the table's defaults (as lists,
    so that a row can still change until it is written) and written in bulk."""

    def __init__(self, model: type[models.Model], columns: str, **defaults: Any) -> None:
        fields = {f.attname: f for f in model._meta.concrete_fields}
        names = columns.split()
        self.name = model._meta.db_table
        self.index = {name: position for position, name in enumerate(names)}
        self.template = [defaults.get(name) for name in names]
        self.columns = [str(fields[name].column) for name in names]
        self.json = [
            i for i, name in enumerate(names) if isinstance(fields[name], models.JSONField)
        ]
        unset = [
            name
            for name, f in fields.items()
            if not f.null and name not in self.index and not f.primary_key
        ]
        assert not unset, f"{self.name}: no value for {unset}"
        self.rows: list[list[Any]] = []

    def add(self, **values: Any) -> list[Any]:
        row = self.template.copy()
        self.put(row, **values)
        self.rows.append(row)
        return row

    def put(self, row: list[Any], **values: Any) -> None:
        index = self.index
        for name, value in values.items():
            row[index[name]] = value

    def get(self, row: list[Any], name: str) -> Any:
        return row[self.index[name]]


def sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return str(value.astimezone(dt.UTC).replace(tzinfo=None))
    if isinstance(value, dt.date | Decimal):
        return str(value)
    return value


Batch = list[tuple["Table", list[list[Any]]]]


class Writer:
    """Writes the tables' rows, then closes the queue days they complete. On PostgreSQL,
    outside a transaction, a thread with its own connection writes and commits one batch
    while the next is built: the commit (the foreign keys are checked then) and the
    generator's Python each keep one of two cores busy."""

    def __init__(self) -> None:
        self.tables: list[Table] = []
        self.written: Tally[str] = Tally()
        self.error: BaseException | None = None
        self.batches: queue.Queue[tuple[Batch, list[dt.date]] | None] = queue.Queue(maxsize=1)
        self.thread: threading.Thread | None = None
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.thread = threading.Thread(target=self._run, name="generate-writer", daemon=True)
            self.thread.start()

    def table(self, model: type[models.Model], columns: str, **defaults: Any) -> Table:
        table = Table(model, columns, **defaults)
        self.tables.append(table)
        return table

    def flush(self, close: list[dt.date]) -> None:
        """Write the rows built so far, then close the days `close` (their tickets are all
        among them)."""
        batch: Batch = []
        for table in self.tables:
            if table.rows:
                for row in table.rows:
                    for index in table.json:
                        row[index] = json.dumps(row[index], ensure_ascii=False)
                batch.append((table, table.rows))
                table.rows = []
        if self.thread is None:
            self._store(batch, close)
            return
        self._raise()
        self.batches.put((batch, close))

    def finish(self) -> None:
        if self.thread is not None:
            self.batches.put(None)
            self.thread.join()
            self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            while (item := self.batches.get()) is not None:
                if self.error is None:
                    try:
                        self._store(*item)
                    except BaseException as error:  # handed to the generating thread
                        self.error = error
        finally:
            connection.close()

    @transaction.atomic
    def _store(self, batch: Batch, close: list[dt.date]) -> None:
        if self.thread is not None:
            # Checked as the rows arrive (tables are written parents first) instead of
            # queued for the commit: the same checks, a quarter faster in all.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, rows in batch:
            self._write(table, rows)
            self.written[table.name] += len(rows)
        for day in close:
            queue_reports.close_day(day)

    def _write(self, table: Table, rows: list[list[Any]]) -> None:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in table.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(table.columns))
                cursor.executemany(
                    f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks})",  # noqa: S608
                    [[sqlite_value(v) for v in row] for row in rows],
                )


class Ids:
    """Primary keys handed out before the rows are written (their children name them)."""

    def __init__(self, *models_: type[models.Model]) -> None:
        self.next: dict[type[models.Model], int] = dict.fromkeys(models_, 0)

    def begin(self) -> None:
        """At the start of a transaction on SQLite, which holds the only write lock: go on
        after the highest key stored."""
        if connection.vendor == "postgresql":
            return
        for model in self.next:
            highest = model._default_manager.aggregate(m=models.Max("pk"))["m"] or 0
            self.next[model] = max(self.next[model], highest + 1)

    def take(self, model: type[models.Model], count: int) -> list[int]:
        if count <= 0:
            return []
        if connection.vendor == "postgresql":
            # The sequence hands out keys one by one, so live writers get others meanwhile.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [model._meta.db_table, pk_column(model), count],
                )
                return [row[0] for row in cursor.fetchall()]
        first = self.next[model]
        self.next[model] = first + count
        return list(range(first, first + count))


def reserve(
    model: type[models.Model], owner: str, day: dt.date, counts: dict[int, int]
) -> dict[int, int]:
    """Advance the daily counter rows of `day` (owner id → how many numbers) by as many
    numbers as `dossiers.numbering` / `queueing.numbering` would give one at a time, in one
    statement; the first number of each owner's block."""
    if not counts:
        return {}
    table = connection.ops.quote_name(model._meta.db_table)
    rows = sorted(counts.items())
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({owner}, day, last) VALUES {values} "  # noqa: S608
            f"ON CONFLICT ({owner}, day) DO UPDATE SET last = {table}.last + excluded.last "
            f"RETURNING {owner}, last",
            [value for owner_id, count in rows for value in (owner_id, day, count)],
        )
        last = dict(cursor.fetchall())
    return {owner_id: int(last[owner_id]) - count + 1 for owner_id, count in rows}
