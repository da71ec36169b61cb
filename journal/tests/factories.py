"""Plain rows of the school structure for tests. Access (grants) is never made here: use the services
in ``accounts/services.py`` (the root ``conftest.py`` does, for the standing personas).

Every date is fixed inside the academic year 2026/2027 so that no test depends on the day it runs.
"""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from journal.models import (
    AcademicYear,
    Bell,
    Enrollment,
    GroupKind,
    GroupMembership,
    Holiday,
    HolidayKind,
    Homework,
    Lesson,
    LessonNote,
    PeriodKind,
    PlanItem,
    School,
    SchoolClass,
    Sex,
    Student,
    StudyPeriod,
    Subject,
    TeachingAssignment,
    TeachingGroup,
    TimetableSlot,
)

YEAR_START = dt.date(2026, 9, 1)
YEAR_END = dt.date(2027, 5, 31)
# The first quarter, the autumn vacation and the dates of the standing substitution (conftest.py).
Q1_START, Q1_END = dt.date(2026, 9, 1), dt.date(2026, 10, 25)
SUBSTITUTION_START, SUBSTITUTION_END = dt.date(2026, 10, 5), dt.date(2026, 10, 16)

LETTERS = "АБВГДЕЖИКЛМН"
SURNAMES = [("Иванов", "Иванова"), ("Смирнов", "Смирнова"), ("Кузнецов", "Кузнецова"), ("Попов", "Попова")]
FIRST_NAMES = [("Пётр", "Мария"), ("Алексей", "Анна"), ("Дмитрий", "Елена"), ("Сергей", "Ольга")]
PATRONYMICS = [("Иванович", "Ивановна"), ("Петрович", "Петровна"), ("Сергеевич", "Сергеевна")]


def _pick(names: list[tuple[str, str]], n: int, sex: str) -> str:
    male, female = names[n % len(names)]
    return male if sex == Sex.MALE else female


class SchoolFactory(DjangoModelFactory):
    class Meta:
        model = School

    name = factory.Sequence(lambda n: f"Муниципальное бюджетное общеобразовательное учреждение «Школа № {n + 1}»")
    short_name = factory.Sequence(lambda n: f"Школа № {n + 1}")
    time_zone = "Europe/Moscow"


class AcademicYearFactory(DjangoModelFactory):
    class Meta:
        model = AcademicYear
        django_get_or_create = ("school", "name")

    school = factory.SubFactory(SchoolFactory)
    name = "2026/2027"
    start = YEAR_START
    end = YEAR_END


class StudyPeriodFactory(DjangoModelFactory):
    class Meta:
        model = StudyPeriod

    year = factory.SubFactory(AcademicYearFactory)
    kind = PeriodKind.QUARTER
    number = 1
    start = Q1_START
    end = Q1_END
    marks_deadline = dt.date(2026, 10, 23)


class HolidayFactory(DjangoModelFactory):
    class Meta:
        model = Holiday

    year = factory.SubFactory(AcademicYearFactory)
    name = "Осенние каникулы"
    kind = HolidayKind.VACATION
    start = dt.date(2026, 10, 26)
    end = dt.date(2026, 11, 3)


