"""Compromised credentials (issue 7 point 7, R18): the administrator records a leak — the account is
blocked and its sessions end —, the operations made with it since the moment of the leak are listed,
and the deputy voids them: the previous value comes back as a NEW event of the journal's history
(nothing is erased), a value changed later by somebody else is left alone, and the chain stays valid.

The clock runs on Monday 23.11.2026 (Moscow): the teacher works from 10:00, the leak is from 11:00.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from attendance.models import Absence
from attendance.services import absence_clear, absence_set
from grading.history import chain_verify
from grading.models import JournalEvent, Mark
from grading.services import mark_column_add, mark_set
from grading.tests.factories import WorkTypeFactory
from journal.models import LessonStatus
from journal.services import enrollment_admit, homework_set, lesson_topic_set
from journal.tests.factories import StudentFactory
from office.leaks import leak_record, operations_void_all
from office.models import ChangeRecord, CredentialLeak, VoidedOperation

pytestmark = pytest.mark.django_db

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
DAY = dt.date(2026, 11, 23)
LEAK_FORM_TIME = "2026-11-23T11:00"


def at(hour: int, minute: int = 0):
    return time_machine.travel(dt.datetime(2026, 11, 23, hour, minute, tzinfo=MSK), tick=False)


def _student(school, school_class, last_name):
    child = StudentFactory(school=school, last_name=last_name, first_name="Ника", sex="f")
    enrollment_admit(actor=None, student=child, school_class=school_class, start=school_class.year.start)
    return child


@pytest.fixture
def world(school, school_class, group, teacher, student, make_lesson):
    """The teacher's day: one operation before the leak, six after it."""
    kids = {name: _student(school, school_class, name) for name in ("Антонова", "Борисова", "Власова", "Громова")}
    lesson = make_lesson(date=DAY, number=2, status=LessonStatus.PLANNED, topic="")
    oral = WorkTypeFactory(school=school, name="Ответ на уроке", short_name="Отв")
    with at(10):
        column = mark_column_add(actor=teacher, lesson=lesson, work_type=oral)
        mark_set(actor=teacher, column=column, student=student, text="3")  # before the leak: stays
        absence_set(actor=teacher, lesson=lesson, student=kids["Борисова"], kind="absent")
    with at(11, 10):
        changed = mark_set(actor=teacher, column=column, student=student, text="5", expected_version=1)
    with at(11, 15):
        created = mark_set(actor=teacher, column=column, student=kids["Антонова"], text="2")
    with at(11, 20):
        absence_clear(actor=teacher, lesson=lesson, student=kids["Борисова"])
    with at(11, 25):
        absence_set(actor=teacher, lesson=lesson, student=kids["Власова"], kind="late", minutes_late=10)
    with at(11, 30):
        lesson_topic_set(actor=teacher, lesson=lesson, topic="Сложение дробей")
        homework_set(actor=teacher, lesson=lesson, text="№ 12, 14", due_date=dt.date(2026, 11, 25))
    with at(11, 40):
        later = mark_set(actor=teacher, column=column, student=kids["Громова"], text="4")
    return {
        "lesson": lesson,
        "column": column,
        "kids": kids,
        "changed": changed,
        "created": created,
        "later": later,
    }


def _record(client, school, administrator, username="teacher", when=LEAK_FORM_TIME):
    client.force_login(administrator)
    return client.post(
        f"/office/accounts/leaks/?school={school.pk}", {"username": username, "reported_at": when, "note": "звонок"}
    )


def _events_after_leak(group, teacher):
    return JournalEvent.objects.filter(group=group, actor=teacher, at__gte=dt.datetime(2026, 11, 23, 11, tzinfo=MSK))


