"""The reports pages (issue 5): ``/reports/`` — the reports a user may run, with their parameters, and the
recent runs; a run's page shows the progress, then the tables, each number drilling down to the rows
behind it; every run exports as XLSX / CSV and the summary sheets as PDF.

Who sees what comes from ``accounts.permissions.report_scope``: the administration every report of its
school, a class teacher the class reports of the led class, a teacher the analysis of their own groups;
parents, students and everybody else get 404.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import ReportScope, report_scope
from journal.models import School, SchoolClass, StudyPeriod

from . import exports
from .charts import bar_chart
from .models import ReportRun, ReportStatus
from .registry import KINDS, available_kinds
from .services import remarks_send, report_request
from .tables import Document


def _scope(request: HttpRequest) -> ReportScope:
    scope = getattr(request, "report_scope", None) or report_scope(request.user)
    request.report_scope = scope  # asked once per request
    if not scope.any:
        raise Http404
    return scope


def _visible_runs(user, scope: ReportScope):  # noqa: ANN001, ANN202
    """Runs the user may read: of the schools they oversee, of their led classes, of their own groups."""
    visible = Q(school_id__in=scope.school_ids) | Q(params__teacher=user.pk)
    if scope.class_ids:
        visible |= Q(params__class__in=list(scope.class_ids))
    return ReportRun.objects.filter(visible)


def _school(request: HttpRequest, scope: ReportScope) -> School:
    ids = sorted(scope.school_ids | scope.class_school_ids | scope.teacher_school_ids)
    raw = request.GET.get("school") or request.POST.get("school") or ""
    school_id = int(raw) if raw.isdigit() and int(raw) in ids else ids[0]
    return School.objects.get(pk=school_id)


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    school = _school(request, scope)
    today = timezone.localdate()
    whole_school = school.pk in scope.school_ids
    classes = SchoolClass.objects.filter(year__school=school, year__start__lte=today, year__end__gte=today)
    if not whole_school:
        classes = classes.filter(pk__in=scope.class_ids)
    periods = StudyPeriod.objects.filter(year__school=school, year__start__lte=today, year__end__gte=today)
    kinds = [
        k
        for k in available_kinds()
        if whole_school or k.audience == "teacher" or (k.audience == "class" and scope.class_ids)
    ]
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    context = {
        "school": school,
        "whole_school": whole_school,
        "kinds": kinds,
        "classes": list(classes.order_by("grade", "letter")),
        "grades": sorted({c.grade for c in classes}),
        "periods": list(periods.order_by("start", "-end")),
        "default_month": f"{last_month:%Y-%m}",
        "default_start": f"{today.replace(day=1):%Y-%m-%d}",
        "default_end": f"{today:%Y-%m-%d}",
        "runs": _visible_runs(request.user, scope).select_related("requested_by")[:20],
        "titles": {code: kind.title for code, kind in KINDS.items()},
    }
    return render(request, "reports/index.html", context)


@login_required
@require_POST
def run(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    school = _school(request, scope)
    try:
        report = report_request(
            actor=request.user,
            school=school,
            kind=request.POST.get("kind", ""),
            params=request.POST.dict(),
            refresh=bool(request.POST.get("refresh")),
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=422)
    return redirect("reports_run", pk=report.pk)


def _get_run(request: HttpRequest, pk: int) -> ReportRun:
    scope = _scope(request)
    report = _visible_runs(request.user, scope).select_related("school", "requested_by").filter(pk=pk).first()
    if report is None:
        raise Http404
    return report


@login_required
@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The run: its progress while it is computed (the block polls itself), then its tables."""
    report = _get_run(request, pk)
    kind = KINDS[report.kind]
    finished = report.status in (ReportStatus.DONE, ReportStatus.FAILED)
    if request.headers.get("HX-Request"):
        if finished:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return render(request, "reports/_status.html", {"run": report})
    document = Document.from_json(report.result) if report.status == ReportStatus.DONE else None
    context = {
        "run": report,
        "may_send": report.school_id in _scope(request).school_ids,
        "fix_by_default": timezone.localdate() + dt.timedelta(days=7),
        "kind": kind,
        "document": document,
        "tables": [(t, bar_chart(t) if t.chart else "") for t in document.tables if not t.detail] if document else [],
    }
    return render(request, "reports/run.html", context)


@login_required
@require_GET
def run_table(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """One table of a run on its own page: the rows behind a number."""
    report = _get_run(request, pk)
    if report.status != ReportStatus.DONE:
        raise Http404
    document = Document.from_json(report.result)
    table = next((t for t in document.tables if t.key == key), None)
    if table is None:
        raise Http404
    return render(request, "reports/table.html", {"run": report, "document": document, "table": table})


@login_required
@require_GET
def run_export(request: HttpRequest, pk: int) -> HttpResponse:
    """``?format=xlsx`` (every table), ``csv`` (``&table=<key>``, default the first) or ``pdf`` (the
    summary sheets)."""
    report = _get_run(request, pk)
    if report.status != ReportStatus.DONE:
        raise Http404
    document = Document.from_json(report.result)
    fmt = request.GET.get("format", "xlsx")
    stem = f"{document.title} {report.finished_at:%Y-%m-%d}"
    if fmt == "xlsx":
        content = exports.to_xlsx(document)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "csv":
        key = request.GET.get("table") or document.tables[0].key
        table = next((t for t in document.tables if t.key == key), None)
        if table is None:
            raise Http404
        content, content_type = exports.to_csv(table), "text/csv; charset=utf-8"
    elif fmt == "pdf" and KINDS[report.kind].pdf:
        content, content_type = exports.to_pdf(document, report.school.name), "application/pdf"
    else:
        raise Http404
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}.{fmt}")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def run_remarks(request: HttpRequest, pk: int) -> HttpResponse:
    """R20: send the monthly analysis' remarks to the teachers, with a date to fix them by."""
    report = _get_run(request, pk)
    try:
        fix_by = dt.date.fromisoformat(request.POST.get("fix_by", ""))
        sent = remarks_send(actor=request.user, run=report, fix_by=fix_by)
    except ValueError:
        messages.error(request, _("Give the date to fix the remarks by."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied:
        raise Http404 from None
    else:
        messages.success(request, _("Remarks sent to %(n)d teachers.") % {"n": sent})
    return redirect("reports_run", pk=report.pk)
