"""The timetable pages (issue 7 point 3): bells, the weekly grid of a class, lessons generated from it,
substitutions (R12), transfers and cancellations. For who runs the school's timetable
(``office_scope(user).year``: deputy, administrator); everybody else gets 404, another school's
objects too."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from journal.models import (
    AcademicYear,
    AssignmentRole,
    Bell,
    Lesson,
    School,
    SchoolClass,
    StudyPeriod,
    TeachingAssignment,
    TeachingGroup,
    TimetableSlot,
    Weekday,
)

from . import timetable as tt
from .forms_timetable import (
    BellsForm,
    CancelForm,
    GenerateForm,
    SlotEndForm,
    SlotForm,
    SubstitutionEndForm,
    SubstitutionForm,
    TransferForm,
)
from .structure import staff_of
from .views import scope_or_404

DEFAULT_NUMBERS = range(1, 7)


def _ids(request: HttpRequest) -> frozenset[int]:
    ids = scope_or_404(request).year
    if not ids:
        raise Http404
    return ids


def _school(request: HttpRequest) -> School:
    """The school of ``?school=`` (or the form's) whose timetable the user runs; 404 for any other."""
    ids = _ids(request)
    raw = request.POST.get("school") or request.GET.get("school") or ""
    if raw and (not raw.isdigit() or int(raw) not in ids):
        raise Http404
    return School.objects.get(pk=int(raw) if raw else min(ids))


def _year(request: HttpRequest, school: School) -> AcademicYear:
    """``?year=`` of the school, else the year of today, else the latest; 404 for a foreign id."""
    raw = request.POST.get("year") or request.GET.get("year") or ""
    years = AcademicYear.objects.filter(school=school)
    if raw:
        year = years.filter(pk=int(raw)).first() if raw.isdigit() else None
    else:
        today = school.today()
        year = years.filter(start__lte=today, end__gte=today).first() or years.order_by("-start").first()
    if year is None:
        raise Http404
    return year


def _class(request: HttpRequest, year: AcademicYear) -> SchoolClass | None:
    raw = request.POST.get("class") or request.GET.get("class") or ""
    classes = SchoolClass.objects.filter(year=year).order_by("grade", "letter")
    if raw:
        chosen = classes.filter(pk=int(raw)).first() if raw.isdigit() else None
        if chosen is None:
            raise Http404
        return chosen
    return classes.first()


def _date(raw: str | None, year: AcademicYear, today: dt.date) -> dt.date:
    try:
        day = dt.date.fromisoformat(raw or "")
    except ValueError:
        day = today
    return min(max(day, year.start), year.end)


def _landing(school: School, year: AcademicYear, school_class: SchoolClass | None, **extra: Any) -> str:
    params: dict[str, Any] = {"school": school.pk, "year": year.pk}
    if school_class is not None:
        params["class"] = school_class.pk
    params.update({k: v for k, v in extra.items() if v})
    return f"{reverse('office_timetable')}?{urlencode(params)}"


def _fail(form: Any, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


def _class_groups(school_class: SchoolClass | None) -> Any:
    if school_class is None:
        return TeachingGroup.objects.none()
    return TeachingGroup.objects.filter(classes=school_class).select_related("subject").order_by("name")


# --- the weekly grid --------------------------------------------------------------------------------------


def _grid(school: School, school_class: SchoolClass | None, on: dt.date) -> dict[str, Any]:
    """The class's slots (all of the year, and the week in force on ``on`` as a grid: rows lesson numbers,
    columns Monday–Saturday), with the main teachers of each group. A fixed number of queries."""
    bells = {b.number: b for b in Bell.objects.filter(school=school)}
    if school_class is None:
        return {"bells": bells, "rows": [], "slots": []}
    slots = list(
        TimetableSlot.objects.filter(group__classes=school_class)
        .select_related("group__subject")
        .prefetch_related(
            Prefetch(
                "group__assignments",
                queryset=TeachingAssignment.objects.filter(role=AssignmentRole.MAIN)
                .select_related("teacher")
                .order_by("start"),
                to_attr="mains",
            )
        )
        .order_by("weekday", "number", "group__name", "valid_from")
    )
    cells: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for slot in slots:
        slot.in_force = slot.valid_from <= on and (slot.valid_to is None or on <= slot.valid_to)
        slot.teachers = [a.teacher for a in slot.group.mains if a.is_active_on(on)] or [
            a.teacher for a in slot.group.mains[-1:]
        ]
        if slot.in_force:
            cells[(slot.number, slot.weekday)].append(slot)
    numbers = sorted(set(bells) | {s.number for s in slots}) or list(DEFAULT_NUMBERS)
    rows = [
        {"number": n, "bell": bells.get(n), "cells": [cells.get((n, day), []) for day in Weekday.values]}
        for n in numbers
    ]
    return {"bells": bells, "rows": rows, "slots": slots}


def _page(
    request: HttpRequest,
    school: School,
    year: AcademicYear,
    school_class: SchoolClass | None,
    *,
    slot_form: SlotForm | None = None,
    generate_form: GenerateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    today = school.today()
    on = _date(request.GET.get("on") or request.POST.get("on"), year, today)
    groups = _class_groups(school_class)
    periods = StudyPeriod.objects.filter(year=year).order_by("start", "kind")
    context = {
        "school": school,
        "year": year,
        "years": AcademicYear.objects.filter(school=school).order_by("-start"),
        "classes": SchoolClass.objects.filter(year=year).order_by("grade", "letter"),
        "school_class": school_class,
        "on": on,
        "weekdays": Weekday.choices,
        "slot_form": slot_form or SlotForm(groups=groups, initial={"valid_from": max(today, year.start)}),
        "generate_form": generate_form or GenerateForm(periods=periods),
        "end_form": SlotEndForm(initial={"last_day": on}),
        **_grid(school, school_class, on),
    }
    return render(request, "office/timetable.html", context, status=status)


@login_required
@require_GET
def timetable(request: HttpRequest) -> HttpResponse:
    """Pick a year and a class: its weekly grid on a date, every slot with its validity, the forms to add
    and end slots, and the generation of lessons for a period."""
    school = _school(request)
    year = _year(request, school)
    return _page(request, school, year, _class(request, year))


@login_required
@require_POST
def slot_add(request: HttpRequest) -> HttpResponse:
    school = _school(request)
    year = _year(request, school)
    school_class = _class(request, year)
    form = SlotForm(request.POST, groups=_class_groups(school_class))
    if form.is_valid():
        data = form.cleaned_data
        try:
            slot = tt.slot_add(
                actor=request.user, group=data["group"], weekday=data["weekday"], number=data["number"],
                room=data["room"], valid_from=data["valid_from"], valid_to=data["valid_to"],
            )  # fmt: skip
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, _("Added to the timetable: %(slot)s.") % {"slot": tt.slot_summary(slot)})
            return redirect(_landing(school, year, school_class, on=request.POST.get("on")))
    return _page(request, school, year, school_class, slot_form=form)


def _slot(request: HttpRequest, pk: int) -> TimetableSlot:
    slot = (
        TimetableSlot.objects.filter(pk=pk, group__year__school_id__in=_ids(request))
        .select_related("group__year__school")
        .first()
    )
    if slot is None:
        raise Http404
    return slot


def _slot_back(request: HttpRequest, slot: TimetableSlot) -> str:
    year = slot.group.year
    raw = request.POST.get("class") or ""
    school_class = SchoolClass.objects.filter(year=year, pk=int(raw)).first() if raw.isdigit() else None
    return _landing(year.school, year, school_class, on=request.POST.get("on"))


@login_required
@require_POST
def slot_end(request: HttpRequest, pk: int) -> HttpResponse:
    slot = _slot(request, pk)
    form = SlotEndForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the last day of the slot."))
        return redirect(_slot_back(request, slot))
    try:
        removed = tt.slot_end(actor=request.user, slot=slot, last_day=form.cleaned_data["last_day"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("The slot ends on %(day)s; empty lessons removed after it: %(n)s.")
            % {"day": f"{slot.valid_to:%d.%m.%Y}", "n": removed},
        )  # fmt: skip
    return redirect(_slot_back(request, slot))


@login_required
@require_POST
def slot_remove(request: HttpRequest, pk: int) -> HttpResponse:
    slot = _slot(request, pk)
    back = _slot_back(request, slot)
    try:
        removed = tt.slot_remove(actor=request.user, slot=slot)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The slot is removed; empty lessons removed with it: %(n)s.") % {"n": removed})
    return redirect(back)


@login_required
@require_POST
def generate(request: HttpRequest) -> HttpResponse:
    """Create the missing lessons of the period from the timetable (this class, or every class)."""
    school = _school(request)
    year = _year(request, school)
    school_class = _class(request, year)
    form = GenerateForm(request.POST, periods=StudyPeriod.objects.filter(year=year))
    if form.is_valid():
        data = form.cleaned_data
        classes = None if data["all_classes"] or school_class is None else [school_class]
        try:
            result = tt.lessons_generate(actor=request.user, year=year, period=data["period"], classes=classes)
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Lessons created: %(created)s; already in the journal (left as they were): %(existing)s; "
                    "holidays skipped: %(holidays)s; moved elsewhere: %(moved)s; closed periods: %(locked)s."
                )
                % {
                    "created": result.created,
                    "existing": result.existing,
                    "holidays": result.holidays,
                    "moved": result.moved_away,
                    "locked": result.locked,
                },
            )
            return redirect(_landing(school, year, school_class))
    return _page(request, school, year, school_class, generate_form=form)


# --- bells ------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def bells(request: HttpRequest) -> HttpResponse:
    school = _school(request)
    current = Bell.objects.filter(school=school).order_by("number")
    if request.method == "POST":
        form = BellsForm(request.POST)
        if form.is_valid():
            try:
                tt.bell_schedule_set(actor=request.user, school=school, bells=form.cleaned_data["bells"])
            except ValidationError as exc:
                _fail(form, exc)
            else:
                messages.success(request, _("The bell schedule is saved."))
                return redirect(f"{reverse('office_timetable_bells')}?school={school.pk}")
    else:
        initial = {}
        for bell in current:
            initial[f"start_{bell.number}"] = bell.start_time
            initial[f"end_{bell.number}"] = bell.end_time
        form = BellsForm(initial=initial)
    return render(request, "office/timetable_bells.html", {"school": school, "form": form, "bells": current})


# --- substitutions (R12) ----------------------------------------------------------------------------------


def _substitution_page(
    request: HttpRequest, school: School, year: AcademicYear, form: SubstitutionForm | None = None
) -> HttpResponse:
    groups = TeachingGroup.objects.filter(year=year).select_related("subject").order_by("name")
    staff = staff_of(school)
    substitutions = (
        TeachingAssignment.objects.filter(group__year=year, role=AssignmentRole.SUBSTITUTE)
        .select_related("group", "teacher", "replaces", "created_by")
        .order_by("-start", "group__name")
    )
    today = school.today()
    context = {
        "school": school,
        "year": year,
        "years": AcademicYear.objects.filter(school=school).order_by("-start"),
        "today": today,
        "substitutions": substitutions,
        "form": form or SubstitutionForm(groups=groups, staff=staff, initial={"start": today, "end": today}),
        "end_form": SubstitutionEndForm(),
    }
    return render(request, "office/substitutions.html", context)


@login_required
@require_GET
def substitutions(request: HttpRequest) -> HttpResponse:
    """The year's substitutions (current, future, past) and the form to add one."""
    school = _school(request)
    return _substitution_page(request, school, _year(request, school))


@login_required
@require_POST
def substitution_add(request: HttpRequest) -> HttpResponse:
    school = _school(request)
    year = _year(request, school)
    form = SubstitutionForm(request.POST, groups=TeachingGroup.objects.filter(year=year), staff=staff_of(school))
    if form.is_valid():
        data = form.cleaned_data
        try:
            created = tt.substitution_add(
                actor=request.user, school=school, substitute=data["substitute"], start=data["start"],
                end=data["end"], group=data["group"], teacher=data["teacher"], note=data["note"],
            )  # fmt: skip
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(
                request,
                _("Substitution recorded for: %(groups)s.") % {"groups": ", ".join(a.group.name for a in created)},
            )
            return redirect(f"{reverse('office_substitutions')}?school={school.pk}&year={year.pk}")
    return _substitution_page(request, school, year, form)


@login_required
@require_POST
def substitution_end(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = (
        TeachingAssignment.objects.filter(
            pk=pk, role=AssignmentRole.SUBSTITUTE, group__year__school_id__in=_ids(request)
        )
        .select_related("group__year__school", "teacher")
        .first()
    )
    if assignment is None:
        raise Http404
    year = assignment.group.year
    back = f"{reverse('office_substitutions')}?school={year.school_id}&year={year.pk}"
    form = SubstitutionEndForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a valid last day, or leave it empty to cancel the substitution."))
        return redirect(back)
    try:
        tt.substitution_end(actor=request.user, assignment=assignment, last_day=form.cleaned_data["last_day"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The substitution is ended."))
    return redirect(back)


# --- lessons: transfer and cancel -------------------------------------------------------------------------


@login_required
@require_GET
def lessons(request: HttpRequest) -> HttpResponse:
    """The lessons of a class in a week (``?class=``, ``?week=``), each with its transfer and cancel."""
    school = _school(request)
    year = _year(request, school)
    school_class = _class(request, year)
    day = _date(request.GET.get("week"), year, school.today())
    monday = day - dt.timedelta(days=day.isoweekday() - 1)
    saturday = monday + dt.timedelta(days=5)
    rows = []
    if school_class is not None:
        rows = list(
            Lesson.objects.filter(group__classes=school_class, date__gte=monday, date__lte=saturday)
            .filter(Q(group__year=year))
            .select_related("group", "teacher")
            .order_by("date", "number", "group__name")
        )
    context = {
        "school": school,
        "year": year,
        "classes": SchoolClass.objects.filter(year=year).order_by("grade", "letter"),
        "school_class": school_class,
        "monday": monday,
        "prev_week": monday - dt.timedelta(days=7),
        "next_week": monday + dt.timedelta(days=7),
        "lessons": rows,
        "transfer_form": TransferForm(),
        "cancel_form": CancelForm(),
    }
    return render(request, "office/timetable_lessons.html", context)


def _lesson(request: HttpRequest, pk: int) -> Lesson:
    lesson = (
        Lesson.objects.filter(pk=pk, group__year__school_id__in=_ids(request))
        .select_related("group__year__school", "teacher")
        .first()
    )
    if lesson is None:
        raise Http404
    return lesson


def _lesson_back(request: HttpRequest, lesson: Lesson, day: dt.date) -> str:
    year = lesson.group.year
    params = {"school": year.school_id, "year": year.pk, "week": day.isoformat()}
    raw = request.POST.get("class") or ""
    if raw.isdigit():
        params["class"] = raw
    return f"{reverse('office_timetable_lessons')}?{urlencode(params)}"


@login_required
@require_POST
def lesson_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    lesson = _lesson(request, pk)
    form = TransferForm(request.POST)
    back_day = lesson.date
    if not form.is_valid():
        messages.error(request, _("Give the new date, the lesson number and the reason."))
        return redirect(_lesson_back(request, lesson, back_day))
    data = form.cleaned_data
    try:
        tt.lesson_transfer(
            actor=request.user, lesson=lesson, date=data["date"], number=data["number"], reason=data["reason"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The lesson is moved to %(date)s, lesson %(n)s.")
            % {"date": f"{data['date']:%d.%m.%Y}", "n": data["number"]},
        )
    return redirect(_lesson_back(request, lesson, back_day))


@login_required
@require_POST
def lesson_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    lesson = _lesson(request, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the lesson is cancelled."))
        return redirect(_lesson_back(request, lesson, lesson.date))
    try:
        tt.lesson_cancel(actor=request.user, lesson=lesson, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The lesson is cancelled."))
    return redirect(_lesson_back(request, lesson, lesson.date))
