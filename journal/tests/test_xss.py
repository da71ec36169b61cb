"""What people type is shown as text, never run as markup (issue 8, Security): homework, lesson topics,
mark column titles, remarks, messages and announcements carrying a script tag and an attribute break-out
come back escaped on every page that shows them, and as plain text in the PDF extracts and reports."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace

import pytest
from django.utils.html import escape
from pypdf import PdfReader

from attendance.services import absence_set
from grading.services import mark_column_add, mark_set
from grading.tests.factories import WorkTypeFactory
from journal.models import LessonStatus
from journal.services import homework_set, lesson_note_add, lesson_topic_set
from messaging.services import announcement_publish, thread_start
from reports.exports import to_pdf
from reports.services import report_execute, report_request
from reports.tables import Document

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]

MONDAY = dt.date(2026, 11, 23)
SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'


def payload(label: str) -> str:
    return f"{label} {SCRIPT} {BREAKOUT}"


HOMEWORK, TOPIC, COLUMN, REMARK = payload("ДЗ"), payload("Тема"), payload("Столбец"), payload("Замечание")
SUBJECT, BODY, TITLE, TEXT = payload("Тема письма"), payload("Письмо"), payload("Объявление"), payload("Текст")


def assert_shown_escaped(html: str, *texts: str) -> None:
    """None of the markup is live in the page, and each text is there in its escaped form."""
    assert SCRIPT not in html
    assert "<img src=x" not in html
    for text in texts:
        assert escape(text) in html, text


@pytest.fixture
def lesson(school, group, teacher, student, make_lesson, quarters):
    """Today's math lesson: a topic, a titled column with a mark, a remark and homework, all hostile."""
    monday = make_lesson(date=MONDAY, number=2, status=LessonStatus.PLANNED, topic="", teacher=teacher)
    lesson_topic_set(actor=teacher, lesson=monday, topic=TOPIC)
    work = WorkTypeFactory(school=school, name="Самостоятельная работа", short_name="С/р", weight=3)
    column = mark_column_add(actor=teacher, lesson=monday, work_type=work, title=COLUMN)
    mark_set(actor=teacher, column=column, student=student, text="4")
    lesson_note_add(actor=teacher, lesson=monday, student=student, kind="remark", text=REMARK)
    homework_set(actor=teacher, lesson=monday, text=HOMEWORK)
    return monday


def _html(client, user, url: str, **params) -> str:
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_teachers_pages_show_homework_topic_column_and_remark_as_text(client, teacher, lesson, group):
    assert_shown_escaped(_html(client, teacher, f"/journal/lessons/{lesson.pk}/"), HOMEWORK, TOPIC, COLUMN, REMARK)
    assert_shown_escaped(_html(client, teacher, f"/journal/groups/{group.pk}/"), COLUMN)
    assert_shown_escaped(_html(client, teacher, "/journal/"), TOPIC)
    assert_shown_escaped(_html(client, teacher, "/"), TOPIC)


def test_the_class_teacher_reads_the_same_lesson_as_text(client, class_teacher, lesson):
    assert_shown_escaped(
        _html(client, class_teacher, f"/journal/lessons/{lesson.pk}/"), HOMEWORK, TOPIC, COLUMN, REMARK
    )


def test_the_diary_shows_them_as_text(client, parent, student, lesson):
    html = _html(client, parent, "/diary/", child=student.pk)
    assert_shown_escaped(html, HOMEWORK, TOPIC, COLUMN, REMARK)
    assert_shown_escaped(_html(client, parent, "/diary/marks/", child=student.pk), COLUMN)


def test_the_remark_reaches_the_parents_inbox_as_text(client, parent, lesson):
    inbox = _html(client, parent, "/messages/")
    assert SCRIPT not in inbox and "<img src=x" not in inbox
    thread = parent.thread_participations.get().thread
    assert_shown_escaped(_html(client, parent, f"/messages/{thread.pk}/"), REMARK)


def test_the_diary_extract_pdf_prints_the_remark_as_text(client, parent, student, lesson):
    client.force_login(parent)
    response = client.get("/diary/extract/", {"child": student.pk, "month": "2026-11"})
    assert response.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    # Markup the PDF renderer had obeyed would have vanished from the text (or fetched «x» as an image).
    assert SCRIPT in text and BREAKOUT in " ".join(text.split())


def test_messages_subject_and_body_are_text_in_the_inbox_and_the_thread(client, parent, teacher):
    thread = thread_start(actor=parent, recipients=[teacher], subject=SUBJECT, body=BODY)
    assert_shown_escaped(_html(client, teacher, "/messages/"), SUBJECT)
    assert_shown_escaped(_html(client, teacher, f"/messages/{thread.pk}/"), SUBJECT, BODY)
    assert_shown_escaped(_html(client, parent, f"/messages/{thread.pk}/"), SUBJECT, BODY)


def test_an_announcement_is_text_for_its_readers(client, class_teacher, school_class, parent):
    announcement_publish(actor=class_teacher, audience="class", school_class=school_class, title=TITLE, text=TEXT)
    assert_shown_escaped(_html(client, parent, "/messages/announcements/"), TITLE, TEXT)
    assert_shown_escaped(_html(client, class_teacher, "/messages/announcements/"), TITLE, TEXT)


def test_a_report_with_lesson_topics_shows_them_as_text_on_the_page_and_in_the_pdf(
    client, deputy, school, school_class, teacher, student, make_lesson, quarters
):
    missed = make_lesson(date=MONDAY, number=3, status=LessonStatus.PLANNED, topic="", teacher=teacher)
    lesson_topic_set(actor=teacher, lesson=missed, topic=TOPIC)
    absence_set(actor=teacher, lesson=missed, student=student, kind="absent")
    run = report_request(
        actor=deputy,
        school=school,
        kind="missed_with_topics",
        params={"period": quarters[1].pk, "class": school_class.pk},
    )
    report_execute(run.pk)
    run.refresh_from_db()
    document = Document.from_json(run.result)
    table = next(t for t in document.tables if any(TOPIC in map(str, row.cells) for row in t.rows))
    assert_shown_escaped(_html(client, deputy, f"/reports/runs/{run.pk}/tables/{table.key}/"), TOPIC)
    # The PDF prints the summary tables: the same rows as one of them print the hostile text as text.
    printed = Document(title=document.title, tables=[replace(table, detail=False)])
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(to_pdf(printed, school.name))).pages)
    assert SCRIPT in " ".join(text.split())
