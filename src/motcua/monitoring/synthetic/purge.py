"""Deleting generated rows with everything that depends on them, in a few statements
whatever their number (a year of dossiers is millions of rows: the ORM's delete collects them
in memory)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.db.models import ForeignObjectRel
from django.utils.translation import gettext as _

from motcua.core.errors import MotcuaError
from motcua.monitoring.synthetic.writer import pk_column


def purge(model: type[models.Model], selection: models.QuerySet[Any]) -> None:
    """Delete the rows `selection` (a values("pk") query) and what depends on them, in a few
    statements whatever their number: what cascades is deleted the same way, what is only
    protected must not exist."""
    sql, params = selection.query.sql_with_params()
    delete_where(model, pk_column(model), sql, params)


def delete_where(model: type[models.Model], column: str, sql: str, params: Sequence[Any]) -> None:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(pk_column(model))
    rows = f"SELECT {pk} FROM {table} WHERE {quote(column)} IN ({sql})"  # noqa: S608
    # Every reverse relation, those without a reverse accessor (related_name="+") too.
    relations = [
        f for f in model._meta.get_fields(include_hidden=True) if isinstance(f, ForeignObjectRel)
    ]
    for relation in relations:
        if relation.many_to_many or relation.related_model is model:
            continue  # a self-reference (a consultation's parent task) goes with the rows
        child: Any = relation.related_model
        on_delete = relation.on_delete
        fk = str(relation.field.column)
        if on_delete is models.CASCADE:
            delete_where(child, fk, rows, params)
        elif on_delete is models.SET_NULL:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {quote(child._meta.db_table)} SET {quote(fk)} = NULL "  # noqa: S608
                    f"WHERE {quote(fk)} IN ({rows})",
                    params,
                )
        elif on_delete in (models.PROTECT, models.RESTRICT):
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT 1 FROM {quote(child._meta.db_table)} "  # noqa: S608
                    f"WHERE {quote(fk)} IN ({rows}) LIMIT 1",
                    params,
                )
                if cursor.fetchone() is not None:
                    raise MotcuaError(
                        _("Generated data is in use (%(what)s refers to it): it cannot be deleted.")
                        % {"what": child._meta.verbose_name},
                        code="generated_in_use",
                        status=409,
                    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {quote(column)} IN ({sql})", params)  # noqa: S608
