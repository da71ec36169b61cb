"""A report end to end through the broker and a real Celery worker (issue 5, point 7): the deputy asks,
the commit queues the task, the worker computes it, the run holds the result; a second delivery of the
same task computes nothing."""

from __future__ import annotations

import time

import pytest

from journal.models import StudyPeriod
from reports.models import ReportRun, ReportStatus
from reports.services import report_request
from reports.tables import Document
from reports.tasks import run_report


@pytest.mark.usefixtures("_today")
def test_the_worker_computes_a_requested_report(celery_worker, deputy, school, student):
    period = StudyPeriod.objects.create(
        year=student.enrollments.get().school_class.year, kind="quarter", number=2,
        start="2026-11-05", end="2026-12-28",
    )  # fmt: skip
    run = report_request(actor=deputy, school=school, kind="class_sizes", params={"period": period.pk})
    for _ in range(120):  # the commit queued the task; the worker picks it up
        run.refresh_from_db()
        if run.status in (ReportStatus.DONE, ReportStatus.FAILED):
            break
        time.sleep(0.5)
    assert run.status == ReportStatus.DONE, run.error
    assert run.started_at <= run.finished_at and run.progress == 100
    table = Document.from_json(run.result).tables[0]
    assert any("5А" in str(cell) for row in table.rows for cell in row.cells)
    assert run_report.delay(run.pk).get(timeout=60) == ReportStatus.DONE  # delivered again: left alone
    assert ReportRun.objects.get(pk=run.pk).finished_at == run.finished_at
