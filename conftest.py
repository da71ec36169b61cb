"""Project-wide pytest setup.

- the run stops at once unless the database is PostgreSQL (see ``pytest_sessionstart``);
- the standing personas of one school and an outsider school (``school``, ``director``, ``teacher``,
  ``parent``, ``outsider``, …; the map is above ``school`` below), built through the services; plain rows
  come from the factories in ``<app>/tests/factories.py``;

and what every browser test needs (Playwright on the system Chromium):

- ``browser``: one headless Chromium per test session (per xdist worker), driven by Playwright;
- ``page``: a fresh browser context and page per test, ``base_url`` set to the live server, Russian locale;
- ``browser_login``: logs a user into a ``page`` without going through the login form.

A test that uses ``browser`` or ``page`` is marked ``browser`` automatically (``-m "not browser"``
deselects them). A missing Chromium fails those tests with the command that installs it: browser tests
are never skipped.
"""

import datetime as dt
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# This machine's network is closed: without these flags Chromium keeps trying to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BROWSER_FIXTURES = {"browser", "page", "browser_login"}
SCREENSHOT_DIR = Path(__file__).resolve().parent / "test-results"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if BROWSER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    # Keep each phase's report on the item so the ``page`` fixture can screenshot a failed test.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.access(CHROMIUM_PATH, os.X_OK):
        pytest.fail(
            f"Browser tests need Chromium at {CHROMIUM_PATH}. Install it with: sudo apt-get install -y chromium",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop in this thread, so Django's guard against ORM calls
    # from async code would fire in the test body; the test itself is plain synchronous code.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()


@pytest.fixture
def page(browser: Any, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server.url,
        locale="ru-RU",
        timezone_id="Europe/Moscow",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(10_000)
    new_page = context.new_page()
    yield new_page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SCREENSHOT_DIR.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        new_page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def browser_login(live_server: Any) -> Callable[[Any, Any], None]:
    """Return ``login(page, user)``: puts a logged-in session cookie for ``user`` into the page's context."""
    from django.conf import settings
    from django.test import Client

    def login(page: Any, user: Any) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])

    return login


@pytest.fixture(autouse=True)
def _own_rate_limit_counters(settings: Any) -> None:  # and its own diary cache
    """Each test counts its rate limits (accounts/ratelimits.py) from zero: the counters live in the shared
    Redis, where every test's client comes from 127.0.0.1 and user ids repeat across xdist workers."""
    import uuid

    settings.RATELIMIT_CACHE_PREFIX = f"rl:test-{uuid.uuid4().hex}:"
    # The same for the diary cache (journal/diary_cache.py): ids repeat across runs and xdist workers.
    settings.DIARY_CACHE_PREFIX = f"diary:test-{uuid.uuid4().hex}:"


# =====================================================================================================
# The database: PostgreSQL only (DESIGN.md §5). The history trigger, the exclusion constraints and the
# row locks the tests rely on do not exist on SQLite, so a run there would prove nothing.


@pytest.fixture
def celery_worker(transactional_db: None) -> Iterator[Any]:
    """A real Celery worker process on the test database and the test Redis, for tests about tasks.

    Transactional: the worker has its own connection, so it sees only committed rows. Yields the Celery
    app; call ``task.delay(...).get(timeout=…)`` to run a task through the broker and the worker.
    """
    import subprocess
    import sys
    import urllib.parse

    from django.conf import settings
    from django.db import connection

    from journal.celery import app

    if not settings.REDIS_URL or settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.fail("Task tests need Redis: set REDIS_URL (make test does).", pytrace=False)
    db = connection.settings_dict
    auth = urllib.parse.quote(db["USER"] or "postgres") + (
        ":" + urllib.parse.quote(db["PASSWORD"]) if db["PASSWORD"] else ""
    )
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    # The worker gets a queue of its own, so that nothing else on this Redis database consumes our tasks.
    queue = f"test-{os.getpid()}-{db['NAME']}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "journal", "worker", "--pool", "solo", "-Q", queue, "-l", "warning"],
        cwd=Path(__file__).resolve().parent,
        env=env,
    )
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        deadline = 60
        while deadline and not app.control.ping(timeout=1, destination=None):
            deadline -= 1
            if worker.poll() is not None:
                pytest.fail("The Celery worker exited at start-up.", pytrace=False)
        yield app
    finally:
        app.conf.task_default_queue = previous_queue
        worker.terminate()
        worker.wait(timeout=30)


