"""Running reports (issue 5, point 4): a request becomes a stored ``ReportRun`` and a Celery task that
computes it; the page shows the progress, then the result. The same report with the same parameters is
one run: asking again gives the run that exists (idempotent), "refresh" computes it anew.

With ``make run`` (no Redis) Celery runs tasks eagerly, so the page finds the result at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import traceback
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import report_scope
from journal.models import School, SchoolClass

from .models import ReportRun, ReportStatus
from .registry import KINDS, ReportKind
from .tables import Document

logger = logging.getLogger(__name__)


def report_key(kind: str, school_id: int, params: dict[str, Any]) -> str:
    raw = json.dumps(params, sort_keys=True, ensure_ascii=False)
    return f"{kind}:{school_id}:{hashlib.sha256(raw.encode()).hexdigest()[:32]}"


def _check_may_run(actor: User | None, kind: ReportKind, school: School, params: dict[str, Any]) -> dict[str, Any]:
    """Who may run what (R20–R22); returns the parameters, narrowed to the actor's own scope: a class
    teacher's class reports are of the led class, a teacher's analysis is of their own groups."""
    if actor is None:  # the scheduled runs (Celery beat)
        return params
    scope = report_scope(actor)
    if school.pk in scope.school_ids:
        return params
    class_id = params.get("class")
    if kind.audience in ("class", "teacher") and class_id and int(class_id) in scope.class_ids:
        return params
    if kind.audience == "teacher" and school.pk in scope.teacher_school_ids and not class_id:
        return {**params, "teacher": actor.pk}
    raise PermissionDenied(_("You cannot run this report."))


def _clean_params(kind: ReportKind, school: School, raw: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name in kind.params:
        value = str(raw.get(name) or "").strip()
        if not value:
            continue
        if name in ("period", "class", "grade"):
            if not value.isdigit():
                raise ValidationError(_("Choose the report's parameters again."))
            params[name] = int(value)
        else:
            params[name] = value
    if "class" in params and not SchoolClass.objects.filter(pk=params["class"], year__school=school).exists():
        raise PermissionDenied(_("You cannot run this report."))
    return params


def report_request(
    *, actor: User | None, school: School, kind: str, params: dict[str, Any], refresh: bool = False
) -> ReportRun:
    """The run of ``kind`` for ``school`` with ``params``: the existing one, or a new one queued."""
    report = KINDS.get(kind)
    if report is None:
        raise ValidationError(_("There is no such report."))
    params = _check_may_run(actor, report, school, _clean_params(report, school, params))
    key = report_key(kind, school.pk, params)
    with transaction.atomic():
        run, created = ReportRun.objects.select_for_update().get_or_create(
            key=key, defaults={"kind": kind, "school": school, "params": params, "requested_by": actor}
        )
        again = not created and (run.status == ReportStatus.FAILED or (refresh and run.status == ReportStatus.DONE))
        if again:
            run.status, run.progress, run.result, run.error = ReportStatus.QUEUED, 0, None, ""
            run.requested_by, run.created_at, run.started_at, run.finished_at = actor, timezone.now(), None, None
            run.save()
        if created or again:
            run_id = run.pk
            transaction.on_commit(lambda: _enqueue(run_id))
    return run


def _enqueue(run_id: int) -> None:
    from .tasks import run_report

    try:
        run_report.delay(run_id)
    except Exception:  # noqa: BLE001 - the broker is down: the run stays queued, the page says so
        logger.exception("Could not queue report run %s", run_id)


def report_execute(run_id: int) -> str:
    """Compute a queued run (the Celery task's body). A run already running or done is left alone, so a
    task delivered twice computes once. Returns the run's status."""
    with transaction.atomic():
        run = ReportRun.objects.select_for_update().filter(pk=run_id).select_related("school").first()
        if run is None or run.status != ReportStatus.QUEUED:
            return run.status if run else "missing"
        run.status, run.started_at = ReportStatus.RUNNING, timezone.now()
        run.save(update_fields=["status", "started_at"])

    def progress(percent: int) -> None:
        ReportRun.objects.filter(pk=run_id).update(progress=max(0, min(99, int(percent))))

    try:
        compute = import_string(KINDS[run.kind].compute)
        document: Document = compute(run.school, run.params, progress)
    except Exception as exc:  # noqa: BLE001 - any failure is stored on the run and shown
        logger.exception("Report run %s failed", run_id)
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else f"{type(exc).__name__}: {exc}"
        ReportRun.objects.filter(pk=run_id).update(
            status=ReportStatus.FAILED, error=message, finished_at=timezone.now()
        )
        logger.debug(traceback.format_exc())
        return ReportStatus.FAILED
    ReportRun.objects.filter(pk=run_id).update(
        status=ReportStatus.DONE, progress=100, result=document.to_json(), finished_at=timezone.now()
    )
    return ReportStatus.DONE


def monthly_for_every_school(month: str) -> list[int]:
    """The scheduled monthly analysis (R20, R22): one run per active school, ready when the deputy comes."""
    return [
        report_request(actor=None, school=school, kind="monthly", params={"month": month}).pk
        for school in School.objects.filter(is_active=True).order_by("pk")
    ]


def remarks_send(*, actor: User, run: ReportRun, fix_by: dt.date) -> int:
    """R20: the deputy sends each teacher the remarks of the monthly analysis about their groups, with a
    date to put them right by — one message per teacher, through the messages (the teacher may answer).
    Only the school's administration; only rows with something to fix. Returns the messages sent."""
    from messaging.services import thread_start

    if run.kind != "monthly" or run.status != ReportStatus.DONE:
        raise ValidationError(_("Only a finished monthly analysis has remarks to send."))
    if run.school_id not in report_scope(actor).school_ids:
        raise PermissionDenied(_("Only the school's administration sends the remarks."))
    if fix_by < timezone.localdate():
        raise ValidationError(_("The date to fix by is in the past."))
    document = Document.from_json(run.result)
    remarks = next((t for t in document.tables if t.key == "remarks"), None)
    by_teacher: dict[int, list[str]] = {}
    for row in remarks.rows if remarks else []:
        if row.emphasis == "warn" and row.ref.get("teacher"):
            by_teacher.setdefault(row.ref["teacher"], []).append(f"{row.cells[1]}: {row.cells[2]}")
    month = run.params.get("month", "")
    sent = 0
    for teacher in User.objects.filter(pk__in=list(by_teacher)).order_by("last_name"):
        body = "\n".join(
            [
                _("Remarks of the journal check for %(month)s:") % {"month": month},
                *(f"— {line}" for line in by_teacher[teacher.pk]),
                _("Please put them right by %(date)s.") % {"date": f"{fix_by:%d.%m.%Y}"},
            ]
        )
        thread_start(
            actor=actor,
            recipients=[teacher],
            subject=_("Journal check for %(month)s: remarks") % {"month": month},
            body=body,
        )
        sent += 1
    return sent
