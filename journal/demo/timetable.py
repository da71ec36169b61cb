"""The weekly timetable: a greedy scheduler with a repair step and retries, and a verifier.

Guarantees (checked by :func:`verify` before anything is written): every group gets exactly its weekly
hours; no teacher is in two places at one weekday and lesson number; a class has one lesson per slot
except the two subgroups of one subject, which run in parallel with their two teachers; a class has at
most 7 lessons a day (5 in grades 1–4), with no gaps from the first lesson.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from journal.models import GroupKind, TimetableSlot

from .context import ClassInfo, GroupInfo, SchoolBuild
from .fastinsert import insert
from .structure import year_lesson_dates

DAYS = 5
ATTEMPTS = 60
# Subjects that are best early in the day, and those that are fine at the end of it.
HEAVY = {
    "Русский язык",
    "Математика",
    "Алгебра",
    "Геометрия",
    "Алгебра и начала математического анализа",
    "Физика",
    "Химия",
    "Иностранный язык (английский)",
}
LIGHT = {
    "Физическая культура",
    "Музыка",
    "Изобразительное искусство",
    "Труд (технология)",
    "Основы религиозных культур и светской этики",
    "Индивидуальный проект",
}


class TimetableError(RuntimeError):
    pass


@dataclass
class Unit:
    """One weekly lesson of a class: one group, or the two parallel subgroups of a subject."""

    cls: ClassInfo
    subject: str
    teachers: tuple[int, ...]
    groups: tuple[GroupInfo, ...]
    weekly: int  # the subject's weekly hours in the class


def max_per_day(grade: int) -> int:
    return 5 if grade <= 4 else 7


def _units(ctx: SchoolBuild) -> list[Unit]:
    units: list[Unit] = []
    by_class: dict[int, list[GroupInfo]] = {}
    for group in ctx.groups:
        by_class.setdefault(group.cls.index, []).append(group)
    for cls in ctx.classes:
        pairs: dict[str, list[GroupInfo]] = {}
        for group in by_class.get(cls.index, []):
            if group.kind == GroupKind.SUBGROUP:
                pairs.setdefault(group.subject.name, []).append(group)
            else:
                for _ in range(group.row.hours):
                    units.append(Unit(cls, group.subject.name, (group.teacher.user.pk,), (group,), group.row.hours))
        for subject, pair in pairs.items():
            pair.sort(key=lambda g: g.subgroup or 0)
            teachers = tuple(g.teacher.user.pk for g in pair)
            if len(set(teachers)) != len(teachers):
                raise TimetableError(f"{cls.name}: both subgroups of {subject} have the same teacher")
            for _ in range(pair[0].row.hours):
                units.append(Unit(cls, subject, teachers, tuple(pair), pair[0].row.hours))
    return units


class Scheduler:
    """Places units into each class's fixed day shape (lessons 1..n each day) without clashes."""

    def __init__(self, ctx: SchoolBuild, units: list[Unit], rng: random.Random) -> None:
        self.rng = rng
        self.units = units
        self.cells: dict[int, list[tuple[int, int]]] = {}  # class index → its (day, number) cells
        per_class = Counter(unit.cls.index for unit in units)
        for cls in ctx.classes:
            total = per_class.get(cls.index, 0)
            base, extra = divmod(total, DAYS)
            shift = rng.randrange(DAYS)
            counts = [base + (1 if (day - shift) % DAYS < extra else 0) for day in range(DAYS)]
            if max(counts, default=0) > max_per_day(cls.grade):
                raise TimetableError(f"{cls.name}: {total} lessons a week do not fit into {DAYS} days")
            self.cells[cls.index] = [(day, number) for day in range(DAYS) for number in range(1, counts[day] + 1)]
        self.busy: dict[tuple[int, int, int], int] = {}  # (teacher, day, number) → unit index
        self.placed: dict[tuple[int, int, int], int] = {}  # (class, day, number) → unit index
        self.where: dict[int, tuple[int, int]] = {}  # unit index → (day, number)
        self.per_day: Counter[tuple[int, str, int]] = Counter()  # (class, subject, day) → lessons
        load = Counter(t for unit in units for t in unit.teachers)
        self.load = load

    def _free(self, ui: int, cell: tuple[int, int], ignore: int | None = None) -> bool:
        unit = self.units[ui]
        day, number = cell
        for teacher in unit.teachers:
            holder = self.busy.get((teacher, day, number))
            if holder is not None and holder != ignore:
                return False
        same = self.per_day[(unit.cls.index, unit.subject, day)]
        if ignore is not None and self.units[ignore].subject == unit.subject and self.where[ignore][0] == day:
            same -= 1
        return same < 2

    def _score(self, ui: int, cell: tuple[int, int]) -> float:
        unit = self.units[ui]
        day, number = cell
        score = 100.0 * self.per_day[(unit.cls.index, unit.subject, day)]
        if unit.subject in HEAVY:
            score += abs(number - 2.5)
        elif unit.subject in LIGHT:
            score += 0.6 * (max_per_day(unit.cls.grade) - number)
        return score + self.rng.random()

    def _put(self, ui: int, cell: tuple[int, int]) -> None:
        unit = self.units[ui]
        day, number = cell
        for teacher in unit.teachers:
            self.busy[(teacher, day, number)] = ui
        self.placed[(unit.cls.index, day, number)] = ui
        self.where[ui] = cell
        self.per_day[(unit.cls.index, unit.subject, day)] += 1

    def _take(self, ui: int) -> tuple[int, int]:
        unit = self.units[ui]
        day, number = self.where.pop(ui)
        for teacher in unit.teachers:
            del self.busy[(teacher, day, number)]
        del self.placed[(unit.cls.index, day, number)]
        self.per_day[(unit.cls.index, unit.subject, day)] -= 1
        return day, number

    def _open_cells(self, class_index: int) -> list[tuple[int, int]]:
        return [cell for cell in self.cells[class_index] if (class_index, *cell) not in self.placed]

    def _repair(self, ui: int) -> bool:
        """Move one lesson of the class elsewhere so that ``ui`` can take its place."""
        class_index = self.units[ui].cls.index
        occupied = [cell for cell in self.cells[class_index] if (class_index, *cell) in self.placed]
        self.rng.shuffle(occupied)
        for cell in occupied:
            other = self.placed[(class_index, *cell)]
            if not self._free(ui, cell, ignore=other):
                continue
            self._take(other)
            targets = [c for c in self._open_cells(class_index) if c != cell and self._free(other, c)]
            if targets:
                self._put(other, min(targets, key=lambda c: self._score(other, c)))
                self._put(ui, cell)
                return True
            self._put(other, cell)
        return False

    def run(self) -> bool:
        order = sorted(
            range(len(self.units)),
            key=lambda i: (
                -max(self.load[t] for t in self.units[i].teachers),
                -len(self.units[i].teachers),
                self.rng.random(),
            ),
        )
        for ui in order:
            options = [cell for cell in self._open_cells(self.units[ui].cls.index) if self._free(ui, cell)]
            if options:
                self._put(ui, min(options, key=lambda c: self._score(ui, c)))
            elif not self._repair(ui):
                return False
        return True


