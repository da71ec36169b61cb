"""Year set-up and the structure of a year (issue 7 points 1–2, R13, R27): the deputy and the administrator
of the school (``office_scope(user).year``); everybody else gets 404. Views fetch through the scope, bind
a form, call a service of ``office/year.py`` or ``office/structure.py`` and redirect or re-render."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from journal.models import (
    AcademicYear,
    AssignmentRole,
    GroupKind,
    GroupMembership,
    Holiday,
    PeriodKind,
    School,
    SchoolClass,
    Student,
    StudyPeriod,
    Subject,
    TeachingAssignment,
    TeachingGroup,
)

from . import structure as st
from . import year as yr
from .forms_year import (
    AssignmentForm,
    ClassForm,
    ClassTeacherForm,
    EndForm,
    GroupEditForm,
    GroupForm,
    HolidayForm,
    MembersAddForm,
    PeriodForm,
    PeriodKindApplyForm,
    PeriodSchemeForm,
    SplitForm,
    SubjectForm,
    YearCopyForm,
    YearEditForm,
    YearForm,
)
from .models import ChangeRecord
from .views import school_of, scope_or_404

SCHEMES = [PeriodKind.QUARTER, PeriodKind.TRIMESTER, PeriodKind.HALF]


# --- scope: fetch only inside the schools the user sets up; 404 for anything else -------------------------


def _ids(request: HttpRequest) -> frozenset[int]:
    """The schools whose year the user sets up (one query per request); 404 when none."""
    ids = getattr(request, "_office_year_ids", None)
    if ids is None:
        ids = request._office_year_ids = scope_or_404(request).year
    if not ids:
        raise Http404
    return ids


def _get(request: HttpRequest, queryset, school_path: str, pk: int):  # noqa: ANN001, ANN202
    obj = queryset.filter(pk=pk, **{f"{school_path}__in": _ids(request)}).first()
    if obj is None:
        raise Http404
    return obj


def _year(request: HttpRequest, pk: int) -> AcademicYear:
    return _get(request, AcademicYear.objects.select_related("school"), "school_id", pk)


def _fail(form: Form, exc: ValidationError) -> None:
    for message in exc.messages:
        form.add_error(None, message)


def _years_url(school_id: int) -> str:
    return f"{reverse('office_years')}?school={school_id}"


def _structure_url(year: AcademicYear) -> str:
    return f"{reverse('office_structure')}?school={year.school_id}&year={year.pk}"


# --- years -------------------------------------------------------------------------------------------------


def _years_page(request: HttpRequest, school: School, form: YearForm | None = None) -> HttpResponse:
    years = (
        AcademicYear.objects.filter(school=school)
        .annotate(class_count=Count("classes", distinct=True))
        .prefetch_related(
            Prefetch("periods", queryset=StudyPeriod.objects.order_by("kind", "number")),
            Prefetch("holidays", queryset=Holiday.objects.order_by("start")),
        )
        .order_by("-start")
    )
    context = {
        "school": school,
        "schools": School.objects.filter(pk__in=_ids(request)) if len(_ids(request)) > 1 else [],
        "years": years,
        "form": form or YearForm(years=AcademicYear.objects.filter(school=school).order_by("-start")),
    }
    return render(request, "office/years.html", context, status=400 if form is not None else 200)


@login_required
@require_GET
def years(request: HttpRequest) -> HttpResponse:
    """The school's years with their periods and holidays; a new year from scratch or copied."""
    return _years_page(request, school_of(request, _ids(request)))


@login_required
@require_POST
def year_create(request: HttpRequest) -> HttpResponse:
    school = school_of(request, _ids(request))
    form = YearForm(request.POST, years=AcademicYear.objects.filter(school=school))
    if form.is_valid():
        data = form.cleaned_data
        try:
            year, copied = yr.year_create(
                actor=request.user, school=school, name=data["name"], start=data["start"], end=data["end"],
                copy_from=data["copy_from"],
            )  # fmt: skip
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, _("The year %(name)s is created.") % {"name": year.name})
            if copied is not None:
                _copied_message(request, copied)
            return redirect("office_year", year.pk)
    return _years_page(request, school, form)


