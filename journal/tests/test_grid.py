"""The journal grid of a group (issue 3, points 3, 7, 9): what it shows, who edits it, period marks,
the period and subgroup switches, and a query count that does not grow with the group."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from attendance.services import absence_set
from grading.models import PeriodMark
from grading.selectors import period_averages
from grading.services import mark_column_add, mark_set, period_mark_set
from grading.tests.factories import WorkTypeFactory
from journal.models import GroupKind, PlanItem
from journal.services import enrollment_admit, membership_add
from journal.tests.factories import StudentFactory, TeachingGroupFactory

TODAY = dt.date(2026, 11, 23)
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]


@pytest.fixture
def marked(school, teacher, student, make_lesson, quarters):
    """Two lessons of quarter II with an oral 5 (weight 1) and a test 3 (weight 3), one of quarter I."""
    oral = WorkTypeFactory(school=school, name="Ответ на уроке", short_name="Отв", weight=1)
    test = WorkTypeFactory(school=school, name="Контрольная работа", short_name="К/р", weight=3, is_control_work=True)
    monday, friday = (
        make_lesson(date=dt.date(2026, 11, 16), number=1),
        make_lesson(date=dt.date(2026, 11, 20), number=2),
    )
    september = make_lesson(date=dt.date(2026, 9, 15), number=1)
    c1 = mark_column_add(actor=teacher, lesson=monday, work_type=oral)
    c2 = mark_column_add(actor=teacher, lesson=friday, work_type=test, title="Дроби")
    c0 = mark_column_add(actor=teacher, lesson=september, work_type=oral)
    mark_set(actor=teacher, column=c1, student=student, text="5", reason="ввод")
    mark_set(actor=teacher, column=c2, student=student, text="3", reason="ввод")
    mark_set(actor=teacher, column=c0, student=student, text="2", reason="ввод")
    return c1, c2, c0


def _grid(client, user, group, query=""):
    client.force_login(user)
    return client.get(f"/journal/groups/{group.pk}/{query}")


def test_the_teacher_sees_marks_average_forecast_and_edits_in_place(client, teacher, group, student, marked, quarters):
    response = _grid(client, teacher, group)
    html = response.content.decode()
    assert response.status_code == 200
    assert "16.11" in html and "20.11" in html and "15.09" not in html  # quarter II by default (today)
    assert 'value="5"' in html and 'value="3"' in html and 'class="mk"' in html
    assert '<td class="avg">3,50</td>' in html and '<td class="fc">4</td>' in html  # (5·1 + 3·3) / 4
    assert period_averages(group, quarters[1])[student.pk] == Decimal("3.50")  # the same rule as the service
    assert f'data-period="{quarters[1].pk}"' in html and 'placeholder="4"' in html  # R7: column after the dates
    assert "К/р" in html and "Контрольная работа «Дроби»" in html


def test_another_period_is_one_click_away(client, teacher, group, marked, quarters):
    html = _grid(client, teacher, group, f"?period={quarters[0].pk}").content.decode()
    assert "15.09" in html and "16.11" not in html and 'value="2"' in html


@pytest.mark.parametrize("reader", ["class_teacher", "deputy", "director", "administrator"])
def test_readers_see_the_same_grid_read_only(client, request, group, marked, reader):  # R15
    html = _grid(client, request.getfixturevalue(reader), group).content.decode()
    assert "3,50" in html and 'class="mark"' in html
    assert 'class="mk"' not in html and "data-url" not in html
    assert "можете просматривать эту страницу журнала, но не изменять" in html


@pytest.mark.parametrize("stranger", ["outsider", "parent", "student_user", "secretary", "substitute"])
def test_strangers_get_404_on_every_grid_url(client, request, group, student, marked, quarters, stranger):
    client.force_login(request.getfixturevalue(stranger))
    assert client.get(f"/journal/groups/{group.pk}/").status_code == 404
    assert (
        client.get(f"/journal/groups/{group.pk}/history/?student={student.pk}&period={quarters[1].pk}").status_code
        == 404
    )
    posted = client.post(
        f"/journal/groups/{group.pk}/period-mark/", {"student": student.pk, "period": quarters[1].pk, "value": "5"}
    )
    assert posted.status_code == 404
    assert not PeriodMark.objects.exists()


def test_a_changed_cell_is_marked_and_its_history_opens(client, teacher, group, student, marked):  # R4
    c1 = marked[0]
    mark_set(actor=teacher, column=c1, student=student, text="4", expected_version=1, reason="Пересдача")
    html = _grid(client, teacher, group).content.decode()
    assert (
        "changed" in html
        and f"/journal/lessons/{c1.lesson_id}/history/?student={student.pk}&amp;column={c1.pk}" in html
    )
    history = client.get(f"/journal/lessons/{c1.lesson_id}/history/?student={student.pk}&column={c1.pk}")
    assert "Пересдача" in history.content.decode()


def test_absences_show_their_code(client, teacher, group, student, make_lesson, quarters):
    lesson = make_lesson(date=TODAY, number=3)
    absence_set(actor=teacher, lesson=lesson, student=student, kind="absent")
    html = _grid(client, teacher, group).content.decode()
    assert '<span class="abs">Н</span>' in html


def test_the_teacher_sets_the_period_mark_in_the_grid(client, teacher, group, student, marked, quarters):  # R7
    q2 = quarters[1]
    client.force_login(teacher)
    url = f"/journal/groups/{group.pk}/period-mark/"
    early = client.post(url, {"student": student.pk, "period": q2.pk, "value": "4"})
    assert early.status_code == 422 and "последняя неделя" in early.content.decode()  # the window opens 22.12
    import time_machine

    with time_machine.travel(dt.datetime(2026, 12, 23, 12, tzinfo=dt.UTC), tick=False):
        client.force_login(teacher)  # a month later: a new session
        saved = client.post(url, {"student": student.pk, "period": q2.pk, "value": "4"})
        assert saved.status_code == 200 and 'value="4"' in saved.content.decode()
        stale = client.post(url, {"student": student.pk, "period": q2.pk, "value": "5", "version": ""})
        assert stale.status_code == 409
        no_reason = client.post(url, {"student": student.pk, "period": q2.pk, "value": "5", "version": "1"})
        assert no_reason.status_code == 422 and 'data-needs-reason="1"' in no_reason.content.decode()
        changed = client.post(
            url, {"student": student.pk, "period": q2.pk, "value": "н/а", "version": "1", "reason": "Болел"}
        )
        assert changed.status_code == 200 and "н/а" in changed.content.decode()
        deferred = client.post(
            url, {"student": student.pk, "period": q2.pk, "value": "отср", "version": "2", "reason": "Пропустил 60 %"}
        )
        assert deferred.status_code == 200
    mark = PeriodMark.objects.get()
    assert (mark.is_deferred, mark.code, mark.version) == (True, "na", 3)
    history = client.get(f"/journal/groups/{group.pk}/history/?student={student.pk}&period={q2.pk}").content.decode()
    assert "Болел" in history and "Пропустил 60 %" in history


def test_readers_cannot_set_period_marks(client, class_teacher, director, group, student, quarters):
    for reader in (class_teacher, director):
        client.force_login(reader)
        response = client.post(
            f"/journal/groups/{group.pk}/period-mark/", {"student": student.pk, "period": quarters[1].pk, "value": "5"}
        )
        assert response.status_code == 403
    assert not PeriodMark.objects.exists()


def test_the_parent_sees_a_period_mark_the_moment_it_is_saved(teacher, group, student, quarters):  # R7
    import time_machine

    with time_machine.travel(dt.datetime(2026, 12, 23, 12, tzinfo=dt.UTC), tick=False):
        period_mark_set(actor=teacher, group=group, student=student, period=quarters[1], text="5")
    assert PeriodMark.objects.filter(student=student, period=quarters[1]).get().display == "5"


def test_a_subgroup_filter_narrows_the_list(client, teacher, group, student, school, school_class, subject, quarters):
    other = StudentFactory(school=school, last_name="Яковлев")
    enrollment_admit(actor=None, student=other, school_class=school_class, start=dt.date(2026, 9, 1))
    half = TeachingGroupFactory(
        year=group.year, subject=subject, kind=GroupKind.SUBGROUP, subgroup_number=1, name="5А, группа 1",
        classes=[school_class],
    )  # fmt: skip
    membership_add(actor=None, group=half, student=student, start=dt.date(2026, 9, 1))
    everyone = _grid(client, teacher, group).content.decode()
    assert student.short_name in everyone and other.short_name in everyone and "5А, группа 1" in everyone
    filtered = _grid(client, teacher, group, f"?subgroup={half.pk}").content.decode()
    assert student.short_name in filtered and other.short_name not in filtered


def test_the_grid_shows_plan_coverage(client, teacher, group, make_lesson, quarters):  # R10
    first = PlanItem.objects.create(group=group, ordinal=1, topic="Дроби")
    PlanItem.objects.create(group=group, ordinal=2, topic="Проценты")
    make_lesson(date=dt.date(2026, 11, 16), number=1, status="held", topic="Дроби", plan_item=first)
    html = _grid(client, teacher, group).content.decode()
    assert "пройдено тем 1 из 2" in html and "Проведено уроков: 1 из 1" in html


@pytest.mark.parametrize("size", [2, 20])
def test_the_grid_query_count_does_not_grow_with_students_or_lessons(
    client, teacher, group, school, school_class, make_lesson, quarters, size, django_assert_max_num_queries
):  # issue 3, point 9
    work = WorkTypeFactory(school=school)
    students = [StudentFactory(school=school) for _ in range(size)]
    for s in students:
        enrollment_admit(actor=None, student=s, school_class=school_class, start=dt.date(2026, 9, 1))
    for day in range(size):
        lesson = make_lesson(date=dt.date(2026, 11, 5) + dt.timedelta(days=day // 2), number=day % 2 + 1)
        column = mark_column_add(actor=teacher, lesson=lesson, work_type=work)
        for s in students[:3]:
            mark_set(actor=teacher, column=column, student=s, text="4", reason="ввод")
        absence_set(actor=teacher, lesson=lesson, student=students[-1], kind="late", minutes_late=3, reason="ввод")
    client.force_login(teacher)
    client.get(f"/journal/groups/{group.pk}/")
    with django_assert_max_num_queries(10):  # user + 9 for the grid (the session is read from Redis)
        assert client.get(f"/journal/groups/{group.pk}/").status_code == 200
