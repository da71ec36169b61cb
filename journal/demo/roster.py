"""Students, their enrollments and group memberships (with a little movement), parents, students' own
logins and the consent registry."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from accounts.models import Consent, Relation, User
from accounts.services import parent_link_bulk, student_login_set_bulk
from journal.models import (
    Enrollment,
    EnrollmentReason,
    GroupKind,
    GroupMembership,
    MedicalGroup,
    Sex,
    Student,
)

from .context import ClassInfo, GroupInfo, Member, SchoolBuild, StudentInfo
from .fastinsert import insert
from .people import DEMO_CHILD, DEMO_CHILD_FAMILY, DEMO_PARENT, FullName, NameMaker
from .refdata import PE_SUBJECT
from .structure import class_sizes

ONE_DAY = dt.timedelta(days=1)


@dataclass
class Segment:
    """A student's stay in one class: from ``start`` to ``end`` (open when None)."""

    student: StudentInfo
    cls: ClassInfo
    start: dt.date
    end: dt.date | None = None
    reason: str = ""  # empty: the usual reason of the start of the year
    order: str = ""
    end_reason: str = ""
    end_order: str = ""


def order_number(number: int, day: dt.date) -> str:
    return f"№ {number}-у от {day:%d.%m.%Y}"


def _medical_group(value: float) -> str:
    if value < 0.86:
        return MedicalGroup.MAIN
    if value < 0.95:
        return MedicalGroup.PREPARATORY
    if value < 0.985:
        return MedicalGroup.SPECIAL
    return MedicalGroup.EXEMPT


