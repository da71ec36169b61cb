"""The archive's production run through a real Celery worker (issue 6, point 3): the run fans out one task
per class; the worker renders, signs and stores on its own database connection and storages."""

from __future__ import annotations

import time

import pytest

from archive.models import ArchiveCopy, RunStatus
from archive.production import run_request
from archive.signing import verify_pdf
from journal.models import PeriodLock
from journal.tests.factories import SchoolClassFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("_today")]


def test_the_worker_archives_the_whole_school_class_by_class(
    archive_worker, school, school_class, journal, deputy, student
):
    other = SchoolClassFactory(year=school_class.year, grade=6, letter="Б")
    run = run_request(actor=deputy, school=school, period=journal["period"])
    assert run.total == 2
    for _ in range(120):
        run.refresh_from_db()
        if run.finished:
            break
        time.sleep(0.5)
    assert (run.status, run.done, run.total) == (RunStatus.DONE, 2, 2), run.errors
    assert set(ArchiveCopy.objects.filter(run=run).values_list("school_class", flat=True)) == {
        school_class.pk,
        other.pk,
    }
    assert PeriodLock.objects.filter(period=journal["period"]).count() == 2
    copy = ArchiveCopy.objects.filter(run=run, school_class=school_class, kind="journal").get()
    assert copy.signer and copy.pages == 5
    stored = (archive_worker["a"] / copy.file.name).read_bytes()
    assert verify_pdf(stored).valid and stored == (archive_worker["b"] / copy.file.name).read_bytes()
