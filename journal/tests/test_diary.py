"""The diary (issue 4, points 1–3 and 8): what parents and students read, that it is theirs alone
(R15), the parent's acknowledgement (R19), and that its query counts do not grow with marks."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from accounts.services import parent_link
from accounts.tests.factories import UserFactory
from attendance.services import absence_reason_set, absence_set
from grading.services import mark_column_add, mark_set, period_mark_set
from grading.tests.factories import WorkTypeFactory
from journal.models import DiaryAcknowledgement, LessonStatus
from journal.services import enrollment_admit, homework_set, lesson_note_add, lesson_topic_set
from journal.tests.factories import (
    BellFactory,
    HolidayFactory,
    PlanItemFactory,
    StudentFactory,
    TimetableSlotFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]
MONDAY = dt.date(2026, 11, 23)
URLS = ["/diary/", "/diary/marks/", "/diary/timetable/"]


@pytest.fixture
def week(school, group, teacher, student, make_lesson, quarters):
    """Monday's math lesson 2 with a topic, a test mark 4 (weight 3), a remark and homework due on
    Wednesday's lesson; Wednesday's lesson is only in the timetable. Bells for the times."""
    BellFactory(school=school, number=2, start_time=dt.time(9, 25), end_time=dt.time(10, 10))
    TimetableSlotFactory(group=group, weekday=1, number=2, room="21")
    TimetableSlotFactory(group=group, weekday=3, number=4, room="21")
    monday = make_lesson(date=MONDAY, number=2, status=LessonStatus.PLANNED, topic="", teacher=teacher)
    lesson_topic_set(actor=teacher, lesson=monday, topic="Сложение дробей")
    test = WorkTypeFactory(
        school=school, name="Самостоятельная работа", short_name="С/р", weight=3, is_control_work=True
    )
    column = mark_column_add(actor=teacher, lesson=monday, work_type=test, title="Дроби")
    mark_set(actor=teacher, column=column, student=student, text="4")
    lesson_note_add(actor=teacher, lesson=monday, student=student, kind="praise", text="Отлично работал у доски")
    homework_set(actor=teacher, lesson=monday, text="Решить № 245", pages="с. 61", due_date=dt.date(2026, 11, 25))
    return monday


def _get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def test_the_parent_reads_the_week_as_the_teacher_saved_it(client, parent, week, student):  # R24
    html = _get(client, parent, "/diary/").content.decode()
    assert "Иванов Пётр" in html and "5А" in html
    assert "Сложение дробей" in html and "09:25–10:10" in html
    assert 'data-testid="diary-mark">4<' in html and "Самостоятельная работа «Дроби»" in html and "вес 3" in html
    assert "Отлично работал у доски" in html
    # the homework is shown at the lesson it is due for: Wednesday, which exists only in the timetable yet
    wednesday = html[html.index("Среда, 25 ноября") :]
    assert "Решить № 245" in wednesday.split("Четверг")[0]
    assert f"?child={student.pk}&amp;week=2026-11-16" in html and "week=2026-11-30" in html


def test_absence_lateness_and_a_cancelled_lesson_show(
    client, parent, teacher, class_teacher, week, make_lesson, student
):  # R8
    third = make_lesson(date=MONDAY, number=3, teacher=teacher)
    absence_set(actor=teacher, lesson=third, student=student, kind="absent")
    absence_reason_set(actor=class_teacher, absence=student.absences.get(), reason="illness")
    html = _get(client, parent, "/diary/").content.decode()
    assert 'class="abs"' in html and ">Б<" in html
    make_lesson(date=dt.date(2026, 11, 24), number=1, status=LessonStatus.CANCELLED)
    assert "Урок отменён" in _get(client, parent, "/diary/").content.decode()


def test_holidays_are_shown_instead_of_the_timetable(client, parent, week, year):
    HolidayFactory(
        year=year, name="Карантин", kind="quarantine", start=dt.date(2026, 11, 27), end=dt.date(2026, 11, 28)
    )
    html = _get(client, parent, "/diary/").content.decode()
    assert "Карантин" in html


def test_a_parent_of_two_children_switches_between_them(client, parent, school, school_class, week):
    sister = StudentFactory(school=school, last_name="Иванова", first_name="Ольга")
    enrollment_admit(actor=None, student=sister, school_class=school_class, start=dt.date(2026, 9, 1))
    parent_link(actor=None, parent=parent, student=sister, relation="mother")
    html = _get(client, parent, "/diary/").content.decode()
    assert f'href="?child={sister.pk}"' in html and "Ольга" in html
    other = _get(client, parent, "/diary/", child=sister.pk).content.decode()
    assert "Иванова Ольга" in other and "Отлично работал у доски" not in other


def test_the_student_reads_their_own_diary(client, student_user, week):
    html = _get(client, student_user, "/diary/").content.decode()
    assert "Сложение дробей" in html
    assert 'data-testid="acknowledgement"' not in html  # students do not confirm (R19 is the parent's)


@pytest.mark.parametrize("url", URLS)
def test_another_familys_child_is_a_404_on_every_diary_page(client, url, week, student, other_student):  # R15
    stranger = UserFactory(username="smirnova")
    parent_link(actor=None, parent=stranger, student=other_student, relation="mother")
    assert _get(client, stranger, url, child=student.pk).status_code == 404
    assert _get(client, stranger, url).status_code == 200  # their own child is fine
    client.force_login(stranger)
    response = client.post("/diary/acknowledge/", {"child": student.pk, "week": "2026-11-23"})
    assert response.status_code == 404 and not DiaryAcknowledgement.objects.exists()


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("persona", ["teacher", "class_teacher", "director", "outsider"])
def test_staff_have_no_diary_of_a_child(client, request, url, persona, week, student):  # R15
    user = request.getfixturevalue(persona)
    assert _get(client, user, url, child=student.pk).status_code == 404
    page = _get(client, user, url)
    assert page.status_code == 200 and "Дневник — для родителей и учеников" in page.content.decode()


def test_the_student_cannot_write_anything(client, student_user, week, student):  # R15
    column = week.mark_columns.get()
    client.force_login(student_user)
    cell = client.post(f"/journal/lessons/{week.pk}/cell/", {"column": column.pk, "student": student.pk, "value": "5"})
    assert cell.status_code == 404
    ack = client.post("/diary/acknowledge/", {"child": student.pk, "week": "2026-11-23"})
    assert ack.status_code == 403 and not DiaryAcknowledgement.objects.exists()
    assert student.marks.get().value == 4


def test_the_parent_confirms_the_week_and_the_class_teacher_sees_it(
    client, parent, class_teacher, week, student, school_class
):  # R19
    client.force_login(parent)
    response = client.post("/diary/acknowledge/", {"child": student.pk, "week": "2026-11-25"})
    assert response.status_code == 302 and "week=2026-11-23" in response.url
    client.post("/diary/acknowledge/", {"child": student.pk, "week": "2026-11-23"})  # twice: still one
    ack = DiaryAcknowledgement.objects.get()
    assert ack.week_start == MONDAY and ack.parent == parent
    assert "Вы подтвердили эту неделю" in client.get("/diary/").content.decode()

    html = _get(client, class_teacher, f"/diary/classes/{school_class.pk}/").content.decode()
    assert "Иванов Пётр" in html and "23.11.2026" in html and "Иванова М. П." in html


@pytest.mark.parametrize("persona", ["parent", "student_user", "outsider", "teacher"])
def test_only_the_class_teacher_and_the_school_see_the_confirmations(
    client, request, persona, school_class, week
):  # R15
    assert _get(client, request.getfixturevalue(persona), f"/diary/classes/{school_class.pk}/").status_code == 404


def test_marks_by_subject_with_average_forecast_and_final_marks(
    client, parent, teacher, school, week, student, group, quarters, make_lesson
):  # R6, R7
    oral = WorkTypeFactory(school=school, name="Ответ на уроке", short_name="Отв", weight=1)
    later = make_lesson(date=dt.date(2026, 11, 20), number=1, teacher=teacher)
    mark_set(
        actor=teacher,
        column=mark_column_add(actor=teacher, lesson=later, work_type=oral),
        student=student,
        text="5",
        reason="ввод",
    )
    q1, q2, _whole = quarters
    html = _get(client, parent, "/diary/marks/").content.decode()
    assert "Математика" in html and "20.11, Ответ на уроке" in html and "×3" in html
    assert 'data-testid="average">4,25<' in html  # (4×3 + 5×1) / 4
    period_mark_set(actor=teacher, group=group, student=student, period=q1, text="5", reason="ввод")
    html = _get(client, parent, "/diary/marks/").content.decode()
    assert 'data-testid="period-mark"><span class="mark mark-5">5</span>' in html  # visible at once (R7, R24)
    earlier = _get(client, parent, "/diary/marks/", period=q1.pk).content.decode()
    assert "Нет отметок за этот период" in earlier


def test_attendance_per_subject_counts_reasons(
    client, parent, teacher, class_teacher, week, make_lesson, student
):  # R8
    missed = make_lesson(date=dt.date(2026, 11, 19), number=3, teacher=teacher)
    absence_set(actor=teacher, lesson=missed, student=student, kind="absent", reason="ввод")
    late = make_lesson(date=dt.date(2026, 11, 20), number=3, teacher=teacher)
    absence_set(actor=teacher, lesson=late, student=student, kind="late", minutes_late=7, reason="ввод")
    html = _get(client, parent, "/diary/marks/").content.decode()
    assert "(Б 0, У 0, Н 1)" in html and "опозданий 1" in html


def test_timetable_control_works_and_teachers(client, parent, week, group, teacher, class_teacher):  # R10
    PlanItemFactory(
        group=group, topic="Контрольная работа № 3", is_control_work=True, planned_date=dt.date(2026, 12, 10)
    )
    PlanItemFactory(group=group, topic="Прошлая контрольная", is_control_work=True, planned_date=dt.date(2026, 11, 10))
    html = _get(client, parent, "/diary/timetable/").content.decode()
    assert 'data-testid="timetable"' in html and "Математика" in html
    assert "10.12 — Математика: Контрольная работа № 3" in html and "Прошлая контрольная" not in html
    assert "Дроби" in html  # the control work already written
    assert teacher.full_name in html and class_teacher.full_name in html


@pytest.mark.parametrize("size", [2, 20])
def test_diary_query_counts_do_not_grow_with_marks(
    client, parent, teacher, school, group, student, make_lesson, quarters, size, django_assert_max_num_queries
):
    oral = WorkTypeFactory(school=school, name="Ответ на уроке", short_name="Отв", weight=1)
    for n in range(size):
        lesson = make_lesson(
            date=dt.date(2026, 11, 16) + dt.timedelta(days=n % 6) - dt.timedelta(days=7 * (n // 6)),
            number=1 + n % 7,
            teacher=teacher,
        )
        column = mark_column_add(actor=teacher, lesson=lesson, work_type=oral)
        mark_set(actor=teacher, column=column, student=student, text="5", reason="ввод")
        homework_set(
            actor=teacher,
            lesson=lesson,
            text=f"Задание {n}",
            due_date=lesson.date + dt.timedelta(days=1),
            reason="ввод",
        )
        lesson_note_add(actor=teacher, lesson=lesson, student=student, kind="remark", text=f"Замечание {n}")
    client.force_login(parent)
    for url in ["/diary/?week=2026-11-16", "/diary/marks/", "/diary/timetable/"]:
        client.get(url)
        # user, children (with the parent link and the confirmation), class, memberships, lessons, marks,
        # absences, notes, homework and its files, bells, holidays, timetable (+1: the unread-messages
        # count when it is not cached)
        with django_assert_max_num_queries(14):
            assert client.get(url).status_code == 200


# --- the printed extract (R19) -----------------------------------------------------------------------------


def _pdf_text(content: bytes) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_the_parent_downloads_the_months_extract_with_cyrillic_text(client, parent, week, student):  # R19
    response = _get(client, parent, "/diary/extract/", child=student.pk, month="2026-11")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    pages, text = _pdf_text(response.content)
    assert pages == 1
    assert "Иванов Пётр Сергеевич" in text and "Математика" in text and "23.11 — 4" in text
    assert "Отлично работал у доски" in text and "ноябрь 2026" in text.lower()
    from pypdf import PdfReader

    fonts = PdfReader(io.BytesIO(response.content)).pages[0]["/Resources"]["/Font"].values()
    names = [str(font.get_object()["/BaseFont"]) for font in fonts]
    assert names and all("DejaVu-Sans" in name for name in names), names  # embedded, not substituted


def test_the_class_teacher_prints_the_whole_class_in_one_file(
    client, class_teacher, week, school, school_class, student
):  # R19
    for name in ("Петров", "Сидорова"):
        classmate = StudentFactory(school=school, last_name=name, first_name="Алекс")
        enrollment_admit(actor=None, student=classmate, school_class=school_class, start=dt.date(2026, 9, 1))
    response = _get(client, class_teacher, f"/diary/classes/{school_class.pk}/extract/", month="2026-11")
    pages, text = _pdf_text(response.content)
    assert response.status_code == 200 and pages == 3
    assert "Иванов Пётр" in text and "Петров Алекс" in text and "Сидорова Алекс" in text
    one = _get(client, class_teacher, f"/diary/classes/{school_class.pk}/extract/", student=student.pk)
    assert _pdf_text(one.content)[0] == 1


@pytest.mark.parametrize("persona", ["parent", "student_user", "outsider", "teacher"])
def test_nobody_else_prints_a_class(client, request, persona, school_class, week):  # R15
    user = request.getfixturevalue(persona)
    assert _get(client, user, f"/diary/classes/{school_class.pk}/extract/").status_code == 404


def test_another_family_cannot_print_the_childs_extract(client, week, student, other_student):  # R15
    stranger = UserFactory(username="smirnova")
    parent_link(actor=None, parent=stranger, student=other_student, relation="mother")
    assert _get(client, stranger, "/diary/extract/", child=student.pk).status_code == 404
