"""The timetable (issue 7 point 3): bells, the weekly timetable of each class with validity dates and
clash checks, lessons generated from it, substitutions (R12), transfers and cancellations.

Every service takes the ``actor`` and refuses (``PermissionDenied``) anybody who does not run the
school's timetable (``manage_year``: deputy, administrator); views fetch objects already scoped, this is
the second lock. Every change writes its line of the office's change log in the same transaction; the
changes of a lesson also go into the journal's own history (``grading.history.lesson_event``).

Substitutes' access is the authorization module's business: a substitute ``TeachingAssignment`` grants
the group's lessons dated inside it and nothing else (``accounts.permissions.lessons_for``), so access
starts and ends with the dates, with no job to run; ``accounts.services`` keeps the grant rows in sync.
"""

from __future__ import annotations

from .common import MAX_LESSON_NUMBER, ONE_DAY, lessons_with_data
from .lessons import GenerateResult, lesson_cancel, lesson_transfer, lessons_generate
from .slots import bell_schedule_set, slot_add, slot_clashes, slot_end, slot_remove, slot_summary
from .substitutions import substitution_add, substitution_end

__all__ = [
    "GenerateResult",
    "MAX_LESSON_NUMBER",
    "ONE_DAY",
    "bell_schedule_set",
    "lesson_cancel",
    "lesson_transfer",
    "lessons_generate",
    "lessons_with_data",
    "slot_add",
    "slot_clashes",
    "slot_end",
    "slot_remove",
    "slot_summary",
    "substitution_add",
    "substitution_end",
]
