"""R14: a remark, praise or message to parents written on a lesson reaches the parents' inbox."""

from __future__ import annotations

import datetime as dt

import pytest

from journal.services import lesson_note_add
from messaging.models import Message, Thread, ThreadKind
from messaging.selectors import unread_count

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]


def test_a_remark_on_a_lesson_appears_in_the_parents_inbox(
    client, make_lesson, teacher, student, parent, django_capture_on_commit_callbacks
):
    lesson = make_lesson(date=dt.date(2026, 11, 23), number=2, teacher=teacher)
    with django_capture_on_commit_callbacks() as callbacks:
        note = lesson_note_add(actor=teacher, lesson=lesson, student=student, kind="remark", text="Не выполнил ДЗ")
    thread = Thread.objects.get(kind=ThreadKind.NOTES)
    message = Message.objects.get(thread=thread)
    assert message.note == note and message.sender == teacher
    assert "Замечание" in message.body and "Не выполнил ДЗ" in message.body and "23.11.2026" in message.body
    assert set(thread.participants.values_list("user__username", flat=True)) == {"teacher", "parent"}
    assert unread_count(parent) == 1 and unread_count(teacher) == 0
    assert len(callbacks) >= 1  # the e-mail is queued only after the commit

    client.force_login(parent)
    assert "Не выполнил ДЗ" in client.get("/messages/").content.decode()
    page = client.get(f"/messages/{thread.pk}/")
    assert page.status_code == 200 and "Не выполнил ДЗ" in page.content.decode()
    assert client.post(f"/messages/{thread.pk}/", {"body": "Поговорю с сыном"}).status_code == 302


def test_the_notes_of_one_teacher_about_a_child_share_a_thread(make_lesson, teacher, student, parent):
    lesson = make_lesson(date=dt.date(2026, 11, 23), number=3, teacher=teacher)
    lesson_note_add(actor=teacher, lesson=lesson, student=student, kind="praise", text="Молодец")
    lesson_note_add(actor=teacher, lesson=lesson, student=student, kind="message", text="Принесите форму")
    assert Thread.objects.count() == 1 and Message.objects.count() == 2
    assert unread_count(parent) == 1


def test_a_child_without_a_parent_login_gives_no_message(make_lesson, teacher, student):
    lesson = make_lesson(date=dt.date(2026, 11, 23), number=4, teacher=teacher)
    lesson_note_add(actor=teacher, lesson=lesson, student=student, kind="praise", text="Молодец")
    assert not Thread.objects.exists()