def pytest_sessionstart(session: pytest.Session) -> None:
    from django.conf import settings

    if not settings.configured:  # pytest-django without settings: nothing here touches the database
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.exit(
            "Tests need PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/journal (make test does)",
            returncode=2,
        )


@pytest.fixture(scope="session", autouse=True)
def _flush_past_the_history_trigger() -> Iterator[None]:
    """Let transactional tests (``live_server``, ``transaction=True``) empty the database afterwards.

    Django empties the tables after such a test with one ``TRUNCATE``, which the append-only trigger of
    ``grading_journalevent`` refuses (grading/migrations/0002). The flush, and only the flush, switches
    that trigger off inside its own transaction; every test still sees the trigger in place.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush
    table = "grading_journalevent"

    def sql_flush(self: DatabaseOperations, style: Any, tables: list[str], **kwargs: Any) -> list[str]:
        statements = original(self, style, tables, **kwargs)
        if table not in tables:
            return statements
        return [
            f"ALTER TABLE {table} DISABLE TRIGGER journalevent_no_truncate;",
            *statements,
            f"ALTER TABLE {table} ENABLE TRIGGER journalevent_no_truncate;",
        ]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(DatabaseOperations, "sql_flush", sql_flush)
        yield


# =====================================================================================================
# Standing personas (STYLE.md "Tests"): one school with every role, and an outsider school. Plain rows
# come from the factories; every grant goes through accounts/services.py and every enrollment through
# journal/services.py, so the guardian tables hold exactly what production would write.
#
#   school        «Школа № …», year 2026/2027 (01.09.2026–31.05.2027)
#     school_class    5А, class teacher `class_teacher`; `student` (parent `parent`, own login `student_user`)
#     parallel_class  6Б; `other_student` (another family)
#     group           5А math, whole class: main teacher `teacher`, substitute `substitute` 05.10–16.10.2026
#     other_group     6Б math, whole class (nobody of the personas teaches it)
#     director, deputy, administrator, secretary
#   other_school  its own 2026/2027
#     other_class     5А of the other school; `outsider_student`
#     outsider_group  its math group
#     outsider        deputy of the other school


@pytest.fixture
def school() -> Any:
    from journal.tests.factories import SchoolFactory

    return SchoolFactory(name="МБОУ «Средняя общеобразовательная школа № 1»", short_name="Школа № 1")


@pytest.fixture
def other_school() -> Any:
    from journal.tests.factories import SchoolFactory

    return SchoolFactory(name="МБОУ «Гимназия № 2»", short_name="Гимназия № 2")


@pytest.fixture
def year(school: Any) -> Any:
    from journal.tests.factories import AcademicYearFactory

    return AcademicYearFactory(school=school)


@pytest.fixture
def other_year(other_school: Any) -> Any:
    from journal.tests.factories import AcademicYearFactory

    return AcademicYearFactory(school=other_school)


@pytest.fixture
def school_class(year: Any) -> Any:
    from journal.tests.factories import SchoolClassFactory

    return SchoolClassFactory(year=year, grade=5, letter="А")


@pytest.fixture
def parallel_class(year: Any) -> Any:
    """6Б of the same school: another class, another class teacher's business."""
    from journal.tests.factories import SchoolClassFactory

    return SchoolClassFactory(year=year, grade=6, letter="Б")


@pytest.fixture
def other_class(other_year: Any) -> Any:
    """5А of the other school: the same name on purpose, a class of somebody else."""
    from journal.tests.factories import SchoolClassFactory

    return SchoolClassFactory(year=other_year, grade=5, letter="А")