def _copied_message(request: HttpRequest, copied: yr.CopyResult) -> None:
    messages.success(
        request,
        _("Copied for review: %(classes)d classes, %(groups)d groups, %(assignments)d assignments, %(slots)d slots.")
        % {
            "classes": copied.classes,
            "groups": copied.groups,
            "assignments": copied.assignments,
            "slots": copied.slots,
        },
    )
    if copied.skipped_teachers:
        messages.warning(
            request,
            _("No longer at the school, not carried over: %(names)s.") % {"names": ", ".join(copied.skipped_teachers)},
        )


def _scheme_forms(year: AcademicYear, periods: list[StudyPeriod], bound: PeriodSchemeForm | None) -> list:
    forms = []
    for kind in SCHEMES:
        if bound is not None and bound.prefix == kind:
            forms.append((kind, PeriodKind(kind).label, bound, yr.PERIOD_COUNT[kind]))
            continue
        initial = {"kind": kind}
        for p in periods:
            if p.kind == kind:
                initial |= {f"start_{p.number}": p.start, f"end_{p.number}": p.end}
                initial[f"deadline_{p.number}"] = p.marks_deadline
        forms.append(
            (kind, PeriodKind(kind).label, PeriodSchemeForm(prefix=kind, initial=initial), yr.PERIOD_COUNT[kind])
        )
    return forms


def _year_page(request: HttpRequest, year: AcademicYear, status: int = 200, **bound: Form) -> HttpResponse:
    periods = list(StudyPeriod.objects.filter(year=year).order_by("kind", "number"))
    holidays = list(Holiday.objects.filter(year=year).order_by("start"))
    logged = ChangeRecord.objects.filter(
        school_id=year.school_id, object_type="holiday", action="create", object_id__in=[str(h.pk) for h in holidays]
    ).values_list("object_id", "data")
    counts = {int(oid): (len(data.get("cancelled", [])), len(data.get("kept", []))) for oid, data in logged}
    for h in holidays:
        h.cancelled_count, h.kept_count = counts.get(h.pk, (0, 0))
    bands: dict[str, list[str]] = defaultdict(list)
    classes = list(SchoolClass.objects.filter(year=year).order_by("grade", "letter"))
    for c in classes:
        bands[c.period_kind].append(c.name)
    earlier = AcademicYear.objects.filter(school_id=year.school_id, start__lt=year.start).order_by("-start")
    context = {
        "school": year.school,
        "year": year,
        "periods": periods,
        "year_period": next((p for p in periods if p.kind == PeriodKind.YEAR), None),
        "schemes": _scheme_forms(year, periods, bound.get("scheme")),
        "bands": [(PeriodKind(k).label, bands[k]) for k in SCHEMES if bands[k]],
        "band_form": bound.get("band") or PeriodKindApplyForm(),
        "holidays": holidays,
        "holiday_form": bound.get("holiday") or HolidayForm(),
        "period_form": bound.get("period") or PeriodForm(),
        "edit_form": bound.get("edit")
        or YearEditForm(initial={"name": year.name, "start": year.start, "end": year.end}),
        "copy_form": bound.get("copy") or (YearCopyForm(years=earlier) if not classes else None),
        "has_classes": bool(classes),
    }
    return render(request, "office/year.html", context, status=status)


