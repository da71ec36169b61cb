"""The archive pages (issue 6): ``/archive/`` — the registry of signed copies with search, the printable
registry, downloads and a copy's signature check; production runs with their progress; the administrator's
page of backups, integrity checks and retention.

Who sees what comes from ``accounts.permissions.archive_scope``: the registry — secretary, deputy,
director, administrator of the school; production — deputy and administrator; backups — the
administrator (the secretary reads the registry of use). Anybody else gets 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import ArchiveScope, archive_scope
from journal.models import PeriodLock, School, SchoolClass, StudyPeriod

from .backup import backup_download
from .journal_copy import html_to_pdf, period_name
from .models import (
    ArchiveCopy,
    ArchiveRun,
    Backup,
    BackupUse,
    DocumentKind,
    IntegrityCheck,
    RetentionReview,
    StoredFile,
)
from .production import copy_state, outdated_classes, registry_for, run_request
from .retention import review_confirm
from .signing import verify_pdf
from .storage import ArchiveError, read

PAGE_SIZE = 50
PRINT_LIMIT = 5000
SHA_PREFIX_MIN = 8  # a search of digits only that is shorter is a registry number
STATES = {
    "current": gettext_lazy("current"),
    "superseded": gettext_lazy("superseded by a newer version"),
    "outdated": gettext_lazy("out of date: corrected after archiving"),
}


def _scope(request: HttpRequest) -> ArchiveScope:
    scope = archive_scope(request.user)
    if not (scope.view or scope.backup_registry):
        raise Http404
    return scope


def _school(request: HttpRequest, ids: frozenset[int]) -> School:
    if not ids:
        raise Http404
    raw = request.GET.get("school") or request.POST.get("school") or ""
    school_id = int(raw) if raw.isdigit() and int(raw) in ids else min(ids)
    return School.objects.get(pk=school_id)


def _search(request: HttpRequest, copies: QuerySet[ArchiveCopy]) -> QuerySet[ArchiveCopy]:
    """The registry's filters: free text (registry number, class, sha256 prefix, signer), period, class,
    document kind, state."""
    q = request.GET.get("q", "").strip()
    if q:
        number = q.lstrip("№ ")
        if number.isdigit() and len(number) < SHA_PREFIX_MIN:
            # A registry number: not the start of some checksum, nor the "№ 1" in a signer's name.
            copies = copies.filter(number=int(number))
        else:
            text = Q(signer__icontains=q) | Q(sha256__startswith=q.lower())
            grade, letter = q[:-1], q[-1:]
            if grade.isdigit():
                text |= Q(school_class__grade=int(grade), school_class__letter__iexact=letter)
            copies = copies.filter(text)
    for field, param in (("period_id", "period"), ("school_class_id", "class"), ("kind", "kind")):
        value = request.GET.get(param, "")
        if value:
            copies = copies.filter(**{field: value})
    state = request.GET.get("state", "")
    if state == "current":
        copies = copies.filter(latest_version=F("version"), changed=False)
    elif state == "superseded":
        copies = copies.exclude(latest_version=F("version"))
    elif state == "outdated":
        copies = copies.filter(latest_version=F("version"), changed=True)
    return copies


def _unreadable(stored: StoredFile) -> str:
    """Why a stored file was not read (no intact copy): the state of both copies, which ``read`` has just
    written to the registry, in the user's language."""
    stored.refresh_from_db(fields=["status_a", "status_b"])
    return f"{_('copy A')}: {stored.get_status_a_display()}, {_('copy B')}: {stored.get_status_b_display()}"