@pytest.fixture
def subject(school: Any) -> Any:
    from journal.tests.factories import SubjectFactory

    return SubjectFactory(school=school, name="Математика", short_name="Матем.")


def _whole_class_group(school_class: Any, subject: Any) -> Any:
    from journal.tests.factories import TeachingGroupFactory

    return TeachingGroupFactory(
        year=school_class.year,
        subject=subject,
        kind="class",
        name=f"{school_class.name}, {subject.name.lower()}",
        hours_per_week=4,
        classes=[school_class],
    )


@pytest.fixture
def group(school_class: Any, subject: Any) -> Any:
    """5А math, a whole-class group."""
    return _whole_class_group(school_class, subject)


@pytest.fixture
def other_group(parallel_class: Any, subject: Any) -> Any:
    """6Б math: a group of another class of the same school."""
    return _whole_class_group(parallel_class, subject)


@pytest.fixture
def outsider_group(other_class: Any) -> Any:
    from journal.tests.factories import SubjectFactory

    return _whole_class_group(other_class, SubjectFactory(school=other_class.year.school, name="Математика"))


def _admit(student: Any, school_class: Any) -> Any:
    from journal.services import enrollment_admit

    enrollment_admit(actor=None, student=student, school_class=school_class, start=school_class.year.start)
    return student


@pytest.fixture
def student(school: Any, school_class: Any, group: Any) -> Any:
    """Иванов Пётр of 5А, a member of `group` from 01.09.2026."""
    from journal.tests.factories import StudentFactory

    child = StudentFactory(school=school, last_name="Иванов", first_name="Пётр", patronymic="Сергеевич", sex="m")
    return _admit(child, school_class)


@pytest.fixture
def other_student(school: Any, parallel_class: Any, other_group: Any) -> Any:
    """Смирнова Анна of 6Б: the same school, another class, another family."""
    from journal.tests.factories import StudentFactory

    child = StudentFactory(school=school, last_name="Смирнова", first_name="Анна", patronymic="Олеговна", sex="f")
    return _admit(child, parallel_class)


@pytest.fixture
def outsider_student(other_school: Any, other_class: Any, outsider_group: Any) -> Any:
    from journal.tests.factories import StudentFactory

    child = StudentFactory(school=other_school, last_name="Кузнецов", first_name="Дмитрий", sex="m")
    return _admit(child, other_class)


def _staff(school: Any, role: str, username: str, **names: str) -> Any:
    from accounts.services import staff_role_grant
    from accounts.tests.factories import UserFactory

    user = UserFactory(username=username, **names)
    staff_role_grant(actor=None, user=user, school=school, role=role)
    return user


@pytest.fixture
def director(school: Any) -> Any:
    return _staff(school, "director", "director", last_name="Орлова", first_name="Галина", patronymic="Ивановна")


@pytest.fixture
def deputy(school: Any) -> Any:
    return _staff(school, "deputy", "deputy", last_name="Белова", first_name="Ирина", patronymic="Петровна")


@pytest.fixture
def administrator(school: Any) -> Any:
    return _staff(school, "administrator", "admin", last_name="Зайцев", first_name="Олег", patronymic="Юрьевич")


@pytest.fixture
def secretary(school: Any) -> Any:
    return _staff(school, "secretary", "secretary", last_name="Лебедева", first_name="Нина", patronymic="Павловна")


@pytest.fixture
def class_teacher(school: Any, school_class: Any) -> Any:
    """The class teacher of 5А; teaches no group of the personas."""
    from accounts.services import class_teacher_set

    user = _staff(school, "teacher", "class_teacher", last_name="Морозова", first_name="Светлана")
    class_teacher_set(actor=None, school_class=school_class, teacher=user)
    return user


@pytest.fixture
def teacher(school: Any, group: Any) -> Any:
    """The math teacher of 5А (main assignment from 01.09.2026, open-ended)."""
    from accounts.services import teacher_assign

    user = _staff(school, "teacher", "teacher", last_name="Петрова", first_name="Марина", patronymic="Павловна")
    teacher_assign(actor=None, group=group, teacher=user, start=group.year.start)
    return user


