"""E-mail notifications: one e-mail per message and person even when the task runs twice (through a
real Celery worker), the parent's choice, the daily digest and its idempotence."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail

from attendance.services import absence_set
from grading.services import mark_column_add, mark_set
from grading.tests.factories import WorkTypeFactory
from messaging.models import NotificationLog
from messaging.services import digest_send, message_notify, preference_set, thread_start
from messaging.tasks import notify_new_message, send_daily_digest

DAY = dt.date(2026, 11, 23)


@pytest.fixture
def _quiet_worker_mail(monkeypatch):
    """The worker is a separate process: its e-mails go to its own memory, we read the log table."""
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")


def test_beat_sends_the_digest_every_evening():
    entry = settings.CELERY_BEAT_SCHEDULE["daily-digest"]
    assert entry["task"] == send_daily_digest.name


def test_the_worker_sends_one_email_per_message_even_when_run_twice(_quiet_worker_mail, celery_worker, parent, teacher):
    thread = thread_start(actor=parent, recipients=[teacher], subject="Вопрос", body="Когда контрольная?")
    message_id = thread.messages.get().pk
    # The commit queued the task already (the worker takes tasks in order): running it twice more
    # sends nothing more.
    assert notify_new_message.delay(message_id).get(timeout=60) == 0
    assert notify_new_message.delay(message_id).get(timeout=60) == 0
    log = NotificationLog.objects.get()
    assert (log.user, log.kind, log.key, log.email) == (teacher, "message", str(message_id), teacher.email)


@pytest.mark.django_db
@pytest.mark.usefixtures("_today")
def test_the_email_is_in_russian_and_respects_the_switch(parent, teacher, class_teacher, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    thread = thread_start(actor=parent, recipients=[teacher], subject="Вопрос", body="Когда контрольная?")
    assert message_notify(message_id=thread.messages.get().pk) == 1
    assert message_notify(message_id=thread.messages.get().pk) == 0
    (email,) = mail.outbox
    assert email.to == [teacher.email] and email.subject == "Новое сообщение: Вопрос"
    assert "Когда контрольная?" in email.body and f"/messages/{thread.pk}/" in email.body

    preference_set(actor=class_teacher, email_messages=False, daily_digest=False)
    other = thread_start(actor=parent, recipients=[class_teacher], subject="Вопрос", body="Текст")
    assert message_notify(message_id=other.messages.get().pk) == 0 and len(mail.outbox) == 1


@pytest.fixture
def day_of_marks(make_lesson, teacher, student, school):
    """A mark and an absence of `student`, entered on DAY at noon in Moscow."""
    with time_machine.travel(dt.datetime(2026, 11, 23, 12, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Moscow")), tick=False):
        lesson = make_lesson(date=DAY, number=1, teacher=teacher)
        column = mark_column_add(actor=teacher, lesson=lesson, work_type=WorkTypeFactory(school=school), title="")
        mark_set(actor=teacher, column=column, student=student, text="5")
        late = make_lesson(date=DAY, number=2, teacher=teacher)
        absence_set(actor=teacher, lesson=late, student=student, kind="absent")
    return lesson


@pytest.mark.django_db
@pytest.mark.usefixtures("_today")
def test_the_digest_goes_to_parents_who_asked_for_it_once(parent, other_parent, day_of_marks, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert digest_send(day=DAY) == 0  # nobody asked yet
    preference_set(actor=parent, email_messages=True, daily_digest=True)
    preference_set(actor=other_parent, email_messages=True, daily_digest=True)  # nothing new for that child
    assert digest_send(day=DAY) == 1
    assert digest_send(day=DAY) == 0
    (email,) = mail.outbox
    assert email.to == [parent.email] and "23 ноября 2026" in email.subject
    assert (
        "Иванов Пётр" in email.body
        and "5 — Математика" in email.body
        and "Математика, 23.11.2026, урок 2" in email.body
    )
    assert digest_send(day=DAY + dt.timedelta(days=1)) == 0  # nothing new the next day

    preference_set(actor=parent, email_messages=True, daily_digest=False)
    NotificationLog.objects.all().delete()
    assert digest_send(day=DAY) == 0


def test_the_digest_task_runs_in_the_worker_once(_quiet_worker_mail, celery_worker, parent, day_of_marks):
    preference_set(actor=parent, email_messages=True, daily_digest=True)
    assert send_daily_digest.delay(DAY.isoformat()).get(timeout=60) == 1
    assert send_daily_digest.delay(DAY.isoformat()).get(timeout=60) == 0
    assert NotificationLog.objects.filter(kind="digest", key=DAY.isoformat(), user=parent).count() == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("_today")
def test_a_parent_switches_the_emails_in_the_settings_page(client, parent):
    client.force_login(parent)
    html = client.get("/messages/settings/").content.decode()
    assert 'name="email_messages" id="id_email_messages" checked' in html  # on by default
    assert 'name="daily_digest" id="id_daily_digest" checked' not in html  # off by default
    response = client.post("/messages/settings/", {"daily_digest": "on"})
    assert response.status_code == 302
    preference = parent.notification_preference
    assert (preference.email_messages, preference.daily_digest) == (False, True)
