"""Backups of the database and their restore (issue 6, point 7; R26).

A backup is a consistent picture of the whole database: on PostgreSQL ``pg_dump --format=custom`` run
on a snapshot exported by our own REPEATABLE READ transaction, in which the row count of every table and
the head ``(seq, hash)`` of every teaching group's history chain are read too — so the counts recorded in
the ``Backup`` row are exactly what the file holds. On SQLite the sqlite3 backup API copies the file and
the counts are read from the copy. The file goes into both archive storages through :func:`store`.

A restore goes only into an empty database (none of our tables): ``pg_restore --no-owner --no-acl
--single-transaction`` (all or nothing; owners and grants are the operator's to set on the new server),
or a plain copy of the SQLite file; then every table's row count and every chain head of the restored
database are compared with the ones recorded. Every download and restore is written to ``BackupUse``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
import urllib.parse
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import environ
import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from grading.history import GENESIS_HASH
from grading.models import JournalEvent
from journal.models import TeachingGroup

from .models import Backup, BackupAction, BackupUse, FileKind
from .storage import ArchiveError, copy_to_path, read, store

TOOL_TIMEOUT = 6 * 60 * 60  # seconds; a district database takes minutes, a hung server must not hang beat


class TargetNotEmpty(ArchiveError):
    """The database to restore into already holds tables of the journal."""


@dataclass
class Census:
    """What a database holds: rows per table and the head of every group's history chain."""

    row_counts: dict[str, int]
    chain_heads: dict[str, list[Any]]  # {"<group id>": [seq, hash]}


@dataclass
class RestoreResult:
    backup: Backup
    target: str  # the target database, without its password
    census: Census
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    @property
    def tables(self) -> int:
        return len(self.census.row_counts)

    @property
    def rows(self) -> int:
        return sum(self.census.row_counts.values())


# ------------------------------------------------------------------------------------------------------
# Reading a database through a plain DB-API cursor (psycopg or sqlite3): the same code counts the source
# inside its snapshot and the restored target, which Django's connection does not reach.


def _tables(cursor: Any, vendor: str) -> list[str]:
    if vendor == "postgresql":
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
            "ORDER BY 1"
        )
    else:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1")
    return [row[0] for row in cursor.fetchall()]


def _census(cursor: Any, vendor: str) -> Census:
    counts = {}
    for table in _tables(cursor, vendor):
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - names come from the catalogue
        counts[table] = cursor.fetchone()[0]
    groups, events = TeachingGroup._meta.db_table, JournalEvent._meta.db_table
    heads: dict[str, list[Any]] = {}
    if groups in counts and events in counts:
        cursor.execute(
            f'SELECT g.id, e.seq, e.hash FROM "{groups}" g LEFT JOIN "{events}" e '  # noqa: S608
            f'ON e.group_id = g.id AND e.seq = (SELECT MAX(seq) FROM "{events}" WHERE group_id = g.id) '
            "ORDER BY g.id"
        )
        heads = {str(gid): [seq or 0, hash_ or GENESIS_HASH] for gid, seq, hash_ in cursor.fetchall()}
    return Census(counts, heads)


def _our_tables() -> set[str]:
    return set(connection.introspection.django_table_names(include_views=False)) | {"django_migrations"}


def _pg_params(db: dict[str, Any]) -> dict[str, Any]:
    params = {
        "dbname": db.get("NAME"),
        "user": db.get("USER"),
        "password": db.get("PASSWORD"),
        "host": db.get("HOST"),
        "port": str(db["PORT"]) if db.get("PORT") else None,
        "sslmode": (db.get("OPTIONS") or {}).get("sslmode"),
    }
    return {key: value for key, value in params.items() if value}


def _pg_env(params: dict[str, Any]) -> dict[str, str]:
    """The libpq environment of the tools: the password never appears on a command line."""
    names = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD", "sslmode": "PGSSLMODE"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update({names[key]: str(value) for key, value in params.items() if key in names})
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False)  # noqa: S603
    if done.returncode != 0:
        raise ArchiveError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _vendor(engine: str) -> str:
    if "postgresql" in engine or "postgis" in engine:
        return "postgresql"
    if "sqlite" in engine:
        return "sqlite"
    raise ArchiveError(f"Backups are made of PostgreSQL and SQLite databases only, not {engine}.")


def _scratch() -> tempfile.TemporaryDirectory[str]:
    # Under VAR_DIR, not /tmp: a district's dump does not fit a small tmpfs.
    return tempfile.TemporaryDirectory(prefix="backup-", dir=getattr(settings, "VAR_DIR", None))


# ------------------------------------------------------------------------------------------------------
# Making a backup


def _dump_postgresql(path: Path) -> Census:
    params = _pg_params(connection.settings_dict)
    with psycopg.connect(**params, autocommit=False) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            census = _census(cursor, "postgresql")
            # pg_dump reads the very snapshot the counts were taken in, while this transaction stays open.
            _run(
                ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={path}", "--no-password"]
                + [params["dbname"]],
                _pg_env(params),
            )
        conn.rollback()
    return census


def _dump_sqlite(path: Path) -> Census:
    connection.ensure_connection()
    with closing(sqlite3.connect(path)) as target:
        connection.connection.backup(target)
        with closing(target.cursor()) as cursor:
            return _census(cursor, "sqlite")


