"""Production runs of the archive (issue 6, point 3): render, sign, store and register end-of-period copies.

A deputy asks for "period P of class C" or "of the whole school" (:func:`run_request`); one Celery task
per class (:func:`archive_class`) then

1. closes the class's period (``journal.PeriodLock``) so that nothing changes under the copy — from then
   on only a deputy's correction with a reason writes there (``accounts.permissions.lesson_write_mode``);
2. reads the history chain head of every group the class studies in (R4) — the copy covers exactly that;
3. renders the journal copy and the two summary sheets, or reuses the PDF of an unchanged document
   (same data, same template: the render cache, keyed by the HTML's sha256), embeds the manifest and signs;
4. writes each PDF to both storages (R25) and registers it with the next registry number and version.

A copy is *superseded* when a newer version of it exists, and *out of date* when its groups' history got an
event about its period after the copy was made (a correction): :func:`with_state` tells both in SQL.
Re-running never overwrites anything: it adds versions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import archive_scope
from grading.history import GENESIS_HASH
from grading.models import EventObject, JournalEvent, PeriodMark
from journal.models import PeriodKind, PeriodLock, School, SchoolClass, StudyPeriod, TeachingGroup

from .journal_copy import html_to_pdf, journal_copy_html, period_name, printed_on, summary_sheet_html
from .models import ArchiveCopy, ArchiveCopyGroup, ArchiveRun, DocumentKind, FileKind, RunStatus
from .signing import sign_pdf, signer_info
from .storage import default_retain_until, store

logger = logging.getLogger(__name__)

MANIFEST_FORMAT = "school-journal-archive/1"
# The printing date goes into the HTML after the render key is taken: the same data renders to the
# same key on any day, so an unchanged document is not rendered again.
PRINTED_PLACEHOLDER = "\u27e6printed\u27e7"
FILE_KINDS = {
    DocumentKind.JOURNAL: FileKind.JOURNAL_COPY,
    DocumentKind.MARKS: FileKind.SUMMARY_SHEET,
    DocumentKind.ATTENDANCE: FileKind.SUMMARY_SHEET,
}
TITLES = {
    DocumentKind.JOURNAL: "Журнал",
    DocumentKind.MARKS: "Сводная ведомость успеваемости",
    DocumentKind.ATTENDANCE: "Сводная ведомость посещаемости",
}


# --- what a run covers -------------------------------------------------------------------------------


def classes_of(school: School, period: StudyPeriod) -> QuerySet[SchoolClass]:
    """The classes of the period's year that study by it (a quarter: the classes on quarters; the year:
    all of them)."""
    classes = SchoolClass.objects.filter(year_id=period.year_id, year__school=school)
    if period.kind != PeriodKind.YEAR:
        classes = classes.filter(period_kind=period.kind)
    return classes.order_by("grade", "letter")


def run_request(
    *, actor: User, school: School, period: StudyPeriod, school_class: SchoolClass | None = None, lock: bool = True
) -> ArchiveRun:
    """Queue a production run; returns the run already queued or running for the same thing, if any.

    Refuses (``PermissionDenied``) a user who does not produce the school's archive (deputy,
    administrator), and (``ValidationError``, in Russian) a period of another school, a period that has
    not ended yet, or a class that does not study by the period."""
    if school.pk not in archive_scope(actor).produce:
        raise PermissionDenied(_("You do not produce this school's archive."))
    if period.year.school_id != school.pk:
        raise ValidationError(_("This period is not one of the school's periods."))
    if period.end >= timezone.localdate():
        raise ValidationError(
            _("%(period)s ends on %(end)s: a period is archived after it has ended.")
            % {"period": period_name(period), "end": period.end.strftime("%d.%m.%Y")}
        )
    eligible = classes_of(school, period)
    if school_class is not None and not eligible.filter(pk=school_class.pk).exists():
        raise ValidationError(_("Class %(name)s does not study by this period.") % {"name": school_class.name})
    total = 1 if school_class is not None else eligible.count()
    if total == 0:
        raise ValidationError(_("No class of the school studies by this period."))
    with transaction.atomic():
        School.objects.select_for_update().filter(pk=school.pk).first()  # one request at a time per school
        running = ArchiveRun.objects.filter(
            school=school, period=period, school_class=school_class, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
        ).first()
        if running is not None:
            return running
        run = ArchiveRun.objects.create(
            school=school, period=period, school_class=school_class, lock=lock, requested_by=actor, total=total
        )
    from .tasks import run_start  # the tasks module imports this one

    transaction.on_commit(lambda: run_start.delay(run.pk))
    return run


def run_classes(run: ArchiveRun) -> list[int]:
    if run.school_class_id is not None:
        return [run.school_class_id]
    return list(classes_of(run.school, run.period).values_list("pk", flat=True))


# --- one class -----------------------------------------------------------------------------------------


@dataclass
class Produced:
    copies: list[ArchiveCopy]
    pages: int
    reused: int


def _heads(groups: list[int]) -> dict[int, tuple[int, str]]:
    """{group id: (seq, hash)} of the history chain heads, genesis for a group without events. One query
    (portable: SQLite runs ``make run``)."""
    heads = {pk: (0, GENESIS_HASH) for pk in groups}
    last_seq = JournalEvent.objects.filter(group_id=OuterRef("group_id")).order_by("-seq").values("seq")[:1]
    rows = JournalEvent.objects.filter(group_id__in=groups, seq=Subquery(last_seq)).values_list(
        "group_id", "seq", "hash"
    )
    for group_id, seq, digest in rows:
        heads[group_id] = (seq, digest)
    return heads


def _cache_dir() -> Path:
    path = Path(settings.ARCHIVE_RENDER_CACHE)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _render(kind: str, school_class: SchoolClass, period: StudyPeriod) -> tuple[bytes, int, str, bool, float]:
    """(unsigned PDF, pages, render key, reused?, seconds) of one document."""
    started = time.perf_counter()
    if kind == DocumentKind.JOURNAL:
        html, _data = journal_copy_html(school_class, period, printed=PRINTED_PLACEHOLDER)
    else:
        html, _doc = summary_sheet_html(school_class, period, kind, printed=PRINTED_PLACEHOLDER)
    key = hashlib.sha256(html.encode()).hexdigest()
    cached = _cache_dir() / f"{key}.pdf"
    if cached.exists():
        pdf = cached.read_bytes()
        previous = ArchiveCopy.objects.filter(render_key=key).values_list("pages", flat=True).first()
        if previous:
            return pdf, previous, key, True, time.perf_counter() - started
    pdf, pages = html_to_pdf(html.replace(PRINTED_PLACEHOLDER, printed_on()))
    partial = cached.with_suffix(".part")
    partial.write_bytes(pdf)
    partial.replace(cached)
    return pdf, pages, key, False, time.perf_counter() - started


def _manifest(
    kind: str,
    school_class: SchoolClass,
    period: StudyPeriod,
    number: int,
    version: int,
    content_sha256: str,
    pages: int,
    heads: dict[int, tuple[int, str]],
    names: dict[int, str],
    actor: User | None,
) -> dict:
    school = school_class.year.school
    return {
        "format": MANIFEST_FORMAT,
        "document": TITLES[DocumentKind(kind)],
        "kind": kind,
        "registry_number": number,
        "version": version,
        "school": school.name,
        "class": school_class.name,
        "academic_year": school_class.year.name,
        "period": period_name(period),
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "pages": pages,
        "content_sha256": content_sha256,
        "chain_heads": {
            str(pk): {"group": names.get(pk, ""), "seq": seq, "hash": digest} for pk, (seq, digest) in heads.items()
        },
        "made_by": actor.get_full_name() if actor else "",
        "made_at": timezone.now().isoformat(timespec="seconds"),
    }


def _file_name(school_class: SchoolClass, period: StudyPeriod, kind: str, version: int, sha: str) -> str:
    year = school_class.year
    return (
        f"school-{year.school_id}/{year.start.year}-{year.end.year}/class-{school_class.pk}/"
        f"{period.kind}-{period.number}/{kind}-v{version}-{sha[:12]}.pdf"
    )


def produce_document(
    kind: str,
    school_class: SchoolClass,
    period: StudyPeriod,
    heads: dict[int, tuple[int, str]],
    names: dict[int, str],
    *,
    actor: User | None,
    run: ArchiveRun | None = None,
) -> ArchiveCopy:
    """Render (or reuse), sign, store in both storages and register one document as its next version."""
    pdf, pages, key, reused, seconds = _render(kind, school_class, period)
    content_sha = hashlib.sha256(pdf).hexdigest()
    school = school_class.year.school
    with transaction.atomic():
        # Registry numbers and versions are handed out one at a time per school.
        School.objects.select_for_update().filter(pk=school.pk).first()
        number = (ArchiveCopy.objects.filter(school=school).aggregate(n=Max("number"))["n"] or 0) + 1
        version = (
            ArchiveCopy.objects.filter(school_class=school_class, period=period, kind=kind).aggregate(v=Max("version"))[
                "v"
            ]
            or 0
        ) + 1
        manifest = _manifest(kind, school_class, period, number, version, content_sha, pages, heads, names, actor)
        signed = sign_pdf(
            pdf,
            manifest,
            reason=f"{TITLES[DocumentKind(kind)]} {school_class.name}, {period_name(period)}, версия {version}",
            location=school.name,
        )
        stored = store(
            _file_name(school_class, period, kind, version, signed.sha256),
            signed.pdf,
            kind=FILE_KINDS[DocumentKind(kind)],
            retain_until=default_retain_until(FILE_KINDS[DocumentKind(kind)]),
        )
        copy = ArchiveCopy.objects.create(
            school=school,
            number=number,
            kind=kind,
            school_class=school_class,
            period=period,
            version=version,
            file=stored,
            pages=pages,
            sha256=signed.sha256,
            content_sha256=content_sha,
            render_key=key,
            signer=signed.signer.subject,
            signer_serial=signed.signer.serial,
            signed_at=signed.signed_at,
            manifest=manifest,
            run=run,
            created_by=actor,
            render_seconds=seconds,
            reused=reused,
        )
        ArchiveCopyGroup.objects.bulk_create(
            ArchiveCopyGroup(
                copy=copy,
                group_id=pk,
                period=period,
                start=period.start,
                end=period.end,
                seq=seq,
                hash=digest,
            )
            for pk, (seq, digest) in heads.items()
        )
    return copy


def archive_class(
    school_class: SchoolClass,
    period: StudyPeriod,
    *,
    actor: User | None,
    run: ArchiveRun | None = None,
    lock: bool = True,
) -> Produced:
    """Close the class's period (when ``lock``), then make the journal copy and both summary sheets."""
    school_class = SchoolClass.objects.select_related("year__school", "class_teacher").get(pk=school_class.pk)
    if lock:
        PeriodLock.objects.get_or_create(period=period, school_class=school_class, defaults={"locked_by": actor})
    groups = dict(TeachingGroup.objects.filter(classes=school_class).values_list("pk", "name"))
    heads = _heads(list(groups))
    kinds = [DocumentKind.JOURNAL]
    if school_class.has_marks:
        kinds.append(DocumentKind.MARKS)
    kinds.append(DocumentKind.ATTENDANCE)
    copies = [produce_document(kind, school_class, period, heads, groups, actor=actor, run=run) for kind in kinds]
    return Produced(copies, sum(c.pages for c in copies), sum(c.reused for c in copies))


