"""Two archive storages with integrity control (issue 6, point 5; R24, R25)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from archive.models import CopyStatus, FileKind, IntegrityCheck, RetentionError, StoredFile
from archive.storage import AlreadyStored, NoIntactCopy, discard, read, store, verify_all

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7 journal of 5A, 2026/2027" * 50
SHEET = b"%PDF-1.7 summary sheet of marks" * 40


@pytest.fixture
def dirs(settings, tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "archive-a", tmp_path / "archive-b"
    settings.ARCHIVE_STORAGES = {
        key: {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(path)}}
        for key, path in (("a", a), ("b", b))
    }
    settings.ADMINS = [("Platform", "platform@example.org")]
    return a, b


def test_it_writes_the_same_bytes_to_both_storages_and_registers_them(dirs):
    a, b = dirs
    stored = store("copies/2026/5a-q1.pdf", PDF, kind=FileKind.JOURNAL_COPY)
    assert (a / "copies/2026/5a-q1.pdf").read_bytes() == PDF == (b / "copies/2026/5a-q1.pdf").read_bytes()
    stored.refresh_from_db()
    assert (stored.sha256, stored.size) == (hashlib.sha256(PDF).hexdigest(), len(PDF))
    assert (stored.status_a, stored.status_b) == (CopyStatus.OK, CopyStatus.OK)
    assert read("copies/2026/5a-q1.pdf") == PDF


def test_retention_terms_follow_r24(dirs):
    today = timezone.localdate()
    copy = store("copy.pdf", PDF, kind=FileKind.JOURNAL_COPY)
    sheet = store("sheet.pdf", SHEET, kind=FileKind.SUMMARY_SHEET)
    backup = store("backup.dump", b"dump", kind=FileKind.BACKUP)
    assert copy.retain_until.year - today.year == 5
    assert sheet.retain_until.year - today.year == 25
    assert backup.retain_until == today + dt.timedelta(days=365)


def test_it_refuses_to_overwrite_a_stored_file(dirs):
    a, _b = dirs
    store("copy.pdf", PDF, kind=FileKind.JOURNAL_COPY)
    with pytest.raises(AlreadyStored, match="never overwritten"):
        store("copy.pdf", b"something else", kind=FileKind.JOURNAL_COPY)
    assert (a / "copy.pdf").read_bytes() == PDF
    assert StoredFile.objects.count() == 1


def test_it_refuses_a_name_a_storage_already_holds_and_writes_nothing(dirs):
    _a, b = dirs
    b.mkdir(parents=True)
    (b / "stray.pdf").write_bytes(b"left over")
    with pytest.raises(AlreadyStored):
        store("stray.pdf", PDF, kind=FileKind.JOURNAL_COPY)
    assert not StoredFile.objects.exists()
    assert (b / "stray.pdf").read_bytes() == b"left over"


def test_it_refuses_to_delete_a_file_before_its_term(dirs):
    stored = store("copy.pdf", PDF, kind=FileKind.JOURNAL_COPY)
    with pytest.raises(RetentionError, match="хранится до"):
        stored.delete()
    with pytest.raises(RetentionError):
        StoredFile.objects.all().delete()
    with pytest.raises(RetentionError):
        discard(stored)
    assert StoredFile.objects.filter(pk=stored.pk).exists()


def test_a_file_past_its_term_may_be_discarded(dirs, django_capture_on_commit_callbacks):
    a, b = dirs
    stored = store("old.pdf", PDF, kind=FileKind.JOURNAL_COPY, retain_until=timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        discard(stored)
    assert not StoredFile.objects.exists()
    assert not (a / "old.pdf").exists() and not (b / "old.pdf").exists()


def test_the_admin_offers_no_delete_before_the_term(dirs, rf):
    from django.contrib.admin.sites import site

    from accounts.tests.factories import UserFactory

    request = rf.get("/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    model_admin = site._registry[StoredFile]
    kept = store("kept.pdf", PDF, kind=FileKind.JOURNAL_COPY)
    old = store("old.pdf", SHEET, kind=FileKind.JOURNAL_COPY, retain_until=timezone.localdate())
    assert not model_admin.has_delete_permission(request, kept)
    assert model_admin.has_delete_permission(request, old)
    assert not model_admin.has_delete_permission(request)  # no bulk delete


def test_verify_all_repairs_a_corrupted_and_a_missing_copy(dirs):
    a, b = dirs
    store("one.pdf", PDF, kind=FileKind.JOURNAL_COPY)
    store("two.pdf", SHEET, kind=FileKind.SUMMARY_SHEET)
    store("three.pdf", b"intact", kind=FileKind.SUMMARY_SHEET)
    damaged = bytearray(PDF)
    damaged[100] ^= 0x01  # one byte of copy A
    (a / "one.pdf").write_bytes(bytes(damaged))
    (b / "two.pdf").unlink()

    check = verify_all()

    assert (check.files, check.damaged, check.missing, check.repaired, check.lost) == (3, 1, 1, 2, 0)
    assert check.ok and check.finished_at is not None
    assert (a / "one.pdf").read_bytes() == PDF == (b / "one.pdf").read_bytes()
    assert (a / "two.pdf").read_bytes() == SHEET == (b / "two.pdf").read_bytes()
    assert {(d["name"], d["copy"], d["was"]) for d in check.details} == {
        ("one.pdf", "a", "damaged"),
        ("two.pdf", "b", "missing"),
    }
    assert all(f.last_checked_at and f.status_a == f.status_b == "ok" for f in StoredFile.objects.all())
    # The administrators are told what was found and repaired.
    assert len(mail.outbox) == 1 and "repaired" in mail.outbox[0].subject
    assert "1 damaged and 1 missing copies, 2 repaired" in mail.outbox[0].body
    again = verify_all()  # idempotent: nothing left to do, nobody bothered
    assert (again.damaged, again.missing, again.repaired) == (0, 0, 0)
    assert len(mail.outbox) == 1


def test_both_copies_bad_is_reported_not_repaired(dirs, caplog):
    a, b = dirs
    store("one.pdf", PDF, kind=FileKind.JOURNAL_COPY)
    (a / "one.pdf").write_bytes(b"X" + PDF[1:])
    (b / "one.pdf").unlink()

    check = verify_all()

    assert (check.files, check.damaged, check.missing, check.repaired, check.lost) == (1, 1, 1, 0, 1)
    assert not check.ok
    stored = StoredFile.objects.get()
    assert (stored.status_a, stored.status_b) == ("damaged", "missing")
    assert "one.pdf" in mail.outbox[0].body and mail.outbox[0].to == ["platform@example.org"]
    assert any(r.levelname == "ERROR" and "one.pdf" in r.getMessage() for r in caplog.records)
    with pytest.raises(NoIntactCopy):
        read("one.pdf")


def test_read_skips_a_damaged_copy(dirs):
    a, _b = dirs
    store("one.pdf", PDF, kind=FileKind.JOURNAL_COPY)
    (a / "one.pdf").write_bytes(b"garbage")
    assert read("one.pdf") == PDF
    assert StoredFile.objects.get().status_a == "damaged"


def test_the_verify_archive_command_exits_1_only_when_damage_remains(dirs, capsys):
    a, b = dirs
    store("one.pdf", PDF, kind=FileKind.JOURNAL_COPY)
    (a / "one.pdf").unlink()
    call_command("verify_archive")  # repaired: exit 0
    assert "1 repaired" in capsys.readouterr().out

    (a / "one.pdf").unlink()
    (b / "one.pdf").unlink()
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_archive")
    assert exit_info.value.code == 1
    assert IntegrityCheck.objects.count() == 2


def test_the_weekly_task_is_scheduled(settings):
    from archive.tasks import verify_storages

    entries = {e["task"]: e for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert verify_storages.name in entries
    assert entries["archive.backup"]["schedule"].day_of_month == {1, 15}
