"""Helpers of the messaging tests: more teachers, uploaded files out of var/."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def other_teacher(school: Any, other_group: Any) -> Any:
    """Teaches 6Б math only: nothing to do with `student`."""
    from accounts.services import staff_role_grant, teacher_assign
    from accounts.tests.factories import UserFactory

    user = UserFactory(username="other_teacher", last_name="Сидорова", first_name="Ольга")
    staff_role_grant(actor=None, user=user, school=school, role="teacher")
    teacher_assign(actor=None, group=other_group, teacher=user, start=other_group.year.start)
    return user


@pytest.fixture
def outsider_teacher(other_school: Any, outsider_group: Any) -> Any:
    """A teacher of the other school's 5А."""
    from accounts.services import staff_role_grant, teacher_assign
    from accounts.tests.factories import UserFactory

    user = UserFactory(username="outsider_teacher", last_name="Дальний", first_name="Игорь")
    staff_role_grant(actor=None, user=user, school=other_school, role="teacher")
    teacher_assign(actor=None, group=outsider_group, teacher=user, start=outsider_group.year.start)
    return user


@pytest.fixture
def other_parent(other_student: Any) -> Any:
    """The father of `other_student` (6Б): another family."""
    from accounts.services import parent_link
    from accounts.tests.factories import UserFactory

    user = UserFactory(username="other_parent", last_name="Смирнов", first_name="Олег")
    parent_link(actor=None, parent=user, student=other_student, relation="father")
    return user


def pdf(name: str = "справка.pdf") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "application/pdf")
