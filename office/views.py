"""The office's front page and its change log (issue 7). The areas' pages live in ``views_<area>.py``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.permissions import OfficeScope, office_scope
from journal.models import School

from .models import ChangeRecord


def scope_or_404(request: HttpRequest) -> OfficeScope:
    scope = office_scope(request.user)
    if not scope.any:
        raise Http404
    return scope


def school_of(request: HttpRequest, ids: frozenset[int]) -> School:
    """The school chosen by ``?school=`` (or the form's ``school``) among ``ids``; 404 when none."""
    if not ids:
        raise Http404
    raw = request.GET.get("school") or request.POST.get("school") or ""
    school_id = int(raw) if raw.isdigit() and int(raw) in ids else min(ids)
    return School.objects.get(pk=school_id)


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    scope = scope_or_404(request)
    school = school_of(request, scope.any)
    context = {
        "school": school,
        "schools": School.objects.filter(pk__in=scope.any) if len(scope.any) > 1 else [],
        "may": {
            "year": school.pk in scope.year,
            "enrollment": school.pk in scope.enrollment,
            "staff_accounts": school.pk in scope.staff_accounts,
            "accounts": school.pk in scope.accounts,
            "correct": school.pk in scope.correct,
        },
    }
    return render(request, "office/index.html", context)


@login_required
@require_GET
def changes(request: HttpRequest) -> HttpResponse:
    """Who changed what in the school's set-up, newest first."""
    scope = scope_or_404(request)
    school = school_of(request, scope.any)
    records = ChangeRecord.objects.filter(school=school).select_related("actor")
    kind = request.GET.get("object", "")
    if kind:
        records = records.filter(object_type=kind)
    page = Paginator(records, 100).get_page(request.GET.get("page"))
    return render(request, "office/changes.html", {"school": school, "page": page, "kind": kind})