class Roster:
    """Builds the students of one school and everything that hangs on them."""

    def __init__(self, ctx: SchoolBuild) -> None:
        self.ctx = ctx
        self.rng = ctx.rng("students")
        self.names = NameMaker(self.rng)
        self.families: dict[int, tuple[tuple[str, str], tuple[str, str]]] = {}  # id(info) → surname, patronymic
        self.segments: list[Segment] = []
        self.movement_orders = 40
        self.file_number = 0

    # --- students ---------------------------------------------------------------------------------

    def _student(self, cls: ClassInfo, start: dt.date, name: FullName | None = None) -> StudentInfo:
        rng = self.rng
        if name is None:
            name, surname, patronymic = self.names.child(self.names.sex())
        else:
            surname, patronymic = DEMO_CHILD_FAMILY
        self.file_number += 1
        start_year = self.ctx.calendar.start_year
        birth = dt.date(start_year - 6 - cls.grade, 9, 1) + dt.timedelta(days=rng.randrange(365))
        student = Student(
            school=self.ctx.school,
            last_name=name.last,
            first_name=name.first,
            patronymic=name.patronymic,
            birth_date=birth,
            sex=name.sex,
            personal_file_number=f"{name.last[0]}-{self.file_number:04d}",
            medical_group=_medical_group(rng.random()),
            address=self.names.address(),
        )
        ability = min(4.95, max(2.5, rng.gauss(3.85, 0.55)))
        sickliness = rng.choice((0.2, 0.5, 0.8, 1.0, 1.0, 1.3, 1.8, 2.8))
        info = StudentInfo(student, cls, ability, sickliness, start)
        self.families[id(info)] = (surname, patronymic)
        return info

    def create_students(self) -> None:
        """The class lists at the start of the year; in school 1 the demo child is one of 5А."""
        ctx = self.ctx
        infos: list[StudentInfo] = []
        for cls, size in zip(ctx.classes, class_sizes(ctx), strict=True):
            for index in range(size):
                if ctx.is_demo and cls.name == "5А" and index == 0:
                    child = self._student(cls, ctx.year.start, DEMO_CHILD)
                    child.obj.medical_group = MedicalGroup.MAIN
                    child.ability, child.sickliness = 4.3, 0.5
                    ctx.demo_child = child
                    infos.append(child)
                else:
                    infos.append(self._student(cls, ctx.year.start))
        ctx.students = infos
        self.segments = [Segment(info, info.cls, info.start) for info in infos]

    def _first_school_day(self, grade: int, on_or_after: dt.date) -> dt.date | None:
        days = self.ctx.calendar.school_days(grade, start=on_or_after)
        return days[0] if days and days[0] < self.ctx.today else None

    def plan_movement(self) -> None:
        """A few admissions in October, one or two students who left, and one transfer between two
        classes of the same grade — only where the date is already in the past."""
        ctx = self.ctx
        rng = ctx.rng("movement")
        y0 = ctx.calendar.start_year
        junior = [cls for cls in ctx.classes if 2 <= cls.grade <= 9]
        if not junior:
            return
        protected = {id(ctx.demo_child)} if ctx.demo_child else set()

        for target in (dt.date(y0, 10, 5), dt.date(y0, 10, 12), dt.date(y0, 10, 19))[: rng.choice((2, 3))]:
            cls = rng.choice(junior)
            day = self._first_school_day(cls.grade, target)
            if day is None:
                continue
            info = self._student(cls, day)
            ctx.students.append(info)
            self.movement_orders += 1
            order = order_number(self.movement_orders, day)
            self.segments.append(Segment(info, cls, day, reason=EnrollmentReason.ADMITTED, order=order))

        movable = [seg for seg in self.segments if seg.cls.grade <= 9 and seg.cls.grade >= 2 and seg.end is None]
        movable = [seg for seg in movable if seg.start == ctx.year.start and id(seg.student) not in protected]
        rng.shuffle(movable)
        for seg in movable[: rng.choice((1, 2))]:
            day = self._first_school_day(seg.cls.grade, dt.date(y0, 10, 14))
            if day is None:
                continue
            self.movement_orders += 1
            seg.end, seg.end_reason, seg.end_order = day, EnrollmentReason.LEFT, order_number(self.movement_orders, day)
            seg.student.end = day
            protected.add(id(seg.student))

        by_grade: dict[int, list[ClassInfo]] = {}
        for cls in ctx.classes:
            by_grade.setdefault(cls.grade, []).append(cls)
        pairs = [classes[:2] for grade, classes in sorted(by_grade.items()) if 2 <= grade <= 9 and len(classes) >= 2]
        if pairs:
            source, target = rng.choice(pairs)
            candidates = [
                seg
                for seg in self.segments
                if seg.cls is source and seg.end is None and id(seg.student) not in protected
            ]
            day = self._first_school_day(source.grade, dt.date(y0, 10, 19))
            if candidates and day is not None:
                seg = rng.choice(candidates)
                self.movement_orders += 1
                order = order_number(self.movement_orders, day)
                seg.end, seg.end_reason, seg.end_order = day - ONE_DAY, EnrollmentReason.TRANSFERRED, order
                self.segments.append(
                    Segment(seg.student, target, day, reason=EnrollmentReason.TRANSFERRED, order=order)
                )

    def save_students(self) -> None:
        """Students and their enrollments (grade 1 and 10 admitted, the rest promoted from last year)."""
        ctx = self.ctx
        insert([info.obj for info in ctx.students])
        y0 = ctx.calendar.start_year
        admitted_order = order_number(112, dt.date(y0, 8, 25))
        promoted_order = order_number(87, dt.date(y0, 5, 29))
        enrollments = []
        for seg in self.segments:
            if seg.reason:
                reason, order = seg.reason, seg.order
            elif seg.cls.grade in (1, 10):
                reason, order = EnrollmentReason.ADMITTED, admitted_order
            else:
                reason, order = EnrollmentReason.PROMOTED, promoted_order
            enrollments.append(
                Enrollment(
                    student_id=seg.student.pk,
                    school_class_id=seg.cls.obj.pk,
                    start=seg.start,
                    end=seg.end,
                    reason=reason,
                    order_number=order,
                    end_reason=seg.end_reason,
                    end_order_number=seg.end_order,
                )
            )
        insert(enrollments)
        ctx.counts["students"] = len(ctx.students)

    # --- group memberships ----------------------------------------------------------------------------

    def create_memberships(self) -> None:
        """Whole-class groups follow the enrollment; subgroups split the class alphabetically (PE 10–11:
        boys / girls); a newcomer joins the smaller subgroup. Written in one bulk insert."""
        ctx = self.ctx
        groups_by_class: dict[int, list[GroupInfo]] = {}
        for group in ctx.groups:
            groups_by_class.setdefault(group.cls.index, []).append(group)
        segments_by_class: dict[int, list[Segment]] = {}
        for seg in self.segments:
            segments_by_class.setdefault(seg.cls.index, []).append(seg)

        for cls in ctx.classes:
            segments = segments_by_class.get(cls.index, [])
            initial = sorted(
                (seg for seg in segments if seg.start == ctx.year.start),
                key=lambda seg: (seg.student.obj.last_name, seg.student.obj.first_name, seg.student.obj.patronymic),
            )
            later = sorted((seg for seg in segments if seg.start != ctx.year.start), key=lambda seg: seg.start)
            half = (len(initial) + 1) // 2
            for group in groups_by_class.get(cls.index, []):
                if group.kind == GroupKind.WHOLE_CLASS:
                    group.members = [Member(seg.student, seg.start, seg.end) for seg in initial + later]
                    continue
                by_sex = group.subject.name == PE_SUBJECT
                wanted = Sex.MALE if group.subgroup == 1 else Sex.FEMALE
                if by_sex:
                    chosen = [seg for seg in initial if seg.student.obj.sex == wanted]
                else:
                    chosen = initial[:half] if group.subgroup == 1 else initial[half:]
                group.members = [Member(seg.student, seg.start, seg.end) for seg in chosen]
            for seg in later:
                subgroups: dict[str, list[GroupInfo]] = {}
                for group in groups_by_class.get(cls.index, []):
                    if group.kind == GroupKind.SUBGROUP:
                        subgroups.setdefault(group.subject.name, []).append(group)
                for name, pair in subgroups.items():
                    if name == PE_SUBJECT:
                        number = 1 if seg.student.obj.sex == Sex.MALE else 2
                        target = next(group for group in pair if group.subgroup == number)
                    else:
                        target = min(pair, key=lambda group: (len(group.members_on(seg.start)), group.subgroup))
                    target.members.append(Member(seg.student, seg.start, seg.end))

        insert(
            [
                GroupMembership(group_id=group.pk, student_id=member.student.pk, start=member.start, end=member.end)
                for group in ctx.groups
                for member in group.members
            ]
        )

    # --- parents, students' logins, consent ------------------------------------------------------------

    def create_families(self) -> None:
        """1–2 parents per student (mother and/or father) with their own logins, a third of the students of
        grades 5–11 with a login of their own, and a consent record for everyone. Only the fixed demo
        logins get a password (set later); every other login has an unusable one."""
        ctx = self.ctx
        rng = ctx.rng("families")
        names = NameMaker(rng)
        parents: list[tuple[User, StudentInfo, str]] = []
        number = 0
        for info in ctx.students:
            surname, patronymic = self.families[id(info)]
            draw = rng.random()
            kinds = ("mother", "father") if draw < 0.65 else ("mother",) if draw < 0.95 else ("father",)
            if info is ctx.demo_child:
                kinds = ("mother", "father")
            for kind in kinds:
                number += 1
                if kind == "mother":
                    person = DEMO_PARENT if info is ctx.demo_child else names.mother_of(surname)
                else:
                    person = names.father_of(surname, patronymic)
                username = "parent" if info is ctx.demo_child and kind == "mother" else ctx.username("p", number, 5)
                user = User(
                    username=username,
                    last_name=person.last,
                    first_name=person.first,
                    patronymic=person.patronymic,
                    phone=names.phone(),
                )
                user.set_unusable_password()
                relation = Relation.MOTHER if kind == "mother" else Relation.FATHER
                parents.append((user, info, relation))
        User.objects.bulk_create([user for user, _info, _rel in parents], batch_size=1000)
        parent_link_bulk(actor=None, items=[(user, info.obj, relation) for user, info, relation in parents])
        ctx.counts["parents"] = len(parents)
        if ctx.is_demo:
            ctx.staff["parent"] = next(user for user, _i, _r in parents if user.username == "parent")

        own = [info for info in ctx.students if info.cls.grade >= 5 and rng.random() < 1 / 3]
        if ctx.demo_child is not None and ctx.demo_child not in own:
            own.append(ctx.demo_child)
        logins = []
        for info in own:
            student = info.obj
            username = "student" if info is ctx.demo_child else ctx.username("s", len(logins) + 1, 5)
            user = User(
                username=username,
                last_name=student.last_name,
                first_name=student.first_name,
                patronymic=student.patronymic,
            )
            user.set_unusable_password()
            logins.append((student, user))
        User.objects.bulk_create([user for _s, user in logins], batch_size=1000)
        student_login_set_bulk(actor=None, items=logins)
        if ctx.demo_child is not None:
            ctx.staff["student"] = ctx.demo_child.obj.user

        self._create_consents(parents, rng)

    def _create_consents(self, parents: list[tuple[User, StudentInfo, str]], rng: random.Random) -> None:
        ctx = self.ctx
        first_parent: dict[int, User] = {}
        for user, info, _relation in parents:
            first_parent.setdefault(id(info), user)
        candidates = [info for info in ctx.students if info is not ctx.demo_child]
        refused = {id(info) for info in rng.sample(candidates, min(len(candidates), rng.choice((2, 3))))}
        y0 = ctx.calendar.start_year
        consents = []
        for info in ctx.students:
            parent = first_parent[id(info)]
            if info.start == ctx.year.start:
                given_on = dt.date(y0, 8, rng.randint(20, 31))
            else:
                given_on = info.start - dt.timedelta(days=rng.randint(1, 3))
            is_refused = id(info) in refused
            consents.append(
                Consent(
                    student_id=info.pk,
                    given_by=parent.full_name,
                    given_on=given_on,
                    electronic_access_refused=is_refused,
                    note=(
                        "Заявление об отказе от электронного дневника; выписка на бумаге ежемесячно"
                        if is_refused
                        else "Согласие на обработку персональных данных (письменное)"
                    ),
                    recorded_by=ctx.staff.get("secretary"),
                    recorded_at=ctx.at(given_on, dt.time(10, 0), rng.randrange(3600)),
                )
            )
        insert(consents)