def test_recording_a_leak_blocks_the_account_and_ends_its_sessions(client, school, administrator, teacher):
    """R18: the account is blocked and all its sessions end (database rows and their cache entries)."""
    with at(12):
        teachers_browser, teachers_phone = Client(), Client()
        teachers_browser.force_login(teacher)
        teachers_phone.force_login(teacher)
        bystander = Client()
        bystander.force_login(administrator)
        keys = [c.session.session_key for c in (teachers_browser, teachers_phone)]
        assert teachers_browser.get("/").status_code == 200
        response = _record(client, school, administrator)
        assert response.status_code == 302
        leak = CredentialLeak.objects.get()
        assert (leak.user, leak.school, leak.recorded_by, leak.sessions_ended) == (teacher, school, administrator, 2)
        assert leak.reported_at == dt.datetime(2026, 11, 23, 11, 0, tzinfo=MSK)
        teacher.refresh_from_db()
        assert not teacher.is_active
        assert not Session.objects.filter(session_key__in=keys).exists()
        assert all(caches["default"].get(KEY_PREFIX + key) is None for key in keys)
        assert teachers_browser.get("/").status_code == 302  # logged out
        assert bystander.get("/").status_code == 200  # other people's sessions go on
        assert ChangeRecord.objects.filter(school=school, object_type="leak").exists()


def test_a_leak_in_the_future_is_refused_and_nothing_changes(client, school, administrator, teacher):
    with at(12):
        response = _record(client, school, administrator, when="2026-11-23T13:00")
    assert response.status_code == 200 and 'data-testid="leak-form"' in response.content.decode()
    teacher.refresh_from_db()
    assert teacher.is_active and not CredentialLeak.objects.exists()


def test_a_person_of_another_school_is_not_found(client, school, administrator, outsider):
    with at(12):
        response = _record(client, school, administrator, username="outsider")
    assert response.status_code == 200
    outsider.refresh_from_db()
    assert outsider.is_active and not CredentialLeak.objects.exists()


def test_the_page_lists_the_operations_after_the_leak_only(
    client, school, group, administrator, deputy, teacher, world
):
    with at(12):
        _record(client, school, administrator)
    leak = CredentialLeak.objects.get()
    client.force_login(deputy)
    html = client.get(f"/office/accounts/leaks/{leak.pk}/?school={school.pk}").content.decode()
    after = list(_events_after_leak(group, teacher))
    assert after and all(f'data-testid="op-{e.pk}"' in html for e in after)
    before = JournalEvent.objects.filter(group=group, actor=teacher, at__lt=dt.datetime(2026, 11, 23, 11, tzinfo=MSK))
    assert before.exists() and not any(f'data-testid="op-{e.pk}"' in html for e in before)
    assert "Сложение дробей" in html and "Антонова" in html
    assert 'data-testid="void-all"' in html


@pytest.fixture
def leak(client, school, administrator, world):
    with at(12):
        _record(client, school, administrator)
    return CredentialLeak.objects.get()


def _void(client, deputy, school, leak, **data):
    client.force_login(deputy)
    with at(12, 30):
        return client.post(f"/office/accounts/leaks/{leak.pk}/void/?school={school.pk}", data)


def _event(world, **filters):
    return JournalEvent.objects.get(
        at__gte=dt.datetime(2026, 11, 23, 11, tzinfo=MSK), actor__username="teacher", **filters
    )


def test_voiding_a_changed_mark_puts_the_old_value_back_as_a_new_event(client, school, group, deputy, world, leak):
    event = _event(world, object_type="mark", action="update")
    count = JournalEvent.objects.filter(group=group).count()
    _void(client, deputy, school, leak, event=event.pk)
    world["changed"].refresh_from_db()
    assert world["changed"].value == 3  # back to the value before the leak
    voided = VoidedOperation.objects.get(event=event)
    restoring = voided.restoring_event
    assert (voided.leak, voided.voided_by, restoring.actor) == (leak, deputy, deputy)
    assert (restoring.old["value"], restoring.new["value"]) == (5, 3)
    assert "teacher" in restoring.reason and "23.11.2026 11:00" in restoring.reason
    assert JournalEvent.objects.filter(group=group).count() > count  # appended, nothing erased
    assert JournalEvent.objects.filter(pk=event.pk).exists()
    assert chain_verify(group.pk).ok
    html = client.get(f"/office/accounts/leaks/{leak.pk}/?school={school.pk}").content.decode()
    assert f'data-testid="void-{event.pk}"' not in html and 'data-testid="voided"' in html


