"""The grading policy a school works by (R5, R6, R7): its own row, or the defaults of REGULATIONS.md."""

from __future__ import annotations

from journal.models import School

from .models import GradingPolicy


def policy_for(school: School | int) -> GradingPolicy:
    """The school's policy; an unsaved row with the defaults when the school has none."""
    school_id = school if isinstance(school, int) else school.pk
    return GradingPolicy.objects.filter(school_id=school_id).first() or GradingPolicy(school_id=school_id)
