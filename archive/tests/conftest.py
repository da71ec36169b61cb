"""Fixtures of the archive tests: a quarter of 5А's journal, and an archive with its own two storages,
render cache and a signing certificate made by ``make_demo_certificate`` (once per test session)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from attendance.tests.factories import AbsenceFactory
from grading.tests.factories import MarkColumnFactory, MarkFactory, PeriodMarkFactory
from journal.services import enrollment_admit
from journal.tests.factories import HomeworkFactory, StudentFactory

SIGNING_PASSWORD = "archive-tests"


@pytest.fixture
def classmate(school: Any, school_class: Any, group: Any) -> Any:
    """Сидорова Ольга of 5А, the second student of the class."""
    child = StudentFactory(school=school, last_name="Сидорова", first_name="Ольга", patronymic="Ивановна", sex="f")
    enrollment_admit(actor=None, student=child, school_class=school_class, start=school_class.year.start)
    return child


@pytest.fixture
def journal(
    quarters: Any, group: Any, teacher: Any, class_teacher: Any, student: Any, classmate: Any, make_lesson: Any
) -> dict[str, Any]:
    """Quarter I of 5А math: two lessons, marks 5 and 4 on one date, an absence «Б», a lateness «О»."""
    q1 = quarters[0]
    first = make_lesson(date=dt.date(2026, 9, 14), topic="Натуральные числа и шкалы", teacher=teacher)
    second = make_lesson(date=dt.date(2026, 9, 16), topic="Сложение натуральных чисел", teacher=teacher)
    HomeworkFactory(lesson=first, text="§ 1, задачи 12–14")
    MarkFactory(column=MarkColumnFactory(lesson=first), student=student, value=5)
    MarkFactory(column=MarkColumnFactory(lesson=first), student=student, value=4)
    AbsenceFactory(lesson=first, student=classmate, reason="illness")
    AbsenceFactory(lesson=second, student=student, kind="late", minutes_late=5)
    PeriodMarkFactory(group=group, student=student, period=q1, value=5)
    return {"period": q1, "lessons": [first, second]}


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory, django_db_blocker: Any) -> Path:
    """The demo school certificate (RSA 3072 takes a moment: made once)."""
    from django.conf import settings

    path = tmp_path_factory.mktemp("signing") / "school.p12"
    saved = settings.ARCHIVE_SIGNING_P12, settings.ARCHIVE_SIGNING_PASSWORD
    settings.ARCHIVE_SIGNING_P12, settings.ARCHIVE_SIGNING_PASSWORD = path, SIGNING_PASSWORD
    try:
        # Made "in August", so that it is valid on the days the tests pin (November 2026) and after.
        with django_db_blocker.unblock(), time_machine.travel(dt.datetime(2026, 8, 1, tzinfo=dt.UTC), tick=False):
            call_command("make_demo_certificate", "--name", "МБОУ «Средняя общеобразовательная школа № 1»")
    finally:
        settings.ARCHIVE_SIGNING_P12, settings.ARCHIVE_SIGNING_PASSWORD = saved
    return path


@pytest.fixture
def archive(settings: Any, tmp_path: Path, certificate: Path) -> dict[str, Path]:
    """Two storage directories, a render cache and the signing certificate of this test alone."""
    dirs = {"a": tmp_path / "archive-a", "b": tmp_path / "archive-b"}
    settings.ARCHIVE_STORAGES = {
        key: {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(path)}}
        for key, path in dirs.items()
    }
    settings.ARCHIVE_RENDER_CACHE = tmp_path / "cache"
    settings.ARCHIVE_SIGNING_P12 = certificate
    settings.ARCHIVE_SIGNING_PASSWORD = SIGNING_PASSWORD
    settings.ADMINS = [("Platform", "platform@example.org")]
    return {**dirs, "cache": tmp_path / "cache", "certificate": certificate}


@pytest.fixture
def archive_worker(archive: dict, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> dict:
    """A real Celery worker that writes to this test's storages and signs with its certificate."""
    monkeypatch.setenv("ARCHIVE_DIR_A", str(archive["a"]))
    monkeypatch.setenv("ARCHIVE_DIR_B", str(archive["b"]))
    monkeypatch.setenv("ARCHIVE_RENDER_CACHE", str(archive["cache"]))
    monkeypatch.setenv("ARCHIVE_SIGNING_P12", str(archive["certificate"]))
    monkeypatch.setenv("ARCHIVE_SIGNING_PASSWORD", SIGNING_PASSWORD)
    request.getfixturevalue("celery_worker")
    return archive
