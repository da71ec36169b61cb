"""``/office/imports/`` — imports and exports (issue 7 §4): choose the shape, download a template, upload
a CSV/XLSX file, see the dry-run preview (each row new / update / unchanged / error), confirm.

Who: staff — administrator and secretary (``staff_accounts``); students with parents — director, deputy,
administrator, secretary (``enrollment``); classes, groups, timetable, КТП — deputy and administrator
(``year``). Anybody else gets 404. Between the preview and the confirmation the uploaded file waits
under ``VAR_DIR/imports/`` named by a random token that only the uploader's session knows; the
confirmation checks the whole file again and writes nothing if any row fails.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from journal.models import AcademicYear, School

from .imports import FORMATS, SHAPES, XLSX, ImportResult, Shape, export_file, import_file, shapes_for, template_file
from .imports.base import MAX_BYTES
from .views import scope_or_404

SESSION_KEY = "office_imports"
KEEP_SECONDS = 3600  # an unconfirmed upload is forgotten after an hour
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _store() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _school(request: HttpRequest, shape: Shape | None = None) -> School:
    """The school of ``?school=`` (or the form's) where the user may import ``shape`` (any shape); 404 else."""
    scope = scope_or_404(request)
    ids = frozenset(getattr(scope, shape.scope)) if shape else scope.year | scope.enrollment | scope.staff_accounts
    if not ids:
        raise Http404
    raw = request.POST.get("school") or request.GET.get("school") or ""
    if raw and (not raw.isdigit() or int(raw) not in ids):
        raise Http404
    return School.objects.get(pk=int(raw) if raw else min(ids))


def _shape(code: str) -> Shape:
    shape = SHAPES.get(code)
    if shape is None:
        raise Http404
    return shape


def _year(request: HttpRequest, school: School) -> AcademicYear:
    years = AcademicYear.objects.filter(school=school)
    raw = request.POST.get("year") or request.GET.get("year") or ""
    if raw:
        year = years.filter(pk=int(raw)).first() if raw.isdigit() else None
        if year is None:
            raise Http404
        return year
    today = school.today()
    year = (
        years.filter(start__lte=today, end__gte=today).first()
        or years.filter(is_closed=False).order_by("start").first()
        or years.order_by("-start").first()
    )
    if year is None:
        raise Http404
    return year


def _download(content: bytes, filename: str, fmt: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _page(
    request: HttpRequest,
    school: School,
    year: AcademicYear,
    *,
    chosen: str = "",
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    scope = scope_or_404(request)
    context = {
        "school": school,
        "year": year,
        "years": AcademicYear.objects.filter(school=school).order_by("-start"),
        "shapes": shapes_for(scope, school.pk),
        "chosen": chosen,
        "error": error,
        "formats": FORMATS,
    }
    return render(request, "office/imports.html", context, status=status)


@login_required
@require_GET
def imports(request: HttpRequest) -> HttpResponse:
    school = _school(request)
    return _page(request, school, _year(request, school), chosen=request.GET.get("shape", ""))


@login_required
@require_GET
def import_template(request: HttpRequest, shape: str, fmt: str) -> HttpResponse:
    chosen = _shape(shape)
    _school(request, chosen)
    if fmt not in FORMATS:
        raise Http404
    return _download(template_file(resource_class=chosen.resource, fmt=fmt), f"{chosen.code}-template.{fmt}", fmt)


@login_required
@require_GET
def import_export(request: HttpRequest, shape: str, fmt: str) -> HttpResponse:
    chosen = _shape(shape)
    school = _school(request, chosen)
    year = _year(request, school)
    if fmt not in FORMATS:
        raise Http404
    content = export_file(school=school, year=year, resource_class=chosen.resource, fmt=fmt)
    return _download(content, f"{chosen.code}-{year.name.replace('/', '-')}.{fmt}", fmt)


def _preview(
    request: HttpRequest,
    school: School,
    year: AcademicYear,
    shape: Shape,
    result: ImportResult,
    token: str,
    status: int,
) -> HttpResponse:
    context = {"school": school, "year": year, "shape": shape, "result": result, "token": token}
    return render(request, "office/imports_preview.html", context, status=status)


def _forget_old(request: HttpRequest) -> dict:
    pending = dict(request.session.get(SESSION_KEY, {}))
    now = time.time()
    for token, meta in list(pending.items()):
        if now - meta["at"] > KEEP_SECONDS:
            (_store() / token).unlink(missing_ok=True)
            del pending[token]
    return pending


@login_required
@require_POST
def import_preview(request: HttpRequest) -> HttpResponse:
    shape = _shape(request.POST.get("shape", ""))
    school = _school(request, shape)
    year = _year(request, school)
    upload = request.FILES.get("file")
    if upload is None:
        return _page(request, school, year, chosen=shape.code, error=_("Choose a file to upload."), status=400)
    content = upload.read(MAX_BYTES + 1)
    try:
        result = import_file(
            actor=request.user, school=school, year=year, resource_class=shape.resource,
            content=content, name=upload.name or "", dry_run=True,
        )  # fmt: skip
    except ValidationError as exc:
        return _page(request, school, year, chosen=shape.code, error=" ".join(exc.messages), status=400)
    token = ""
    if not result.has_errors:
        token = secrets.token_urlsafe(24)
        (_store() / token).write_bytes(content)
        pending = _forget_old(request)
        pending[token] = {
            "shape": shape.code, "school": school.pk, "year": year.pk, "name": (upload.name or "")[:200],
            "user": request.user.pk, "at": time.time(),
        }  # fmt: skip
        request.session[SESSION_KEY] = pending
    return _preview(request, school, year, shape, result, token, 200 if token else 400)


@login_required
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("token", "")
    pending = _forget_old(request)
    meta = pending.get(token)
    if meta is None or meta["user"] != request.user.pk:
        raise Http404
    shape = _shape(meta["shape"])
    request.POST = request.POST.copy()
    request.POST["school"], request.POST["year"] = str(meta["school"]), str(meta["year"])
    school = _school(request, shape)  # the grant may have gone since the preview
    year = _year(request, school)
    path = _store() / token
    landing = f"{reverse('office_imports')}?school={school.pk}&year={year.pk}&shape={shape.code}"
    if not path.exists():
        messages.error(request, _("The uploaded file has expired; upload it again."))
        return redirect(landing)
    try:
        result = import_file(
            actor=request.user, school=school, year=year, resource_class=shape.resource,
            content=path.read_bytes(), name=meta["name"], dry_run=False,
        )  # fmt: skip
    except ValidationError as exc:
        return _page(request, school, year, chosen=shape.code, error=" ".join(exc.messages), status=400)
    path.unlink(missing_ok=True)
    pending.pop(token, None)
    request.session[SESSION_KEY] = pending
    if not result.written:
        # Something changed since the preview: the file is checked again and nothing was written.
        return _preview(request, school, year, shape, result, "", 400)
    messages.success(
        request,
        _("Imported: %(new)d new, %(update)d updated, %(unchanged)d unchanged.")
        % {"new": result.count_new, "update": result.count_update, "unchanged": result.count_unchanged},
    )
    return redirect(landing)
