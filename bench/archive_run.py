"""Time a whole school's archive run (issue 6, point 8) the way production does it: a Celery worker with
``--concurrency`` processes renders, signs and stores one class per task; then the same run again, which
finds every document unchanged and reuses its render.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<scratch seeded db> REDIS_URL=redis://127.0.0.1:6379/11 \
        .venv/bin/python bench/archive_run.py [--school 1] [--concurrency 2]

Seed first (``manage.py migrate && manage.py seed_demo && manage.py make_demo_certificate``). NOT read
only: the run closes the school's first term and adds copies to the registry — use a scratch database.
The worker writes to throw-away storages under a temporary directory. Target: ≤ 0.25 s per page
effective, a 25-class school in ≤ 5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "journal.settings")
SCRATCH = Path(tempfile.mkdtemp(prefix="archive-bench-"))
for key in ("A", "B"):
    os.environ[f"ARCHIVE_DIR_{key}"] = str(SCRATCH / f"archive-{key.lower()}")
os.environ["ARCHIVE_RENDER_CACHE"] = str(SCRATCH / "cache")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from accounts.models import StaffRole, User  # noqa: E402
from archive.models import ArchiveCopy, ArchiveRun  # noqa: E402
from archive.production import classes_of, run_request  # noqa: E402
from journal.celery import app  # noqa: E402
from journal.models import School, StudyPeriod  # noqa: E402

QUEUE = f"archive-bench-{os.getpid()}"


def wait(run: ArchiveRun) -> ArchiveRun:
    while True:
        run.refresh_from_db()
        if run.finished:
            return run
        time.sleep(0.2)


def report(label: str, run: ArchiveRun, seconds: float) -> None:
    copies = ArchiveCopy.objects.filter(run=run)
    render = sum(c.render_seconds for c in copies)
    print(
        f"{label}: {run.done}/{run.total} classes, {copies.count()} documents, {run.pages} pages, "
        f"reused {run.reused}, failed {run.failed} — {seconds:.1f} s wall, "
        f"{seconds / max(run.pages, 1):.3f} s/page effective, render {render:.1f} s CPU in tasks"
    )
    for error in run.errors:
        print("   error:", error)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--school", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    if not settings.REDIS_URL:
        sys.exit("Set REDIS_URL: the run goes through the broker to a real worker.")
    school = School.objects.get(pk=args.school)
    deputy = User.objects.get(pk=StaffRole.objects.filter(school=school, role="deputy").values("user_id")[:1])
    period = (
        StudyPeriod.objects.filter(year__school=school, kind="quarter", number=1, year__is_closed=False)
        .order_by("-start")
        .first()
    )
    classes = classes_of(school, period).count()
    print(f"{school.short_name}: {period} {period.year.name}, {classes} classes on quarters; storages in {SCRATCH}")

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "journal", "worker", "-Q", QUEUE, "-c", str(args.concurrency)]
        + ["-l", "warning"],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    app.conf.task_default_queue = QUEUE
    try:
        while not app.control.ping(timeout=1):
            time.sleep(0.5)
        for label in ("first run", "second run (unchanged)"):
            started = time.perf_counter()
            run = wait(run_request(actor=deputy, school=school, period=period))
            report(label, run, time.perf_counter() - started)
    finally:
        worker.terminate()
        worker.wait(timeout=30)


if __name__ == "__main__":
    main()
