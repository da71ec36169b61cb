"""Conversations at /messages/: writing, replying, unread counts, who may open a thread and its files."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from accounts.tests.factories import UserFactory
from messaging.models import Message, MessageAttachment, Thread
from messaging.selectors import unread_count
from messaging.services import message_send, thread_start

from .conftest import pdf

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]


def _thread(parent, teacher, text="Здравствуйте! Петя болел, можно сдать работу позже?", **kwargs):
    return thread_start(actor=parent, recipients=[teacher], subject="Контрольная", body=text, **kwargs)


def test_a_parent_writes_to_the_childs_teacher_and_the_teacher_replies(client, parent, teacher):
    client.force_login(parent)
    response = client.post(
        "/messages/new/",
        {"recipient": teacher.pk, "subject": "Контрольная", "body": "Можно сдать позже?", "files": [pdf()]},
    )
    thread = Thread.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/messages/{thread.pk}/"
    assert set(thread.participants.values_list("user__username", flat=True)) == {"parent", "teacher"}
    assert thread.school_id == teacher.staff_roles.get().school_id

    client.force_login(teacher)
    inbox = client.get("/messages/").content.decode()
    assert "Контрольная" in inbox and "Иванова Мария" in inbox
    page = client.get(f"/messages/{thread.pk}/").content.decode()
    assert "Можно сдать позже?" in page and "справка.pdf" in page
    reply = client.post(f"/messages/{thread.pk}/", {"body": "Да, до пятницы."})
    assert reply.status_code == 302

    client.force_login(parent)
    assert "Да, до пятницы." in client.get(f"/messages/{thread.pk}/").content.decode()
    assert list(Message.objects.filter(thread=thread).values_list("sender__username", flat=True)) == [
        "parent",
        "teacher",
    ]


def test_unread_counts_follow_reading_and_replies(client, parent, teacher, class_teacher):
    thread = _thread(parent, teacher)
    _thread(parent, class_teacher)
    assert unread_count(teacher) == 1 and unread_count(parent) == 0
    client.force_login(teacher)
    badge = '<span class="badge" title="непрочитанных">1</span>'
    assert badge in client.get("/messages/").content.decode()
    client.get(f"/messages/{thread.pk}/")
    assert unread_count(teacher) == 0
    assert badge not in client.get("/messages/").content.decode()  # the cached count was dropped

    message_send(actor=teacher, thread=thread, body="Хорошо")
    message_send(actor=teacher, thread=thread, body="И ещё: принесите справку")
    assert unread_count(parent) == 1 and unread_count(teacher) == 0
    client.force_login(parent)
    assert '<span class="badge" title="непрочитанных">2</span>' in client.get("/messages/").content.decode()


def test_a_parent_cannot_write_to_a_teacher_of_another_child_or_school(client, parent, other_teacher, outsider_teacher):
    for stranger in (other_teacher, outsider_teacher):
        with pytest.raises(PermissionDenied):
            _thread(parent, stranger)
    client.force_login(parent)
    response = client.post("/messages/new/", {"recipient": other_teacher.pk, "subject": "Тема", "body": "Текст"})
    assert response.status_code == 422 and not Thread.objects.exists()
    assert str(other_teacher.last_name) not in client.get("/messages/new/").content.decode()


def test_a_student_cannot_message_arbitrary_staff(student_user, teacher, director, secretary):
    for stranger in (director, secretary):
        with pytest.raises(PermissionDenied):
            _thread(student_user, stranger)
    assert _thread(student_user, teacher).participants.count() == 2


@pytest.mark.parametrize("stranger", ["other_parent", "other_teacher", "director", "outsider"])
def test_nobody_else_opens_a_familys_thread_or_its_files(client, request, parent, teacher, stranger):
    thread = _thread(parent, teacher, uploads=[pdf()])
    attachment = MessageAttachment.objects.get()
    client.force_login(request.getfixturevalue(stranger))
    assert client.get(f"/messages/{thread.pk}/").status_code == 404
    assert client.post(f"/messages/{thread.pk}/", {"body": "Влезаю"}).status_code == 404
    assert client.get(f"/messages/attachments/{attachment.pk}/").status_code == 404
    assert Message.objects.count() == 1
    with pytest.raises(PermissionDenied):
        message_send(actor=request.getfixturevalue(stranger), thread=thread, body="Влезаю")


def test_participants_download_the_file_as_an_attachment(client, parent, teacher):
    _thread(parent, teacher, uploads=[pdf("work.pdf")])
    attachment = MessageAttachment.objects.get()
    client.force_login(teacher)
    response = client.get(f"/messages/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_files_follow_the_homework_rules(client, parent, teacher, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(parent)
    fake = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 not a pdf")
    response = client.post("/messages/new/", {"recipient": teacher.pk, "subject": "Т", "body": "Т", "files": [fake]})
    assert response.status_code == 422 and "хотя так назван" in response.content.decode()
    exe = SimpleUploadedFile("run.exe", b"MZ")
    response = client.post("/messages/new/", {"recipient": teacher.pk, "subject": "Т", "body": "Т", "files": [exe]})
    assert response.status_code == 422
    settings.UPLOAD_MAX_BYTES = 10
    response = client.post("/messages/new/", {"recipient": teacher.pk, "subject": "Т", "body": "Т", "files": [pdf()]})
    assert response.status_code == 422
    assert not Thread.objects.exists() and not MessageAttachment.objects.exists()


def test_an_empty_reply_is_refused_and_nothing_is_sent(client, parent, teacher):
    thread = _thread(parent, teacher)
    client.force_login(teacher)
    response = client.post(f"/messages/{thread.pk}/", {"body": "   "})
    assert response.status_code == 422 and Message.objects.count() == 1


def test_anonymous_users_go_to_the_login(client):
    assert client.get("/messages/")["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("threads", [1, 8])
def test_the_inbox_queries_do_not_grow_with_threads(client, parent, teacher, threads, django_assert_max_num_queries):
    for n in range(threads):
        colleague = UserFactory()
        thread = thread_start(actor=parent, recipients=[teacher], subject=f"Тема {n}", body="Текст")
        thread.participants.create(user=colleague)
    client.force_login(teacher)
    client.get("/")  # the session and the unread count settle in the cache
    with django_assert_max_num_queries(6):  # user, count, threads, participants, unread badge, session
        response = client.get("/messages/")
    assert response.content.decode().count("Тема ") == threads


def test_the_top_bar_shows_the_link_with_the_unread_count(client, parent, teacher):
    _thread(parent, teacher)
    client.force_login(teacher)
    html = client.get("/").content.decode()
    assert 'data-testid="messages-link"' in html and "Сообщения" in html