@pytest.fixture
def substitution(school: Any, group: Any, teacher: Any) -> Any:
    """The TeachingAssignment: `substitute` replaces `teacher` in 5А math from 05.10 to 16.10.2026 (R12)."""
    from accounts.services import substitution_start
    from journal.tests.factories import SUBSTITUTION_END, SUBSTITUTION_START

    user = _staff(school, "teacher", "substitute", last_name="Волков", first_name="Андрей", patronymic="Юрьевич")
    return substitution_start(
        actor=None, group=group, substitute=user, start=SUBSTITUTION_START, end=SUBSTITUTION_END, replaces=teacher
    )


@pytest.fixture
def substitute(substitution: Any) -> Any:
    return substitution.teacher


@pytest.fixture
def parent(student: Any) -> Any:
    """The mother of `student`; no staff role anywhere."""
    from accounts.services import parent_link
    from accounts.tests.factories import UserFactory

    user = UserFactory(username="parent", last_name="Иванова", first_name="Мария", patronymic="Петровна")
    parent_link(actor=None, parent=user, student=student, relation="mother")
    return user


@pytest.fixture
def student_user(student: Any) -> Any:
    """`student`'s own login (view-only diary of themselves)."""
    from accounts.services import student_login_set
    from accounts.tests.factories import UserFactory

    user = UserFactory(username="student", last_name=student.last_name, first_name=student.first_name)
    student_login_set(actor=None, student=student, user=user)
    return user


@pytest.fixture
def outsider(other_school: Any) -> Any:
    """The deputy director of the other school: powerful there, nobody here."""
    return _staff(other_school, "deputy", "outsider", last_name="Чужой", first_name="Виктор")


@pytest.fixture
def everyone(request: pytest.FixtureRequest, other_student: Any, outsider_student: Any) -> dict[str, Any]:
    """Every persona at once (persona name → user), so no test passes just because a grant is missing."""
    from accounts.tests.factories import PERSONAS

    return {name: request.getfixturevalue(name) for name in PERSONAS}


@pytest.fixture
def quarters(year: Any) -> tuple[Any, Any, Any]:
    """Quarters I (01.09–24.10) and II (05.11–28.12) of the fixtures' year, and the year itself."""
    from journal.models import StudyPeriod

    q1 = StudyPeriod.objects.create(
        year=year, kind="quarter", number=1, start=dt.date(2026, 9, 1), end=dt.date(2026, 10, 24)
    )
    q2 = StudyPeriod.objects.create(
        year=year, kind="quarter", number=2, start=dt.date(2026, 11, 5), end=dt.date(2026, 12, 28)
    )
    whole = StudyPeriod.objects.create(
        year=year, kind="year", number=1, start=dt.date(2026, 9, 1), end=dt.date(2027, 5, 31)
    )
    return q1, q2, whole


@pytest.fixture
def make_lesson(group: Any) -> Callable[..., Any]:
    """``make_lesson(date=..., number=1, group=..., **fields)``: a held lesson, by default of `group`."""
    import datetime as dt

    from journal.tests.factories import LessonFactory

    def make(date: dt.date = dt.date(2026, 9, 14), number: int = 1, group: Any = group, **fields: Any) -> Any:
        return LessonFactory(group=group, date=date, number=number, **fields)

    return make


@pytest.fixture
def _today() -> Iterator[None]:
    """Pin "today" to Monday 23.11.2026, 12:00 in Moscow (quarter II of the fixtures' year): the journal's
    rules (future lessons, the lesson day, deadlines) depend on the date."""
    import datetime as dt
    import zoneinfo

    import time_machine

    with time_machine.travel(dt.datetime(2026, 11, 23, 12, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Moscow")), tick=False):
        yield


@pytest.fixture
def superuser() -> Any:
    from accounts.tests.factories import SuperUserFactory

    return SuperUserFactory(username="root")
