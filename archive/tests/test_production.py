"""Production runs of the archive (issue 6, point 3; R23, R4): signed copies in versions, the period
closed after archiving, corrections only by the deputy, and copies out of date until a new version."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pypdf import PdfReader

from archive.models import ArchiveCopy, ArchiveRun, DocumentKind, FileKind, RunStatus, StoredFile
from archive.production import archive_class, copy_state, registry_for, run_class, run_request, with_state
from archive.signing import read_manifest, verify_pdf
from grading.models import JournalEvent, Mark
from grading.services import mark_set, period_mark_set
from journal.models import PeriodLock
from journal.tests.factories import SchoolClassFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today", "archive")]


def _copy(kind: str = DocumentKind.JOURNAL, version: int = 1) -> ArchiveCopy:
    return with_state(ArchiveCopy.objects.filter(kind=kind, version=version)).get()


def _stored(archive: dict, copy: ArchiveCopy) -> tuple[bytes, bytes]:
    return (archive["a"] / copy.file.name).read_bytes(), (archive["b"] / copy.file.name).read_bytes()


def test_archiving_a_class_signs_stores_registers_and_closes_the_period(archive, school_class, journal, deputy, group):
    q1 = journal["period"]
    produced = archive_class(school_class, q1, actor=deputy)

    assert [c.kind for c in produced.copies] == ["journal", "marks", "attendance"]
    assert [c.number for c in produced.copies] == [1, 2, 3]  # the registry numbers, in order
    copy = _copy()
    a, b = _stored(archive, copy)
    assert a == b and hashlib.sha256(a).hexdigest() == copy.sha256 == copy.file.sha256
    assert copy.file.kind == FileKind.JOURNAL_COPY and _copy(DocumentKind.MARKS).file.kind == FileKind.SUMMARY_SHEET
    assert copy.file.retain_until == dt.date(2031, 11, 23)  # R24: five years
    assert _copy(DocumentKind.MARKS).file.retain_until == dt.date(2051, 11, 23)  # R24: 25 years
    assert copy.pages == len(PdfReader(io.BytesIO(a)).pages) == 5

    # The signature holds, and the manifest inside says what the copy covers (R4).
    check = verify_pdf(a)
    assert check.valid and check.trusted and check.signer == copy.signer
    manifest = read_manifest(a)
    head = JournalEvent.objects.filter(group=group).order_by("-seq").values_list("seq", "hash").first() or (
        0,
        "0" * 64,
    )
    assert manifest["chain_heads"][str(group.pk)] == {"group": group.name, "seq": head[0], "hash": head[1]}
    assert manifest["content_sha256"] == copy.content_sha256
    assert (manifest["registry_number"], manifest["version"], manifest["class"]) == (1, 1, "5А")
    assert manifest["period"] == "1 четверть 2026/2027"

    # The period of the class is closed.
    assert PeriodLock.objects.filter(period=q1, school_class=school_class).exists()
    assert copy_state(copy) == "current"


def test_running_again_adds_a_version_and_reuses_the_unchanged_render(archive, school_class, journal, deputy):
    q1 = journal["period"]
    first = archive_class(school_class, q1, actor=deputy)
    second = archive_class(school_class, q1, actor=deputy)

    assert [c.version for c in second.copies] == [2, 2, 2]
    assert [c.number for c in second.copies] == [4, 5, 6]
    assert all(c.reused for c in second.copies) and not any(c.reused for c in first.copies)
    old, new = _copy(version=1), _copy(version=2)
    assert old.file.name != new.file.name and old.content_sha256 == new.content_sha256
    assert _stored(archive, old)[0] != _stored(archive, new)[0]  # signed anew: another signature, another file
    assert StoredFile.objects.count() == 6  # nothing overwritten
    assert copy_state(old) == "superseded" and copy_state(new) == "current"
    assert verify_pdf(_stored(archive, old)[0]).valid  # the old version stays valid as it was


def test_after_the_lock_only_the_deputy_corrects_and_the_copy_goes_out_of_date(
    archive, school_class, journal, deputy, teacher, student, group
):
    q1 = journal["period"]
    archive_class(school_class, q1, actor=deputy)
    mark = Mark.objects.get(value=4)

    with pytest.raises(ValidationError, match="закрыт"):
        mark_set(
            actor=teacher, column=mark.column, student=student, text="5", expected_version=mark.version, reason="x"
        )
    with pytest.raises(ValidationError, match="закрыт"):
        period_mark_set(actor=teacher, group=group, student=student, period=q1, text="4", reason="пересмотр")
    assert copy_state(_copy()) == "current"

    mark_set(
        actor=deputy,
        column=mark.column,
        student=student,
        text="5",
        expected_version=mark.version,
        reason="Ошибка ввода, служебная записка № 14",
    )
    event = JournalEvent.objects.filter(group=group).order_by("-seq").first()
    assert (event.actor, event.reason) == (deputy, "Ошибка ввода, служебная записка № 14")
    assert copy_state(_copy()) == "outdated"
    assert copy_state(_copy(DocumentKind.MARKS)) == "outdated"

    renewed = archive_class(school_class, q1, actor=deputy)
    assert not renewed.copies[0].reused  # the data changed: rendered again
    assert copy_state(_copy(version=2)) == "current" and copy_state(_copy(version=1)) == "superseded"


def test_a_change_in_another_period_leaves_the_copy_current(
    archive, school_class, journal, deputy, teacher, student, make_lesson
):
    archive_class(school_class, journal["period"], actor=deputy)
    lesson = make_lesson(date=dt.date(2026, 11, 23), number=3, teacher=teacher)  # quarter II, today
    from grading.services import mark_column_add
    from grading.tests.factories import WorkTypeFactory

    column = mark_column_add(actor=teacher, lesson=lesson, work_type=WorkTypeFactory(school=lesson.group.year.school))
    mark_set(actor=teacher, column=column, student=student, text="3")
    assert copy_state(_copy()) == "current"


def test_a_run_is_refused_to_others_and_for_a_period_not_over(
    school, school_class, quarters, deputy, teacher, outsider
):
    q1, q2, _year = quarters
    with pytest.raises(PermissionDenied):
        run_request(actor=teacher, school=school, period=q1)
    with pytest.raises(PermissionDenied):
        run_request(actor=outsider, school=school, period=q1)
    with pytest.raises(ValidationError, match="после его окончания"):
        run_request(actor=deputy, school=school, period=q2)  # quarter II ends on 28.12
    halves = SchoolClassFactory(year=school_class.year, grade=10, letter="А", period_kind="half")
    with pytest.raises(ValidationError, match="10А"):
        run_request(actor=deputy, school=school, period=q1, school_class=halves)
    assert not ArchiveRun.objects.exists()


def test_a_run_counts_its_classes_and_the_same_request_is_not_queued_twice(school, school_class, journal, deputy):
    run = run_request(actor=deputy, school=school, period=journal["period"], school_class=school_class)
    assert run_request(actor=deputy, school=school, period=journal["period"], school_class=school_class) == run
    run_class(run.pk, school_class.pk)
    run.refresh_from_db()
    assert (run.status, run.done, run.failed, run.total, run.percent) == (RunStatus.DONE, 1, 0, 1, 100)
    assert run.pages == sum(c.pages for c in ArchiveCopy.objects.filter(run=run))
    assert ArchiveCopy.objects.filter(run=run).count() == 3


def test_a_class_that_fails_is_reported_and_the_run_ends(settings, tmp_path, school, school_class, journal, deputy):
    run = run_request(actor=deputy, school=school, period=journal["period"], school_class=school_class)
    settings.ARCHIVE_SIGNING_P12 = tmp_path / "missing.p12"  # the certificate went away
    run_class(run.pk, school_class.pk)
    run.refresh_from_db()
    assert (run.status, run.failed) == (RunStatus.FAILED, 1)
    assert "make_demo_certificate" in run.errors[0] and "5А" in run.errors[0]
    assert not ArchiveCopy.objects.exists() and not StoredFile.objects.exists()


def test_the_registry_is_for_the_schools_archive_keepers(
    school_class, journal, deputy, secretary, director, administrator, teacher, class_teacher, parent, outsider
):
    archive_class(school_class, journal["period"], actor=deputy)
    for keeper in (deputy, secretary, director, administrator):
        assert registry_for(keeper).count() == 3
    for stranger in (teacher, class_teacher, parent, outsider):
        assert not registry_for(stranger).exists()
