"""Plain absence rows for tests; the attendance services write real ones together with their history."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from attendance.models import Absence, AbsenceKind, AbsenceReason
from journal.tests.factories import LessonFactory, StudentFactory


class AbsenceFactory(DjangoModelFactory):
    class Meta:
        model = Absence

    lesson = factory.SubFactory(LessonFactory)
    student = factory.SubFactory(StudentFactory, school=factory.SelfAttribute("..lesson.group.year.school"))
    kind = AbsenceKind.ABSENT
    reason = AbsenceReason.UNKNOWN
