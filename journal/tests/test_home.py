"""The role home page at / (issue 2, point 5): each demo login reaches its own start page, in Russian,
sees its own school only, and the page's query count does not grow with the school.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.db import transaction
from django.http import HttpRequest
from django.test import Client

from accounts.models import User
from journal.models import School

DAY = dt.date(2026, 11, 23)  # a Monday inside quarter II of the seeded year
DEMO = ["director", "deputy", "admin", "secretary", "classteacher", "teacher", "parent", "student", "outsider"]

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_db(django_db_setup, django_db_blocker):
    """A small seeded district of two schools, shared by this module's tests and rolled back after them.

    Each test still runs in its own savepoint inside this transaction, so nothing leaks between tests
    or into other modules (the history table refuses DELETE, so a rollback is the only clean-up).
    """
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", schools=2, scale=0.15, today=DAY.isoformat(), verbosity=0)
        yield
        transaction.set_rollback(True)


def _home(username: str, **params: str) -> tuple[str, Client]:
    client = Client()
    assert client.login(request=HttpRequest(), username=username, password="demo12345"), username
    response = client.get("/", {"day": DAY.isoformat(), **params})
    assert response.status_code == 200
    return response.content.decode(), client


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    login = client.get("/accounts/login/").content.decode()
    assert "Вход" in login and "Пароль" in login


@pytest.mark.parametrize("username", DEMO)
def test_every_demo_login_reaches_its_home_page_in_russian(demo_db, username):
    html, _ = _home(username)
    assert '<html lang="ru">' in html
    assert "Понедельник" in html or "понедельник" in html  # the day in Russian
    assert "Сменить пароль" in html and "Выйти" in html


def test_teacher_sees_the_days_lessons_with_times_and_classes(demo_db):
    html, _ = _home("teacher")
    assert "Мои уроки" in html
    assert "Математика" in html
    assert re.search(r"\d\d:\d\d–\d\d:\d\d", html)
    assert "замещение" in html  # the seeded substitution of the current week


def test_class_teacher_sees_the_class_and_absence_reasons_to_record(demo_db):
    html, _ = _home("classteacher")
    assert re.search(r"Мой класс \d+[А-Я]", html)
    assert "Отсутствия без причины" in html  # R8


def test_parent_sees_each_child_with_marks(demo_db):
    parent = User.objects.get(username="parent")
    child = parent.children_links.get().student
    html, _ = _home("parent")
    assert child.short_name in html
    assert "Последние отметки" in html


def test_deputy_sees_the_school_at_a_glance_and_not_the_other_school(demo_db):
    html, _ = _home("deputy")
    schools = list(School.objects.order_by("pk"))
    assert schools[0].name in html
    assert schools[1].name not in html
    assert "Классы" in html and "Ученики" in html


def test_outsider_sees_only_their_own_school(demo_db):
    html, _ = _home("outsider")
    schools = list(School.objects.order_by("pk"))
    assert schools[1].name in html
    assert schools[0].name not in html
    teacher = User.objects.get(username="teacher")
    assert teacher.last_name not in html


def test_a_user_without_a_role_is_told_whom_to_ask(demo_db):
    User.objects.create_user("newcomer", password="demo12345")
    html, _ = _home("newcomer")
    assert "обратитесь к администратору" in html.lower() or "попросите администратора" in html.lower()


@pytest.mark.parametrize("username", ["teacher", "classteacher", "parent", "deputy"])
def test_home_page_queries_are_bounded(demo_db, username, django_assert_max_num_queries):
    client = Client()
    client.login(request=HttpRequest(), username=username, password="demo12345")
    client.get("/", {"day": DAY.isoformat()})  # warm the session's cached time zone
    with django_assert_max_num_queries(25):
        assert client.get("/", {"day": DAY.isoformat()}).status_code == 200
