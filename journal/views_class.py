"""The class teacher's desk (issue 4, point 5): ``/class/``.

Every page fetches the class through ``accounts.permissions.get_class_for`` — its class teacher and the
school's staff with ``view_personal_data`` reach it, everybody else (another class's teacher, a parent,
a student, another school) gets 404 before anything else is read. Who may change what is asked of
``accounts.permissions`` too (``can_edit_class_people``, ``can_issue_credentials``,
``can_set_absence_reasons``): a reader who posts gets 403. Writes go through the services of
``accounts/personal.py`` and ``attendance/services.py``, which check again and record every change.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Consent, ParentLink, User
from accounts.permissions import (
    can_edit_class_people,
    can_issue_credentials,
    can_set_absence_reasons,
    classes_for,
    get_class_for,
)
from accounts.personal import (
    PARENT_FIELDS,
    STUDENT_FIELDS,
    consent_record,
    credentials_issue,
    parent_contacts_update,
    student_data_update,
)
from accounts.ratelimits import limit_credentials
from attendance.models import Absence
from attendance.services import absence_reason_set, absence_reasons_set_range

from . import class_desk as desk_reads
from .forms_class import (
    AbsenceReasonForm,
    ConsentForm,
    ParentContactsForm,
    ReasonRangeForm,
    SlipsForm,
    StudentDataForm,
)
from .models import SchoolClass, Student


def _message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _rights(user: User, school_class: SchoolClass) -> dict[str, bool]:
    return {
        "can_edit": can_edit_class_people(user, school_class),
        "can_slips": can_issue_credentials(user, school_class),
        "can_reasons": can_set_absence_reasons(user, school_class),
    }


def _page(request: HttpRequest, template: str, school_class: SchoolClass, tab: str, **context: object) -> HttpResponse:
    return render(
        request,
        template,
        {"school_class": school_class, "tab": tab, **_rights(request.user, school_class), **context},
    )


# --- the list and the desk ----------------------------------------------------------------------------------


@login_required
@require_GET
def class_desk(request: HttpRequest) -> HttpResponse:
    """The classes the user leads (or, for the school's administration, every class of the school) in
    the current academic year; a class teacher of one class goes straight to its desk."""
    today = timezone.localdate()
    scope = classes_for(request.user).select_related("year__school", "class_teacher")
    classes = scope.filter(year__start__lte=today, year__end__gte=today)
    if not classes.exists():  # the summer between two years: the classes of the latest year
        latest = scope.order_by("-year__start").values_list("year_id", flat=True).first()
        classes = scope.filter(year_id=latest)
    classes = list(
        classes.annotate(
            n_students=Count(
                "enrollments",
                filter=Q(enrollments__start__lte=today)
                & (Q(enrollments__end__isnull=True) | Q(enrollments__end__gte=today)),
            )
        ).order_by("year__school__short_name", "grade", "letter")
    )
    led = [c for c in classes if c.class_teacher_id == request.user.pk]
    if len(classes) == 1 and led:
        return redirect("class_detail", classes[0].pk)
    return render(request, "journal/class/index.html", {"classes": classes})


@login_required
@require_GET
def class_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The desk of one class: students with their data and parents, consents, journals, subgroups, who
    never logged in."""
    school_class = get_class_for(request.user, pk)
    day = desk_reads.class_day(school_class)
    desk = desk_reads.class_desk(request.user, school_class, day)
    return _page(request, "journal/class/desk.html", school_class, "desk", desk=desk)


def _class_student(school_class: SchoolClass, student_id: int) -> Student:
    student = desk_reads.class_students(school_class, desk_reads.class_day(school_class)).filter(pk=student_id).first()
    if student is None:
        raise Http404
    return student


@login_required
@require_http_methods(["GET", "POST"])
def class_student(request: HttpRequest, pk: int, student_id: int) -> HttpResponse:
    """A student's personal data: the form, and the history of its changes (who, when, old → new)."""
    school_class = get_class_for(request.user, pk)
    student = _class_student(school_class, student_id)
    can_edit = can_edit_class_people(request.user, school_class)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = StudentDataForm(request.POST)
        if form.is_valid():
            try:
                changes = student_data_update(actor=request.user, student=student, data=form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, _message(exc))
            else:
                messages.success(
                    request,
                    _("Saved.") if changes else _("Nothing changed."),
                )
                return redirect("class_student", school_class.pk, student.pk)
    else:
        form = StudentDataForm(initial={name: getattr(student, name) for name in STUDENT_FIELDS})
    links = list(ParentLink.objects.filter(student=student).select_related("parent").order_by("parent__last_name"))
    changes = desk_reads.personal_changes(students=[student.pk], users=[link.parent_id for link in links])
    return _page(
        request,
        "journal/class/student.html",
        school_class,
        "desk",
        student=student,
        form=form,
        links=links,
        changes=changes,
        consents=list(Consent.objects.filter(student=student).select_related("recorded_by")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def class_parent(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    """A parent's name and contacts (phone, e-mail), and the history of their changes."""
    school_class = get_class_for(request.user, pk)
    day = desk_reads.class_day(school_class)
    link = (
        ParentLink.objects.filter(parent_id=user_id, student__in=desk_reads.class_students(school_class, day))
        .select_related("parent", "student")
        .first()
    )
    if link is None:
        raise Http404
    parent = link.parent
    can_edit = can_edit_class_people(request.user, school_class)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = ParentContactsForm(request.POST)
        if form.is_valid():
            try:
                changes = parent_contacts_update(actor=request.user, parent=parent, data=form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, _message(exc))
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Saved.") if changes else _("Nothing changed."))
                return redirect("class_parent", school_class.pk, parent.pk)
    else:
        form = ParentContactsForm(initial={name: getattr(parent, name) for name in PARENT_FIELDS})
    return _page(
        request,
        "journal/class/parent.html",
        school_class,
        "desk",
        parent=parent,
        link=link,
        form=form,
        changes=desk_reads.personal_changes(users=[parent.pk]),
    )


# --- the consent registry (R16) ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def class_consent(request: HttpRequest, pk: int) -> HttpResponse:
    """The consent registry of the class: every record, newest first, and a form to add one."""
    school_class = get_class_for(request.user, pk)
    day = desk_reads.class_day(school_class)
    students = list(desk_reads.class_students(school_class, day))
    if request.method == "POST":
        if not can_edit_class_people(request.user, school_class):
            raise PermissionDenied
        form = ConsentForm(request.POST, students=students)
        if form.is_valid():
            data = form.cleaned_data
            student = next(s for s in students if s.pk == data["student"])
            refusal = data["kind"] == ConsentForm.REFUSAL
            try:
                consent_record(
                    actor=request.user,
                    student=student,
                    given_by=data["given_by"],
                    given_on=None if refusal else data["on"],
                    refused_on=data["on"] if refusal else None,
                    electronic_access_refused=data["electronic_access_refused"],
                    note=data["note"],
                )
            except ValidationError as exc:
                form.add_error(None, _message(exc))
            else:
                messages.success(request, _("The record is added to the consent registry."))
                return redirect("class_consent", school_class.pk)
    else:
        form = ConsentForm(students=students, initial={"on": timezone.localdate()})
    records = list(
        Consent.objects.filter(student__in=[s.pk for s in students])
        .select_related("student", "recorded_by")
        .order_by("student__last_name", "student__first_name", "student_id", "-recorded_at")
    )
    rows = desk_reads.class_desk_consents(students, records)
    return _page(request, "journal/class/consent.html", school_class, "consent", form=form, records=records, rows=rows)


# --- the attendance week (R8) --------------------------------------------------------------------------


def _monday(request: HttpRequest, school_class: SchoolClass) -> dt.date:
    try:
        day = dt.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        day = desk_reads.class_day(school_class)
    return day - dt.timedelta(days=day.weekday())


def _attendance_url(school_class: SchoolClass, day: dt.date) -> str:
    monday = day - dt.timedelta(days=day.weekday())
    return f"{reverse('class_attendance', args=[school_class.pk])}?week={monday:%Y-%m-%d}"


@login_required
@require_GET
def class_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """Students × the days of the week with the absences the teachers marked; the class teacher records
    the reasons, one by one or for a range of days."""
    school_class = get_class_for(request.user, pk)
    monday = _monday(request, school_class)
    week = desk_reads.attendance_week(school_class, monday)
    range_form = ReasonRangeForm(students=week.students, initial={"start": monday, "end": monday})
    return _page(
        request,
        "journal/class/attendance.html",
        school_class,
        "attendance",
        week=week,
        prev_week=monday - dt.timedelta(days=7),
        next_week=monday + dt.timedelta(days=7),
        range_form=range_form,
        reason_choices=AbsenceReasonForm.base_fields["reason"].choices,
    )


@login_required
@require_POST
def class_absence_reason(request: HttpRequest, pk: int, absence_id: int) -> HttpResponse:
    """Record the reason of one absence (htmx: answers the absence's row)."""
    school_class = get_class_for(request.user, pk)
    absence = (
        Absence.objects.filter(
            pk=absence_id, lesson__group__classes=school_class, student__enrollments__school_class=school_class
        )
        .select_related("lesson__group__subject", "student", "reason_set_by")
        .distinct()
        .first()
    )
    if absence is None:
        raise Http404
    if not can_set_absence_reasons(request.user, school_class):
        raise PermissionDenied
    form = AbsenceReasonForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            absence_reason_set(
                actor=request.user, absence=absence, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            error = _message(exc)
    else:
        error = _("Choose a reason: illness, excused or unexcused.")
    if request.htmx:
        context = {
            "school_class": school_class,
            "a": absence,
            "can_reasons": True,
            "reason_choices": AbsenceReasonForm.base_fields["reason"].choices,
            "error": error,
            "saved": not error,
        }
        return render(request, "journal/class/partials/_absence_row.html", context, status=422 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Saved."))
    return redirect(_attendance_url(school_class, absence.lesson.date))


@login_required
@require_POST
def class_absence_range(request: HttpRequest, pk: int) -> HttpResponse:
    """One reason with its document for every absence of a student over a range of days."""
    school_class = get_class_for(request.user, pk)
    if not can_set_absence_reasons(request.user, school_class):
        raise PermissionDenied
    year = school_class.year
    students = list(desk_reads.enrolled_between(school_class, year.start, year.end))
    form = ReasonRangeForm(request.POST, students=students)
    back = _attendance_url(school_class, desk_reads.class_day(school_class))
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    data = form.cleaned_data
    student = next(s for s in students if s.pk == data["student"])
    try:
        changed = absence_reasons_set_range(
            actor=request.user,
            student=student,
            start=data["start"],
            end=data["end"],
            reason=data["reason"],
            note=data["note"],
        )
    except ValidationError as exc:
        messages.error(request, _message(exc))
        return redirect(_attendance_url(school_class, data["start"]))
    messages.success(
        request,
        _("%(student)s: absences with the reason recorded: %(count)d.")
        % {"student": student.short_name, "count": changed},
    )
    return redirect(_attendance_url(school_class, data["start"]))


# --- credential slips (R17) ----------------------------------------------------------------------------


def _families(request: HttpRequest, school_class: SchoolClass) -> list[desk_reads.FamilyPerson]:
    if not can_issue_credentials(request.user, school_class):
        raise PermissionDenied
    return desk_reads.class_families(school_class, desk_reads.class_day(school_class))


def _print_slips(
    request: HttpRequest,
    school_class: SchoolClass,
    issued: list[tuple[User, str]],
    people: list[desk_reads.FamilyPerson],
) -> HttpResponse:
    whom = {p.user.pk: p for p in people}
    slips = [(user, password, whom[user.pk]) for user, password in issued]
    return render(
        request,
        "journal/class/slips_print.html",
        {"school_class": school_class, "slips": slips, "login_url": request.build_absolute_uri(reverse("login"))},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@limit_credentials
def class_slips(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: choose the students and parents of the class; POST: give each a new one-time password and
    print one slip per person (the passwords are shown on this answer only and stored nowhere)."""
    school_class = get_class_for(request.user, pk)
    people = _families(request, school_class)
    form = SlipsForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        users = list(User.objects.filter(pk__in=form.cleaned_data["users"]))
        try:
            issued = credentials_issue(actor=request.user, users=users)
        except ValidationError as exc:
            form.add_error(None, _message(exc))
        else:
            return _print_slips(request, school_class, issued, people)
    return _page(request, "journal/class/slips.html", school_class, "slips", people=people, form=form)


@never_cache
@login_required
@require_POST
@limit_credentials
def class_password_reset(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    """A new one-time password for one student or parent of the class, printed on a slip."""
    school_class = get_class_for(request.user, pk)
    people = _families(request, school_class)
    person = next((p for p in people if p.user.pk == user_id and not p.is_staff), None)
    if person is None:
        raise Http404
    issued = credentials_issue(actor=request.user, users=[person.user])
    return _print_slips(request, school_class, issued, people)
