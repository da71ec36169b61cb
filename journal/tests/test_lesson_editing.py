"""Editing the lesson page in place (issue 3, points 2, 4–6): each cell saves by itself and answers with
its own state; attendance, remarks, topic, columns and homework; who is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from attendance.models import Absence
from attendance.services import absence_set
from grading.models import JournalEvent, Mark
from grading.services import mark_column_add, mark_set
from grading.tests.factories import WorkTypeFactory
from journal.models import Homework, HomeworkAttachment, Lesson, LessonStatus, PeriodLock, PlanItem, StudyPeriod
from journal.services import enrollment_admit
from journal.tests.factories import SchoolClassFactory, StudentFactory

TODAY = dt.date(2026, 11, 23)
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def lesson(make_lesson, teacher):
    return make_lesson(date=TODAY, number=2, status=LessonStatus.PLANNED, topic="", teacher=teacher)


@pytest.fixture
def column(lesson, teacher, school):
    return mark_column_add(actor=teacher, lesson=lesson, work_type=WorkTypeFactory(school=school), title="")


@pytest.fixture
def yesterday_column(make_lesson, teacher, school):
    past = make_lesson(date=TODAY - dt.timedelta(days=3), number=1, teacher=teacher)
    return mark_column_add(actor=teacher, lesson=past, work_type=WorkTypeFactory(school=school))


def _cell(client, user, column, student, value, version="", reason=""):
    client.force_login(user)
    data = {"column": column.pk, "student": student.pk, "value": value, "version": version}
    if reason:
        data["reason"] = reason
    return client.post(f"/journal/lessons/{column.lesson_id}/cell/", data)


# --- mark cells ------------------------------------------------------------------------------------------


def test_a_typed_mark_is_saved_and_the_cell_says_so(client, teacher, column, student):  # R4
    response = _cell(client, teacher, column, student, "5")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="cell w1 mark-5 saved"' in html and 'value="5"' in html and 'data-version="1"' in html
    mark = Mark.objects.get(column=column, student=student)
    assert mark.value == 5
    assert JournalEvent.objects.filter(object_type="mark", object_id=mark.pk, action="create").exists()
    assert Lesson.objects.get(pk=column.lesson_id).status == LessonStatus.HELD  # a lesson with marks was held


@pytest.mark.parametrize("size", [2, 25])
def test_a_mark_save_is_one_small_transaction_whatever_the_class_size(
    client, teacher, column, student, school, school_class, size, django_assert_max_num_queries
):
    for _ in range(size):
        classmate = StudentFactory(school=school)
        enrollment_admit(actor=None, student=classmate, school_class=school_class, start=dt.date(2026, 9, 1))
    _cell(client, teacher, column, student, "4")
    # user, the lesson with its write mode (and R1's first-grade flag), column, student, enrolment and
    # absence, the mark (locked), its update, the group's chain head (locked), the last event, the new
    # event, and the savepoint pair standing for the service's BEGIN / COMMIT in the test's transaction.
    with django_assert_max_num_queries(12):
        response = client.post(
            f"/journal/lessons/{column.lesson_id}/cell/",
            {"column": column.pk, "student": student.pk, "value": "5", "version": "1"},
        )
    assert response.status_code == 200 and "mark-5 saved changed" in response.content.decode()


def test_a_double_mark_is_refused_outside_russian_and_the_cell_keeps_what_was_typed(client, teacher, column, student):
    response = _cell(client, teacher, column, student, "4/3")  # R2: mathematics takes one mark
    html = response.content.decode()
    assert response.status_code == 422
    assert "Две отметки в одной клетке" in html and 'data-typed="4/3"' in html and "error" in html
    assert not Mark.objects.exists()


@pytest.mark.parametrize("typed", ["7", "0", "отл", "5+"])
def test_values_off_the_scale_get_a_russian_message_and_nothing_is_saved(client, teacher, column, student, typed):
    response = _cell(client, teacher, column, student, typed)  # R2
    assert response.status_code == 422
    assert "Отметка — число от 1 до 5" in response.content.decode()
    assert not Mark.objects.exists()


def test_a_second_editor_gets_a_conflict_with_the_current_value_not_an_overwrite(client, teacher, column, student):
    mark_set(actor=teacher, column=column, student=student, text="4")  # somebody else's tab saved 4 (v1)
    mark_set(actor=teacher, column=column, student=student, text="3", expected_version=1)  # … and then 3 (v2)
    response = _cell(client, teacher, column, student, "5", version="1")  # this tab still shows v1
    html = response.content.decode()
    assert response.status_code == 409
    assert "теперь стоит 3" in html and 'value="3"' in html and 'data-version="2"' in html and "conflict" in html
    assert Mark.objects.get(column=column, student=student).value == 3


def test_an_empty_cell_removes_the_mark_on_the_lesson_day(client, teacher, column, student):
    mark = mark_set(actor=teacher, column=column, student=student, text="4")
    response = _cell(client, teacher, column, student, "", version=str(mark.version))
    assert response.status_code == 200
    assert not Mark.objects.exists()
    assert JournalEvent.objects.filter(object_type="mark", action="delete", reason="").count() == 1


def test_after_the_lesson_day_a_change_asks_for_a_reason_then_saves(client, teacher, yesterday_column, student):  # R4
    mark = mark_set(actor=teacher, column=yesterday_column, student=student, text="3", reason="Опоздал с вводом")
    refused = _cell(client, teacher, yesterday_column, student, "4", version=str(mark.version))
    assert refused.status_code == 422
    assert 'data-needs-reason="1"' in refused.content.decode() and 'data-typed="4"' in refused.content.decode()
    assert Mark.objects.get(pk=mark.pk).value == 3
    saved = _cell(client, teacher, yesterday_column, student, "4", version=str(mark.version), reason="Пересдача")
    assert saved.status_code == 200
    event = JournalEvent.objects.filter(object_type="mark", action="update").get()
    assert (event.old["value"], event.new["value"], event.reason, event.is_late) == (3, 4, "Пересдача", True)
    assert "changed" in saved.content.decode() and "hist" in saved.content.decode()  # the cell has history now


def test_a_mark_for_an_absent_student_goes_to_the_correction_column(client, teacher, lesson, column, student, school):
    absence_set(actor=teacher, lesson=lesson, student=student, kind="absent")  # R3
    response = _cell(client, teacher, column, student, "5")
    assert response.status_code == 422 and "коррекция" in response.content.decode()
    correction = mark_column_add(
        actor=teacher, lesson=lesson, work_type=WorkTypeFactory(school=school), is_correction=True
    )
    assert _cell(client, teacher, correction, student, "4").status_code == 200


def test_a_future_lesson_takes_no_marks(client, teacher, make_lesson, school, student):
    future = make_lesson(date=TODAY + dt.timedelta(days=2), number=1, status=LessonStatus.PLANNED)
    client.force_login(teacher)
    response = client.post(f"/journal/lessons/{future.pk}/columns/", {"work_type": WorkTypeFactory(school=school).pk})
    assert response.status_code == 302
    assert "ещё не состоялся" in client.get(response.url).content.decode()
    assert not future.mark_columns.exists()


def _lock_period(year, school_class):  # noqa: ANN001, ANN202
    period = StudyPeriod.objects.create(
        year=year, kind="quarter", number=2, start=dt.date(2026, 11, 5), end=dt.date(2026, 12, 28)
    )
    return PeriodLock.objects.create(period=period, school_class=school_class)


def test_a_locked_period_takes_nothing_from_the_teacher(client, teacher, column, student, year, school_class):
    _lock_period(year, school_class)  # issue 6: archived
    response = _cell(client, teacher, column, student, "5")
    assert response.status_code == 422 and "закрыт" in response.content.decode()
    assert not Mark.objects.exists()
    # The pages say so and offer nothing to type into.
    page = client.get(f"/journal/lessons/{column.lesson_id}/").content.decode()
    assert 'data-testid="locked"' in page and 'class="mk"' not in page and "att-form" not in page
    assert "только заместитель директора" in page
    grid = client.get(f"/journal/groups/{column.lesson.group_id}/").content.decode()
    assert 'data-testid="locked"' in grid and 'class="mk"' not in grid


def test_a_locked_period_takes_a_deputys_correction_with_a_reason(client, deputy, column, student, year, school_class):
    _lock_period(year, school_class)  # issue 6: only corrections, recorded in the history (R4)
    client.force_login(deputy)
    page = client.get(f"/journal/lessons/{column.lesson_id}/").content.decode()
    assert 'data-testid="locked"' in page and "исправление" in page and 'class="mk"' in page
    refused = _cell(client, deputy, column, student, "5")
    assert refused.status_code == 422 and 'data-needs-reason="1"' in refused.content.decode()
    assert (
        _cell(client, deputy, column, student, "4", reason="Ошибка при вводе, служебная записка 12").status_code == 200
    )
    assert Mark.objects.get().value == 4
    assert JournalEvent.objects.get(object_type="mark").reason == "Ошибка при вводе, служебная записка 12"


def test_another_class_is_not_locked_by_this_one(client, teacher, column, student, year, school):
    other = SchoolClassFactory(year=year, grade=7, letter="Б")
    _lock_period(year, other)
    assert _cell(client, teacher, column, student, "5").status_code == 200


@pytest.mark.parametrize("reader", ["class_teacher", "director"])
def test_readers_of_the_journal_cannot_write_a_cell(client, request, column, student, reader):  # R15
    assert _cell(client, request.getfixturevalue(reader), column, student, "5").status_code == 403
    assert not Mark.objects.exists()


def test_the_deputy_only_corrects_with_a_reason(client, deputy, column, student):  # R4, R15
    refused = _cell(client, deputy, column, student, "5")
    assert refused.status_code == 422 and 'data-needs-reason="1"' in refused.content.decode()
    assert not Mark.objects.exists()
    assert _cell(client, deputy, column, student, "5", reason="Исправление по заявлению").status_code == 200
    assert JournalEvent.objects.get(object_type="mark").reason == "Исправление по заявлению"


@pytest.mark.parametrize("stranger", ["outsider", "parent", "student_user", "secretary"])
def test_strangers_cannot_reach_any_write_of_the_lesson(client, request, lesson, column, student, stranger):
    client.force_login(request.getfixturevalue(stranger))
    base = f"/journal/lessons/{lesson.pk}"
    for url, data in [
        (f"{base}/cell/", {"column": column.pk, "student": student.pk, "value": "5"}),
        (f"{base}/attendance/", {"student": student.pk, "kind": "absent"}),
        (f"{base}/notes/", {"student": student.pk, "kind": "remark", "text": "x"}),
        (f"{base}/topic/", {"topic": "x"}),
        (f"{base}/columns/", {"work_type": column.work_type_id}),
        (f"{base}/columns/{column.pk}/fill/", {"value": "5"}),
        (f"{base}/homework/", {"text": "x"}),
        (f"{base}/cancel/", {"reason": "x"}),
    ]:
        assert client.post(url, data).status_code == 404, url
    assert client.get(f"{base}/history/?student={student.pk}&column={column.pk}").status_code == 404
    assert not Mark.objects.exists() and not Absence.objects.exists() and not Homework.objects.exists()


def test_a_teacher_taken_off_the_group_cannot_save_the_next_mark(client, teacher, column, student, other_student):
    """The query that decides who may write is built once per worker and day (accounts.permissions,
    issue 8) but reads the grants afresh: a teacher removed from the group at 10:00 saves nothing at
    10:01, with no restart of anything."""
    from accounts.services import teacher_unassign
    from journal.models import TeachingAssignment

    assert _cell(client, teacher, column, student, "5").status_code == 200
    assignment = TeachingAssignment.objects.get(teacher=teacher, group=column.lesson.group, role="main")
    teacher_unassign(actor=None, assignment=assignment, end=TODAY - dt.timedelta(days=1))
    assert _cell(client, teacher, column, student, "4", version="1").status_code == 404
    assert Mark.objects.get(column=column, student=student).value == 5


def test_a_student_of_another_school_is_not_found(client, teacher, column, outsider_student):
    assert _cell(client, teacher, column, outsider_student, "5").status_code == 404


def test_a_student_not_in_the_group_that_day_is_refused(client, teacher, column, other_student):
    response = _cell(client, teacher, column, other_student, "5")
    assert response.status_code == 422 and "не было в этой группе" in response.content.decode()


def test_the_history_popover_lists_every_change_with_its_reason(client, teacher, yesterday_column, student):
    mark = mark_set(actor=teacher, column=yesterday_column, student=student, text="3", reason="Поздний ввод")
    mark_set(actor=teacher, column=yesterday_column, student=student, text="4", expected_version=1, reason="Пересдача")
    del mark
    client.force_login(teacher)
    html = client.get(
        f"/journal/lessons/{yesterday_column.lesson_id}/history/?student={student.pk}&column={yesterday_column.pk}"
    ).content.decode()
    assert "Пересдача" in html and "Поздний ввод" in html and teacher.short_name in html
    assert html.index("Поздний ввод") < html.index("Пересдача")  # oldest first


# --- attendance, remarks ------------------------------------------------------------------------------


def test_marking_absent_and_late_answers_the_row(client, teacher, lesson, student):  # R8
    client.force_login(teacher)
    row = client.post(f"/journal/lessons/{lesson.pk}/attendance/", {"student": student.pk, "kind": "absent"})
    assert row.status_code == 200 and 'class="absent"' in row.content.decode()
    assert Absence.objects.get(lesson=lesson, student=student).kind == "absent"
    row = client.post(
        f"/journal/lessons/{lesson.pk}/attendance/", {"student": student.pk, "kind": "late", "minutes": "7"}
    )
    absence = Absence.objects.get(lesson=lesson, student=student)
    assert (absence.kind, absence.minutes_late) == ("late", 7)
    assert 'value="7"' in row.content.decode()
    client.post(f"/journal/lessons/{lesson.pk}/attendance/", {"student": student.pk, "kind": ""})
    assert not Absence.objects.exists()
    assert JournalEvent.objects.filter(object_type="absence").count() == 3


def test_bad_lateness_is_refused_in_russian_and_the_row_keeps_the_choice(client, teacher, lesson, student):
    client.force_login(teacher)
    row = client.post(
        f"/journal/lessons/{lesson.pk}/attendance/", {"student": student.pk, "kind": "late", "minutes": "90"}
    )
    html = row.content.decode()
    assert row.status_code == 422 and "от 1 до 45 минут" in html and 'value="90"' in html
    assert not Absence.objects.exists()


def test_attendance_after_the_lesson_day_needs_a_reason(client, teacher, make_lesson, student):  # R4
    past = make_lesson(date=TODAY - dt.timedelta(days=1), number=3, teacher=teacher)
    client.force_login(teacher)
    url = f"/journal/lessons/{past.pk}/attendance/"
    assert client.post(url, {"student": student.pk, "kind": "absent"}).status_code == 422
    assert client.post(url, {"student": student.pk, "kind": "absent", "reason": "Забыл отметить"}).status_code == 200
    assert JournalEvent.objects.get(object_type="absence").reason == "Забыл отметить"


def test_a_remark_is_added_to_the_row_and_can_be_withdrawn(client, teacher, lesson, student):  # R14
    client.force_login(teacher)
    row = client.post(
        f"/journal/lessons/{lesson.pk}/notes/", {"student": student.pk, "kind": "praise", "text": "Отличный ответ"}
    )
    assert row.status_code == 200 and "Отличный ответ" in row.content.decode()
    note = lesson.notes.get()
    row = client.post(f"/journal/lessons/{lesson.pk}/notes/{note.pk}/delete/")
    assert row.status_code == 200 and "Отличный ответ" not in row.content.decode()
    empty = client.post(f"/journal/lessons/{lesson.pk}/notes/", {"student": student.pk, "kind": "remark", "text": ""})
    assert empty.status_code == 422 and "Напишите текст" in empty.content.decode()


def test_what_people_typed_is_shown_as_text_never_as_markup(client, teacher, lesson, student, group):
    """The rows, cells and topic options are rendered in Python, outside the template's autoescape."""
    student.last_name = '<b onmouseover="x()">Иванов'
    student.save()
    PlanItem.objects.create(group=group, ordinal=1, topic="<script>alert(1)</script>")
    client.force_login(teacher)
    client.post(f"/journal/lessons/{lesson.pk}/notes/", {"student": student.pk, "kind": "remark", "text": "<i>x</i>"})
    refused = client.post(
        f"/journal/lessons/{lesson.pk}/notes/", {"student": student.pk, "kind": "remark", "text": '"><img src=x>' * 200}
    )
    page = client.get(f"/journal/lessons/{lesson.pk}/").content.decode()
    for html in (page, refused.content.decode()):
        assert "<b onmouseover" not in html and "<i>x</i>" not in html and "<img src=x>" not in html
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b onmouseover=&quot;x()&quot;&gt;Иванов" in page


