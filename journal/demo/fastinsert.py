"""Inserting the seed's own rows quickly.

On PostgreSQL Django's ``bulk_create`` spends most of its time preparing values and dumping them as
arrays; the seed inserts hundreds of thousands of plain rows, so there it draws the ids from the
table's sequence and streams the rows with ``COPY``. Elsewhere (SQLite, the embedded mode) it is
``bulk_create``. Either way every object gets its primary key, like ``bulk_create`` on PostgreSQL.

Only for new rows of plain models (no multi-table inheritance, no JSON fields, no database defaults);
the history (``JournalEvent``) is never written here but only through ``grading.history``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models

BATCH = 5000


def _plain(value: Any) -> Any:
    """Choices members (``str``/``int`` enums) as their plain value, so COPY writes the value."""
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _resolve_relations(objs: Sequence[models.Model], fields: list[models.Field]) -> None:
    """Set ``<fk>_id`` from a related object assigned before it was saved (as ``bulk_create`` does)."""
    for field in fields:
        if not field.is_relation:
            continue
        attname = field.attname
        for obj in objs:
            if getattr(obj, attname) is None:
                related = field.get_cached_value(obj, None)
                if related is not None:
                    setattr(obj, attname, related.pk)


def insert(objs: Sequence[models.Model]) -> None:
    """Insert new instances of one model, in order, and set their ``pk``."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=BATCH)
        return
    meta = model._meta
    pk = meta.pk
    fields = [field for field in meta.concrete_fields if field is not pk]
    _resolve_relations(objs, fields)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in [pk, *fields])
    getters: list[Callable[[models.Model], Any]] = [
        (lambda obj, name=field.attname: _plain(getattr(obj, name))) for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(objs)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for new_id, obj in zip(ids, objs, strict=True):
                obj.pk = new_id
                copy.write_row([new_id, *(get(obj) for get in getters)])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
    """Insert plain rows (values for the field attnames ``columns``, in order) of ``model``; returns
    their new ids in the same order. Fields not named get their model defaults."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        model.objects.bulk_create(objs, batch_size=BATCH)
        return [obj.pk for obj in objs]
    meta = model._meta
    pk = meta.pk
    named = set(columns)
    defaults = [
        (field.column, field.get_default())
        for field in meta.concrete_fields
        if field is not pk and field.attname not in named
    ]
    quote = connection.ops.quote_name
    names = [pk.column, *(meta.get_field(name).column for name in columns), *(column for column, _v in defaults)]
    tail = [_plain(value) for _column, value in defaults]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(rows)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({', '.join(map(quote, names))}) FROM STDIN") as copy:
            for new_id, row in zip(ids, rows, strict=True):
                copy.write_row([new_id, *map(_plain, row), *tail])
    return ids
