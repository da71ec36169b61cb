"""The diary (issue 4, points 1–3): parents and students read it; parents confirm a week (R19).

Strictly read-only and private (R15): the child comes from ``accounts.permissions.students_for`` — a
parent's own children, a student themself — so another family's child id is a 404, and the only write
is the acknowledgement, which the service allows to a parent of that child alone.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import DateTimeField, Exists, OuterRef, Subquery, Value
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import ParentLink
from accounts.permissions import get_class_for, students_for

from . import diary
from .diary_cache import Rendered, cached_marks, cached_week
from .diary_extract import class_students, extract_pdf, month_bounds
from .models import DiaryAcknowledgement, Student, Weekday

WEEKDAYS = [label for _value, label in Weekday.choices]


def _children(request: HttpRequest, week: dt.date | None = None) -> tuple[list[Student], Student | None]:
    """The user's diary children and the chosen one (``?child=``; 404 if not theirs), in one query with
    whether the user is a parent of each and, for ``week``, when they confirmed it (R19)."""
    user = request.user.pk
    confirmed = DiaryAcknowledgement.objects.filter(student=OuterRef("pk"), parent=user, week_start=week)
    children = list(
        students_for(request.user)
        .annotate(
            is_child=Exists(ParentLink.objects.filter(parent=user, student=OuterRef("pk"))),
            confirmed_at=Subquery(confirmed.values("at")[:1]) if week else Value(None, DateTimeField()),
        )
        .order_by("last_name", "first_name")
    )
    raw = request.GET.get("child") or request.POST.get("child") or ""
    if not raw:
        return children, children[0] if children else None
    chosen = next((c for c in children if str(c.pk) == raw), None)
    if chosen is None:
        raise Http404
    return children, chosen


def _day(request: HttpRequest, name: str = "week") -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return timezone.localdate()


def _no_diary(request: HttpRequest) -> HttpResponse:
    return render(request, "journal/diary/none.html", status=200)


@login_required
@require_GET
def diary_week(request: HttpRequest) -> HttpResponse:
    """The chosen child's week (``?child=``, ``?week=YYYY-MM-DD``): lessons, homework, marks, absences,
    remarks; previous / next week; holidays. A parent confirms the week here."""
    day = _day(request)
    children, child = _children(request, diary.monday_of(day))
    if child is None:
        return _no_diary(request)
    is_parent = child.is_child  # a parent confirms the week (R19); a student reads their own diary

    def build() -> Rendered:
        week = diary.diary_week(child, day)
        html = render_to_string("journal/diary/_week_body.html", {"week": week, "child": child})
        return Rendered(html, week.school_class.name if week.school_class else "", week.monday)

    week = cached_week(child, day, build)  # the peak's most read page
    context = {
        "children": children,
        "child": child,
        "week": week,
        "acknowledged_at": child.confirmed_at,
        "is_parent": is_parent,
        "tab": "week",
    }
    return render(request, "journal/diary/week.html", context)


@login_required
@require_GET
def diary_marks(request: HttpRequest) -> HttpResponse:
    """Marks by subject for a period (``?period=``): marks, weighted average, forecast, period and year
    marks, and attendance per subject."""
    children, child = _children(request)
    if child is None:
        return _no_diary(request)
    today, period = timezone.localdate(), request.GET.get("period") or ""
    if not period.isdigit():
        period = ""  # an unknown period shows the current one; one cache entry for both, not one per typo

    def build() -> Rendered:
        data = diary.diary_marks(child, today, period)
        html = render_to_string("journal/diary/_marks_body.html", {"data": data, "child": child})
        return Rendered(html, data.school_class.name if data.school_class else "")

    data = cached_marks(child, today, period, build)
    return render(
        request, "journal/diary/marks.html", {"children": children, "child": child, "data": data, "tab": "marks"}
    )


@login_required
@require_GET
def diary_timetable(request: HttpRequest) -> HttpResponse:
    """The timetable, the control works of the period (R10) and the child's teachers."""
    children, child = _children(request)
    if child is None:
        return _no_diary(request)
    data = diary.diary_school(child, timezone.localdate())
    context = {"children": children, "child": child, "data": data, "tab": "school", "weekdays": WEEKDAYS}
    return render(request, "journal/diary/school.html", context)


@login_required
@require_POST
def diary_acknowledge(request: HttpRequest) -> HttpResponse:
    """A parent confirms «ознакомлен(а)» for the week (R19)."""
    _children_list, child = _children(request)
    if child is None:
        raise Http404
    try:
        week = dt.date.fromisoformat(request.POST.get("week", ""))
    except ValueError:
        raise Http404 from None
    try:
        diary.diary_acknowledge(actor=request.user, student=child, week_start=week)
    except PermissionDenied as exc:
        return HttpResponse(str(exc), status=403)
    messages.success(request, _("Thank you: the week is confirmed."))
    monday = diary.monday_of(week)
    return redirect(f"{reverse('diary')}?child={child.pk}&week={monday:%Y-%m-%d}")


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def diary_extract(request: HttpRequest) -> HttpResponse:
    """The month's diary extract of the chosen child as PDF (R19), ``?month=YYYY-MM``."""
    _children_list, child = _children(request)
    if child is None:
        raise Http404
    school_class = diary.class_of(child, timezone.localdate())
    if school_class is None:
        raise Http404
    first, _last = month_bounds(request.GET.get("month"), timezone.localdate())
    content = extract_pdf(school_class, [child], request.GET.get("month"))
    return _pdf(content, f"Дневник {child.short_name} {first:%Y-%m}.pdf")


@login_required
@require_GET
def class_extract(request: HttpRequest, pk: int) -> HttpResponse:
    """The class teacher prints the month's extract of the whole class in one PDF (``?student=`` for one)."""
    school_class = get_class_for(request.user, pk)
    month = request.GET.get("month")
    first, last = month_bounds(month, timezone.localdate())
    students = class_students(school_class, first, last)
    raw = request.GET.get("student", "")
    if raw:
        students = [s for s in students if str(s.pk) == raw]
        if not students:
            raise Http404
    return _pdf(extract_pdf(school_class, students, month), f"Дневник {school_class.name} {first:%Y-%m}.pdf")


@login_required
@require_GET
def diary_acknowledgements(request: HttpRequest, pk: int) -> HttpResponse:
    """For the class teacher and the administration (R19): per student, the last week a parent
    confirmed and every parent's last visit."""
    school_class = get_class_for(request.user, pk)
    today = timezone.localdate()
    rows = diary.class_acknowledgements(school_class, today)
    months = [(today.replace(day=1) - dt.timedelta(days=28 * n)).replace(day=1) for n in range(4)]
    context = {"school_class": school_class, "rows": rows, "months": months}
    return render(request, "journal/diary/acknowledgements.html", context)
