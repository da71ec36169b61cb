"""Who was away when: illnesses lasting several days, family reasons, truancy and late arrivals (R8).

The simulation works on school days per student, so an ill student misses every lesson of those days
in all their groups. A reason is recorded by the class teacher on the day the student comes back; for
an absence that has not ended yet (or ended on the last school day) it is still unknown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from attendance.models import AbsenceReason

from .context import SchoolBuild

# Lengths of an illness in school days, as drawn (short colds are the most common).
ILLNESS_LENGTHS = (1, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 10)
ILLNESS_NOTES = (
    "Справка из детской поликлиники № 1",
    "Справка из детской поликлиники № 2",
    "Медицинская справка",
    "Справка от врача (ОРВИ)",
)
EXCUSED_NOTES = (
    "Заявление родителей (семейные обстоятельства)",
    "Заявление родителей",
    "Приказ о направлении на олимпиаду",
    "Участие в соревнованиях (приказ)",
)
ILLNESS_RATE = 0.009  # chance a student falls ill on a given school day, times their sickliness
EXCUSED_RATE = 0.003
TRUANT_DAY_RATE = 0.0015  # grades 7–11: a whole day without a reason


@dataclass(frozen=True)
class DayAbsence:
    reason: str
    note: str
    reason_day: dt.date | None  # the day the class teacher records the reason; None: not yet


class SchoolDays:
    """School days per grade up to yesterday, with "the next school day after" lookups."""

    def __init__(self, ctx: SchoolBuild) -> None:
        self.ctx = ctx
        self._days: dict[int, list[dt.date]] = {}
        self._index: dict[int, dict[dt.date, int]] = {}

    def days(self, grade: int) -> list[dt.date]:
        if grade not in self._days:
            days = self.ctx.calendar.school_days(grade, end=self.ctx.today - dt.timedelta(days=1))
            self._days[grade] = days
            self._index[grade] = {day: index for index, day in enumerate(days)}
        return self._days[grade]

    def next_day(self, grade: int, day: dt.date) -> dt.date | None:
        """The next school day after ``day`` that is already in the past, or None."""
        days = self.days(grade)
        index = self._index[grade].get(day)
        if index is None or index + 1 >= len(days):
            return None
        return days[index + 1]


def simulate_absent_days(ctx: SchoolBuild, school_days: SchoolDays) -> dict[tuple[int, dt.date], DayAbsence]:
    """Whole days away per (student pk, date), for past school days while the student is in the school."""
    rng = ctx.rng("absent-days")
    result: dict[tuple[int, dt.date], DayAbsence] = {}
    for info in ctx.students:
        grade = info.cls.grade
        days = [day for day in school_days.days(grade) if day >= info.start and (info.end is None or day <= info.end)]
        ill = ILLNESS_RATE * info.sickliness
        truant = TRUANT_DAY_RATE if grade >= 7 else 0.0
        index = 0
        while index < len(days):
            draw = rng.random()
            if draw < ill:
                length, reason, note = rng.choice(ILLNESS_LENGTHS), AbsenceReason.ILLNESS, rng.choice(ILLNESS_NOTES)
            elif draw < ill + EXCUSED_RATE:
                length, reason, note = rng.choice((1, 1, 2)), AbsenceReason.EXCUSED, rng.choice(EXCUSED_NOTES)
            elif draw < ill + EXCUSED_RATE + truant:
                length, reason, note = 1, AbsenceReason.UNEXCUSED, ""
            else:
                index += 1
                continue
            back = days[index + length] if index + length < len(days) else None
            record = DayAbsence(reason, note, back)
            for day in days[index : index + length]:
                result[(info.pk, day)] = record
            index += length + 1
    return result
