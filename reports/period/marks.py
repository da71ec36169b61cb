"""The summary sheet of marks (1), the class results (3) and the forecast of period marks (9)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce

from grading.models import Mark, MarkCode, PeriodMarkCode
from grading.selectors import forecast as forecast_mark
from journal.models import School, SchoolClass

from ..tables import Cell, Document, Row, Table, percent
from .base import (
    Groups,
    Progress,
    Roll,
    Scope,
    _average,
    _class_rows,
    _classes_of,
    _display,
    _groups,
    _noop,
    _period_marks,
    _roll,
    _scope,
    _student_name,
)

# --- 1. the summary sheet of marks ------------------------------------------------------------------------


def marks_summary(school: School, params: dict, progress: Progress = _noop) -> Document:
    """Сводная ведомость успеваемости (R21): per class, students × subjects with their period marks, read
    at the moment of the run (003 §2.18); a student's average over numeric period marks and each subject's
    average in the class."""
    scope = _scope(school, params)
    roll = _roll(scope)
    groups = _groups(scope, assessed_only=True)
    progress(40)
    marks = _period_marks(scope, groups, roll)
    progress(80)
    doc = Document("Сводная ведомость успеваемости", scope.subtitle())
    for c in scope.classes:
        subjects = groups.class_subjects(c.pk)
        table = Table(
            f"marks:{c.pk}",
            f"{c.name} — сводная ведомость успеваемости",
            ["№", "Учащийся", *(s[1] for s in subjects), "Средний балл"],
            note="Отметки за период; «*» — отметка отсрочена (R7), «—» — отметки нет. Средний балл — по отметкам 1–5.",
        )
        by_subject: dict[int, list[int]] = defaultdict(list)
        for n, sid in enumerate(roll.in_period[c.pk], 1):
            cells: list[Cell] = [n, _student_name(roll, c.pk, sid)]
            values: list[int] = []
            for subject_id, _short, _name in subjects:
                mark = marks.get((c.pk, sid, subject_id))
                cells.append(_display(mark) if mark else "—")
                if mark and mark["value"] is not None:
                    values.append(mark["value"])
                    by_subject[subject_id].append(mark["value"])
            table.rows.append(Row([*cells, _average(values)]))
        everything = [v for vs in by_subject.values() for v in vs]
        table.rows.append(
            Row(
                ["", "Средний балл", *(_average(by_subject[s[0]]) for s in subjects), _average(everything)],
                emphasis="total",
            )
        )
        doc.tables.append(table)
    progress(100)
    return doc


# --- 3. the class results ---------------------------------------------------------------------------------

EXCELLENT, GOOD, ONE_THREE, THREES, PASSED, FAILING, NOT_ASSESSED, NO_MARKS = (
    "Отличник",
    "Хорошист",
    "С одной «3»",
    "С «3»",
    "Успевает (без отметок 1–5)",
    "Неуспевающий",
    "Не аттестован",
    "Нет отметок за период",
)


def _verdict(marks: list[tuple[str, dict[str, Any]]]) -> tuple[str, list[str], list[str], list[str]]:
    """A student's result from their period marks: (category, subjects with «3», with «2»/«1»/«незач», н/а)."""
    threes = [name for name, m in marks if m["value"] == 3]
    bad = [name for name, m in marks if (m["value"] is not None and m["value"] <= 2) or m["code"] == MarkCode.FAIL]
    na = [name for name, m in marks if m["code"] == PeriodMarkCode.NOT_ASSESSED]
    values = [m["value"] for _n, m in marks if m["value"] is not None]
    if not marks:
        category = NO_MARKS
    elif na:
        category = NOT_ASSESSED
    elif bad:
        category = FAILING
    elif not values:
        category = PASSED
    elif all(v == 5 for v in values):
        category = EXCELLENT
    elif not threes:
        category = GOOD
    elif len(threes) == 1:
        category = ONE_THREE
    else:
        category = THREES
    return category, threes, bad, na


@dataclass
class Results:
    # class -> [students, assessed, not assessed, successful, excellent, good, one «3», «3», failing]
    vectors: dict[int, list[int]]
    students: dict[int, list[tuple[int, str, list[str], list[str], list[str]]]]  # class -> per student