def verify(ctx: SchoolBuild, weekly: dict[int, list[tuple[int, int]]]) -> None:
    """Raise :class:`TimetableError` unless the timetable keeps every guarantee of this module."""
    teacher_at: dict[tuple[int, int, int], int] = {}
    class_at: dict[tuple[int, int, int], list[GroupInfo]] = {}
    for group in ctx.groups:
        slots = weekly.get(group.pk, [])
        if len(slots) != group.row.hours:
            raise TimetableError(f"{group.obj.name}: {len(slots)} lessons a week instead of {group.row.hours}")
        for weekday, number in slots:
            key = (group.teacher.user.pk, weekday, number)
            if key in teacher_at:
                raise TimetableError(f"teacher {group.teacher.user.username} has two lessons at {weekday}/{number}")
            teacher_at[key] = group.pk
            class_at.setdefault((group.cls.index, weekday, number), []).append(group)
    per_day: Counter[tuple[int, int]] = Counter()
    numbers: dict[tuple[int, int], set[int]] = {}
    for (class_index, weekday, number), groups in class_at.items():
        if len(groups) > 1:
            subjects = {g.subject.name for g in groups}
            if len(subjects) > 1 or any(g.kind != GroupKind.SUBGROUP for g in groups):
                raise TimetableError(f"{groups[0].cls.name} has two lessons at {weekday}/{number}")
        per_day[(class_index, weekday)] += 1
        numbers.setdefault((class_index, weekday), set()).add(number)
    grades = {cls.index: cls for cls in ctx.classes}
    for (class_index, weekday), count in per_day.items():
        cls = grades[class_index]
        if count > max_per_day(cls.grade):
            raise TimetableError(f"{cls.name} has {count} lessons on day {weekday}")
        if numbers[(class_index, weekday)] != set(range(1, count + 1)):
            raise TimetableError(f"{cls.name} has a gap in its day {weekday}")


def build_timetable(ctx: SchoolBuild) -> dict[int, list[tuple[int, int]]]:
    """Schedule, verify and save the timetable; fill each group's lesson dates for the whole year.

    Returns the weekly slots per group pk as (weekday 1–5, lesson number).
    """
    units = _units(ctx)
    for attempt in range(ATTEMPTS):
        scheduler = Scheduler(ctx, units, ctx.rng(f"timetable:{attempt}"))
        if scheduler.run():
            break
    else:
        raise TimetableError(f"no timetable found for school {ctx.number} in {ATTEMPTS} attempts")
    weekly: dict[int, list[tuple[int, int]]] = {}
    for ui, (day, number) in sorted(scheduler.where.items()):
        for group in units[ui].groups:
            weekly.setdefault(group.pk, []).append((day + 1, number))
    for slots in weekly.values():
        slots.sort()
    verify(ctx, weekly)
    insert(
        [
            TimetableSlot(
                group_id=group.pk,
                weekday=weekday,
                number=number,
                room=group.teacher.room,
                valid_from=ctx.year.start,
            )
            for group in ctx.groups
            for weekday, number in weekly.get(group.pk, [])
        ]
    )
    year_lesson_dates(ctx, weekly)
    ctx.counts["timetable_attempts"] = attempt + 1
    return weekly