def backup_create(*, actor: Any = None) -> Backup:
    """Back the whole database up into both archive storages.

    Guarantees: the file is a consistent picture of the database (one snapshot), its sha256 is in the
    registry, and the ``Backup`` row records the row count of every table and every group's chain head
    as they are in the file. Raises :class:`~archive.storage.ArchiveError` if the dump fails; nothing is
    registered then.
    """
    vendor = _vendor(connection.settings_dict["ENGINE"])
    now = timezone.now()
    suffix = "dump" if vendor == "postgresql" else "sqlite3"
    name = f"backups/{now:%Y/%m}/backup-{now:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.{suffix}"
    with _scratch() as scratch:
        path = Path(scratch) / f"backup.{suffix}"
        census = _dump_postgresql(path) if vendor == "postgresql" else _dump_sqlite(path)
        with transaction.atomic(), path.open("rb") as handle:
            stored = store(name, handle, kind=FileKind.BACKUP)
            return Backup.objects.create(
                file=stored,
                name=name,
                created_by=actor,
                created_at=now,
                size=stored.size,
                vendor=vendor,
                chain_heads=census.chain_heads,
                row_counts=census.row_counts,
            )


def backup_download(backup: Backup, *, actor: Any) -> bytes:
    """The backup's bytes (sha256 verified), with the download written to the registry of use."""
    if backup.file_id is None:
        raise ArchiveError(f"The file of backup «{backup.name}» is no longer kept.")
    content = read(backup.name)
    BackupUse.objects.create(backup=backup, user=actor, action=BackupAction.DOWNLOAD)
    return content


# ------------------------------------------------------------------------------------------------------
# Restoring


def safe_url(url: str) -> str:
    """The database URL without its password, for the registry and messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}@{netloc}" if user else netloc))


def _target_census(target: dict[str, Any], vendor: str) -> Census:
    if vendor == "postgresql":
        with psycopg.connect(**_pg_params(target), autocommit=True) as conn, conn.cursor() as cursor:
            return _census(cursor, vendor)
    if not Path(target["NAME"]).exists():
        return Census({}, {})
    with closing(sqlite3.connect(target["NAME"])) as conn, closing(conn.cursor()) as cursor:
        return _census(cursor, vendor)


def compare(backup: Backup, census: Census) -> list[str]:
    """What the restored database lacks or has more of than the backup recorded; empty if nothing."""
    differences = []
    for table in sorted(set(backup.row_counts) | set(census.row_counts)):
        recorded, found = backup.row_counts.get(table), census.row_counts.get(table)
        if recorded != found:
            differences.append(f"table {table}: {recorded} rows recorded, {found} restored")
    for group in sorted(set(backup.chain_heads) | set(census.chain_heads), key=int):
        recorded, found = backup.chain_heads.get(group), census.chain_heads.get(group)
        if recorded != found:
            differences.append(f"history of group {group}: head {recorded} recorded, {found} restored")
    return differences


def backup_restore(backup: Backup, target_database_url: str, *, actor: Any = None) -> RestoreResult:
    """Restore ``backup`` into the empty database at ``target_database_url`` and check it is all there.

    Refuses (:class:`TargetNotEmpty`) a target that holds any table of ours, and a target of another
    database vendor than the backup's. After the restore every table's row count and every history chain
    head are compared with those the backup recorded; the result lists the differences (none = nothing
    lost). Every restore attempt that reached the target is written to the registry of use.
    """
    if backup.file_id is None:
        raise ArchiveError(f"The file of backup «{backup.name}» is no longer kept.")
    try:
        target = environ.Env.db_url_config(target_database_url)
    except Exception as exc:
        raise ArchiveError(f"Not a database URL: {safe_url(target_database_url)}") from exc
    vendor = _vendor(target["ENGINE"])
    if vendor != backup.vendor:
        raise ArchiveError(f"Backup «{backup.name}» is of {backup.vendor}; it cannot be restored into {vendor}.")
    shown = safe_url(target_database_url)
    present = set(_target_census(target, vendor).row_counts) & _our_tables()
    if present:
        raise TargetNotEmpty(
            f"{shown} already holds tables of the journal ({', '.join(sorted(present)[:5])}…); "
            "a backup is restored only into an empty database."
        )
    use = BackupUse(backup=backup, user=actor, action=BackupAction.RESTORE, target=shown)
    try:
        with _scratch() as scratch:
            path = Path(scratch) / "backup"
            copy_to_path(backup.name, str(path))
            if vendor == "postgresql":
                params = _pg_params(target)
                _run(
                    ["pg_restore", "--no-owner", "--no-acl", "--single-transaction", "--exit-on-error"]
                    + ["--no-password", f"--dbname={params['dbname']}", str(path)],
                    _pg_env(params),
                )
            else:
                shutil.copyfile(path, target["NAME"])
        census = _target_census(target, vendor)
    except Exception as exc:
        use.ok, use.details = False, str(exc)[:5000]
        use.save()
        raise
    result = RestoreResult(backup, shown, census, compare(backup, census))
    use.ok = result.ok
    use.details = "\n".join(result.differences) or f"{result.tables} tables, {result.rows} rows, all as recorded"
    use.save()
    return result