RESULT_COUNTED = (EXCELLENT, GOOD, ONE_THREE, THREES, FAILING)
RESULT_COLUMNS = [
    "Класс",
    "Учащихся",
    "Аттестовано",
    "Не аттестовано (н/а)",
    "Успевают",
    "Успеваемость, %",
    "Качество, %",
    "Отличники",
    "Хорошисты",
    "С одной «3»",
    "С «3» (две и более)",
    "Неуспевающие",
]
RESULT_NOTE = (
    "Учащиеся — в классе на конец периода. Аттестованы — есть отметки за период и нет «н/а». Успевают — "
    "аттестованы и все отметки «3»–«5», «зач» или «осв»; неуспевающие — есть «2», «1» или «незач». "
    "Успеваемость — успевающие, качество — отличники и хорошисты, в % от аттестованных и не аттестованных "
    "(учащиеся без отметок за период не считаются). Отличники — все отметки «5», хорошисты — «4» и «5»."
)


def _results(scope: Scope, roll: Roll, groups: Groups, marks: dict) -> Results:
    vectors: dict[int, list[int]] = {}
    students: dict[int, list] = {}
    for c in scope.classes:
        subjects = groups.class_subjects(c.pk)
        on_roll = [s for s in roll.in_period[c.pk] if s in roll.at_end[c.pk]]
        counts: Counter = Counter()
        students[c.pk] = []
        for sid in on_roll:
            own = [
                (name, marks[(c.pk, sid, subject_id)])
                for subject_id, _s, name in subjects
                if (c.pk, sid, subject_id) in marks
            ]
            category, threes, bad, na = _verdict(own)
            counts[category] += 1
            students[c.pk].append((sid, category, threes, bad, na))
        assessed = sum(counts[k] for k in (*RESULT_COUNTED, PASSED))
        vectors[c.pk] = [
            len(on_roll),
            assessed,
            counts[NOT_ASSESSED],
            assessed - counts[FAILING],
            *(counts[k] for k in RESULT_COUNTED),
        ]
    return Results(vectors, students)


def _render_results(name: str, v: list[int]) -> list[Cell]:
    students, assessed, na, successful, excellent, good, one_three, threes, failing = v
    return [
        name,
        students,
        assessed,
        na,
        successful,
        percent(successful, assessed + na),
        percent(excellent + good, assessed + na),
        excellent,
        good,
        one_three,
        threes,
        failing,
    ]


def _results_detail(c: SchoolClass, roll: Roll, results: Results) -> Table:
    table = Table(
        f"results:{c.pk}",
        f"{c.name} — итоги по учащимся",
        ["№", "Учащийся", "Итог", "Отметки «3»", "Отметки «2», «1», «незач»", "Не аттестован (н/а)"],
        detail=True,
    )
    for n, (sid, category, threes, bad, na) in enumerate(results.students[c.pk], 1):
        warn = "warn" if category in (FAILING, NOT_ASSESSED) else ""
        table.rows.append(
            Row([n, roll.names[sid], category, ", ".join(threes), ", ".join(bad), ", ".join(na)], emphasis=warn)
        )
    return table


def class_results(school: School, params: dict, progress: Progress = _noop) -> Document:
    """Итоги успеваемости за период (R21): per class the students at the period's end, assessed, success
    and quality in %, excellent / good / one «3» / «3» / failing / not assessed; subtotals per grade and a
    total; each class drills into its students."""
    scope = _scope(school, params)
    roll = _roll(scope)
    groups = _groups(scope, assessed_only=True)
    progress(40)
    marks = _period_marks(scope, groups, roll)
    results = _results(scope, roll, groups, marks)
    progress(80)
    doc = Document("Итоги успеваемости", scope.subtitle())
    doc.tables.append(
        Table(
            "classes",
            "Итоги по классам",
            RESULT_COLUMNS,
            _class_rows(scope, results.vectors, _render_results, drill=lambda c: f"results:{c.pk}"),
            note=RESULT_NOTE,
            chart={"label": 0, "value": 6, "title": "Качество знаний по классам, %", "max": 100},
        )
    )
    doc.tables.append(_distribution(scope, marks))
    doc.tables.extend(_results_detail(c, roll, results) for c in scope.classes)
    progress(100)
    return doc