def test_voiding_a_created_mark_removes_it(client, school, deputy, world, leak):
    event = _event(world, object_type="mark", action="create", object_id=world["created"].pk)
    _void(client, deputy, school, leak, event=event.pk)
    assert not Mark.objects.filter(pk=world["created"].pk).exists()
    assert VoidedOperation.objects.get(event=event).restoring_event.action == "delete"


def test_voiding_a_cleared_absence_restores_it(client, school, deputy, world, leak):
    event = _event(world, object_type="absence", action="delete")
    _void(client, deputy, school, leak, event=event.pk)
    absence = Absence.objects.get(lesson=world["lesson"], student=world["kids"]["Борисова"])
    assert absence.kind == "absent"


def test_a_value_changed_later_by_somebody_else_is_not_voided(client, school, deputy, world, leak):
    with at(12, 10):
        mark_set(actor=deputy, column=world["column"], student=world["kids"]["Громова"], text="5", expected_version=1,
                 reason="Проверено по тетради")  # fmt: skip
    event = _event(world, object_type="mark", object_id=world["later"].pk)
    response = _void(client, deputy, school, leak, event=event.pk)
    assert not VoidedOperation.objects.filter(event=event).exists()
    assert Mark.objects.get(pk=world["later"].pk).value == 5  # the deputy's later value stays
    with translation.override("ru"):  # «изменено позже — не аннулировано» once the catalogue has it
        assert translation.gettext("changed later — not voided") in client.get(response.url).content.decode()


def test_voiding_all_goes_newest_first_and_keeps_the_chain_valid(client, school, group, deputy, teacher, world, leak):
    with at(12, 10):
        mark_set(actor=deputy, column=world["column"], student=world["kids"]["Громова"], text="5", expected_version=1,
                 reason="Проверено по тетради")  # fmt: skip
    response = _void(client, deputy, school, leak, all="1")
    assert response.status_code == 302
    lesson = world["lesson"]
    lesson.refresh_from_db()
    kids = world["kids"]
    assert Mark.objects.get(pk=world["changed"].pk).value == 3
    assert not Mark.objects.filter(pk=world["created"].pk).exists()
    assert Absence.objects.get(lesson=lesson, student=kids["Борисова"]).kind == "absent"
    assert not Absence.objects.filter(lesson=lesson, student=kids["Власова"]).exists()
    assert lesson.topic == "" and not lesson.homework.exists()
    assert Mark.objects.get(pk=world["later"].pk).value == 5  # changed later: left alone
    skipped = _event(world, object_type="mark", object_id=world["later"].pk)
    assert not VoidedOperation.objects.filter(event=skipped).exists()
    voided = VoidedOperation.objects.filter(leak=leak)
    voidable = (
        _events_after_leak(group, teacher)
        .filter(object_type__in=["mark", "absence", "topic", "homework"])
        .exclude(pk=skipped.pk)
    )
    assert set(voided.values_list("event_id", flat=True)) == set(voidable.values_list("pk", flat=True))
    assert all(v.restoring_event is not None and v.restoring_event.actor == deputy for v in voided)
    assert chain_verify(group.pk).ok
    call_command("verify_history", school=school.pk)  # exits 1 on a broken chain
    # voiding again changes nothing
    count = JournalEvent.objects.count()
    _void(client, deputy, school, leak, all="1")
    assert JournalEvent.objects.count() == count


def test_void_all_writes_nothing_when_one_operation_is_refused(school, group, deputy, teacher, world, leak):
    """A multi-row operation writes nothing if any row fails: the absence cannot come back while the
    student has a mark at the lesson."""
    with at(12, 10):
        mark_set(actor=deputy, column=world["column"], student=world["kids"]["Борисова"], text="4",
                 reason="Ответ на уроке")  # fmt: skip
    count = JournalEvent.objects.count()
    with at(12, 30), pytest.raises(Exception, match="Борисова"):
        operations_void_all(actor=deputy, leak=leak)
    assert JournalEvent.objects.count() == count and not VoidedOperation.objects.exists()


