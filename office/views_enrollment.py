"""Movement of students and the year-end rollover (issue 7 §5, R27): director, deputy, administrator and
secretary of the school (``office_scope(user).enrollment``); everybody else gets 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from journal.models import AcademicYear, School, SchoolClass, Student

from . import enrollment as movement
from . import rollover as ro
from .forms_enrollment import AdmitForm, LeaveForm, OrderForm, ReadmitForm, ReadmitPickForm, TransferForm
from .models import RolloverRun
from .views import scope_or_404


def _school(request: HttpRequest) -> School:
    """The school of ``?school=`` (or the form's) where the user runs enrollment; 404 for any other."""
    ids = scope_or_404(request).enrollment
    if not ids:
        raise Http404
    raw = request.POST.get("school") or request.GET.get("school") or ""
    if raw and (not raw.isdigit() or int(raw) not in ids):
        raise Http404
    return School.objects.get(pk=int(raw) if raw else min(ids))


def _year(request: HttpRequest, school: School) -> AcademicYear:
    raw = request.POST.get("year") or request.GET.get("year") or ""
    year = movement.year_for(school, raw, school.today())
    if year is None or (raw and str(year.pk) != raw):
        raise Http404
    return year


def _student(request: HttpRequest, pk: int) -> Student:
    student = Student.objects.filter(pk=pk, school_id__in=scope_or_404(request).enrollment).first()
    if student is None:
        raise Http404
    return student


def _open_classes(school_id: int):  # noqa: ANN202
    """Classes of the school's years that are not closed, the latest year first."""
    return (
        SchoolClass.objects.filter(year__school_id=school_id, year__is_closed=False)
        .select_related("year")
        .order_by("-year__start", "grade", "letter")
    )


def _fail(form, exc: ValidationError) -> None:  # noqa: ANN001
    for message in exc.messages:
        form.add_error(None, message)


# --- the movement page ------------------------------------------------------------------------------------


def _movement_page(request: HttpRequest, school: School, year: AcademicYear, admit=None, readmit=None) -> HttpResponse:  # noqa: ANN001
    classes = SchoolClass.objects.filter(year=year).select_related("year").order_by("grade", "letter")
    today = school.today()
    initial = {"start": today, "order_date": today}
    context = {
        "school": school,
        "year": year,
        "years": AcademicYear.objects.filter(school=school).order_by("-start"),
        "rolls": movement.movement_rolls(year),
        "admit": admit or AdmitForm(classes=classes, initial=initial),
        "readmit": readmit
        or ReadmitPickForm(classes=classes, students=movement.readmittable_students(school), initial=initial),
    }
    return render(request, "office/students.html", context)


@login_required
@require_http_methods(["GET"])
def students(request: HttpRequest) -> HttpResponse:
    """The classes of a year with every student who studied there and their history; admission."""
    school = _school(request)
    return _movement_page(request, school, _year(request, school))


@login_required
@require_POST
def student_admit(request: HttpRequest) -> HttpResponse:
    """Admit a new student (or, with ``student``, one who left earlier) by an order."""
    school = _school(request)
    year = _year(request, school)
    classes = SchoolClass.objects.filter(year=year).select_related("year")
    again = "student" in request.POST
    if again:
        form = ReadmitPickForm(request.POST, classes=classes, students=movement.readmittable_students(school))
    else:
        form = AdmitForm(request.POST, classes=classes)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if again:
                enrollment = movement.student_admit(
                    actor=request.user, student=data["student"], school_class=data["school_class"],
                    start=data["start"], order_number=data["order_number"], order_date=data["order_date"],
                )  # fmt: skip
            else:
                enrollment = movement.student_admit(
                    actor=request.user, school_class=data["school_class"], start=data["start"],
                    order_number=data["order_number"], order_date=data["order_date"],
                    last_name=data["last_name"], first_name=data["first_name"], patronymic=data["patronymic"],
                    birth_date=data["birth_date"], sex=data["sex"],
                    personal_file_number=data["personal_file_number"],
                )  # fmt: skip
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(
                request,
                _("%(student)s is admitted to %(class)s from %(date)s.")
                % {
                    "student": enrollment.student.full_name,
                    "class": enrollment.school_class.name,
                    "date": f"{enrollment.start:%d.%m.%Y}",
                },
            )
            return redirect(f"{reverse('office_students')}?school={school.pk}&year={year.pk}")
    return _movement_page(request, school, year, **({"readmit": form} if again else {"admit": form}))


# --- one student ------------------------------------------------------------------------------------------


def _card(request: HttpRequest, student: Student, **forms) -> HttpResponse:  # noqa: ANN003
    today = student.school.today()
    initial = {"order_date": today}
    classes = _open_classes(student.school_id)
    history = movement.student_history(student)
    studying = next((e for e in history if e.end is None or e.end >= today), None)
    context = {
        "student": student,
        "school": student.school,
        "history": history,
        "studying": studying,
        "transfer": forms.get("transfer") or TransferForm(classes=classes, initial={**initial, "on": today}),
        "leave": forms.get("leave") or LeaveForm(initial={**initial, "last_day": today}),
        "readmit": forms.get("readmit") or ReadmitForm(classes=classes, initial={**initial, "start": today}),
    }
    return render(request, "office/students_card.html", context)


@login_required
@require_http_methods(["GET"])
def student_card(request: HttpRequest, pk: int) -> HttpResponse:
    """A student's whole history with the orders; transfer, leave, admit again."""
    return _card(request, _student(request, pk))


def _card_done(request: HttpRequest, student: Student, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("office_student", student.pk)


@login_required
@require_POST
def student_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    student = _student(request, pk)
    form = TransferForm(request.POST, classes=_open_classes(student.school_id))
    if form.is_valid():
        data = form.cleaned_data
        try:
            movement.student_transfer(
                actor=request.user, student=student, to_class=data["to_class"], on=data["on"],
                order_number=data["order_number"], order_date=data["order_date"],
            )  # fmt: skip
        except ValidationError as exc:
            _fail(form, exc)
        else:
            return _card_done(
                request,
                student,
                _("%(student)s is transferred to %(class)s from %(date)s.")
                % {"student": student.full_name, "class": data["to_class"].name, "date": f"{data['on']:%d.%m.%Y}"},
            )
    return _card(request, student, transfer=form)


@login_required
@require_POST
def student_leave(request: HttpRequest, pk: int) -> HttpResponse:
    student = _student(request, pk)
    form = LeaveForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            movement.student_leave(
                actor=request.user, student=student, last_day=data["last_day"], reason=data["reason"],
                order_number=data["order_number"], order_date=data["order_date"],
            )  # fmt: skip
        except ValidationError as exc:
            _fail(form, exc)
        else:
            return _card_done(
                request,
                student,
                _("%(student)s has left the school after %(date)s.")
                % {"student": student.full_name, "date": f"{data['last_day']:%d.%m.%Y}"},
            )
    return _card(request, student, leave=form)


@login_required
@require_POST
def student_readmit(request: HttpRequest, pk: int) -> HttpResponse:
    student = _student(request, pk)
    form = ReadmitForm(request.POST, classes=_open_classes(student.school_id))
    if form.is_valid():
        data = form.cleaned_data
        try:
            movement.student_admit(
                actor=request.user, student=student, school_class=data["school_class"], start=data["start"],
                order_number=data["order_number"], order_date=data["order_date"],
            )  # fmt: skip
        except ValidationError as exc:
            _fail(form, exc)
        else:
            return _card_done(
                request,
                student,
                _("%(student)s is admitted to %(class)s from %(date)s.")
                % {
                    "student": student.full_name,
                    "class": data["school_class"].name,
                    "date": f"{data['start']:%d.%m.%Y}",
                },
            )
    return _card(request, student, readmit=form)


# --- the rollover -----------------------------------------------------------------------------------------


def _choices(request: HttpRequest) -> dict[int, str]:
    return {int(k[1:]): v for k, v in request.POST.items() if k[:1] == "c" and k[1:].isdigit()}


@login_required
@require_http_methods(["GET", "POST"])
def rollover(request: HttpRequest) -> HttpResponse:
    """The dry run of the year-end rollover (GET, or POST ``preview`` with the per-student choices);
    POST ``classes`` creates the next year's missing classes; POST ``apply`` applies the plan shown."""
    school = _school(request)
    from_year = _year(request, school)
    to_year = ro.next_year(from_year)
    order = OrderForm(request.POST or None, initial={"order_date": school.today()})
    choices = _choices(request) if request.method == "POST" else {}
    action = request.POST.get("action", "")
    if to_year is not None and request.method == "POST" and action in {"apply", "classes"}:
        back = f"{reverse('office_rollover')}?school={school.pk}&year={from_year.pk}"
        if action == "classes":
            created = ro.rollover_classes_create(
                actor=request.user, plan=ro.rollover_plan(from_year=from_year, to_year=to_year, choices=choices)
            )
            messages.success(
                request,
                _("Classes created in %(year)s: %(classes)s.")
                % {"year": to_year.name, "classes": ", ".join(c.name for c in created) or "—"},
            )
        elif order.is_valid():
            try:
                run = ro.rollover_apply(
                    actor=request.user, from_year=from_year, to_year=to_year, choices=choices,
                    fingerprint=request.POST.get("fingerprint", ""),
                    order_number=order.cleaned_data["order_number"], order_date=order.cleaned_data["order_date"],
                )  # fmt: skip
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                messages.success(
                    request,
                    _("The rollover %(from)s → %(to)s is applied: %(n)d students.")
                    % {"from": from_year.name, "to": to_year.name, "n": len(run.plan)},
                )
                return redirect(back)
    plan = ro.rollover_plan(from_year=from_year, to_year=to_year, choices=choices) if to_year else None
    today = school.today()
    runs = list(
        RolloverRun.objects.filter(school=school).select_related("from_year", "to_year", "applied_by", "undone_by")
    )
    for run in runs:
        run.may_undo = ro.undo_allowed(run, today)
    context = {
        "school": school,
        "year": from_year,
        "to_year": to_year,
        "years": AcademicYear.objects.filter(school=school).order_by("-start"),
        "plan": plan,
        "order": order,
        "runs": runs,
        "applied": any(r.status == "applied" and r.from_year_id == from_year.pk for r in runs),
        "labels": {ro.PROMOTE: _("promoted"), ro.GRADUATE: _("graduate"), ro.RETAIN: _("retained")},
    }
    return render(request, "office/rollover.html", context)


@login_required
@require_POST
def rollover_undo(request: HttpRequest, pk: int) -> HttpResponse:
    run = RolloverRun.objects.filter(pk=pk, school_id__in=scope_or_404(request).enrollment).first()
    if run is None:
        raise Http404
    try:
        ro.rollover_undo(actor=request.user, run=run)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The rollover %(run)s is undone.") % {"run": f"{run.from_year} → {run.to_year}"})
    return redirect(f"{reverse('office_rollover')}?school={run.school_id}&year={run.from_year_id}")