@login_required
@require_GET
def year_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One year: period schemes per grade band with dates and marks deadlines, holidays and quarantine."""
    return _year_page(request, _year(request, pk))


@login_required
@require_POST
def year_edit(request: HttpRequest, pk: int) -> HttpResponse:
    year = _year(request, pk)
    form = YearEditForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            yr.year_edit(actor=request.user, year=year, name=data["name"], start=data["start"], end=data["end"])
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, _("The year %(name)s is saved.") % {"name": year.name})
            return redirect("office_year", year.pk)
        year.refresh_from_db()
    return _year_page(request, year, status=400, edit=form)


@login_required
@require_POST
def year_copy(request: HttpRequest, pk: int) -> HttpResponse:
    year = _year(request, pk)
    form = YearCopyForm(request.POST, years=AcademicYear.objects.filter(school_id=year.school_id).exclude(pk=year.pk))
    if form.is_valid():
        try:
            copied = yr.year_copy(actor=request.user, source=form.cleaned_data["source"], target=year)
        except ValidationError as exc:
            _fail(form, exc)
        else:
            _copied_message(request, copied)
            return redirect("office_year", year.pk)
    return _year_page(request, year, status=400, copy=form)


@login_required
@require_POST
def year_periods(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the dates of one scheme (4 quarters, 3 trimesters or 2 halves) of the year."""
    year = _year(request, pk)
    kind = request.POST.get("scheme", "")
    if kind not in SCHEMES:
        raise Http404
    form = PeriodSchemeForm(request.POST, prefix=kind)
    if form.is_valid():
        try:
            rows = form.rows()
            yr.period_scheme_set(
                actor=request.user, year=year, kind=kind, periods=[yr.PeriodDates(s, e, d) for s, e, d in rows]
            )
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, _("The periods are saved."))
            return redirect("office_year", year.pk)
    return _year_page(request, year, status=400, scheme=form)


@login_required
@require_POST
def year_bands(request: HttpRequest, pk: int) -> HttpResponse:
    """Classes of a grade band follow a scheme (quarters for 2–9, halves for 10–11, …)."""
    year = _year(request, pk)
    form = PeriodKindApplyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            n = yr.period_kind_apply(
                actor=request.user,
                year=year,
                kind=data["kind"],
                grade_from=data["grade_from"],
                grade_to=data["grade_to"],
            )
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, _("Classes changed: %(n)d.") % {"n": n})
            return redirect("office_year", year.pk)
    return _year_page(request, year, status=400, band=form)


@login_required
@require_POST
def period_edit(request: HttpRequest, pk: int) -> HttpResponse:
    period = _get(request, StudyPeriod.objects.select_related("year__school"), "year__school_id", pk)
    form = PeriodForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            yr.period_edit(
                actor=request.user, period=period,
                dates=yr.PeriodDates(data["start"], data["end"], data["marks_deadline"]),
            )  # fmt: skip
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, _("The periods are saved."))
            return redirect("office_year", period.year_id)
    return _year_page(request, period.year, status=400, period=form)


@login_required
@require_POST
def holiday_add(request: HttpRequest, pk: int) -> HttpResponse:
    """A vacation, public holiday or quarantine: its planned lessons are cancelled; lessons with entries
    are kept and listed."""
    year = _year(request, pk)
    form = HolidayForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = yr.holiday_add(actor=request.user, year=year, **data)
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(
                request,
                _("«%(name)s» is added: %(n)d lessons cancelled.")
                % {"name": result.holiday.name, "n": result.cancelled},
            )
            if result.kept:
                messages.warning(
                    request,
                    _("These lessons already have entries and were kept: move or cancel them by hand: %(lessons)s.")
                    % {"lessons": "; ".join(str(lesson) for lesson in result.kept[:30])},
                )
            return redirect("office_year", year.pk)
    return _year_page(request, year, status=400, holiday=form)


@login_required
@require_POST
def holiday_remove(request: HttpRequest, pk: int) -> HttpResponse:
    holiday = _get(request, Holiday.objects.select_related("year__school"), "year__school_id", pk)
    year = holiday.year
    try:
        restored = yr.holiday_remove(actor=request.user, holiday=holiday)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Removed; lessons restored: %(n)d.") % {"n": restored})
    return redirect("office_year", year.pk)


# --- structure ---------------------------------------------------------------------------------------------


def _structure_year(request: HttpRequest, school: School) -> AcademicYear:
    """``?year=`` of the school, else the year containing today, else the latest; 404 when none."""
    raw = request.GET.get("year") or request.POST.get("year") or ""
    years = AcademicYear.objects.filter(school=school).select_related("school")
    if raw:
        year = years.filter(pk=int(raw)).first() if raw.isdigit() else None
    else:
        today = school.today()
        year = years.filter(start__lte=today, end__gte=today).first() or years.order_by("-start").first()
    if year is None:
        raise Http404
    return year


