"""Reads of marks: weighted averages and the forecast of the period mark (R6, R7, R21).

One query per call, whatever the number of students or lessons.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from journal.models import StudyPeriod, TeachingGroup

from .models import Mark


def period_averages(group: TeachingGroup, period: StudyPeriod) -> dict[int, Decimal]:
    """Each student's weighted average in ``group`` over ``period``: Σ(mark × weight) / Σ(weight), both
    marks of a «4/3» cell counting (R2); pass/fail and «осв» results are not numbers and do not count.
    Students without a numeric mark are absent from the result. Rounded to two places."""
    rows = Mark.objects.filter(
        column__lesson__group=group,
        column__lesson__date__gte=period.start,
        column__lesson__date__lte=period.end,
        value__isnull=False,
    ).values_list("student_id", "value", "value2", "column__work_type__weight")
    total: dict[int, int] = defaultdict(int)
    weight: dict[int, int] = defaultdict(int)
    for student_id, value, value2, w in rows:
        for v in (value, value2):
            if v is not None:
                total[student_id] += v * w
                weight[student_id] += w
    return {
        student_id: (Decimal(total[student_id]) / weight[student_id]).quantize(Decimal("0.01"), ROUND_HALF_UP)
        for student_id in total
    }


def forecast(average: Decimal | None) -> int | None:
    """The period mark the average points to: rounded half up (4.50 → 5, 4.49 → 4)."""
    if average is None:
        return None
    return int(average.quantize(Decimal("1"), ROUND_HALF_UP))
