"""Backups and restore (issue 6, point 7; R26): a backup restores into an empty database with nothing lost."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from archive.backup import Census, TargetNotEmpty, backup_create, backup_download, backup_restore, compare
from archive.models import Backup, BackupUse
from grading.history import chain_head
from grading.models import JournalEvent
from grading.services import mark_column_add, mark_set
from grading.tests.factories import WorkTypeFactory
from journal.models import LessonStatus

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("_today")]


@pytest.fixture
def archive_dirs(settings, tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "archive-a", tmp_path / "archive-b"
    settings.ARCHIVE_STORAGES = {
        key: {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(path)}}
        for key, path in (("a", a), ("b", b))
    }
    settings.VAR_DIR = tmp_path  # the dump's scratch directory
    return a, b


def _url(dbname: str) -> str:
    db = connection.settings_dict
    auth = urllib.parse.quote(db["USER"] or "postgres")
    if db["PASSWORD"]:
        auth += ":" + urllib.parse.quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{dbname}"


def _admin_connection() -> psycopg.Connection:
    db = connection.settings_dict
    params = {"dbname": "postgres", "user": db["USER"], "password": db["PASSWORD"], "host": db["HOST"]}
    params["port"] = str(db["PORT"]) if db["PORT"] else None
    return psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True)


@pytest.fixture
def empty_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for the restore; dropped afterwards whatever happened."""
    name = f"test_restore_{os.getpid()}"
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _url(name)
    finally:
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def world(school, group, teacher, student, make_lesson, other_student):
    """A small journal: a lesson with a mark, changed once, so the history chain has events."""
    lesson = make_lesson(number=2, status=LessonStatus.PLANNED, date=dt.date(2026, 11, 23))
    column = mark_column_add(actor=teacher, lesson=lesson, work_type=WorkTypeFactory(school=school))
    mark = mark_set(actor=teacher, column=column, student=student, text="4")
    mark_set(actor=teacher, column=column, student=student, text="5", expected_version=mark.version, reason="typo")
    return group


def test_a_backup_restores_into_an_empty_database_with_nothing_lost(world, archive_dirs, empty_database, teacher):
    a, b = archive_dirs
    events = JournalEvent.objects.filter(group=world).count()
    assert events >= 3

    backup = backup_create(actor=teacher)

    assert backup.vendor == "postgresql" and backup.created_by == teacher
    content = (a / backup.name).read_bytes()
    assert content == (b / backup.name).read_bytes() and content.startswith(b"PGDMP")
    assert backup.file.sha256 == hashlib.sha256(content).hexdigest() and backup.size == len(content)
    assert backup.row_counts["grading_journalevent"] == events
    assert backup.row_counts["grading_mark"] == 1
    assert backup.chain_heads[str(world.pk)] == list(chain_head(world.pk))
    assert "archive_backup" in backup.row_counts  # every table, ours included (empty at dump time)

    result = backup_restore(backup, empty_database, actor=teacher)

    assert result.differences == []
    assert result.census.row_counts == backup.row_counts  # every table, row for row
    assert result.census.chain_heads == backup.chain_heads
    assert result.tables == len(backup.row_counts) > 40 and result.rows == backup.rows
    use = BackupUse.objects.get()
    assert (use.action, use.user, use.ok, use.backup) == ("restore", teacher, True, backup)
    assert ":" not in use.target.split("@")[0].removeprefix("postgres://")  # no password in the registry

    with pytest.raises(TargetNotEmpty, match="empty database"):
        backup_restore(backup, empty_database)
    assert BackupUse.objects.count() == 1


def test_the_comparison_names_what_is_missing(world, archive_dirs):
    backup = backup_create()
    counts = {**backup.row_counts, "grading_mark": 0}
    heads = {**backup.chain_heads, str(world.pk): [1, "0" * 64]}
    differences = compare(backup, Census(counts, heads))
    assert differences == [
        "table grading_mark: 1 rows recorded, 0 restored",
        f"history of group {world.pk}: head {backup.chain_heads[str(world.pk)]} recorded, [1, '{'0' * 64}'] restored",
    ]


def test_a_download_is_written_to_the_registry(world, archive_dirs, director):
    backup = backup_create()
    assert backup_download(backup, actor=director).startswith(b"PGDMP")
    assert BackupUse.objects.get().action == "download"


def test_the_commands_back_up_and_restore(world, archive_dirs, empty_database, capsys):
    call_command("backup")
    out = capsys.readouterr().out
    backup = Backup.objects.get()
    assert backup.name in out and backup.file.sha256 in out and str(backup.size) in out

    call_command("restore", backup.name, "--database-url", empty_database)
    assert "all as recorded" in capsys.readouterr().out
    with pytest.raises(CommandError, match="restored only into an empty database"):  # exit 1 from the shell
        call_command("restore", str(backup.pk), "--database-url", empty_database)


def test_the_scheduled_backup_task_is_idempotent(world, archive_dirs):
    from archive.tasks import backup

    first = backup.apply().get()  # in-process: the test's transaction-free database, no broker
    assert backup.apply().get() == first  # a redelivered task makes no second backup
    assert Backup.objects.get().pk == first