# --- topic, columns, control work --------------------------------------------------------------------------


def test_the_page_proposes_the_next_plan_item_and_records_it(client, teacher, lesson, group, make_lesson):  # R10
    first = PlanItem.objects.create(group=group, ordinal=1, topic="Натуральные числа")
    second = PlanItem.objects.create(group=group, ordinal=2, topic="Сложение дробей")
    make_lesson(
        date=TODAY - dt.timedelta(days=7), number=1, status=LessonStatus.HELD, topic=first.topic, plan_item=first
    )
    client.force_login(teacher)
    html = client.get(f"/journal/lessons/{lesson.pk}/").content.decode()
    assert f'<option value="{second.pk}" selected>2. Сложение дробей' in html
    response = client.post(f"/journal/lessons/{lesson.pk}/topic/", {"plan_item": second.pk, "topic": ""})
    assert response.status_code == 302
    lesson.refresh_from_db()
    assert (lesson.topic, lesson.plan_item_id, lesson.status) == ("Сложение дробей", second.pk, LessonStatus.HELD)


def test_a_free_text_topic_and_an_empty_one(client, teacher, lesson):
    client.force_login(teacher)
    client.post(f"/journal/lessons/{lesson.pk}/topic/", {"topic": "Повторение"})
    lesson.refresh_from_db()
    assert lesson.topic == "Повторение"
    response = client.post(f"/journal/lessons/{lesson.pk}/topic/", {"topic": "  "}, follow=True)
    assert "Напишите тему урока" in response.content.decode()
    lesson.refresh_from_db()
    assert lesson.topic == "Повторение"  # nothing already saved is lost


