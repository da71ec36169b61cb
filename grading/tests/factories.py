"""Plain grading rows for tests (constraints, admin). Real marks are written by the grading services,
which also append the history event; these factories write the bare row and no history.
"""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from grading.models import Mark, MarkColumn, PeriodMark, WorkType
from journal.tests.factories import LessonFactory, StudentFactory, StudyPeriodFactory, TeachingGroupFactory


class WorkTypeFactory(DjangoModelFactory):
    class Meta:
        model = WorkType
        django_get_or_create = ("school", "name")

    school = factory.SubFactory("journal.tests.factories.SchoolFactory")
    name = "Ответ на уроке"
    short_name = "Отв"
    weight = 1


class MarkColumnFactory(DjangoModelFactory):
    class Meta:
        model = MarkColumn

    lesson = factory.SubFactory(LessonFactory)
    work_type = factory.SubFactory(WorkTypeFactory, school=factory.SelfAttribute("..lesson.group.year.school"))
    title = ""


class MarkFactory(DjangoModelFactory):
    class Meta:
        model = Mark

    column = factory.SubFactory(MarkColumnFactory)
    student = factory.SubFactory(StudentFactory, school=factory.SelfAttribute("..column.lesson.group.year.school"))
    value = 5


class PeriodMarkFactory(DjangoModelFactory):
    class Meta:
        model = PeriodMark

    group = factory.SubFactory(TeachingGroupFactory)
    student = factory.SubFactory(StudentFactory, school=factory.SelfAttribute("..group.year.school"))
    period = factory.SubFactory(StudyPeriodFactory, year=factory.SelfAttribute("..group.year"))
    value = 4