def _distribution(scope: Scope, marks: dict[tuple[int, int, int], dict[str, Any]]) -> Table:
    """How the period marks of each class split into «5», «4», «3», «2» and «н/а» — with a stacked chart."""
    counts: dict[int, Counter] = {c.pk: Counter() for c in scope.classes}
    for (class_id, _student, _subject), mark in marks.items():
        key = "н/а" if mark["code"] == PeriodMarkCode.NOT_ASSESSED else (str(mark["value"]) if mark["value"] else "")
        if key and class_id in counts:
            counts[class_id][key if key != "1" else "2"] += 1
    labels = ["5", "4", "3", "2", "н/а"]
    return Table(
        "distribution",
        "Распределение итоговых отметок по классам",
        ["Класс", "«5»", "«4»", "«3»", "«2»", "н/а"],
        [Row([c.name, *(counts[c.pk][k] for k in labels)]) for c in scope.classes],
        note="Число итоговых отметок за период по всем предметам класса; «1» считается вместе с «2».",
        chart={"label": 0, "values": [1, 2, 3, 4, 5], "title": "Итоговые отметки по классам"},
    )


# --- 9. the forecast of period marks ----------------------------------------------------------------------


def forecast(school: School, params: dict, progress: Progress = _noop) -> Document:
    """Прогноз итоговых отметок (R21): per class, students × subjects — the weighted average of the
    period's marks (as :func:`grading.selectors.period_averages`, summed in SQL for every group at once)
    and the period mark it points to (:func:`grading.selectors.forecast`); and the students heading for
    a «2»."""
    scope = _scope(school, params)
    roll = _roll(scope)
    groups = _groups(scope, assessed_only=True)
    progress(30)
    weight = F("column__work_type__weight")
    rows = (
        Mark.objects.filter(
            column__lesson__group_id__in=list(groups.subject_of),
            column__lesson__date__gte=scope.period.start,
            column__lesson__date__lte=scope.period.end,
            value__isnull=False,
        )
        .values_list("student_id", "column__lesson__group_id")
        .annotate(
            total=Sum(F("value") * weight) + Coalesce(Sum(F("value2") * weight), 0),
            weights=Sum(weight) + Coalesce(Sum(weight, filter=Q(value2__isnull=False)), 0),
        )
        .order_by()
    )
    sums: dict[tuple[int, int, int], list[int]] = defaultdict(lambda: [0, 0])
    for sid, group_id, total, weights in rows:
        for c in _classes_of(groups, roll, group_id, sid):
            acc = sums[(c, sid, groups.subject_of[group_id])]
            acc[0] += total
            acc[1] += weights
    # The same rounding as journal.grid.weighted_average: two places, half up.
    averages = {k: (Decimal(total) / w).quantize(Decimal("0.01"), ROUND_HALF_UP) for k, (total, w) in sums.items() if w}
    progress(80)
    doc = Document("Прогноз итоговых отметок", scope.subtitle())
    risk = Table(
        "risk",
        "Прогноз «2»",
        ["Класс", "Учащийся", "Предмет", "Средний балл", "Прогноз"],
        note="Учащиеся, у которых средний взвешенный балл ведёт к отметке «2» или ниже.",
    )
    for c in scope.classes:
        subjects = groups.class_subjects(c.pk)
        table = Table(
            f"forecast:{c.pk}",
            f"{c.name} — прогноз отметок за период",
            ["№", "Учащийся", *(f"{s[1]}: {label}" for s in subjects for label in ("средний", "прогноз"))],
            note="Средний — взвешенный по весам видов работ (R3), «4/3» — обе отметки; прогноз — округление "
            "среднего (4,50 → 5, 4,49 → 4).",
        )
        for n, sid in enumerate(roll.in_period[c.pk], 1):
            cells: list[Cell] = [n, _student_name(roll, c.pk, sid)]
            for subject_id, _short, name in subjects:
                avg = averages.get((c.pk, sid, subject_id))
                mark = forecast_mark(avg)
                cells += [float(avg) if avg is not None else None, mark]
                if mark is not None and mark <= 2:
                    risk.rows.append(Row([c.name, roll.names[sid], name, float(avg), mark], emphasis="warn"))
            table.rows.append(Row(cells))
        doc.tables.append(table)
    doc.tables.insert(0, risk)
    progress(100)
    return doc