def _rows(copies) -> list[tuple[ArchiveCopy, str]]:  # noqa: ANN001
    return [(c, copy_state(c)) for c in copies]


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The registry: every copy with its number, class, period, version, pages, sha256, signer, date and
    storage state; ``?format=pdf`` prints what the filters select."""
    scope = _scope(request)
    if not scope.view:
        return redirect("archive_backups")
    school = _school(request, scope.view)
    copies = _search(request, registry_for(request.user).filter(school=school)).order_by("-number")
    if request.GET.get("format") == "pdf":
        return _registry_pdf(request, school, copies[:PRINT_LIMIT])
    page = Paginator(copies, PAGE_SIZE).get_page(request.GET.get("page"))
    periods = list(StudyPeriod.objects.filter(year__school=school).select_related("year").order_by("-start", "end"))
    today = timezone.localdate()
    context = {
        "school": school,
        "schools": School.objects.filter(pk__in=scope.view) if len(scope.view) > 1 else [],
        "page": page,
        "rows": _rows(page.object_list),
        "states": STATES,
        "kinds": DocumentKind.choices,
        "periods": [(p, period_name(p)) for p in periods],
        "ended_periods": [(p, period_name(p)) for p in periods if p.end < today],
        "classes": SchoolClass.objects.filter(year__school=school)
        .select_related("year")
        .order_by("-year__start", "grade", "letter"),
        "may_produce": school.pk in scope.produce,
        "runs": ArchiveRun.objects.filter(school=school).select_related("period__year", "school_class")[:10],
        "locks": PeriodLock.objects.filter(school_class__year__school=school)
        .select_related("period__year", "school_class", "locked_by")
        .order_by("-locked_at")[:200],
        "query": request.GET,
        "may_backups": bool(scope.backup_registry),
    }
    return render(request, "archive/index.html", context)


def _registry_pdf(request: HttpRequest, school: School, copies) -> HttpResponse:  # noqa: ANN001
    html = render_to_string(
        "archive/registry_print.html",
        {"school": school, "rows": _rows(copies), "states": STATES, "printed": timezone.localtime()},
        request=request,
    )
    pdf, _pages = html_to_pdf(html)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"Реестр архивных копий {timezone.localdate():%Y-%m-%d}.pdf"
    response["Content-Disposition"] = content_disposition_header(False, name)
    return response


def _get_copy(request: HttpRequest, pk: int) -> ArchiveCopy:
    copy = registry_for(request.user).filter(pk=pk).first()
    if copy is None:
        raise Http404
    return copy


@login_required
@require_GET
def copy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One copy: its registry data, the history chain heads it covers and, on request, a signature check
    of the stored file."""
    copy = _get_copy(request, pk)
    verification = None
    if request.GET.get("verify") and copy.file_id:
        try:
            verification = verify_pdf(read(copy.file.name))
        except ArchiveError:
            messages.error(
                request, _("The signature cannot be checked (%(error)s).") % {"error": _unreadable(copy.file)}
            )
    versions = ArchiveCopy.objects.filter(school_class=copy.school_class, period=copy.period, kind=copy.kind).order_by(
        "version"
    )
    context = {
        "copy": copy,
        "state": copy_state(copy),
        "states": STATES,
        "heads": copy.heads.select_related("group").order_by("group__name"),
        "versions": versions,
        "verification": verification,
        "period_name": period_name(copy.period),
    }
    return render(request, "archive/copy.html", context)


@login_required
@require_GET
def copy_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The signed PDF as kept (the intact one of the two copies)."""
    copy = _get_copy(request, pk)
    if copy.file_id is None:
        raise Http404
    try:
        content = read(copy.file.name)
    except ArchiveError:
        messages.error(request, capfirst(_unreadable(copy.file)))
        return redirect("archive_copy", pk=copy.pk)
    kind = {"journal": "Журнал", "marks": "Ведомость успеваемости", "attendance": "Ведомость посещаемости"}[copy.kind]
    name = f"{kind} {copy.school_class.name} {period_name(copy.period).replace('/', '-')} v{copy.version}.pdf"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- production runs -------------------------------------------------------------------------------------


@login_required
@require_POST
def run_new(request: HttpRequest) -> HttpResponse:
    """Start "archive period P for class C / for the whole school"."""
    scope = _scope(request)
    school = _school(request, scope.produce)
    raw_period = request.POST.get("period", "")
    period = StudyPeriod.objects.filter(pk=raw_period if raw_period.isdigit() else 0, year__school=school).first()
    if raw_period and period is None:  # another school's period, or no period at all
        raise Http404
    raw_class = request.POST.get("class", "")
    school_class = None
    if raw_class:
        school_class = SchoolClass.objects.filter(
            pk=raw_class if raw_class.isdigit() else 0, year__school=school
        ).first()
        if school_class is None:
            raise Http404
    if period is None:
        messages.error(request, _("Choose the period to archive."))
        return redirect(f"{reverse('archive')}?school={school.pk}")
    try:
        run = run_request(actor=request.user, school=school, period=period, school_class=school_class)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(f"{reverse('archive')}?school={school.pk}")
    return redirect("archive_run", pk=run.pk)


@login_required
@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A run's progress (the block polls itself while it runs), then its copies."""
    scope = _scope(request)
    run = (
        ArchiveRun.objects.filter(pk=pk, school_id__in=scope.view)
        .select_related("period__year", "school_class", "requested_by", "school")
        .first()
    )
    if run is None:
        raise Http404
    if request.headers.get("HX-Request"):
        if run.finished:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return render(request, "archive/_run_status.html", {"run": run})
    copies = (
        registry_for(request.user).filter(run=run).order_by("school_class__grade", "school_class__letter", "number")
    )
    context = {
        "run": run,
        "period_name": period_name(run.period),
        "rows": _rows(copies),
        "states": STATES,
        "outdated": outdated_classes(run.school, run.period) if run.finished else [],
    }
    return render(request, "archive/run.html", context)


