"""Accessibility of the pages people use every day (issue 8, point 3), in a real Chromium.

axe-core (axe-playwright-python bundles it, so it runs offline) checks the login page, the teacher's
day, the lesson page, the group grid, the diary (week and marks) and the reports (the list and a built
report), each opened by the person who uses it, on a school with real data in it: a lesson with marks,
a changed mark, absences, a topic, remarks and homework; a grid with period marks; a parent's diary week.
The lesson page is also checked with a refused mark on it and with a cell's history open, and the diary
on a phone. axe runs the WCAG 2.2 A/AA rules and its best practices; no page may have a violation of
impact "serious" or "critical".

Then the lesson page is kept with the keyboard alone: from the top of the page to the first mark cell,
marks typed and moved between with Enter and the arrows, one deleted and its history opened and closed,
an absence marked, a remark written — the focus stays put when the server's answer replaces a cell or
a row, and the focused element always shows where the focus is.

The data is built around the real today (CI may run on any date), through the services.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import parent_link, staff_role_grant
from attendance.models import Absence, AbsenceKind
from attendance.services import absence_set
from grading.models import Mark, WorkType
from grading.services import mark_column_add, mark_set, period_mark_set
from journal.models import Lesson, LessonNote, LessonStatus, NoteKind, StudyPeriod
from journal.services import homework_set, lesson_note_add, lesson_topic_set
from journal.tests.worlds import school_today
from reports.models import ReportRun
from reports.services import report_execute, report_key

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = [("Андреев", "Илья"), ("Борисова", "Анна"), ("Васильев", "Олег"), ("Григорьева", "Дарья"), ("Дмитриев", "Лев")]
PASSWORD = "Dostup-Zhurnal!8"
BLOCKING = {"serious", "critical"}


def _build_school() -> dict[str, Any]:
    """«Школа № 8» with today's lesson kept (marks, a changed mark, absences, topic, remarks, homework),
    an earlier lesson with a test, period marks of the quarter that ends in three days, a mother in the
    diary and a built monthly report."""
    world = school_today(8, NAMES)
    today = timezone.localdate()
    teacher, group, lesson, kids = world["teacher"], world["group"], world["lesson"], world["students"]
    teacher.set_password(PASSWORD)
    teacher.save(update_fields=["password"])

    # The quarter ends in three days, so its period marks may be set now (R7); the next one follows.
    quarter = StudyPeriod.objects.get(year=group.year, kind="quarter", number=1)
    quarter.end = today + dt.timedelta(days=3)
    quarter.save(update_fields=["end"])
    StudyPeriod.objects.create(
        year=group.year, kind="quarter", number=2, start=quarter.end + dt.timedelta(days=1), end=group.year.end
    )

    oral = WorkType.objects.get(school=world["school"])
    test = WorkType.objects.create(
        school=world["school"], name="Контрольная работа", short_name="К/р", weight=5, is_control_work=True
    )
    # The diary shows Monday to Saturday: on a Sunday it shows the week of the earlier lesson.
    earlier_day = today - dt.timedelta(days=8 if today.isoweekday() == 7 else 7)
    diary_day = today if today.isoweekday() != 7 else earlier_day
    earlier = Lesson.objects.create(
        group=group, date=earlier_day, number=2, teacher=teacher, status=LessonStatus.PLANNED
    )
    written = mark_column_add(actor=teacher, lesson=earlier, work_type=test, title="Дроби")
    for child, value in zip(kids, "54325", strict=True):
        mark_set(actor=teacher, column=written, student=child, text=value, reason="Проверка тетрадей")
    lesson_topic_set(actor=teacher, lesson=earlier, topic="Обыкновенные дроби", reason="Запись после урока")

    column = mark_column_add(actor=teacher, lesson=lesson, work_type=oral)
    mark_set(actor=teacher, column=column, student=kids[0], text="5")
    changed = mark_set(actor=teacher, column=column, student=kids[1], text="3")
    mark_set(actor=teacher, column=column, student=kids[1], text="4", expected_version=changed.version)
    mark_set(actor=teacher, column=column, student=kids[2], text="3")
    absence_set(actor=teacher, lesson=lesson, student=kids[3], kind=AbsenceKind.ABSENT)
    absence_set(actor=teacher, lesson=lesson, student=kids[4], kind=AbsenceKind.LATE, minutes_late=10)
    lesson_topic_set(actor=teacher, lesson=lesson, topic="Сложение дробей с одинаковыми знаменателями")
    lesson_note_add(actor=teacher, lesson=lesson, student=kids[0], kind=NoteKind.PRAISE, text="Отличный ответ")
    homework_set(actor=teacher, lesson=lesson, text="Решить задачи № 12–15", pages="с. 45", exercises="12–15")

    for child, value in zip(kids[:3], "543", strict=True):
        period_mark_set(actor=teacher, group=group, student=child, period=quarter, text=value)

    mother = User.objects.create_user("mother8", last_name="Андреева", first_name="Ольга", patronymic="Петровна")
    parent_link(actor=None, parent=mother, student=kids[0], relation="mother")
    deputy = User.objects.create_user("deputy8", last_name="Белова", first_name="Ирина", patronymic="Петровна")
    staff_role_grant(actor=None, user=deputy, school=world["school"], role=Role.DEPUTY)
    params = {"month": f"{today:%Y-%m}"}
    report = ReportRun.objects.create(
        kind="monthly",
        school=world["school"],
        params=params,
        key=report_key("monthly", world["school"].pk, params),
        requested_by=deputy,
    )
    assert report_execute(report.pk) == "done"
    diary = f"?child={kids[0].pk}&week={diary_day:%Y-%m-%d}"
    return {**world, "mother": mother, "deputy": deputy, "report": report, "quarter": quarter, "diary": diary}


@pytest.fixture
def school() -> dict[str, Any]:
    return _build_school()


PHONE = {"width": 390, "height": 844}
# WCAG 2.2 level A and AA, and axe's best practices. axe's default run leaves out the 2.2 rules (target
# size: the lesson page is used on a classroom tablet), so they are asked for by name.
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
}


def _refused_mark(page) -> None:
    """The teacher types a mark the journal refuses: the cell shows why."""
    cell = page.locator("table.sheet tbody tr").nth(2).locator("input.mk")
    cell.fill("7")
    cell.press("Tab")
    page.wait_for_selector("table.sheet td.cell.error .cellmsg")


def _history_open(page) -> None:
    page.locator("button.hist").first.click()
    page.get_by_test_id("history").wait_for()


def _wrong_password(page) -> None:
    page.locator("#id_username").fill("teacher8")
    page.locator("#id_password").fill("not the password")
    page.locator("form button[type=submit]").click()
    page.wait_for_selector("[role=alert]")


class Screen(NamedTuple):
    persona: str | None  # who opens it (a key of the school fixture), None: nobody logged in
    address: Callable[[dict[str, Any]], str]
    ready: str  # what must be on the page before axe looks
    then: Callable[[Any], None] | None = None  # what the user does before axe looks


SCREENS: dict[str, Screen] = {
    "login": Screen(None, lambda w: "/accounts/login/", "form input[name=password]"),
    "login-error": Screen(None, lambda w: "/accounts/login/", "form", _wrong_password),
    "teacher-day": Screen("teacher", lambda w: "/", "table"),
    "lesson": Screen("teacher", lambda w: f"/journal/lessons/{w['lesson'].pk}/", "table.sheet td.cell input.mk"),
    "lesson-refused-mark": Screen(
        "teacher", lambda w: f"/journal/lessons/{w['lesson'].pk}/", "table.sheet td.cell input.mk", _refused_mark
    ),
    "lesson-history": Screen(
        "teacher", lambda w: f"/journal/lessons/{w['lesson'].pk}/", "table.sheet button.hist", _history_open
    ),
    "grid": Screen("teacher", lambda w: f"/journal/groups/{w['group'].pk}/", "table.grid td.pm input.mk"),
    "grid-read-only": Screen("leader", lambda w: f"/journal/groups/{w['group'].pk}/", "[data-testid=read-only]"),
    "diary-week": Screen("mother", lambda w: f"/diary/{w['diary']}", "[data-testid=diary-mark]"),
    "diary-week-phone": Screen("mother", lambda w: f"/diary/{w['diary']}", "[data-testid=diary-mark]"),
    "diary-marks": Screen("mother", lambda w: "/diary/marks/", "[data-testid=period-mark]"),
    "diary-marks-phone": Screen("mother", lambda w: "/diary/marks/", "[data-testid=period-mark]"),
    "password-change": Screen("teacher", lambda w: "/accounts/password/", "form input[type=password]"),
    "reports": Screen("deputy", lambda w: "/reports/", "[data-testid=runs]"),
    "report": Screen("deputy", lambda w: f"/reports/runs/{w['report'].pk}/", "[data-testid=export-xlsx]"),
}


def _readable(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{len(v['nodes'])} element(s)]")
        for node in v["nodes"][:8]:
            summary = " ".join(line.strip() for line in node.get("failureSummary", "").splitlines()[1:])
            lines.append(f"    at {', '.join(map(str, node['target']))}: {summary}")
    return "\n".join(lines)


@pytest.mark.parametrize("name", list(SCREENS))
def test_the_page_has_no_serious_or_critical_accessibility_violation(page, browser_login, school, name):
    screen = SCREENS[name]
    if name.endswith("-phone"):
        page.set_viewport_size(PHONE)  # parents read the diary on a phone
    if screen.persona is not None:
        browser_login(page, school[screen.persona])
    page.goto(screen.address(school))
    page.wait_for_selector(screen.ready)
    if screen.then is not None:
        screen.then(page)

    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    by_impact: dict[str, int] = {}
    for v in violations:
        by_impact[v["impact"]] = by_impact.get(v["impact"], 0) + len(v["nodes"])
    print(f"axe {name}: {by_impact or 'no violations'}\n{_readable(violations)}")  # shown with -rP or on failure
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"{name}: serious or critical accessibility violations:\n{_readable(blocking)}"


# --- the lesson page with the keyboard alone ------------------------------------------------------------

FOCUS_JS = """() => {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return {where: "nowhere (body)", shown: false};
  const s = getComputedStyle(e);
  const r = e.getBoundingClientRect();
  const ring = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
  const onScreen = r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0;
  return {where: e.outerHTML.slice(0, 160), shown: ring && onScreen, outline: s.outlineStyle + " " + s.outlineWidth};
}"""


def _focus(page) -> dict[str, Any]:
    return page.evaluate(FOCUS_JS)


def _press(page, key: str) -> dict[str, Any]:
    """Press a key and check that wherever the focus lands, the user can see it."""
    page.keyboard.press(key)
    focus = _focus(page)
    assert focus["shown"], f"after {key} the focus is not visible: {focus}"
    return focus


def _focused_matches(page, selector: str) -> bool:
    return page.evaluate("(s) => document.activeElement.matches(s)", selector)


def _row_input(row: int) -> str:
    return f"table.sheet tbody tr:nth-child({row + 1}) td.cell input.mk"


def test_a_teacher_keeps_the_lesson_with_the_keyboard_alone(page, browser_login):
    world = school_today(18, NAMES[:4])
    lesson, kids, teacher = world["lesson"], world["students"], world["teacher"]
    mark_column_add(actor=teacher, lesson=lesson, work_type=WorkType.objects.get(school=world["school"]))
    browser_login(page, teacher)
    page.goto(f"/journal/lessons/{lesson.pk}/")
    page.wait_for_selector(_row_input(0))

    # From the top of the page: the skip link first, then Tab through the page to the first mark cell.
    first = _press(page, "Tab")
    assert "skip-link" in first["where"]
    page.keyboard.press("Enter")
    path = []
    for _ in range(30):
        path.append(_press(page, "Tab")["where"])
        if _focused_matches(page, "input.mk"):
            break
    assert _focused_matches(page, _row_input(0)), "Tab never reached the first mark cell:\n" + "\n".join(path)

    # Marks: type, Enter goes down to the next student; ↑ goes back up.
    page.keyboard.type("5")
    _press(page, "Enter")
    page.keyboard.type("4")
    _press(page, "Enter")
    page.keyboard.type("3")
    _press(page, "ArrowUp")  # leaves the third cell: committed too
    for row in range(3):
        page.wait_for_selector(f"table.sheet tbody tr:nth-child({row + 1}) td.cell.saved")
    assert _focused_matches(page, _row_input(1))

    # Delete removes Анна's 4; the focus stays in her cell when the saved cell comes back.
    _press(page, "Delete")
    page.wait_for_selector("table.sheet tbody tr:nth-child(2) td.cell.saved.changed")
    assert _focused_matches(page, _row_input(1)), _focus(page)
    assert _focus(page)["shown"]

    # The removal left history: its ◷ button is the next Tab stop; Enter opens it, Escape closes it and
    # gives the focus back.
    _press(page, "Tab")
    assert _focused_matches(page, "button.hist")
    _press(page, "Enter")
    page.get_by_test_id("history").wait_for()
    assert page.evaluate("document.getElementById('history-pop').contains(document.activeElement)")
    _press(page, "Escape")
    assert page.locator("#history-pop").is_hidden()
    assert _focused_matches(page, "button.hist")

    # Дарья is absent: back to her row's mark cell, Shift+Tab to her attendance, ↓ picks «absent».
    _press(page, "Shift+Tab")
    _press(page, "ArrowDown")
    _press(page, "ArrowDown")
    assert _focused_matches(page, _row_input(3))
    _press(page, "Shift+Tab")
    assert _focused_matches(page, f"#row-{kids[3].pk} select[name=kind]")
    _press(page, "ArrowDown")
    page.wait_for_selector(f"#row-{kids[3].pk}.absent")
    assert _focused_matches(page, f"#row-{kids[3].pk} select[name=kind]"), _focus(page)
    assert _focus(page)["shown"]

    # A remark in the same row: past her mark cell to «+ remark», Enter opens it, Enter in the text sends
    # it; the focus comes back to her «+ remark», ready for the next one.
    row = f"#row-{kids[3].pk}"
    _press(page, "Tab")
    _press(page, "Tab")
    assert _focused_matches(page, f"{row} td.notes summary")
    _press(page, "Enter")
    _press(page, "Tab")
    assert _focused_matches(page, f"{row} .noteform select[name=kind]")
    _press(page, "Tab")
    page.keyboard.type("Не было тетради")
    _press(page, "Enter")
    page.wait_for_selector(f"{row} .note")
    assert _focused_matches(page, f"{row} td.notes summary"), _focus(page)
    assert _focus(page)["shown"]

    marks = dict(Mark.objects.filter(column__lesson=lesson).values_list("student_id", "value"))
    assert marks == {kids[0].pk: 5, kids[2].pk: 3}
    absence = Absence.objects.get(lesson=lesson)
    assert (absence.student, absence.kind) == (kids[3], AbsenceKind.ABSENT)
    assert list(LessonNote.objects.values_list("student", "text")) == [(kids[3].pk, "Не было тетради")]


def test_a_period_filter_waits_for_enter_when_chosen_with_the_keyboard(page, browser_login, school):
    """WCAG 3.2.2: arrowing through the grid's periods does not leave the page at every key; Enter shows
    the chosen period. A click would show it at once."""
    group, quarter = school["group"], school["quarter"]
    browser_login(page, school["teacher"])
    page.goto(f"/journal/groups/{group.pk}/")
    first_url = page.url
    page.locator("select#period").focus()
    page.keyboard.press("ArrowDown")  # the second quarter
    page.wait_for_timeout(300)
    assert page.url == first_url
    assert page.locator("select#period").evaluate("el => document.activeElement === el")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "period=" in page.url
    assert f"period={quarter.pk}" not in page.url
