"""What happened at the held lessons: topics, absences, mark columns and marks, homework, remarks, and
the period marks of finished periods (R1–R4, R7–R9, R11, R14). Every mark, period mark, absence (and the
setting of its reason), topic and homework gets its history event.

Rules kept: no marks in grade 1; every mark is in a column of a work type the subject allows; a control
work gives every present student a mark, and an absent one gets it later in a correction column on a
lesson they attend; a student absent at a lesson never has a mark in that lesson's own columns; PE
students exempt on medical grounds get «осв» where the whole group is marked; pass/fail subjects get
«зач»/«незач».
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from accounts.models import User
from attendance.models import Absence, AbsenceKind, AbsenceReason
from grading.models import EventAction, EventObject, Mark, MarkCode, MarkColumn, PeriodMark, PeriodMarkCode, WorkType
from journal.models import (
    Assessment,
    Homework,
    Lesson,
    LessonNote,
    LessonStatus,
    MedicalGroup,
    NoteKind,
    PeriodKind,
)

from .attendance_data import DayAbsence, SchoolDays, simulate_absent_days
from .context import GroupInfo, Member, SchoolBuild, StudentInfo
from .events import EventLog
from .fastinsert import insert, insert_rows
from .plan import MINOR, homework
from .refdata import PE_SUBJECT, work_types

MINUTE = 60
PRIMARY_HOMEWORK = {"Русский язык", "Математика", "Литературное чтение", "Окружающий мир"}
NOTES = {
    NoteKind.PRAISE: (
        ("Отличный ответ у доски", "Отличный ответ у доски"),
        ("Активно работал на уроке", "Активно работала на уроке"),
        ("Помог однокласснику разобраться в теме", "Помогла однокласснице разобраться в теме"),
        ("Подготовил интересное сообщение по теме урока", "Подготовила интересное сообщение по теме урока"),
    ),
    NoteKind.REMARK: (
        ("Не выполнил домашнее задание", "Не выполнила домашнее задание"),
        ("Забыл тетрадь и учебник", "Забыла тетрадь и учебник"),
        ("Отвлекался на уроке, мешал работать классу", "Отвлекалась на уроке, мешала работать классу"),
        ("Не принёс спортивную форму", "Не принесла спортивную форму"),
    ),
    NoteKind.MESSAGE: (
        ("Прошу обратить внимание на подготовку к контрольной работе",) * 2,
        ("Прошу проверить выполнение домашних заданий по предмету",) * 2,
        ("Необходимо повторить правила по теме урока",) * 2,
    ),
}


@dataclass
class Pending:
    """A control work a student missed and still has to write (R3)."""

    column: MarkColumn
    work_type: WorkType
    title: str


def _draw(rng: random.Random, ability: float, shift: float) -> int:
    value = int(ability + shift + rng.gauss(0, 0.75) + 0.5)
    if value <= 1:
        value = 1 if rng.random() < 0.12 else 2
    return min(5, value)


def round_half_up(value: float) -> int:
    return int(math.floor(value + 0.5))


class JournalWriter:
    """Builds the journal of every group of one school in memory, then writes it in bulk."""

    def __init__(self, ctx: SchoolBuild) -> None:
        self.ctx = ctx
        self.rng = ctx.rng("journal")
        self.school_days = SchoolDays(ctx)
        self.absent_days = simulate_absent_days(ctx, self.school_days)
        self.log = EventLog()
        self.columns: list[MarkColumn] = []
        # column, student, value, value2, code, author, time, group, lesson — inserted as plain rows
        self.marks: list[tuple] = []
        self.absences: list[tuple[Absence, int, dt.datetime]] = []
        self.homework: list[tuple[Homework, int]] = []
        self.notes: list[LessonNote] = []
        self.period_marks: list[tuple[PeriodMark, int]] = []
        types = ctx.work_types
        self.oral = [types["Отв"], types["РнУ"]]
        self.notebook = types["Тетр"]
        self.type_rows = {row.short: row for row in work_types()}

    # --- per group ---------------------------------------------------------------------------------------

    def write_group(self, group: GroupInfo) -> None:
        """The group's held lessons in order, then its period marks; everything is kept for :meth:`save`."""
        ctx, rng = self.ctx, self.rng
        held = [lesson for lesson in group.lessons if lesson.status == LessonStatus.HELD]
        if not held:
            return
        class_teacher = ctx.class_teacher[group.cls.obj.pk]
        pending: dict[int, list[Pending]] = {}
        tally: dict[int, list[tuple[dt.date, int, int | None, int | None, str]]] = {}
        written = self._written_types(group)
        for index, lesson in enumerate(held):
            day, bell = lesson.date, ctx.bells[lesson.number]
            actor = lesson.teacher_id
            self.log.add(
                group.pk,
                ctx.at(day, bell.start, 3 * MINUTE),
                actor_id=actor,
                object_type=EventObject.TOPIC,
                object_id=lesson.pk,
                lesson_id=lesson.pk,
                new={"topic": lesson.topic, "plan_item": lesson.plan_item_id},
            )
            members = group.members_on(day)
            absent = self._absences(group, lesson, members, class_teacher)
            present = [member.student for member in members if member.student.pk not in absent]
            if group.graded:
                self._marks(group, lesson, index, present, absent, pending, tally, written)
            self._homework(group, lesson, index)
            if present and rng.random() < 0.04:
                self._note(group, lesson, rng.choice(present))
        if group.graded:
            self._period_marks(group, held, tally)

    def _absences(self, group: GroupInfo, lesson: Lesson, members: list[Member], class_teacher: User) -> set[int]:
        ctx, rng = self.ctx, self.rng
        day, bell = lesson.date, ctx.bells[lesson.number]
        absent: set[int] = set()
        truant = 0.002 if group.cls.grade >= 7 else 0.0003
        late = 0.02 if lesson.number == 1 else 0.002
        for offset, member in enumerate(members):
            student = member.student
            record = self.absent_days.get((student.pk, day))
            minutes = None
            if record is None and rng.random() < truant:
                reason_day = self.school_days.next_day(group.cls.grade, day)
                record = DayAbsence(AbsenceReason.UNEXCUSED, "", reason_day)
            if record is None:
                if rng.random() >= late:
                    continue
                minutes = rng.randint(5, 15)
            created = ctx.at(day, bell.start, (minutes or 5) * MINUTE + offset * 7)
            absence = Absence(
                lesson_id=lesson.pk,
                student_id=student.pk,
                kind=AbsenceKind.LATE if minutes else AbsenceKind.ABSENT,
                minutes_late=minutes,
                reason=AbsenceReason.UNKNOWN,
                created_by_id=lesson.teacher_id,
                created_at=created,
                updated_at=created,
            )
            if minutes is None:
                absent.add(student.pk)
                if record.reason_day is not None:
                    absence.reason, absence.note = record.reason, record.note
                    absence.reason_set_by_id = class_teacher.pk
                    absence.reason_set_at = ctx.at(record.reason_day, dt.time(8, 10), rng.randrange(50 * MINUTE))
                    absence.updated_at = absence.reason_set_at
            self.absences.append((absence, group.pk, created))
        return absent

    def _written_types(self, group: GroupInfo) -> list[WorkType]:
        subject = group.subject.name
        if subject == PE_SUBJECT:
            wanted = ("Тест",)
        elif subject in MINOR and subject != "Основы безопасности и защиты Родины":
            wanted = ("Практ", "Проект")
        else:
            wanted = ("С/р", "Пр/р", "Тест", "ДЗ", "Практ", "Лаб", "Изл")
        allowed = {wt.pk for wt in self.ctx.work_types.values() if wt.short_name in wanted}
        return [wt for wt in self.ctx.work_types.values() if wt.pk in allowed and self._applies(wt, subject)]

    def _applies(self, work_type: WorkType, subject: str) -> bool:
        return self.type_rows[work_type.short_name].applies(subject)

    # --- marks -------------------------------------------------------------------------------------------

    def _column(
        self,
        group: GroupInfo,
        lesson: Lesson,
        work_type: WorkType,
        title: str,
        at: dt.datetime,
        *,
        correction: bool = False,
    ) -> MarkColumn:
        column = MarkColumn(
            lesson_id=lesson.pk,
            work_type=work_type,
            title=title[:300],
            is_correction=correction,
            created_by_id=lesson.teacher_id,
            created_at=at,
        )
        self.columns.append(column)
        return column

    def _mark(
        self,
        group: GroupInfo,
        lesson: Lesson,
        column: MarkColumn,
        student: StudentInfo,
        at: dt.datetime,
        shift: float,
        tally: dict,
        *,
        whole_group: bool = False,
    ) -> None:
        """One mark drawn around the student's level; «осв» for a PE-exempt student when the whole
        group is marked (a norm), «зач»/«незач» in pass/fail subjects, sometimes «4/3» (R2)."""
        rng = self.rng
        value = value2 = None
        code = MarkCode.NONE
        if group.subject.assessment == Assessment.PASS_FAIL:
            code = MarkCode.FAIL if rng.random() < (0.06 if student.ability < 3.2 else 0.01) else MarkCode.PASS
        elif whole_group and group.subject.name == PE_SUBJECT and student.obj.medical_group == MedicalGroup.EXEMPT:
            code = MarkCode.EXEMPT
        else:
            value = _draw(rng, student.ability, shift)
            if group.subject.allows_double_mark and column.work_type.is_written and rng.random() < 0.35:
                value2 = _draw(rng, student.ability, shift - 0.3)
        self.marks.append((column, student.pk, value, value2, code, lesson.teacher_id, at, group.pk, lesson.pk))
        tally.setdefault(student.pk, []).append((lesson.date, column.work_type.weight, value, value2, code))

    def _marks(
        self,
        group: GroupInfo,
        lesson: Lesson,
        index: int,
        present: list[StudentInfo],
        absent: set[int],
        pending: dict[int, list[Pending]],
        tally: dict,
        written: list[WorkType],
    ) -> None:
        ctx, rng = self.ctx, self.rng
        day, bell = lesson.date, ctx.bells[lesson.number]
        end = ctx.at(day, bell.end, -10 * MINUTE)
        evening = ctx.at(day, dt.time(18, 0), rng.randrange(90 * MINUTE))
        hours = group.row.hours
        # Students who missed a control work write it now, in a correction column (R3).
        due: dict[int, tuple[Pending, list[StudentInfo]]] = {}
        for student in present:
            if student.pk in pending and rng.random() < 0.6:
                for owed in pending.pop(student.pk):
                    due.setdefault(id(owed.column), (owed, []))[1].append(student)
        for owed, students in due.values():
            column = self._column(group, lesson, owed.work_type, f"Коррекция: {owed.title}", end, correction=True)
            for offset, student in enumerate(students):
                self._mark(group, lesson, column, student, end + dt.timedelta(seconds=20 * offset), -0.1, tally)
        entry = group.plan[index]
        if entry.is_control_work:
            work_type = ctx.work_types[entry.control]
            column = self._column(group, lesson, work_type, entry.topic, end)
            for offset, student in enumerate(present):
                at = evening + dt.timedelta(seconds=20 * offset)
                self._mark(group, lesson, column, student, at, -0.15, tally, whole_group=True)
            for member in group.members_on(day):
                if member.student.pk in absent:
                    pending.setdefault(member.student.pk, []).append(Pending(column, work_type, entry.topic))
            return
        if written and rng.random() < {1: 0.2, 2: 0.15}.get(hours, 0.12):
            work_type = rng.choice(written)
            column = self._column(group, lesson, work_type, f"{work_type.name}: {entry.topic}", end)
            share = rng.uniform(0.75, 1.0)
            for offset, student in enumerate(present):
                if rng.random() < share:
                    # In PE this is a theory test: students exempt from PE are graded on theory (R2).
                    self._mark(group, lesson, column, student, evening + dt.timedelta(seconds=20 * offset), 0.0, tally)
        if present and rng.random() < {1: 0.75, 2: 0.6, 3: 0.5}.get(hours, 0.45):
            low, high = {1: (3, 7), 2: (2, 5)}.get(hours, (1, 4))
            pool = [
                s
                for s in present
                if not (group.subject.name == PE_SUBJECT and s.obj.medical_group == MedicalGroup.EXEMPT)
            ]
            pool.sort(key=lambda s: len(tally.get(s.pk, ())) + 2.5 * rng.random())
            chosen = pool[: rng.randint(low, high)]
            if chosen:
                work_type = self.oral[1] if group.subject.name == PE_SUBJECT else rng.choice(self.oral)
                column = self._column(group, lesson, work_type, "", end)
                for offset, student in enumerate(chosen):
                    self._mark(group, lesson, column, student, end + dt.timedelta(seconds=15 * offset), 0.15, tally)
        if self._last_of_month(group, index) and self._applies(self.notebook, group.subject.name):
            # Notebooks are marked once a month (R3), a part of the class each time.
            column = self._column(group, lesson, self.notebook, "Ведение тетради", evening)
            share = rng.uniform(0.5, 0.9)
            for offset, student in enumerate(present):
                if rng.random() < share:
                    at = evening + dt.timedelta(seconds=30 * MINUTE + 20 * offset)
                    self._mark(group, lesson, column, student, at, 0.3, tally)

    @staticmethod
    def _last_of_month(group: GroupInfo, index: int) -> bool:
        if index + 1 >= len(group.year_dates):
            return True
        return group.year_dates[index + 1][0].month != group.year_dates[index][0].month

    # --- homework and notes ------------------------------------------------------------------------------

    def _homework(self, group: GroupInfo, lesson: Lesson, index: int) -> None:
        ctx, rng = self.ctx, self.rng
        subject, grade = group.subject.name, group.cls.grade
        if grade == 1:
            chance = 0.35 if subject in PRIMARY_HOMEWORK else 0.0
        else:
            chance = 0.12 if subject in MINOR else 0.85
        if group.plan[index].is_control_work:
            chance /= 2
        if rng.random() >= chance:
            return
        text, pages, exercises = homework(subject, grade, index + 1, rng)
        due = next((day for day, _n in group.year_dates[index + 1 :] if day > lesson.date), None)
        at = ctx.at(lesson.date, ctx.bells[lesson.number].end, -2 * MINUTE)
        item = Homework(
            lesson_id=lesson.pk,
            due_date=due,
            text=text,
            pages=pages,
            exercises=exercises,
            created_by_id=lesson.teacher_id,
            created_at=at,
            updated_at=at,
        )
        self.homework.append((item, group.pk))

    def _note(self, group: GroupInfo, lesson: Lesson, student: StudentInfo) -> None:
        rng = self.rng
        kind = rng.choices((NoteKind.PRAISE, NoteKind.REMARK, NoteKind.MESSAGE), weights=(45, 40, 15))[0]
        male, female = rng.choice(NOTES[kind])
        at = self.ctx.at(lesson.date, self.ctx.bells[lesson.number].end, -MINUTE)
        note = LessonNote(
            lesson_id=lesson.pk,
            student_id=student.pk,
            kind=kind,
            text=female if student.obj.sex == "f" else male,
            created_by_id=lesson.teacher_id,
            created_at=at,
        )
        self.notes.append(note)

    # --- period marks ------------------------------------------------------------------------------------

    def _period_marks(self, group: GroupInfo, held: list[Lesson], tally: dict) -> None:
        """Marks of every finished period of the class's scheme (and the year): the weighted average
        rounded half up (both values of «4/3» count), «н/а» without marks, «зач»/«незач», «осв»."""
        ctx = self.ctx
        kinds = (group.cls.obj.period_kind, PeriodKind.YEAR)
        for (kind, _number), period in ctx.periods.items():
            if kind not in kinds or period.end >= ctx.today:
                continue
            inside = [lesson.date for lesson in held if period.start <= lesson.date <= period.end]
            if not inside:
                continue
            last = inside[-1]
            base = ctx.at(last, dt.time(20, 0))
            for offset, member in enumerate(group.members_on(last)):
                student = member.student
                entries = [e for e in tally.get(student.pk, ()) if period.start <= e[0] <= period.end]
                value, code = self._period_value(group, student, entries)
                mark = PeriodMark(
                    group_id=group.pk,
                    student_id=student.pk,
                    period_id=period.pk,
                    value=value,
                    code=code,
                    created_by_id=group.teacher.user.pk,
                    created_at=base + dt.timedelta(seconds=20 * offset),
                    updated_at=base + dt.timedelta(seconds=20 * offset),
                )
                self.period_marks.append((mark, group.pk))

    @staticmethod
    def _period_value(group: GroupInfo, student: StudentInfo, entries: list) -> tuple[int | None, str]:
        if group.subject.assessment == Assessment.PASS_FAIL:
            codes = [e[4] for e in entries if e[4] in (MarkCode.PASS, MarkCode.FAIL)]
            if not codes:
                return None, PeriodMarkCode.NOT_ASSESSED
            passed = codes.count(MarkCode.PASS) >= codes.count(MarkCode.FAIL)
            return None, PeriodMarkCode.PASS if passed else PeriodMarkCode.FAIL
        total = weights = 0
        for _day, weight, value, value2, _code in entries:
            for v in (value, value2):
                if v is not None:
                    total += v * weight
                    weights += weight
        if weights:
            return round_half_up(total / weights), PeriodMarkCode.NONE
        if group.subject.name == PE_SUBJECT and student.obj.medical_group == MedicalGroup.EXEMPT:
            return None, PeriodMarkCode.EXEMPT
        return None, PeriodMarkCode.NOT_ASSESSED

    # --- writing -----------------------------------------------------------------------------------------

    def save(self) -> int:
        """Insert everything in bulk and append the history: one event per mark, absence (and the class
        teacher's setting of its reason), topic, homework and period mark (DESIGN.md §3 "history");
        returns the number of events."""
        ctx, log = self.ctx, self.log
        insert(self.columns)
        columns = ("column_id", "student_id", "value", "value2", "code", "created_by_id", "created_at", "updated_at")
        mark_ids = insert_rows(
            Mark, columns, [(c.pk, s, v, v2, code, by, at, at) for c, s, v, v2, code, by, at, _g, _l in self.marks]
        )
        insert([a for a, _g, _c in self.absences])
        insert([h for h, _g in self.homework])
        insert(self.notes)
        insert([p for p, _g in self.period_marks])
        for mark_id, (column, student_id, value, value2, code, author, at, group_id, lesson_id) in zip(
            mark_ids, self.marks, strict=True
        ):
            log.add(
                group_id,
                at,
                actor_id=author,
                object_type=EventObject.MARK,
                object_id=mark_id,
                lesson_id=lesson_id,
                student_id=student_id,
                new={"column": column.pk, "value": value, "value2": value2, "code": code},
            )
        for absence, group_id, created in self.absences:
            common = {"object_type": EventObject.ABSENCE, "object_id": absence.pk}
            common |= {"lesson_id": absence.lesson_id, "student_id": absence.student_id}
            new = {"kind": absence.kind, "minutes_late": absence.minutes_late, "reason": AbsenceReason.UNKNOWN}
            log.add(group_id, created, actor_id=absence.created_by_id, new=new, **common)
            if absence.reason_set_at is not None:
                log.add(
                    group_id,
                    absence.reason_set_at,
                    actor_id=absence.reason_set_by_id,
                    action=EventAction.UPDATE,
                    old={"reason": AbsenceReason.UNKNOWN},
                    new={"reason": absence.reason, "note": absence.note},
                    **common,
                )
        for item, group_id in self.homework:
            log.add(
                group_id,
                item.created_at,
                actor_id=item.created_by_id,
                object_type=EventObject.HOMEWORK,
                object_id=item.pk,
                lesson_id=item.lesson_id,
                new={
                    "text": item.text,
                    "pages": item.pages,
                    "exercises": item.exercises,
                    "due_date": item.due_date.isoformat() if item.due_date else None,
                },
            )
        for mark, group_id in self.period_marks:
            log.add(
                group_id,
                mark.created_at,
                actor_id=mark.created_by_id,
                object_type=EventObject.PERIOD_MARK,
                object_id=mark.pk,
                student_id=mark.student_id,
                new={"period": mark.period_id, "value": mark.value, "code": mark.code},
            )
        ctx.counts |= {
            "marks": len(self.marks),
            "absences": len(self.absences),
            "homework": len(self.homework),
            "period_marks": len(self.period_marks),
            "notes": len(self.notes),
            "columns": len(self.columns),
        }
        return log.flush()


def write_journal(ctx: SchoolBuild) -> int:
    """Fill the journals of every group of the school; returns the number of history events."""
    writer = JournalWriter(ctx)
    for group in ctx.groups:
        writer.write_group(group)
    return writer.save()
