"""The journal grid of a group (issue 3, points 3 and 7): read by everybody who may read the group's
journal, marks edited in place by the teacher of each lesson, period marks set by the group's teacher."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import Action, get_group_for
from grading.cells import CONFLICT, ERROR, SAVED, CellError
from grading.models import EventObject, JournalEvent, PeriodMark
from grading.services import MarkConflict, period_mark_set

from .grid import build_grid, grid_group, period_cell
from .models import GroupMembership, Student, StudyPeriod
from .services import REASON_REQUIRED

DEFERRED_WORDS = {"отср", "отср.", "отсроч", "отсрочка"}


@login_required
@require_GET
def group_grid(request: HttpRequest, pk: int) -> HttpResponse:
    """Students × lessons of a period (``?period=``), optionally one subgroup (``?subgroup=``)."""
    group = grid_group(request.user, pk)
    grid = build_grid(request.user, group, request.GET.get("period"), request.GET.get("subgroup"), timezone.localdate())
    return render(request, "journal/grid.html", {"grid": grid, "group": group})


@login_required
@require_POST
def group_period_mark(request: HttpRequest, pk: int) -> HttpResponse:
    """Save one period-mark cell (htmx): 1–5, «н/а», «зач»/«незач», «осв», «отср» (deferred, R7), or
    an empty cell that was empty. Answers the cell: 200 saved, 409 conflict, 422 refused."""
    group = get_group_for(request.user, pk, Action.VIEW)
    period = StudyPeriod.objects.filter(pk=request.POST.get("period") or 0, year_id=group.year_id).first()
    if period is None:
        raise Http404
    student = Student.objects.filter(pk=request.POST.get("student") or 0, school_id=group.year.school_id).first()
    if student is None or not GroupMembership.objects.filter(group=group, student=student).exists():
        raise Http404
    text = request.POST.get("value", "").strip()
    raw_version = request.POST.get("version", "").strip()
    version = int(raw_version) if raw_version.isdigit() else None
    state, status, error = SAVED, 200, None
    try:
        if not text:
            if version is not None:
                raise ValidationError(_("A period mark is not removed: set «н/а» or the right mark, with a reason."))
        else:
            deferred = text.lower() in DEFERRED_WORDS
            period_mark_set(
                actor=request.user,
                group=group,
                student=student,
                period=period,
                text="" if deferred else text,
                deferred=deferred,
                expected_version=version,
                reason=request.POST.get("reason", ""),
            )
    except MarkConflict as exc:
        state, status, error = CONFLICT, 409, CellError(" ".join(exc.messages), typed=text)
    except ValidationError as exc:
        needs = any(getattr(e, "code", None) == REASON_REQUIRED for e in exc.error_list)
        state, status, error = ERROR, 422, CellError(" ".join(exc.messages), typed=text, needs_reason=needs)
    except PermissionDenied as exc:
        return HttpResponse(str(exc), status=403)
    mark = PeriodMark.objects.filter(group=group, student=student, period=period).first()
    html = period_cell(
        url=reverse("group_period_mark", args=[group.pk]),
        period=period,
        student_id=student.pk,
        mark=mark,
        editable=True,
        history_url=reverse("group_history", args=[group.pk]),
        state=state,
        error=error,
    )
    return HttpResponse(html, status=status)


@login_required
@require_GET
def group_history(request: HttpRequest, pk: int) -> HttpResponse:
    """The history of a student's period mark in the group (R4), for the popover."""
    group = get_group_for(request.user, pk, Action.VIEW)
    try:
        student_id, period_id = int(request.GET.get("student", "")), int(request.GET.get("period", ""))
    except ValueError:
        raise Http404 from None
    events = (
        JournalEvent.objects.filter(group=group, student_id=student_id, object_type=EventObject.PERIOD_MARK)
        .filter(Q(new__period=period_id) | Q(old__period=period_id))
        .select_related("actor")
        .order_by("seq")
    )
    return render(request, "journal/partials/_history.html", {"events": list(events)})