def test_a_control_work_column_fills_every_present_student_without_a_mark(
    client, teacher, lesson, student, school, school_class
):  # R3
    from journal.services import enrollment_admit
    from journal.tests.factories import StudentFactory

    absent, marked = StudentFactory(school=school), StudentFactory(school=school)
    for s in (absent, marked):
        enrollment_admit(actor=None, student=s, school_class=school_class, start=dt.date(2026, 9, 1))
    work = WorkTypeFactory(school=school, name="Контрольная работа", short_name="К/р", weight=3, is_control_work=True)
    client.force_login(teacher)
    client.post(f"/journal/lessons/{lesson.pk}/columns/", {"work_type": work.pk, "title": "Контрольная работа «Дроби»"})
    column = lesson.mark_columns.get()
    assert column.title == "Контрольная работа «Дроби»"
    absence_set(actor=teacher, lesson=lesson, student=absent, kind="absent")
    mark_set(actor=teacher, column=column, student=marked, text="3")
    page = client.get(f"/journal/lessons/{lesson.pk}/").content.decode()
    assert "всем присутствующим" in page and "Контрольная работа «Дроби»" in page
    client.post(f"/journal/lessons/{lesson.pk}/columns/{column.pk}/fill/", {"value": "5"})
    marks = dict(Mark.objects.filter(column=column).values_list("student_id", "value"))
    assert marks == {student.pk: 5, marked.pk: 3}  # the absent one waits for the «коррекция» column


