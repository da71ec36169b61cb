"""Classes and teaching groups of the year.

Classes: one row per class — «5А», the class teacher's login, the period scheme. Matched by grade and
letter within the year; the class teacher is set through ``accounts.services.class_teacher_set`` (the
previous one loses the class).

Groups: one row per teaching group — name, class (two or more for a stream), subject, kind, subgroup
number, hours a week, the main teacher's login. Matched by name within the year (an empty name is made
from the class and the subject, as the structure page does). A missing subject is created. A new
whole-class group takes every student enrolled in its class this year; subgroups, streams and
individual plans get their students on the structure page. The kind, subject and classes of an
existing group are not changed by an import (its journal already follows them): such a row is refused.
A teacher is assigned (``accounts.services.teacher_assign``) unless already the group's main teacher.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

import tablib
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from import_export import widgets
from import_export.fields import Field

from accounts.models import User
from accounts.services import class_teacher_set, teacher_assign
from journal.models import (
    AssignmentRole,
    Enrollment,
    GroupKind,
    GroupMembership,
    PeriodKind,
    SchoolClass,
    Subject,
    TeachingAssignment,
    TeachingGroup,
)

from .base import ChoiceWidget, NumberWidget, OfficeResource, TextWidget, blank, fold, text
from .students import class_key

COL_CLASS, COL_CLASS_TEACHER, COL_SCHEME = "Класс", "Классный руководитель (логин)", "Учебные периоды"
COL_GROUP, COL_CLASSES, COL_SUBJECT, COL_KIND = "Группа", "Класс", "Предмет", "Вид группы"
COL_SUBGROUP, COL_HOURS, COL_TEACHER = "Номер подгруппы", "Часов в неделю", "Учитель (логин)"

SCHEME_WIDGET = ChoiceWidget(
    {PeriodKind.QUARTER: "четверти", PeriodKind.TRIMESTER: "триместры", PeriodKind.HALF: "полугодия"},
    aliases={"четверть": PeriodKind.QUARTER, "триместр": PeriodKind.TRIMESTER, "полугодие": PeriodKind.HALF},
    empty=PeriodKind.QUARTER,
)
KIND_WIDGET = ChoiceWidget(
    {
        GroupKind.WHOLE_CLASS: "весь класс",
        GroupKind.SUBGROUP: "подгруппа",
        GroupKind.STREAM: "поток",
        GroupKind.INDIVIDUAL: "индивидуальный план",
    },
    aliases={"класс": GroupKind.WHOLE_CLASS, "группа": GroupKind.SUBGROUP, "индивидуально": GroupKind.INDIVIDUAL},
    empty=GroupKind.WHOLE_CLASS,
)


def _staff_by_login(school_id: int) -> dict[str, User]:
    return {
        u.username.casefold(): u
        for u in User.objects.filter(staff_roles__school_id=school_id, is_active=True).distinct()
    }


def _staff_of_row(staff: dict[str, User], value: Any, column: str, errors: dict[str, list[str]]) -> User | None:
    login = fold(value)
    if not login:
        return None
    user = staff.get(login)
    if user is None:
        errors.setdefault(column, []).append(
            _("«%(value)s» is not the login of anybody on the staff of this school.") % {"value": text(value)}
        )
    return user


def assignment_start(year: Any) -> dt.date:
    """A set-up before the year assigns from its first day; during the year, from today."""
    return min(max(year.start, year.school.today()), year.end)


class ClassResource(OfficeResource):
    shape = "classes"
    title = "Классы"
    required = (COL_CLASS,)
    clean_exclude = ("year", "class_teacher", "grade", "letter")  # checked by plan_row

    name = Field(column_name=COL_CLASS, readonly=True)
    class_teacher = Field(column_name=COL_CLASS_TEACHER, readonly=True)
    period_kind = Field(attribute="period_kind", column_name=COL_SCHEME, widget=SCHEME_WIDGET)

    class Meta(OfficeResource.Meta):
        model = SchoolClass
        fields = ("name", "class_teacher", "period_kind")
        import_order = export_order = fields
        import_id_fields = ("name",)

    def export_queryset(self) -> QuerySet:
        return SchoolClass.objects.filter(year=self.year).select_related("class_teacher").order_by("grade", "letter")

    def dehydrate_name(self, school_class: SchoolClass) -> str:
        return school_class.name

    def dehydrate_class_teacher(self, school_class: SchoolClass) -> str:
        return school_class.class_teacher.username if school_class.class_teacher else ""

    def key_of(self, row: dict[str, Any]) -> Any:
        return class_key(row.get(COL_CLASS)) or None

    def load_existing(self, dataset: tablib.Dataset | None) -> dict[Any, SchoolClass]:
        self.staff = _staff_by_login(self.school.pk)
        return {class_key(c.name): c for c in self.export_queryset()}

    def init_instance(self, row: Any = None) -> SchoolClass:
        return SchoolClass(year=self.year)

    def plan_row(self, instance: SchoolClass, row: dict[str, Any], errors: dict[str, list[str]]) -> Any:
        raw = class_key(row.get(COL_CLASS))
        digits = "".join(c for c in raw if c.isdigit())
        letter = raw[len(digits) :].upper()
        if not raw.startswith(digits) or not digits or not 1 <= int(digits) <= 11 or not 1 <= len(letter) <= 3:
            errors.setdefault(COL_CLASS, []).append(
                _("«%(value)s» is not a class name: write the grade and the letter, for example 5А.")
                % {"value": text(row.get(COL_CLASS))}
            )
            return None
        instance.grade, instance.letter = int(digits), letter
        if COL_CLASS_TEACHER not in row:
            return None
        teacher = _staff_of_row(self.staff, row.get(COL_CLASS_TEACHER), COL_CLASS_TEACHER, errors)
        if COL_CLASS_TEACHER in errors or (teacher.pk if teacher else None) == instance.class_teacher_id:
            return None
        return {"teacher": teacher}

    def apply_row(self, instance: SchoolClass, row: dict[str, Any], plan: Any) -> None:
        class_teacher_set(actor=self.actor, school_class=instance, teacher=plan["teacher"])

    def label_of(self, row: dict[str, Any]) -> str:
        return text(row.get(COL_CLASS))


class HoursWidget(widgets.Widget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Decimal | None:
        if blank(value):
            return None
        try:
            hours = Decimal(text(value).replace(",", "."))
        except InvalidOperation:
            hours = Decimal(-1)
        if not Decimal("0.5") <= hours <= 40 or hours * 2 != int(hours * 2):
            raise ValueError(_("«%(value)s» is not a number of hours from 0.5 to 40.") % {"value": text(value)})
        return hours

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if value is None:
            return ""
        return f"{Decimal(value).normalize():f}".replace(".", ",")


class GroupResource(OfficeResource):
    shape = "groups"
    title = "Учебные группы"
    required = (COL_CLASSES, COL_SUBJECT)
    clean_exclude = ("year", "subject")

    name = Field(attribute="name", column_name=COL_GROUP, widget=TextWidget(200))
    classes = Field(column_name=COL_CLASSES, readonly=True)
    subject = Field(column_name=COL_SUBJECT, readonly=True)
    kind = Field(column_name=COL_KIND, readonly=True)
    subgroup_number = Field(attribute="subgroup_number", column_name=COL_SUBGROUP, widget=NumberWidget(1, 9))
    hours_per_week = Field(attribute="hours_per_week", column_name=COL_HOURS, widget=HoursWidget())
    teacher = Field(column_name=COL_TEACHER, readonly=True)

    class Meta(OfficeResource.Meta):
        model = TeachingGroup
        fields = ("name", "classes", "subject", "kind", "subgroup_number", "hours_per_week", "teacher")
        import_order = export_order = fields
        import_id_fields = ("name",)

    def export_queryset(self) -> QuerySet:
        return (
            TeachingGroup.objects.filter(year=self.year)
            .select_related("subject")
            .prefetch_related("classes", "assignments__teacher")
            .order_by("name", "pk")
        )

    def dehydrate_classes(self, group: TeachingGroup) -> str:
        return ", ".join(c.name for c in sorted(group.classes.all(), key=lambda c: (c.grade, c.letter)))

    def dehydrate_subject(self, group: TeachingGroup) -> str:
        return group.subject.name

    def dehydrate_kind(self, group: TeachingGroup) -> str:
        return KIND_WIDGET.render(group.kind)

    def dehydrate_teacher(self, group: TeachingGroup) -> str:
        main = [a for a in group.assignments.all() if a.role == AssignmentRole.MAIN and a.end is None]
        return main[-1].teacher.username if main else ""

    def _classes_of(self, row: dict[str, Any]) -> list[SchoolClass] | None:
        words = [w for w in text(row.get(COL_CLASSES)).replace(";", ",").split(",") if w.strip()]
        found = [self.classes.get(class_key(w)) for w in words]
        return None if not found or None in found else found  # type: ignore[return-value]

    def _generated_name(self, row: dict[str, Any]) -> str:
        names = ", ".join(c.name for c in self._classes_of(row) or [])
        name = f"{names}, {text(row.get(COL_SUBJECT)).lower()}"
        number = text(row.get(COL_SUBGROUP))
        return f"{name}, группа {number}" if number else name

    def key_of(self, row: dict[str, Any]) -> Any:
        name = text(row.get(COL_GROUP))
        if not name and (self._classes_of(row) is None or not text(row.get(COL_SUBJECT))):
            return None
        return fold(name or self._generated_name(row))

    def load_existing(self, dataset: tablib.Dataset | None) -> dict[Any, TeachingGroup]:
        self.classes = {class_key(c.name): c for c in SchoolClass.objects.filter(year=self.year)}
        self.subjects = {fold(s.name): s for s in Subject.objects.filter(school=self.school)}
        self.staff = _staff_by_login(self.school.pk)
        self.main_teachers: set[tuple[int, int]] = set(
            TeachingAssignment.objects.filter(group__year=self.year, role=AssignmentRole.MAIN)
            .filter(Q(end__isnull=True) | Q(end__gte=self.year.start))
            .values_list("group_id", "teacher_id")
        )
        return {fold(g.name): g for g in self.export_queryset()}

    def init_instance(self, row: Any = None) -> TeachingGroup:
        return TeachingGroup(year=self.year)

    def plan_row(self, instance: TeachingGroup, row: dict[str, Any], errors: dict[str, list[str]]) -> Any:
        plan: dict[str, Any] = {}
        classes = self._classes_of(row)
        if classes is None:
            errors.setdefault(COL_CLASSES, []).append(
                _("No such class in the year %(year)s: «%(value)s». Import or create the classes first.")
                % {"year": self.year.name, "value": text(row.get(COL_CLASSES))}
            )
        subject_name = text(row.get(COL_SUBJECT))
        if not subject_name or len(subject_name) > 200:
            errors.setdefault(COL_SUBJECT, []).append(_("Write the subject (at most 200 characters)."))
        try:
            kind = KIND_WIDGET.clean(row.get(COL_KIND))
        except ValueError as exc:
            errors.setdefault(COL_KIND, []).append(str(exc))
            kind = None
        if classes is not None and kind is not None:
            if kind == GroupKind.STREAM and len(classes) < 2:
                errors.setdefault(COL_CLASSES, []).append(_("A stream joins two or more classes: list them."))
            elif kind != GroupKind.STREAM and len(classes) != 1:
                errors.setdefault(COL_CLASSES, []).append(_("Write exactly one class for this kind of group."))
        teacher = _staff_of_row(self.staff, row.get(COL_TEACHER), COL_TEACHER, errors)
        if errors:
            return None
        if not instance.name:
            instance.name = self._generated_name(row)[:200]
        if instance.hours_per_week is None:
            instance.hours_per_week = Decimal(1)
        if kind != GroupKind.SUBGROUP:
            instance.subgroup_number = None
        subject = self.subjects.get(fold(subject_name))
        if instance.pk:
            same_classes = {c.pk for c in instance.classes.all()} == {c.pk for c in classes}  # prefetched
            if instance.kind != kind or fold(instance.subject.name) != fold(subject_name) or not same_classes:
                errors.setdefault("__all__", []).append(
                    _(
                        "The group «%(name)s» already exists with another kind, subject "
                        "or classes; change it on the structure page."
                    )
                    % {"name": instance.name}
                )
                return None
        else:
            if subject is None:
                subject = Subject.objects.create(school=self.school, name=subject_name, short_name=subject_name[:30])
                self.subjects[fold(subject_name)] = subject
            instance.subject, instance.kind = subject, kind
            plan["classes"] = classes
        if teacher is not None and (instance.pk, teacher.pk) not in self.main_teachers:
            plan["teacher"] = teacher
        return plan or None

    def apply_row(self, instance: TeachingGroup, row: dict[str, Any], plan: Any) -> None:
        if "classes" in plan:
            instance.classes.set(plan["classes"])
            if instance.kind == GroupKind.WHOLE_CLASS:
                self._mirror(instance, plan["classes"][0])
        if "teacher" in plan:
            teacher_assign(actor=self.actor, group=instance, teacher=plan["teacher"], start=assignment_start(self.year))
            self.main_teachers.add((instance.pk, plan["teacher"].pk))

    def _mirror(self, group: TeachingGroup, school_class: SchoolClass) -> None:
        """Every enrollment of the class this year becomes a membership of the new whole-class group."""
        GroupMembership.objects.bulk_create(
            GroupMembership(group=group, student_id=e.student_id, start=e.start, end=e.end)
            for e in Enrollment.objects.filter(school_class=school_class)
        )

    def label_of(self, row: dict[str, Any]) -> str:
        return text(row.get(COL_GROUP)) or f"{text(row.get(COL_CLASSES))}, {text(row.get(COL_SUBJECT))}"