# --- who may -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stranger", ["teacher", "class_teacher", "parent", "student_user", "outsider", "secretary"])
def test_others_get_404_even_with_this_schools_ids(client, request, school, deputy, teacher, world, leak, stranger):
    event = _event(world, object_type="mark", action="update")
    user = request.getfixturevalue(stranger)
    user.is_active = True
    user.save(update_fields=["is_active"])
    client.force_login(user)
    listing = client.get(f"/office/accounts/leaks/?school={school.pk}")
    if stranger == "outsider":  # a deputy elsewhere: their own school's page, nothing of this one
        assert f'data-testid="leak-{leak.pk}"' not in listing.content.decode()
    else:
        assert listing.status_code == 404
    assert client.get(f"/office/accounts/leaks/{leak.pk}/?school={school.pk}").status_code == 404
    with at(12, 30):
        assert client.post(f"/office/accounts/leaks/?school={school.pk}", {"username": "deputy",
                           "reported_at": LEAK_FORM_TIME}).status_code == 404  # fmt: skip
        assert (
            client.post(f"/office/accounts/leaks/{leak.pk}/void/?school={school.pk}", {"all": "1"}).status_code == 404
        )
        assert client.post(f"/office/accounts/leaks/{leak.pk}/void/", {"event": event.pk}).status_code == 404
    assert not VoidedOperation.objects.exists()
    deputy.refresh_from_db()
    assert deputy.is_active


def test_the_deputy_voids_but_does_not_record_and_the_administrator_records_but_does_not_void(
    client, school, administrator, deputy, world, leak
):
    client.force_login(deputy)
    with at(12, 30):
        assert client.post(f"/office/accounts/leaks/?school={school.pk}", {"username": "admin",
                           "reported_at": LEAK_FORM_TIME}).status_code == 404  # fmt: skip
    assert 'data-testid="leak-form"' not in client.get(f"/office/accounts/leaks/?school={school.pk}").content.decode()
    client.force_login(administrator)
    with at(12, 30):
        assert (
            client.post(f"/office/accounts/leaks/{leak.pk}/void/?school={school.pk}", {"all": "1"}).status_code == 404
        )
    html = client.get(f"/office/accounts/leaks/{leak.pk}/?school={school.pk}").content.decode()
    assert 'data-testid="void-all"' not in html and 'data-testid="operations"' in html
    assert not VoidedOperation.objects.exists()
    administrator.refresh_from_db()
    assert administrator.is_active


def test_posts_need_the_csrf_token(school, administrator, deputy, world, leak):
    client = Client(enforce_csrf_checks=True)
    client.force_login(deputy)
    with at(12, 30):
        assert (
            client.post(f"/office/accounts/leaks/{leak.pk}/void/?school={school.pk}", {"all": "1"}).status_code == 403
        )
    client.force_login(administrator)
    with at(12, 30):
        response = client.post(
            f"/office/accounts/leaks/?school={school.pk}", {"username": "deputy", "reported_at": LEAK_FORM_TIME}
        )
    assert response.status_code == 403
    assert not VoidedOperation.objects.exists() and CredentialLeak.objects.count() == 1


def test_the_leak_page_takes_a_fixed_number_of_queries(
    client, school, deputy, world, leak, django_assert_max_num_queries
):
    client.force_login(deputy)
    _void(client, deputy, school, leak, event=_event(world, object_type="mark", action="update").pk)
    with django_assert_max_num_queries(12):
        response = client.get(f"/office/accounts/leaks/{leak.pk}/?school={school.pk}")
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(f"/office/accounts/leaks/?school={school.pk}").status_code == 200


def test_the_service_refuses_a_leak_of_oneself(school, administrator):
    from django.core.exceptions import ValidationError

    with at(12), pytest.raises(ValidationError):
        leak_record(
            actor=administrator,
            school=school,
            user=administrator,
            reported_at=dt.datetime(2026, 11, 23, 11, tzinfo=MSK),
        )