def run_class(run_id: int, class_id: int) -> None:
    """One class of a run; counts it done or failed and closes the run after its last class."""
    run = ArchiveRun.objects.select_related("period__year", "requested_by").get(pk=run_id)
    school_class = SchoolClass.objects.get(pk=class_id)
    error = ""
    produced = None
    try:
        produced = archive_class(school_class, run.period, actor=run.requested_by, run=run, lock=run.lock)
    except Exception as exc:  # noqa: BLE001 -- one class's failure is reported, the others go on
        logger.exception("archive run %s: class %s failed", run_id, class_id)
        error = f"{school_class.name}: {exc}"
    with transaction.atomic():
        run = ArchiveRun.objects.select_for_update().get(pk=run_id)
        if produced is not None:
            run.done = F("done") + 1
            run.pages = F("pages") + produced.pages
            run.reused = F("reused") + produced.reused
        else:
            run.failed = F("failed") + 1
            run.errors = [*run.errors, error]
        run.save(update_fields=["done", "failed", "pages", "reused", "errors"])
        run.refresh_from_db()
        if run.done + run.failed >= run.total:
            run.status = RunStatus.FAILED if run.failed else RunStatus.DONE
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "finished_at"])


def run_begin(run_id: int) -> list[int]:
    """Mark the run running; the classes to do. Fails the run at once when signing is not set up."""
    run = ArchiveRun.objects.select_related("school", "period").get(pk=run_id)
    try:
        signer_info()
    except Exception as exc:  # noqa: BLE001 -- SigningNotConfigured and friends: the run says why
        ArchiveRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), errors=[str(exc)], failed=run.total
        )
        return []
    classes = run_classes(run)
    ArchiveRun.objects.filter(pk=run_id).update(status=RunStatus.RUNNING, total=len(classes))
    if not classes:
        ArchiveRun.objects.filter(pk=run_id).update(status=RunStatus.DONE, finished_at=timezone.now())
    return classes


