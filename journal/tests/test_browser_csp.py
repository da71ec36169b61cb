"""The Content-Security-Policy in a real Chromium (issue 8, Security): the policy is enforced, and the main
pages — the login, the teacher's day, the lesson page, the grid, the diary, messages, the class desk,
reports, the archive, the office and the administration site — work under it, each as its own persona,
without a single violation. The behaviours that used to be inline (filters that submit themselves, «are you
sure?», «print») still work.

A violation is caught twice: Chromium's console message and the page's ``securitypolicyviolation`` event.
The first test proves the catching works: markup that the policy must refuse is reported.

The data is built around the real today (CI may run on any date), through the services.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accounts.models import Role, User
from accounts.services import parent_link, staff_role_grant
from journal.models import StudyPeriod
from journal.services import homework_set, lesson_note_add
from journal.tests.worlds import school_today
from messaging.services import thread_start

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Kv8#tree-lamp"
WATCH = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolation([e.effectiveDirective, e.blockedURI, e.sourceFile + ":" + e.lineNumber].join(" "));
});
window.print = function () { document.documentElement.setAttribute("data-printed", "yes"); };
"""


@pytest.fixture
def school() -> dict[str, Any]:
    world = school_today(31, [("Андреев", "Илья"), ("Борисова", "Анна")])
    ilya = world["students"][0]
    mother = User.objects.create_user("mother31", last_name="Андреева", first_name="Ольга", patronymic="Петровна")
    parent_link(actor=None, parent=mother, student=ilya, relation="mother")
    office = User.objects.create_user("office31", last_name="Лебедева", first_name="Нина", patronymic="Юрьевна")
    for role in (Role.DEPUTY, Role.ADMINISTRATOR):
        staff_role_grant(actor=None, user=office, school=world["school"], role=role)
    teacher = world["teacher"]
    teacher.set_password(PASSWORD)
    teacher.save(update_fields=["password"])
    # A second period, so that the period filters of the grid and the diary have a choice to make.
    quarter = StudyPeriod.objects.get(year=world["group"].year)
    StudyPeriod.objects.create(year=quarter.year, kind="year", number=1, start=quarter.start, end=quarter.end)
    homework_set(actor=teacher, lesson=world["lesson"], text="Решить задачи № 12–15")
    lesson_note_add(actor=teacher, lesson=world["lesson"], student=ilya, kind="praise", text="Молодец")
    thread = thread_start(actor=mother, recipients=[teacher], subject="Справка", body="Илья был у врача.")
    return {**world, "mother": mother, "office": office, "thread": thread, "ilya": ilya}


@pytest.fixture
def violations(page) -> list[str]:
    """Every CSP violation the page reports, from the console and from the DOM event."""
    found: list[str] = []
    page.on("console", lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.expose_function("__cspViolation", lambda text: found.append(text))
    page.add_init_script(WATCH)
    return found


def _visit(page, url: str, violations: list[str]) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("load")
    assert violations == [], url


def test_markup_the_policy_refuses_is_reported(page, violations):
    """The control: an inline style and an inline handler, put into the page, are blocked and reported."""
    page.goto("/accounts/login/")
    for markup in ('<p style="color:red">x</p>', '<img src="data:," onload="document.title = 1">'):
        with page.expect_console_message(lambda msg: "Content Security Policy" in msg.text):
            page.evaluate("markup => document.body.insertAdjacentHTML('beforeend', markup)", markup)
    assert any("style-src" in v for v in violations), violations
    assert any("script-src" in v for v in violations), violations
    assert page.title() != "1"  # the handler did not run


def test_the_teacher_signs_in_and_keeps_a_lesson_without_a_violation(page, violations, school):
    lesson, group = school["lesson"], school["group"]
    _visit(page, "/accounts/login/", violations)
    page.get_by_label("Логин").fill("teacher31")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url("**/")
    assert violations == []

    _visit(page, f"/journal/lessons/{lesson.pk}/", violations)
    page.get_by_role("button", name="Добавить столбец").click()
    cell = page.locator("table.sheet tbody tr").nth(0).locator("td.cell input.mk")
    cell.fill("5")
    cell.press("Tab")
    page.wait_for_selector("table.sheet tbody tr:first-child td.cell.saved")
    page.get_by_label("Посещаемость: Борисова Анна").select_option("absent")
    page.wait_for_selector("tr.absent")
    assert violations == []

    _visit(page, f"/journal/groups/{group.pk}/", violations)
    year = StudyPeriod.objects.get(year=group.year, kind="year")
    page.locator("#period").select_option(str(year.pk))  # the filter submits itself (forms.js)
    page.wait_for_url(f"**/journal/groups/{group.pk}/?period={year.pk}")
    _visit(page, "/journal/", violations)
    _visit(page, "/messages/", violations)
    _visit(page, f"/messages/{school['thread'].pk}/", violations)
    assert violations == []


def test_the_family_reads_the_diary_and_messages_without_a_violation(page, browser_login, violations, school):
    browser_login(page, school["mother"])
    for url in ("/", f"/diary/?child={school['ilya'].pk}", "/messages/", "/messages/new/", "/messages/announcements/"):
        _visit(page, url, violations)
    _visit(page, f"/diary/marks/?child={school['ilya'].pk}", violations)
    year = StudyPeriod.objects.get(year=school["group"].year, kind="year")
    page.locator("#period").select_option(str(year.pk))
    page.wait_for_url(f"**period={year.pk}**")
    assert violations == []


def test_the_class_teacher_is_asked_before_a_new_password_and_prints_the_slip(page, browser_login, violations, school):
    leader, mother, five_a = school["leader"], school["mother"], school["class"]
    browser_login(page, leader)
    _visit(page, "/", violations)
    _visit(page, f"/class/{five_a.pk}/", violations)
    _visit(page, f"/class/{five_a.pk}/attendance/", violations)
    _visit(page, f"/class/{five_a.pk}/slips/", violations)
    before = mother.password
    reset = page.get_by_test_id("reset-form").filter(has_text="mother31")

    questions: list[str] = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    reset.get_by_role("button").click()
    page.get_by_test_id("slips-form").wait_for()  # still the same page: nothing was sent
    mother.refresh_from_db()
    assert questions and "новый пароль" in questions[0] and mother.password == before

    page.once("dialog", lambda dialog: dialog.accept())
    reset.get_by_role("button").click()
    page.get_by_role("button", name="Печать").click()
    assert page.locator("html").get_attribute("data-printed") == "yes"
    mother.refresh_from_db()
    assert mother.password != before and mother.must_change_password
    assert violations == []


def test_the_office_reports_and_archive_work_without_a_violation(page, browser_login, violations, school):
    browser_login(page, school["office"])
    monday = dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
    for url in (
        "/",
        "/reports/",
        "/archive/",
        "/office/",
        "/office/accounts/",
        "/office/year/",
        "/office/timetable/",
        f"/office/timetable/lessons/?class={school['class'].pk}&week={monday:%Y-%m-%d}",
        "/office/students/",
        "/office/imports/",
    ):
        _visit(page, url, violations)
    assert violations == []


def test_the_administration_site_works_without_a_violation(page, browser_login, violations, school):
    from accounts.tests.factories import SuperUserFactory

    browser_login(page, SuperUserFactory(username="root31"))
    lesson = school["lesson"]
    for url in (
        "/admin/",
        "/admin/journal/lesson/",
        f"/admin/journal/lesson/{lesson.pk}/change/",
        "/admin/accounts/user/add/",
    ):
        _visit(page, url, violations)