def test_a_first_grade_lesson_offers_no_mark_columns(client, teacher, make_lesson, group, school_class):  # R1
    school_class.grade = 1
    school_class.save()
    first_grade = make_lesson(date=TODAY, number=5)
    client.force_login(teacher)
    html = client.get(f"/journal/lessons/{first_grade.pk}/").content.decode()
    assert 'data-testid="column-add"' not in html


def test_a_cell_of_a_first_grade_lesson_refuses_a_mark(client, teacher, column, student, school_class):  # R1
    school_class.grade = 1  # the column was made before: the refusal comes from the service itself
    school_class.save()
    response = _cell(client, teacher, column, student, "5")
    assert response.status_code == 422 and "первом классе" in response.content.decode()
    assert not Mark.objects.exists()


# --- homework ----------------------------------------------------------------------------------------------


def test_homework_with_a_pdf_is_saved_and_downloaded_as_an_attachment(client, teacher, lesson, parent, outsider):
    client.force_login(teacher)
    response = client.post(
        f"/journal/lessons/{lesson.pk}/homework/",
        {"text": "Решить задачи", "pages": "с. 45", "exercises": "№ 12, 13", "due_date": "2026-11-25",
         "files": [SimpleUploadedFile("Задачи.pdf", PDF, content_type="application/pdf")]},
    )  # fmt: skip
    assert response.status_code == 302
    homework = Homework.objects.get()
    assert (homework.text, homework.pages, homework.exercises) == ("Решить задачи", "с. 45", "№ 12, 13")
    attachment = HomeworkAttachment.objects.get()
    assert attachment.original_name == "Задачи.pdf" and attachment.size == len(PDF)
    page = client.get(f"/journal/lessons/{lesson.pk}/").content.decode()
    assert f"/journal/attachments/{attachment.pk}/" in page
    download = client.get(f"/journal/attachments/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    client.force_login(parent)  # the family of a student of the group downloads it too (the diary)
    assert client.get(f"/journal/attachments/{attachment.pk}/").status_code == 200
    client.force_login(outsider)
    assert client.get(f"/journal/attachments/{attachment.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.exe", b"MZ\x90\x00", "можно прикрепить только"),
        ("fake.pdf", b"MZ\x90\x00 not a pdf", "не файл PDF"),
        ("empty.pdf", b"", "пуст"),
    ],
)
def test_a_bad_file_refuses_the_whole_homework_and_keeps_the_form(client, teacher, lesson, name, content, message):
    client.force_login(teacher)
    response = client.post(
        f"/journal/lessons/{lesson.pk}/homework/",
        {"text": "Выучить правило", "files": [SimpleUploadedFile(name, content)]},
    )
    html = response.content.decode()
    assert response.status_code == 422 and message in html
    assert "Выучить правило" in html  # what was typed is still in the form
    assert not Homework.objects.exists() and not HomeworkAttachment.objects.exists()


def test_an_oversized_file_is_refused(client, teacher, lesson, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    client.force_login(teacher)
    response = client.post(
        f"/journal/lessons/{lesson.pk}/homework/",
        {"text": "Доклад", "files": [SimpleUploadedFile("big.pdf", PDF + b"0" * 2048)]},
    )
    assert response.status_code == 422 and "больше" in response.content.decode()
    assert not Homework.objects.exists()


def test_homework_can_be_set_ahead_for_a_future_lesson(client, teacher, make_lesson):  # R5
    future = make_lesson(date=TODAY + dt.timedelta(days=3), number=1, status=LessonStatus.PLANNED)
    client.force_login(teacher)
    client.post(f"/journal/lessons/{future.pk}/homework/", {"text": "Прочитать параграф 5", "due_date": "2026-11-30"})
    assert Homework.objects.get().lesson == future


def test_readers_cannot_give_homework(client, class_teacher, lesson):
    client.force_login(class_teacher)
    assert client.post(f"/journal/lessons/{lesson.pk}/homework/", {"text": "x"}).status_code == 403
    assert not Homework.objects.exists()
