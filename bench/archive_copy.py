"""Time the end-of-period journal copy (issue 6, points 1 and 8): one class's copy for its first term, then
every class of one school one after another, as the period-end archiving job renders them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<seeded db> .venv/bin/python bench/archive_copy.py \
        [--school 1] [--class 5А]

Seed first (`manage.py migrate && manage.py seed_demo`). Read only. Target: ≤ 0.25 s per page. A class
that studies by halves gets its first half instead of quarter I.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "journal.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from archive.journal_copy import journal_copy_html, render_journal_copy, render_summary_sheet  # noqa: E402
from journal.models import SchoolClass, StudyPeriod  # noqa: E402


def first_term(school_class: SchoolClass, periods: list[StudyPeriod]) -> StudyPeriod:
    return next(p for p in periods if p.kind == school_class.period_kind and p.number == 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--school", type=int, default=1)
    parser.add_argument("--class", dest="class_name", default="5А")
    args = parser.parse_args()
    classes = list(
        SchoolClass.objects.filter(year__school_id=args.school, year__is_closed=False)
        .select_related("year")
        .order_by("year__start", "grade", "letter")
    )
    year = classes[-1].year
    classes = [c for c in classes if c.year_id == year.pk]
    periods = list(StudyPeriod.objects.filter(year=year))
    one = next(c for c in classes if c.name == args.class_name)
    period = first_term(one, periods)

    render_journal_copy(one, period)  # warm-up: WeasyPrint's imports and font loading
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        html, _data = journal_copy_html(one, period)
        html_seconds = time.perf_counter() - started
    copy = render_journal_copy(one, period)
    print(f"School {args.school}, {year.name}; class {one.name}, {period.kind} {period.number}")
    print(f"  data + HTML: {html_seconds:.2f} s, {len(ctx.captured_queries)} queries, {len(html) // 1024} KiB")
    print(f"  copy:        {copy.seconds:.2f} s, {copy.pages} pages, {copy.seconds / copy.pages:.3f} s/page, "
          f"{len(copy.pdf) // 1024} KiB PDF")  # fmt: skip
    for kind in ("marks", "attendance"):
        sheet = render_summary_sheet(one, period, kind)
        print(f"  summary {kind:<10}: {sheet.seconds:.2f} s, {sheet.pages} pages")

    print()
    print(f"{'class':<6} {'period':<10} {'groups':>6} {'pages':>6} {'seconds':>8} {'s/page':>7} {'KiB':>6}")
    total_seconds = 0.0
    total_pages = 0
    started = time.perf_counter()
    for c in classes:
        p = first_term(c, periods)
        copy = render_journal_copy(c, p)
        total_seconds += copy.seconds
        total_pages += copy.pages
        print(f"{c.name:<6} {p.kind + ' ' + str(p.number):<10} {len(copy.groups):>6} {copy.pages:>6} "
              f"{copy.seconds:>8.2f} {copy.seconds / copy.pages:>7.3f} {len(copy.pdf) // 1024:>6}")  # fmt: skip
    wall = time.perf_counter() - started
    print(f"{'total':<6} {len(classes):>10} {'':>6} {total_pages:>6} {total_seconds:>8.2f} "
          f"{total_seconds / total_pages:>7.3f}   (wall {wall:.1f} s, target ≤ 0.25 s/page)")  # fmt: skip


if __name__ == "__main__":
    main()
