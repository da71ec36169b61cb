"""Users and plain account rows for tests. Roles and grants are NOT made here: call the services of
``accounts/services.py`` (``staff_role_grant``, ``teacher_assign``, ``parent_link``, …) so that the
guardian rows are written exactly as in production.
"""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from accounts.models import Consent, LoginEvent, User
from journal.tests.factories import StudentFactory

# The standing personas of the root conftest.py, each a fixture of that name (DESIGN.md §4 columns).
PERSONAS = (
    "director",
    "deputy",
    "administrator",
    "secretary",
    "class_teacher",
    "teacher",
    "substitute",
    "parent",
    "student_user",
    "outsider",
)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n + 1}")
    last_name = factory.Sequence(lambda n: ("Петрова", "Соколов", "Морозова", "Волков")[n % 4])
    first_name = factory.Sequence(lambda n: ("Марина", "Игорь", "Светлана", "Андрей")[n % 4])
    patronymic = factory.Sequence(lambda n: ("Павловна", "Олегович", "Викторовна", "Юрьевич")[n % 4])
    email = factory.LazyAttribute(lambda o: f"{o.username}@school.example")
    # Unusable on purpose: tests log in with client.force_login, and hashing with Argon2 is slow.
    password = "!unusable"


class SuperUserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"root{n + 1}")
    is_staff = True
    is_superuser = True


class ConsentFactory(DjangoModelFactory):
    class Meta:
        model = Consent

    student = factory.SubFactory(StudentFactory)
    given_by = "Иванова Мария Петровна (мать)"
    given_on = dt.date(2026, 8, 28)
    note = "Заявление № 17 от 28.08.2026"


class LoginEventFactory(DjangoModelFactory):
    class Meta:
        model = LoginEvent

    user = factory.SubFactory(UserFactory)
    ip = "127.0.0.1"
    user_agent = "Mozilla/5.0"
