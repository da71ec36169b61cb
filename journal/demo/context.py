"""The in-memory state of one demo school while it is being built, shared by the phases."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from dataclasses import dataclass, field

from accounts.models import User
from grading.models import WorkType
from journal.models import (
    AcademicYear,
    Lesson,
    School,
    SchoolClass,
    Student,
    StudyPeriod,
    Subject,
    TeachingGroup,
)

from .calendar import YearCalendar
from .refdata import BellRow, CurriculumRow

UTC = dt.UTC


@dataclass
class ClassInfo:
    obj: SchoolClass
    grade: int
    letter: str
    index: int

    @property
    def name(self) -> str:
        return f"{self.grade}{self.letter}"


@dataclass
class StudentInfo:
    obj: Student
    cls: ClassInfo  # the class the student is in at the start of the year (or on admission)
    ability: float  # the student's usual level on the 1–5 scale
    sickliness: float  # how often the student falls ill, relative to the average
    start: dt.date  # the first day in the school this year
    end: dt.date | None = None  # the last day (left the school)

    @property
    def pk(self) -> int:
        return self.obj.pk


@dataclass
class Member:
    """A student's membership of a group from ``start`` to ``end`` (open when None)."""

    student: StudentInfo
    start: dt.date
    end: dt.date | None = None

    def on(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class PlanEntry:
    """One item of a group's КТП: its topic and, for a control work, the work type's short name."""

    topic: str
    control: str = ""  # "К/р", "К/д", … for a control work; empty otherwise

    @property
    def is_control_work(self) -> bool:
        return bool(self.control)


@dataclass
class TeacherInfo:
    user: User
    family: str
    position: str
    room: str
    hours: int = 0


@dataclass
class GroupInfo:
    obj: TeachingGroup
    cls: ClassInfo
    subject: Subject
    row: CurriculumRow
    kind: str
    subgroup: int | None
    family: str = ""
    teacher: TeacherInfo | None = None
    members: list[Member] = field(default_factory=list)
    year_dates: list[tuple[dt.date, int]] = field(default_factory=list)  # every lesson of the year
    plan: list[PlanEntry] = field(default_factory=list)
    plan_item_ids: list[int] = field(default_factory=list)  # the КТП rows, one per entry of ``plan``
    lessons: list[Lesson] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return self.obj.pk

    @property
    def graded(self) -> bool:
        """Whether the journal of this group carries marks (R1: never in grade 1)."""
        return self.cls.grade > 1

    def members_on(self, day: dt.date) -> list[Member]:
        return [member for member in self.members if member.on(day)]


@dataclass
class SchoolBuild:
    """Everything one school's phases create, plus its seeded random generators."""

    number: int
    seed: int
    scale: float
    today: dt.date
    calendar: YearCalendar
    school: School | None = None
    year: AcademicYear | None = None
    periods: dict[tuple[str, int], StudyPeriod] = field(default_factory=dict)
    bells: dict[int, BellRow] = field(default_factory=dict)
    subjects: dict[str, Subject] = field(default_factory=dict)
    work_types: dict[str, WorkType] = field(default_factory=dict)  # by short name
    classes: list[ClassInfo] = field(default_factory=list)
    students: list[StudentInfo] = field(default_factory=list)
    groups: list[GroupInfo] = field(default_factory=list)
    staff: dict[str, User] = field(default_factory=dict)  # "director", "deputy", "deputy2", …
    teachers: list[TeacherInfo] = field(default_factory=list)
    class_teacher: dict[int, User] = field(default_factory=dict)  # class pk → class teacher
    demo_child: StudentInfo | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def is_demo(self) -> bool:
        """School 1 holds the fixed demo logins."""
        return self.number == 1

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.school.time_zone if self.school else "Europe/Moscow")

    def rng(self, phase: str) -> random.Random:
        """A generator of its own for each phase, so one phase's changes never shift another's data."""
        return random.Random(f"demo:{self.seed}:{self.number}:{phase}")

    def at(self, day: dt.date, time: dt.time, seconds: int = 0) -> dt.datetime:
        """The moment ``time`` on ``day`` at the school, plus ``seconds``, in UTC."""
        local = dt.datetime.combine(day, time, tzinfo=self.tz) + dt.timedelta(seconds=seconds)
        return local.astimezone(UTC)

    def username(self, kind: str, number: int, width: int = 3) -> str:
        """Generated logins: ``s1t007`` (teacher), ``s1p00042`` (parent), ``s1s00042`` (student)."""
        return f"s{self.number}{kind}{number:0{width}d}"
