"""Reference data of the demo school, read from the CSV and text files in ``journal/demo/data/``.

The four CSV files are copies of ``shared/data`` kept inside the app so that a clean checkout can seed
itself; ``topics_ru.txt`` (the КТП topics per subject and grade) belongs to the demo. Everything here is
read once per process and returned as immutable tuples in file order, so the seed never depends on dict
or set iteration order.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

# Subjects that carry «4/3» double marks (R2).
DOUBLE_MARK_SUBJECTS = ("Русский язык", "Литература")
PE_SUBJECT = "Физическая культура"


@dataclass(frozen=True)
class CurriculumRow:
    """One line of the curriculum: a subject taught in a range of grades for some hours a week."""

    subject: str
    short: str
    grade_from: int
    grade_to: int
    hours: int
    split: bool
    pass_fail: bool

    def covers(self, grade: int) -> bool:
        return self.grade_from <= grade <= self.grade_to


@dataclass(frozen=True)
class BellRow:
    number: int
    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class WorkTypeRow:
    name: str
    short: str
    weight: int
    is_control_work: bool
    is_written: bool
    applies_to: tuple[str, ...]  # empty: every subject

    def applies(self, subject_name: str) -> bool:
        """Whether the type may be used in ``subject_name`` (a listed name is a prefix of it)."""
        return not self.applies_to or any(subject_name.startswith(prefix) for prefix in self.applies_to)


@dataclass(frozen=True)
class Names:
    """Russian names: (male, female) pairs of surnames and patronymics, first names by sex."""

    surnames: tuple[tuple[str, str], ...]
    male_first: tuple[str, ...]
    female_first: tuple[str, ...]
    patronymics: tuple[tuple[str, str], ...]


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _grades(text: str) -> tuple[int, int]:
    low, _sep, high = text.partition("-")
    return int(low), int(high or low)


def _time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def _yes(text: str) -> bool:
    return text.strip().lower() == "yes"


@functools.cache
def curriculum() -> tuple[CurriculumRow, ...]:
    """The curriculum rows in file order."""
    rows = []
    for row in _read_csv("curriculum_ru.csv"):
        low, high = _grades(row["grades"])
        rows.append(
            CurriculumRow(
                subject=row["subject"],
                short=row["short"],
                grade_from=low,
                grade_to=high,
                hours=int(row["hours_per_week"]),
                split=_yes(row["split_into_subgroups"]),
                pass_fail=row["graded"].strip() == "pass_fail",
            )
        )
    return tuple(rows)


def curriculum_for(grade: int) -> tuple[CurriculumRow, ...]:
    """The subjects of one grade, one row per subject, in file order."""
    return tuple(row for row in curriculum() if row.covers(grade))


@functools.cache
def bells() -> tuple[BellRow, ...]:
    return tuple(
        BellRow(number=int(row["number"]), start=_time(row["start"]), end=_time(row["end"]))
        for row in _read_csv("bells_ru.csv")
    )


@functools.cache
def work_types() -> tuple[WorkTypeRow, ...]:
    rows = []
    for row in _read_csv("work_types_ru.csv"):
        applies = row["applies_to"].strip()
        rows.append(
            WorkTypeRow(
                name=row["name"],
                short=row["short"],
                weight=int(row["weight"]),
                is_control_work=_yes(row["control_work"]),
                is_written=_yes(row["written"]),
                applies_to=() if applies == "all" else tuple(p.strip() for p in applies.split(",") if p.strip()),
            )
        )
    return tuple(rows)


@functools.cache
def names() -> Names:
    surnames, male, female, patronymics = [], [], [], []
    for row in _read_csv("names_ru.csv"):
        kind, m, f = row["kind"], row["male"].strip(), row["female"].strip()
        if kind == "surname":
            surnames.append((m, f))
        elif kind == "patronymic":
            patronymics.append((m, f))
        elif kind == "first_name":
            if m:
                male.append(m)
            if f:
                female.append(f)
    return Names(tuple(surnames), tuple(male), tuple(female), tuple(patronymics))


@functools.cache
def topics() -> dict[str, tuple[tuple[int, int, tuple[str, ...]], ...]]:
    """Topics by subject: ``{subject: ((grade_from, grade_to, topics), …)}``; PE norms under grade 0."""
    result: dict[str, list[tuple[int, int, tuple[str, ...]]]] = {}
    subject, span, items = "", (0, 0), []

    def flush() -> None:
        if subject:
            result.setdefault(subject, []).append((span[0], span[1], tuple(items)))

    with open(DATA_DIR / "topics_ru.txt", encoding="utf-8") as handle:
        for raw in handle:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                flush()
                subject, _sep, grades = line[1:-1].partition("|")
                span = (0, 0) if grades == "norms" else _grades(grades)
                items = []
            else:
                items.append(line)
    flush()
    return {key: tuple(value) for key, value in result.items()}


def topics_for(subject: str, grade: int) -> tuple[str, ...]:
    """The topic list for a subject in a grade; empty when the data has none."""
    for low, high, items in topics().get(subject, ()):
        if low <= grade <= high:
            return items
    return ()


def pe_norms() -> tuple[str, ...]:
    return topics_for(PE_SUBJECT, 0)