def _groups(year: AcademicYear, today: dt.date):  # noqa: ANN202
    on = today if year.contains(today) else year.start
    current = Q(memberships__start__lte=on) & (Q(memberships__end__isnull=True) | Q(memberships__end__gte=on))
    return (
        TeachingGroup.objects.filter(year=year)
        .select_related("subject")
        .annotate(member_count=Count("memberships", filter=current, distinct=True))
        .prefetch_related(
            Prefetch("classes", queryset=SchoolClass.objects.order_by("grade", "letter")),
            Prefetch(
                "assignments",
                queryset=TeachingAssignment.objects.filter(role=AssignmentRole.MAIN)
                .filter(Q(end__isnull=True) | Q(end__gte=on))
                .select_related("teacher")
                .order_by("start"),
                to_attr="teaching",
            ),
        )
        .order_by("name")
    )


def _structure_page(request: HttpRequest, year: AcademicYear, status: int = 200, **bound: Form) -> HttpResponse:
    school = year.school
    staff_qs = st.staff_of(school)
    staff = list(staff_qs)
    groups = list(_groups(year, school.today()))
    load: dict[int, dict] = {}
    for g in groups:
        for a in g.teaching:
            row = load.setdefault(a.teacher_id, {"teacher": a.teacher, "hours": Decimal(0), "groups": 0})
            row["hours"] += g.hours_per_week
            row["groups"] += 1
    classes = list(SchoolClass.objects.filter(year=year).select_related("class_teacher").order_by("grade", "letter"))
    context = {
        "school": school,
        "year": year,
        "years": AcademicYear.objects.filter(school=school).order_by("-start"),
        "subjects": Subject.objects.filter(school=school).order_by("name"),
        "classes": classes,
        "staff": staff,
        "groups": groups,
        "load": sorted(load.values(), key=lambda r: r["teacher"].short_name),
        "kinds": GroupKind.choices,
        "subject_form": bound.get("subject") or SubjectForm(),
        "class_form": bound.get("school_class") or ClassForm(staff=staff_qs),
    }
    return render(request, "office/structure.html", context, status=status)


@login_required
@require_GET
def structure(request: HttpRequest) -> HttpResponse:
    """Per year: subjects, classes with class teachers, groups with kind, classes, hours, members and
    teachers, the teachers' load (тарификация)."""
    school = school_of(request, _ids(request))
    return _structure_page(request, _structure_year(request, school))


@login_required
@require_POST
def subject_add(request: HttpRequest, pk: int) -> HttpResponse:
    year = _year(request, pk)
    form = SubjectForm(request.POST)
    if form.is_valid():
        try:
            st.subject_save(actor=request.user, school=year.school, **form.cleaned_data)
        except ValidationError as exc:
            _fail(form, exc)
        else:
            return redirect(_structure_url(year))
    return _structure_page(request, year, status=400, subject=form)


@login_required
@require_POST
def subject_edit(request: HttpRequest, pk: int) -> HttpResponse:
    subject = _get(request, Subject.objects.select_related("school"), "school_id", pk)
    year = _structure_year(request, subject.school)
    form = SubjectForm(request.POST)
    if form.is_valid():
        try:
            st.subject_save(actor=request.user, school=subject.school, subject=subject, **form.cleaned_data)
        except ValidationError as exc:
            _fail(form, exc)
        else:
            return redirect(_structure_url(year))
    return _structure_page(request, year, status=400, subject=form)


@login_required
@require_POST
def class_add(request: HttpRequest, pk: int) -> HttpResponse:
    year = _year(request, pk)
    staff = st.staff_of(year.school)
    form = ClassForm(request.POST, staff=staff)
    if form.is_valid():
        try:
            st.class_create(actor=request.user, year=year, **form.cleaned_data)
        except ValidationError as exc:
            _fail(form, exc)
        else:
            return redirect(_structure_url(year))
    return _structure_page(request, year, status=400, school_class=form)


