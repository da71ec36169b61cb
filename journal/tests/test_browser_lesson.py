"""The lesson page and the grid in a real Chromium (issue 3, point 10): the teacher marks an absence, types
three marks by keyboard, gives homework, reloads and finds everything saved; a save that fails on the
network is retried and never shows "saved" falsely; a changed mark shows its history; the class
teacher sees the same grid read-only.

The data is built around the real today (CI may run on any date), through the services.
"""

from __future__ import annotations

import pytest

from grading.models import JournalEvent, Mark
from journal.models import (
    Homework,
)
from journal.tests.worlds import school_today

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = [("Андреев", "Илья"), ("Борисова", "Анна"), ("Васильев", "Олег"), ("Григорьева", "Дарья")]


@pytest.fixture
def journal():
    return school_today(7, NAMES)


def _cell(page, row: int, col: int = 0):
    return page.locator("table.sheet tbody tr").nth(row).locator("td.cell").nth(col)


def test_the_teacher_keeps_a_lesson_by_keyboard_and_everything_is_saved(page, browser_login, journal):
    lesson, students = journal["lesson"], journal["students"]
    browser_login(page, journal["teacher"])
    page.goto(f"/journal/lessons/{lesson.pk}/")

    page.get_by_role("button", name="Добавить столбец").click()
    page.wait_for_selector("table.sheet td.cell input.mk")

    # Григорьева is absent: the row is answered by the server and struck through.
    page.get_by_label("Посещаемость: Григорьева Дарья").select_option("absent")
    page.wait_for_selector(f"tr#row-{students[3].pk}.absent")

    # Three marks by keyboard: type, Enter goes down to the next student.
    _cell(page, 0).locator("input.mk").click()
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    page.keyboard.type("4")
    page.keyboard.press("Enter")
    page.keyboard.type("3")
    page.keyboard.press("Enter")  # leaves the third cell: it is committed too
    for row in range(3):
        page.wait_for_selector(f"table.sheet tbody tr:nth-child({row + 1}) td.cell.saved")

    page.get_by_label("Задание", exact=True).fill("Решить задачи № 12–15")
    page.get_by_label("Страницы", exact=True).fill("с. 45")
    page.get_by_role("button", name="Сохранить задание").click()
    page.wait_for_selector("text=Домашнее задание сохранено.")

    page.reload()
    assert [_cell(page, row).locator("input.mk").input_value() for row in range(4)] == ["5", "4", "3", ""]
    assert page.get_by_label("Посещаемость: Григорьева Дарья").input_value() == "absent"
    assert "Решить задачи № 12–15" in page.get_by_test_id("homework").inner_text()
    assert sorted(Mark.objects.values_list("value", flat=True)) == [3, 4, 5]
    assert Homework.objects.get().pages == "с. 45"


def test_a_save_lost_on_the_network_is_retried_and_never_shown_as_saved(page, browser_login, journal):
    lesson = journal["lesson"]
    browser_login(page, journal["teacher"])
    page.goto(f"/journal/lessons/{lesson.pk}/")
    page.get_by_role("button", name="Добавить столбец").click()
    page.wait_for_selector("table.sheet td.cell input.mk")

    dropped = []

    def drop_first(route):
        if not dropped:
            dropped.append(route.request.url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/cell/", drop_first)
    _cell(page, 0).locator("input.mk").fill("4")
    _cell(page, 0).locator("input.mk").press("Tab")
    page.wait_for_selector("table.sheet td.cell.offline")
    assert "нет связи" in _cell(page, 0).inner_text()
    assert not Mark.objects.exists()  # nothing was saved, and the cell does not say it was
    page.wait_for_selector("table.sheet td.cell.saved", timeout=15_000)  # the page sent it again
    assert dropped and Mark.objects.get().value == 4


def test_a_changed_mark_shows_its_history_and_the_class_teacher_reads_the_grid(page, browser_login, journal):
    lesson, group = journal["lesson"], journal["group"]
    browser_login(page, journal["teacher"])
    page.goto(f"/journal/lessons/{lesson.pk}/")
    page.get_by_role("button", name="Добавить столбец").click()
    first = _cell(page, 0).locator("input.mk")
    first.fill("5")
    first.press("Tab")
    page.wait_for_selector("table.sheet tbody tr:first-child td.cell.saved")
    first = _cell(page, 0).locator("input.mk")
    first.fill("4")
    first.press("Tab")
    page.wait_for_selector("table.sheet tbody tr:first-child td.cell.saved.changed")
    assert JournalEvent.objects.filter(object_type="mark").count() == 2

    page.goto(f"/journal/groups/{group.pk}/")
    page.locator("table.grid button.hist").first.click()
    history = page.get_by_test_id("history")
    history.wait_for()
    text = history.inner_text()
    assert "создание" in text and "изменение" in text and "5" in text and "4" in text and "Орлова М. И." in text

    page.context.clear_cookies()
    browser_login(page, journal["leader"])
    page.goto(f"/journal/groups/{group.pk}/")
    grid = page.get_by_test_id("grid")
    assert "4" in grid.locator("tbody tr").first.inner_text()
    assert grid.locator("input.mk").count() == 0  # read-only (R15)
    assert page.get_by_test_id("read-only").is_visible()
