"""The deputy archives a quarter in a real Chromium with a real Celery worker (issue 6, points 3 and 4):
picks the period and the class, watches the run finish, opens a copy, checks its signature, downloads
the signed PDF; the teacher then finds the quarter closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.signing import read_manifest, verify_pdf

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_deputy_archives_a_quarter_and_downloads_a_verified_copy(
    page, browser_login, archive_worker, deputy, teacher, school_class, journal, tmp_path: Path
):
    browser_login(page, deputy)
    page.goto("/")
    page.get_by_test_id("archive-link").first.click()
    form = page.get_by_test_id("archive-form")
    form.locator("select[name=period]").select_option(label="1 четверть 2026/2027")
    form.locator("select[name=class]").select_option(label="5А (2026/2027)")
    form.get_by_role("button", name="Сформировать архив и закрыть период").click()

    copies = page.get_by_test_id("copies")
    copies.wait_for(timeout=90_000)  # the page polls while the worker renders and signs, then reloads
    rows = copies.locator("tbody tr")
    assert rows.count() == 3
    texts = rows.all_inner_texts()
    assert [t.split("\t")[1] for t in texts] == [
        "копия журнала",
        "сводная ведомость успеваемости",
        "сводная ведомость посещаемости",
    ]
    assert all("действующая" in t for t in texts)

    rows.first.get_by_role("link").first.click()
    page.get_by_test_id("verify").click()
    assert "Подпись действительна" in page.get_by_test_id("verified").inner_text()

    with page.expect_download() as download:
        page.get_by_test_id("download").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("Журнал 5А 1 четверть") and saved.suffix == ".pdf"
    pdf = saved.read_bytes()
    assert verify_pdf(pdf).valid
    assert read_manifest(pdf)["class"] == "5А"

    # The quarter of 5А is closed now: the teacher reads its lesson but cannot change it.
    browser_login(page, teacher)
    page.goto(f"/journal/lessons/{journal['lessons'][0].pk}/")
    assert "только заместитель директора" in page.get_by_test_id("locked").inner_text()
    assert page.locator("input.mk").count() == 0
