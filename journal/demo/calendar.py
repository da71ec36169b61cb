"""The calendar of a demo academic year: study periods, vacations, public holidays and school days.

The dates follow the unified calendar the data README gives for 2026/2027 (quarters I 1 Sep–24 Oct,
II 5 Nov–28 Dec, III 12 Jan–20 Mar, IV 30 Mar–26 May; halves for grades 10–11; a February week for
grade 1) and are computed the same way for any other year: a period starts on the fixed day or the
next weekday, and ends on its fixed day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from journal.models import HolidayKind, PeriodKind

ONE_DAY = dt.timedelta(days=1)
# Days after a period's end by which its period marks must be set (R7: "within 2 days after it").
MARKS_DEADLINE_DAYS = 2


@dataclass(frozen=True)
class PeriodSpec:
    kind: str
    number: int
    start: dt.date
    end: dt.date
    marks_deadline: dt.date


@dataclass(frozen=True)
class HolidaySpec:
    name: str
    kind: str
    start: dt.date
    end: dt.date
    grade_from: int | None = None
    grade_to: int | None = None

    def applies_to(self, grade: int) -> bool:
        return (self.grade_from is None or grade >= self.grade_from) and (
            self.grade_to is None or grade <= self.grade_to
        )


@dataclass
class YearCalendar:
    """One academic year (1 Sep – 31 May) with its periods and days off; answers "is this a school day"."""

    start_year: int
    start: dt.date
    end: dt.date
    periods: tuple[PeriodSpec, ...]
    holidays: tuple[HolidaySpec, ...]
    _days_off: dict[int, frozenset[dt.date]] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return f"{self.start_year}/{self.start_year + 1}"

    @property
    def first_day(self) -> dt.date:
        """The first day of lessons (the first quarter's start)."""
        return self.period(PeriodKind.QUARTER, 1).start

    @property
    def last_day(self) -> dt.date:
        """The last day of lessons (the fourth quarter's end)."""
        return self.period(PeriodKind.QUARTER, 4).end

    def period(self, kind: str, number: int) -> PeriodSpec:
        for spec in self.periods:
            if spec.kind == kind and spec.number == number:
                return spec
        raise KeyError((kind, number))

    def days_off(self, grade: int) -> frozenset[dt.date]:
        """Every vacation and holiday day that applies to ``grade``."""
        if grade not in self._days_off:
            days: set[dt.date] = set()
            for spec in self.holidays:
                if spec.applies_to(grade):
                    day = spec.start
                    while day <= spec.end:
                        days.add(day)
                        day += ONE_DAY
            self._days_off[grade] = frozenset(days)
        return self._days_off[grade]

    def school_days(self, grade: int, start: dt.date | None = None, end: dt.date | None = None) -> list[dt.date]:
        """Weekdays Mon–Fri between the first and last day of lessons (clipped to ``start``/``end``)
        on which ``grade`` has lessons, in date order."""
        off = self.days_off(grade)
        day = max(start or self.first_day, self.first_day)
        last = min(end or self.last_day, self.last_day)
        days = []
        while day <= last:
            if day.weekday() < 5 and day not in off:
                days.append(day)
            day += ONE_DAY
        return days


def academic_start_year(today: dt.date) -> int:
    """The calendar year in which the academic year containing ``today`` starts.

    From July on it is the year starting this September (the school prepares it over the summer);
    before July it is the year that started last September.
    """
    return today.year if today.month >= 7 else today.year - 1


def _weekday_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += ONE_DAY
    return day


def _public_holidays(start_year: int) -> list[HolidaySpec]:
    """Public holidays inside the school year; one falling on a weekend moves to the next Monday."""
    fixed = [
        (dt.date(start_year, 11, 4), "День народного единства"),
        (dt.date(start_year + 1, 2, 23), "День защитника Отечества"),
        (dt.date(start_year + 1, 3, 8), "Международный женский день"),
        (dt.date(start_year + 1, 5, 1), "Праздник Весны и Труда"),
        (dt.date(start_year + 1, 5, 9), "День Победы"),
    ]
    specs = []
    for day, name in fixed:
        specs.append(HolidaySpec(name, HolidayKind.HOLIDAY, day, day))
        if day.weekday() >= 5:
            monday = day + dt.timedelta(days=7 - day.weekday())
            specs.append(HolidaySpec(f"Перенос выходного дня ({name})", HolidayKind.HOLIDAY, monday, monday))
    return specs


def build_calendar(start_year: int) -> YearCalendar:
    """The calendar of the academic year starting in September of ``start_year``."""
    y0, y1 = start_year, start_year + 1
    quarters = [
        (_weekday_on_or_after(dt.date(y0, 9, 1)), dt.date(y0, 10, 24)),
        (_weekday_on_or_after(dt.date(y0, 11, 5)), dt.date(y0, 12, 28)),
        (_weekday_on_or_after(dt.date(y1, 1, 12)), dt.date(y1, 3, 20)),
        (_weekday_on_or_after(dt.date(y1, 3, 30)), dt.date(y1, 5, 26)),
    ]
    deadline = dt.timedelta(days=MARKS_DEADLINE_DAYS)
    periods = [
        PeriodSpec(PeriodKind.QUARTER, n, start, end, end + deadline) for n, (start, end) in enumerate(quarters, 1)
    ]
    halves = [(quarters[0][0], quarters[1][1]), (quarters[2][0], quarters[3][1])]
    periods += [PeriodSpec(PeriodKind.HALF, n, start, end, end + deadline) for n, (start, end) in enumerate(halves, 1)]
    periods.append(PeriodSpec(PeriodKind.YEAR, 1, quarters[0][0], quarters[3][1], quarters[3][1] + deadline))

    year_end = dt.date(y1, 5, 31)
    holidays = [
        HolidaySpec("Осенние каникулы", HolidayKind.VACATION, quarters[0][1] + ONE_DAY, quarters[1][0] - ONE_DAY),
        HolidaySpec("Зимние каникулы", HolidayKind.VACATION, quarters[1][1] + ONE_DAY, quarters[2][0] - ONE_DAY),
        HolidaySpec("Весенние каникулы", HolidayKind.VACATION, quarters[2][1] + ONE_DAY, quarters[3][0] - ONE_DAY),
    ]
    # The extra February week for first-graders: the Monday-to-Sunday week containing 15 February.
    feb = dt.date(y1, 2, 15)
    feb_monday = feb - dt.timedelta(days=feb.weekday())
    holidays.append(
        HolidaySpec(
            "Дополнительные каникулы для первоклассников",
            HolidayKind.VACATION,
            feb_monday,
            feb_monday + dt.timedelta(days=6),
            grade_from=1,
            grade_to=1,
        )
    )
    if quarters[3][1] < year_end:
        holidays.append(HolidaySpec("Летние каникулы", HolidayKind.VACATION, quarters[3][1] + ONE_DAY, year_end))
    holidays += _public_holidays(start_year)
    holidays.sort(key=lambda spec: (spec.start, spec.name))
    return YearCalendar(
        start_year=start_year,
        start=dt.date(y0, 9, 1),
        end=year_end,
        periods=tuple(periods),
        holidays=tuple(holidays),
    )


def lessons_until(calendar: YearCalendar, today: dt.date) -> dt.date:
    """The last date for which lessons are generated: the Friday of ``today``'s week, inside the year.

    Before the year has started this is the Friday of the first week of lessons, so a demo seeded in
    August still shows a timetable.
    """
    friday = today + dt.timedelta(days=4 - today.weekday())
    first = calendar.first_day
    first_friday = first + dt.timedelta(days=4 - first.weekday())
    return min(max(friday, first_friday), calendar.last_day)