def _class(request: HttpRequest, pk: int) -> SchoolClass:
    return _get(request, SchoolClass.objects.select_related("year__school", "class_teacher"), "year__school_id", pk)


@login_required
@require_POST
def class_teacher(request: HttpRequest, pk: int) -> HttpResponse:
    school_class = _class(request, pk)
    year = school_class.year
    form = ClassTeacherForm(request.POST, staff=st.staff_of(year.school))
    if form.is_valid():
        try:
            st.class_teacher_change(actor=request.user, school_class=school_class, teacher=form.cleaned_data["teacher"])
        except ValidationError as exc:
            _fail(form, exc)
        else:
            return redirect(_structure_url(year))
    for message in [*form.non_field_errors(), *form.errors.get("teacher", [])]:
        messages.error(request, message)
    return _structure_page(request, year, status=400)


def _split_page(request: HttpRequest, school_class: SchoolClass, form: SplitForm, status: int = 200) -> HttpResponse:
    return render(request, "office/structure_split.html", {"school_class": school_class, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def class_split(request: HttpRequest, pk: int) -> HttpResponse:
    """R13: split a class into two subgroups for a subject by checking the students of subgroup 1."""
    school_class = _class(request, pk)
    year = school_class.year
    subjects = Subject.objects.filter(school_id=year.school_id).order_by("name")
    students = st.enrolled_in([school_class], year.start)
    if request.method == "GET":
        return _split_page(request, school_class, SplitForm(subjects=subjects, students=students))
    form = SplitForm(request.POST, subjects=subjects, students=st.enrolled_in([school_class], year.start))
    if form.is_valid():
        data = form.cleaned_data
        start = data["start"] or year.start
        first = set(data["first"])
        numbers = {s: 1 if s in first else 2 for s in st.enrolled_in([school_class], start)}
        try:
            groups = st.subgroups_split(
                actor=request.user, school_class=school_class, subject=data["subject"], numbers=numbers,
                hours_per_week=data["hours_per_week"], start=start,
            )  # fmt: skip
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, _("Subgroups created: %(names)s.") % {"names": ", ".join(g.name for g in groups)})
            return redirect(_structure_url(year))
    return _split_page(request, school_class, form, status=400)


def _group_new_page(request: HttpRequest, year: AcademicYear, form: GroupForm, status: int = 200) -> HttpResponse:
    classes = form["classes"].value() or []
    start = year.start
    if form.is_bound and form.is_valid() and form.cleaned_data.get("start"):
        start = form.cleaned_data["start"]
    picked = {str(v) for v in (form["students"].value() or [])}
    chosen = SchoolClass.objects.filter(year=year, pk__in=[c for c in classes if str(c).isdigit()])
    candidates = [(s, str(s.pk) in picked) for s in st.enrolled_in(chosen, start)] if classes else []
    context = {"school": year.school, "year": year, "form": form, "candidates": candidates}
    return render(request, "office/structure_group_new.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def group_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A new group: whole class, subgroup, stream across classes or individual plan. Choosing the classes
    first shows their students to pick."""
    year = _year(request, pk)
    if request.method == "GET":
        # ?subject=…&kind=…&classes=… (the «show the students» step) pre-fills the form without errors.
        form = GroupForm(initial=request.GET.dict() | {"classes": request.GET.getlist("classes")}, year=year)
        return _group_new_page(request, year, form)
    form = GroupForm(request.POST, year=year)
    if form.is_valid():
        data = form.cleaned_data
        try:
            group = st.group_create(
                actor=request.user, year=year, subject=data["subject"], kind=data["kind"],
                classes=list(data["classes"]), name=data["name"], hours_per_week=data["hours_per_week"],
                students=list(data["students"]), start=data["start"], subgroup_number=data["subgroup_number"],
            )  # fmt: skip
        except ValidationError as exc:
            _fail(form, exc)
        else:
            return redirect("office_group", group.pk)
    return _group_new_page(request, year, form, status=400)


def _group(request: HttpRequest, pk: int) -> TeachingGroup:
    return _get(request, TeachingGroup.objects.select_related("year__school", "subject"), "year__school_id", pk)


def _group_page(request: HttpRequest, group: TeachingGroup, status: int = 200, **bound: Form) -> HttpResponse:
    year = group.year
    today = year.school.today()
    on = today if year.contains(today) else year.start
    memberships = list(
        GroupMembership.objects.filter(group=group).select_related("student").order_by("student__last_name", "start")
    )
    current = {m.student_id for m in memberships if m.start <= on and (m.end is None or m.end >= on)}
    candidates = st.enrolled_in(group.classes.all(), on).exclude(pk__in=current)
    staff = st.staff_of(year.school)
    context = {
        "school": year.school,
        "year": year,
        "group": group,
        "classes": list(group.classes.order_by("grade", "letter")),
        "memberships": memberships,
        "on": on,
        "whole_class": group.kind == GroupKind.WHOLE_CLASS,
        "assignments": list(group.assignments.select_related("teacher").order_by("role", "start")),
        "edit_form": bound.get("edit")
        or GroupEditForm(initial={"name": group.name, "hours_per_week": group.hours_per_week}),
        "members_form": bound.get("members") or MembersAddForm(students=candidates, initial={"start": on}),
        "assign_form": bound.get("assign") or AssignmentForm(staff=staff, initial={"start": on}),
        "end_form": EndForm(initial={"end": on}),
    }
    return render(request, "office/structure_group.html", context, status=status)


@login_required
@require_GET
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One group: members (add by picking students, end a membership), name and hours, its teachers."""
    return _group_page(request, _group(request, pk))


@login_required
@require_POST
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group(request, pk)
    form = GroupEditForm(request.POST)
    if form.is_valid():
        try:
            st.group_edit(actor=request.user, group=group, **form.cleaned_data)
        except ValidationError as exc:
            _fail(form, exc)
        else:
            return redirect("office_group", group.pk)
    return _group_page(request, group, status=400, edit=form)


@login_required
@require_POST
def group_members(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group(request, pk)
    # The service checks the enrollment on the chosen date; the form only keeps to the school.
    form = MembersAddForm(request.POST, students=Student.objects.filter(school_id=group.year.school_id))
    if form.is_valid():
        data = form.cleaned_data
        try:
            st.group_members_add(actor=request.user, group=group, students=list(data["students"]), start=data["start"])
        except ValidationError as exc:
            _fail(form, exc)
        else:
            return redirect("office_group", group.pk)
    return _group_page(request, group, status=400, members=form)


@login_required
@require_POST
def membership_end(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _get(
        request, GroupMembership.objects.select_related("group__year__school", "student"), "group__year__school_id", pk
    )
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            st.membership_end(actor=request.user, membership=membership, end=form.cleaned_data["end"])
        except ValidationError as exc:
            _fail(form, exc)
        else:
            return redirect("office_group", membership.group_id)
    for message in [*form.non_field_errors(), *form.errors.get("end", [])]:
        messages.error(request, message)
    return _group_page(request, membership.group, status=400)


@login_required
@require_POST
def assignment_add(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group(request, pk)
    form = AssignmentForm(request.POST, staff=st.staff_of(group.year.school))
    if form.is_valid():
        data = form.cleaned_data
        try:
            st.assignment_add(actor=request.user, group=group, teacher=data["teacher"], start=data["start"])
        except ValidationError as exc:
            _fail(form, exc)
        else:
            return redirect("office_group", group.pk)
    return _group_page(request, group, status=400, assign=form)


@login_required
@require_POST
def assignment_end(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _get(
        request,
        TeachingAssignment.objects.select_related("group__year__school", "teacher"),
        "group__year__school_id",
        pk,
    )
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            st.assignment_end(actor=request.user, assignment=assignment, end=form.cleaned_data["end"])
        except ValidationError as exc:
            _fail(form, exc)
        else:
            return redirect("office_group", assignment.group_id)
    for message in [*form.non_field_errors(), *form.errors.get("end", [])]:
        messages.error(request, message)
    return _group_page(request, assignment.group, status=400)