# --- backups, integrity, retention ---------------------------------------------------------------------------


def _may_act_for_every_school(request: HttpRequest, scope: ArchiveScope) -> bool:
    """A backup holds the whole database and a retention list names the files of every school: in a
    district (several schools) only the platform's superuser takes a backup away or confirms a list (which
    destroys other schools' copies); a one-school installation's administrator may."""
    if not scope.backups:
        return False
    return request.user.is_superuser or School.objects.count() <= 1


@login_required
@require_GET
def backups(request: HttpRequest) -> HttpResponse:
    """The administrator's page: backups with the registry of their use, the integrity checks of both
    storages, the yearly retention lists. The secretary reads it."""
    scope = _scope(request)
    if not scope.backup_registry:
        raise Http404
    context = {
        "backups": Backup.objects.select_related("created_by", "file")[:50],
        "uses": BackupUse.objects.select_related("backup", "user")[:100],
        "checks": IntegrityCheck.objects.all()[:20],
        "reviews": RetentionReview.objects.select_related("confirmed_by")[:10],
        "may_manage": bool(scope.backups),
        "may_download": _may_act_for_every_school(request, scope),
        "may_confirm": _may_act_for_every_school(request, scope),
        "retention_days": settings.ARCHIVE_BACKUP_RETENTION_DAYS,
    }
    return render(request, "archive/backups.html", context)


def _manager(request: HttpRequest) -> ArchiveScope:
    scope = _scope(request)
    if not scope.backups:
        raise Http404
    return scope


@login_required
@require_POST
def backup_new(request: HttpRequest) -> HttpResponse:
    """A backup now, made by the Celery worker (the page shows it when it is done)."""
    _manager(request)
    from .tasks import backup

    backup.delay(request.user.pk)
    messages.success(request, _("The backup has been started; it appears in the list when it is written."))
    return redirect("archive_backups")


@login_required
@require_POST
def backup_get(request: HttpRequest, pk: int) -> HttpResponse:
    """Download a backup; the download is written to the registry of use (R26)."""
    scope = _manager(request)
    if not _may_act_for_every_school(request, scope):
        raise PermissionDenied
    item = Backup.objects.filter(pk=pk).select_related("file").first()
    if item is None or item.file is None:
        raise Http404
    try:
        content = backup_download(item, actor=request.user)
    except ArchiveError:
        messages.error(request, capfirst(_unreadable(item.file)))
        return redirect("archive_backups")
    response = HttpResponse(content, content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, item.name.rsplit("/", 1)[-1])
    return response


@login_required
@require_POST
def verify_now(request: HttpRequest) -> HttpResponse:
    """Re-hash both storages now (the weekly check, on demand)."""
    _manager(request)
    from .tasks import verify_storages

    verify_storages.delay()
    messages.success(request, _("The integrity check has been started; its result appears in the list."))
    return redirect("archive_backups")


@login_required
@require_POST
def review_confirm_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm a retention list with the destruction act: only then are its files destroyed."""
    if not _may_act_for_every_school(request, _manager(request)):
        raise PermissionDenied
    review = RetentionReview.objects.filter(pk=pk).first()
    if review is None:
        raise Http404
    try:
        destroyed = review_confirm(review, actor=request.user, act=request.POST.get("act", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Files destroyed: %(n)s.") % {"n": destroyed})
    return redirect("archive_backups")