class SchoolClassFactory(DjangoModelFactory):
    class Meta:
        model = SchoolClass

    year = factory.SubFactory(AcademicYearFactory)
    grade = 5
    # «А», «Б», … then «А1», «Б1», …: never longer than the field's 3 characters.
    letter = factory.Sequence(
        lambda n: LETTERS[n % len(LETTERS)] + (str(n // len(LETTERS) % 100) if n >= len(LETTERS) else "")
    )
    period_kind = PeriodKind.QUARTER


class StudentFactory(DjangoModelFactory):
    class Meta:
        model = Student

    school = factory.SubFactory(SchoolFactory)
    sex = factory.Sequence(lambda n: Sex.MALE if n % 2 == 0 else Sex.FEMALE)
    last_name = factory.LazyAttributeSequence(lambda o, n: _pick(SURNAMES, n, o.sex))
    first_name = factory.LazyAttributeSequence(lambda o, n: _pick(FIRST_NAMES, n // 2, o.sex))
    patronymic = factory.LazyAttributeSequence(lambda o, n: _pick(PATRONYMICS, n // 3, o.sex))
    birth_date = dt.date(2015, 3, 14)
    personal_file_number = factory.Sequence(lambda n: f"Л-{n + 1:05d}")


class EnrollmentFactory(DjangoModelFactory):
    """A bare enrollment row (no memberships): use ``journal.services.enrollment_admit`` for the real thing."""

    class Meta:
        model = Enrollment

    student = factory.SubFactory(StudentFactory)
    school_class = factory.SubFactory(SchoolClassFactory, year__school=factory.SelfAttribute("..student.school"))
    start = YEAR_START
    end = None


class SubjectFactory(DjangoModelFactory):
    class Meta:
        model = Subject
        django_get_or_create = ("school", "name")

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Предмет {n + 1}")
    short_name = factory.LazyAttribute(lambda o: o.name[:30])


class TeachingGroupFactory(DjangoModelFactory):
    """A group; pass ``classes=[...]`` to link it to classes (a whole-class group needs its class)."""

    class Meta:
        model = TeachingGroup
        skip_postgeneration_save = True

    year = factory.SubFactory(AcademicYearFactory)
    subject = factory.SubFactory(SubjectFactory, school=factory.SelfAttribute("..year.school"))
    kind = GroupKind.WHOLE_CLASS
    name = factory.Sequence(lambda n: f"Группа {n + 1}")
    hours_per_week = 4

    @factory.post_generation
    def classes(self, create: bool, extracted: list[SchoolClass] | None, **kwargs: object) -> None:
        if create and extracted:
            self.classes.set(extracted)


class GroupMembershipFactory(DjangoModelFactory):
    class Meta:
        model = GroupMembership

    group = factory.SubFactory(TeachingGroupFactory)
    student = factory.SubFactory(StudentFactory, school=factory.SelfAttribute("..group.year.school"))
    start = YEAR_START
    end = None


class TeachingAssignmentFactory(DjangoModelFactory):
    """A bare assignment row without its guardian grant: use ``accounts.services`` to give access."""

    class Meta:
        model = TeachingAssignment

    group = factory.SubFactory(TeachingGroupFactory)
    teacher = factory.SubFactory("accounts.tests.factories.UserFactory")
    role = "main"
    start = YEAR_START
    end = None


class BellFactory(DjangoModelFactory):
    class Meta:
        model = Bell
        django_get_or_create = ("school", "number")

    school = factory.SubFactory(SchoolFactory)
    number = 1
    start_time = factory.LazyAttribute(lambda o: dt.time(7 + o.number, 30))
    end_time = factory.LazyAttribute(lambda o: dt.time(8 + o.number, 15))


class TimetableSlotFactory(DjangoModelFactory):
    class Meta:
        model = TimetableSlot

    group = factory.SubFactory(TeachingGroupFactory)
    weekday = 1
    number = 1
    room = "21"
    valid_from = YEAR_START
    valid_to = None


class PlanItemFactory(DjangoModelFactory):
    class Meta:
        model = PlanItem

    group = factory.SubFactory(TeachingGroupFactory)
    ordinal = factory.Sequence(lambda n: n + 1)
    topic = factory.Sequence(lambda n: f"Тема {n + 1}. Натуральные числа")
    hours = 1


class LessonFactory(DjangoModelFactory):
    """A lesson of a group on a school day of 2026/2027; ``date`` and ``number`` vary so rows never clash."""

    class Meta:
        model = Lesson

    group = factory.SubFactory(TeachingGroupFactory)
    date = factory.Sequence(lambda n: YEAR_START + dt.timedelta(days=n % 270))
    number = factory.Sequence(lambda n: 1 + (n // 270) % 8)
    status = "held"
    topic = factory.Sequence(lambda n: f"Тема урока {n + 1}")


class HomeworkFactory(DjangoModelFactory):
    class Meta:
        model = Homework

    lesson = factory.SubFactory(LessonFactory)
    text = "Учебник, § 5, упражнения 12–14"
    pages = "31–33"
    exercises = "12, 13, 14"


class LessonNoteFactory(DjangoModelFactory):
    class Meta:
        model = LessonNote

    lesson = factory.SubFactory(LessonFactory)
    student = factory.SubFactory(StudentFactory, school=factory.SelfAttribute("..lesson.group.year.school"))
    kind = "praise"
    text = "Отлично работал на уроке"