# --- the state of copies ---------------------------------------------------------------------------------


def with_state(copies: QuerySet[ArchiveCopy]) -> QuerySet[ArchiveCopy]:
    """Annotate ``latest_version`` and ``changed`` (a correction of the copy's period in any covered group
    after the copy was made), in the same query."""
    latest = (
        ArchiveCopy.objects.filter(
            school_class=OuterRef("school_class"), period=OuterRef("period"), kind=OuterRef("kind")
        )
        .order_by("-version")
        .values("version")[:1]
    )
    later = JournalEvent.objects.filter(group_id=OuterRef("group_id"), seq__gt=OuterRef("seq")).filter(
        Q(lesson__date__gte=OuterRef("start"), lesson__date__lte=OuterRef("end"))
        | Q(
            object_type=EventObject.PERIOD_MARK,
            object_id__in=PeriodMark.objects.filter(period_id=OuterRef(OuterRef("period_id"))).values("pk"),
        )
    )
    changed = ArchiveCopyGroup.objects.filter(copy_id=OuterRef("pk")).filter(Exists(later))
    return copies.annotate(latest_version=Subquery(latest), changed=Exists(changed))


def copy_state(copy: ArchiveCopy) -> str:
    """ "current", "superseded" (a newer version exists) or "outdated" (corrected after it was made)."""
    if copy.latest_version and copy.version < copy.latest_version:
        return "superseded"
    if copy.changed:
        return "outdated"
    return "current"


def registry_for(user: User) -> QuerySet[ArchiveCopy]:
    """The registry's copies the user may see: every copy of the schools where they keep, produce or sign
    the archive (secretary, deputy, director, administrator); nothing for anybody else."""
    return with_state(
        ArchiveCopy.objects.filter(school_id__in=archive_scope(user).view).select_related(
            "school_class__year", "period__year", "file", "created_by", "school"
        )
    )


def outdated_classes(school: School, period: StudyPeriod) -> list[tuple[SchoolClass, dt.datetime]]:
    """Classes whose current journal copy of ``period`` is out of date (corrected after archiving)."""
    copies = with_state(
        ArchiveCopy.objects.filter(school=school, period=period, kind=DocumentKind.JOURNAL)
    ).select_related("school_class")
    return [(c.school_class, c.signed_at) for c in copies if c.version == c.latest_version and c.changed]
