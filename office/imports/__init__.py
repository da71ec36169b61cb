"""Imports and exports of the school office (issue 7 §4): staff, students with parents, classes, teaching
groups, the timetable and the КТП, as CSV or XLSX through django-import-export — a dry run first, row
errors in Russian, nothing written when any row fails (see ``base``)."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.permissions import OfficeScope

from .base import CSV, FORMATS, XLSX, ImportResult, OfficeResource, export_file, import_file, template_file
from .staff import StaffResource
from .structure import ClassResource, GroupResource
from .students import StudentResource
from .timetable import PlanResource, TimetableResource


@dataclass(frozen=True)
class Shape:
    code: str
    resource: type[OfficeResource]
    scope: str  # the OfficeScope field whose schools may import and export it

    @property
    def title(self) -> str:
        return self.resource.title

    @property
    def columns(self) -> list[str]:
        return self.resource.columns()

    @property
    def required(self) -> tuple[str, ...]:
        return self.resource.required


# In the order a school sets up a year: people, classes, groups, students, timetable, plans.
SHAPES: dict[str, Shape] = {
    s.code: s
    for s in (
        Shape("staff", StaffResource, "staff_accounts"),
        Shape("classes", ClassResource, "year"),
        Shape("groups", GroupResource, "year"),
        Shape("students", StudentResource, "enrollment"),
        Shape("timetable", TimetableResource, "year"),
        Shape("plan", PlanResource, "year"),
    )
}


def shapes_for(scope: OfficeScope, school_id: int) -> list[Shape]:
    return [s for s in SHAPES.values() if school_id in getattr(scope, s.scope)]


__all__ = [
    "CSV",
    "FORMATS",
    "SHAPES",
    "XLSX",
    "ImportResult",
    "Shape",
    "export_file",
    "import_file",
    "shapes_for",
    "template_file",
]
