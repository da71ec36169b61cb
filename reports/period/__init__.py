"""The period reports (R21, R22): pure computations ``(school, params, progress) -> Document``.

``params`` of the period reports: ``{"period": id}`` and one of ``"class": id`` | ``"grade": n`` | nothing
(the whole school); ``user_activity`` takes ``{"start", "end", "step": "week" | "month"}``. Parameters
that do not belong to ``school`` raise ``ValidationError`` in Russian.

Every report runs a fixed number of queries, whatever the number of students, marks or absences: rows
are aggregated in SQL or fetched once and counted here.
"""

from __future__ import annotations

from collections.abc import Callable

from journal.models import School

from ..tables import Document
from .activity import user_activity
from .attendance import attendance_summary, missed_with_topics, unsatisfactory_with_topics
from .base import Progress
from .marks import class_results, forecast, marks_summary
from .movement import class_sizes, class_teacher_report, student_movement

REPORTS: dict[str, Callable[[School, dict, Progress], Document]] = {
    "marks_summary": marks_summary,
    "attendance_summary": attendance_summary,
    "class_results": class_results,
    "class_teacher_report": class_teacher_report,
    "student_movement": student_movement,
    "class_sizes": class_sizes,
    "missed_with_topics": missed_with_topics,
    "unsatisfactory_with_topics": unsatisfactory_with_topics,
    "forecast": forecast,
    "user_activity": user_activity,
}
