"""The monthly analysis in a real Chromium with a real Celery worker (issue 5, point 8): the deputy opens
the report for November 2026, waits while it is computed, drills into a teacher's group, and exports
XLSX — the file opens with openpyxl and holds the same numbers as the page.

The school is test_monthly.py's hand-built one, so the numbers are the ones asserted there.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from reports.tests.test_monthly import GROUP_A, TOTAL, music, music_teacher, town  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.usefixtures("town")
def test_the_deputy_opens_the_monthly_analysis_drills_down_and_exports(page, browser_login, celery_worker, deputy):
    browser_login(page, deputy)
    page.goto("/")
    page.get_by_test_id("reports-link").first.click()
    form = page.get_by_test_id("report-monthly")
    form.locator("input[name=month]").fill("2026-11")
    form.get_by_role("button", name="Открыть").click()

    table = page.get_by_test_id("table-groups")
    table.wait_for(timeout=60_000)  # the page polls until the worker has computed it, then reloads
    row = table.locator("tbody tr").filter(has_text=GROUP_A[1])
    shown = row.locator("td").all_inner_texts()
    assert shown[:4] == ["Петрова М. П.", "5А, математика", "4", "2"]
    total = table.locator("tbody tr.total td").all_inner_texts()
    assert total[2:5] == ["6", "2", "66,7"]

    row.get_by_role("link", name="Петрова М. П.").click()  # the group's numbers, each with its rows
    page.get_by_role("heading", name=GROUP_A[1], exact=False).first.wait_for()
    page.get_by_role("link", name="Уроков без темы").click()
    lessons = page.locator("table.report tbody tr")
    assert lessons.count() == 2  # the two lessons without a topic behind the «2» of the page
    page.go_back()
    page.go_back()

    with page.expect_download() as download:
        page.get_by_test_id("export-xlsx").click()
    book = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    sheet = book["Учителя и группы"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=3)]
    assert next(r for r in rows if r[1] == GROUP_A[1])[:4] == ["Петрова М. П.", "5А, математика", 4, 2]
    assert next(r for r in rows if r[0] == TOTAL[0])[2:5] == [6, 2, 66.7]
