"""Compromised credentials (issue 7 point 7, R18).

The administrator records "user U reported that their credentials leaked at moment T": U is blocked and
every session of U ends at once. Every journal operation U made at or after T (the history,
``grading.models.JournalEvent``) is listed, and the deputy director voids them one by one or all at
once. Voiding restores the value the operation replaced (``event.old``) through the journal's own
services, as the deputy's correction with a reason, so it is a NEW event in the hash chain — nothing
is erased — and a ``VoidedOperation`` row links the voided event to the event that restored.

A value changed again by somebody else since (its current state is not ``event.new``) is left alone and
reported «changed later — not voided». Voiding all goes newest first, so several operations of U on one
value unwind in order. Service entries (a lesson marked held, a mark column added) carry no value to
restore and are only listed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ParentLink, StaffRole, User
from accounts.permissions import lesson_write_mode, office_scope
from attendance.models import Absence, AbsenceKind, AbsenceReason
from attendance.services import absence_clear, absence_reason_set, absence_set
from grading.history import chain_head, lesson_event
from grading.models import EventAction, EventObject, JournalEvent, Mark, MarkColumn, PeriodMark
from grading.services import mark_delete, mark_set, period_mark_set
from journal.models import Homework, Lesson, LessonNote, PlanItem, School, Student, StudyPeriod
from journal.services import homework_delete, homework_set, lesson_note_add, lesson_note_delete, lesson_topic_set

from .accounts import user_sessions_end
from .audit import record
from .models import CredentialLeak, VoidedOperation

VOIDABLE = frozenset(
    {
        EventObject.MARK,
        EventObject.PERIOD_MARK,
        EventObject.ABSENCE,
        EventObject.TOPIC,
        EventObject.HOMEWORK,
        EventObject.NOTE,
    }
)


class Outcome(StrEnum):
    VOIDED = "voided"
    CHANGED_LATER = "changed_later"
    NOT_VOIDABLE = "not_voidable"
    ALREADY = "already"


@dataclass
class VoidResult:
    event: JournalEvent
    outcome: Outcome
    restoring_event: JournalEvent | None = None


# --- who may ---------------------------------------------------------------------------------------------


def _check_accounts(actor: User, school: School) -> None:
    if school.pk not in office_scope(actor).accounts:
        raise PermissionDenied(_("Only the school's administrator records a leak of credentials."))


def _check_correct(actor: User, school: School) -> None:
    if school.pk not in office_scope(actor).correct:
        raise PermissionDenied(_("Only the deputy director voids operations."))


def school_users(school: School) -> QuerySet[User]:
    """Everybody with an account in the school: staff, parents of its students, students' own logins."""
    return User.objects.filter(
        Q(pk__in=StaffRole.objects.filter(school=school).values("user_id"))
        | Q(pk__in=ParentLink.objects.filter(student__school=school).values("parent_id"))
        | Q(pk__in=Student.objects.filter(school=school, user__isnull=False).values("user_id"))
    )


# --- recording a leak ------------------------------------------------------------------------------------


@transaction.atomic
def leak_record(*, actor: User, school: School, user: User, reported_at: dt.datetime, note: str = "") -> CredentialLeak:
    """Record that ``user``'s credentials leaked at ``reported_at`` (not in the future): the account is
    blocked at once and every one of its sessions ends (their count is kept on the leak)."""
    _check_accounts(actor, school)
    if not school_users(school).filter(pk=user.pk).exists() or user.is_superuser:
        raise ValidationError(_("This person has no account in the school."))
    if user.pk == actor.pk:
        raise ValidationError(_("Another administrator records a leak of your own account."))
    if reported_at > timezone.now():
        raise ValidationError(_("The moment of the leak cannot be in the future."))
    user.is_active = False
    user.save(update_fields=["is_active"])
    ended = user_sessions_end(user)
    leak = CredentialLeak.objects.create(
        user=user, school=school, reported_at=reported_at, note=note.strip(), recorded_by=actor, sessions_ended=ended
    )
    record(
        actor=actor,
        school=school,
        action="create",
        object_type="leak",
        object_id=leak.pk,
        summary=_(
            "Leak of the credentials of %(login)s since %(time)s recorded: account blocked, sessions ended: %(n)d"
        )
        % {"login": user.username, "time": _when(reported_at), "n": ended},
        data={"user": user.pk, "reported_at": reported_at.isoformat(), "sessions_ended": ended},
    )
    return leak


def _when(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%d.%m.%Y %H:%M}"


def leaks_of(school: School) -> QuerySet[CredentialLeak]:
    return CredentialLeak.objects.filter(school=school).select_related("user", "recorded_by")


def leak_events(leak: CredentialLeak) -> QuerySet[JournalEvent]:
    """Every journal operation of the leaked account at or after the moment of the leak in the school,
    newest first, with what the page shows (and whether it is already voided) in one query."""
    return (
        JournalEvent.objects.filter(actor_id=leak.user_id, at__gte=leak.reported_at, group__year__school=leak.school_id)
        .select_related("group", "lesson", "student", "voided_by__voided_by", "voided_by__restoring_event")
        .order_by("-at", "-seq")
    )


def void_reason(leak: CredentialLeak) -> str:
    return _("Voided: leak of the credentials of %(login)s since %(time)s") % {
        "login": leak.user.username,
        "time": _when(leak.reported_at),
    }


# --- what a value looks like -----------------------------------------------------------------------------

_MARK_CODES = {"pass": "зач", "fail": "незач", "exempt": "осв", "na": "н/а"}


def _mark_text(value: dict) -> str:
    if value.get("code"):
        return _MARK_CODES[value["code"]]
    return f"{value['value']}/{value['value2']}" if value.get("value2") else str(value["value"])


def describe(object_type: str, value: dict | None) -> str:
    """A value of the history as the page shows it («4», «Н», the topic, …); «—» for nothing."""
    if not value:
        return "—"
    if object_type == EventObject.MARK:
        return _mark_text(value)
    if object_type == EventObject.PERIOD_MARK:
        return _mark_text(value) + (" (" + _("deferred") + ")" if value.get("is_deferred") else "")
    if object_type == EventObject.ABSENCE:
        if value.get("kind") == AbsenceKind.LATE:
            return f"{AbsenceKind.LATE.label} ({value.get('minutes_late') or '?'})"
        reason = value.get("reason") or AbsenceReason.UNKNOWN
        known = reason in AbsenceReason.values and reason != AbsenceReason.UNKNOWN
        return f"{AbsenceKind.ABSENT.label}" + (f" ({AbsenceReason(reason).label})" if known else "")
    if object_type == EventObject.TOPIC:
        return value.get("topic", "")
    if object_type in (EventObject.HOMEWORK, EventObject.NOTE):
        return value.get("text", "")
    return ", ".join(f"{v}" for v in value.values())


# --- voiding ---------------------------------------------------------------------------------------------


def _restore_mark(actor: User, event: JournalEvent, reason: str) -> Outcome:
    new, old = event.new, event.old
    if new is None:  # the leaked account removed a mark: put it back
        column = MarkColumn.objects.select_related("lesson__group__subject").filter(pk=old["column"]).first()
        if column is None:
            return Outcome.NOT_VOIDABLE
        if Mark.objects.filter(column=column, student_id=event.student_id).exists():
            return Outcome.CHANGED_LATER
        student = Student.objects.get(pk=event.student_id)
        mark_set(
            actor=actor, column=column, student=student, text=_mark_text(old), expected_version=None, reason=reason
        )
        return Outcome.VOIDED
    mark = Mark.objects.select_related("column__lesson__group__subject", "student").filter(pk=event.object_id).first()
    if mark is None or (mark.value, mark.value2, mark.code) != (new["value"], new.get("value2"), new["code"]):
        return Outcome.CHANGED_LATER
    if old is None:  # created: remove it
        mark_delete(actor=actor, mark=mark, expected_version=mark.version, reason=reason)
    else:
        mark_set(
            actor=actor,
            column=mark.column,
            student=mark.student,
            text=_mark_text(old),
            expected_version=mark.version,
            reason=reason,
        )
    return Outcome.VOIDED


def _absence_state(absence: Absence | None) -> dict | None:
    if absence is None:
        return None
    return {"kind": absence.kind, "minutes_late": absence.minutes_late, "reason": absence.reason}


def _restore_absence(actor: User, event: JournalEvent, reason: str) -> Outcome:
    lesson = Lesson.objects.select_related("group").get(pk=event.lesson_id)
    student = Student.objects.get(pk=event.student_id)
    current = Absence.objects.filter(lesson=lesson, student=student).first()
    if _absence_state(current) != event.new:
        return Outcome.CHANGED_LATER
    old = event.old
    if old is None:
        absence_clear(actor=actor, lesson=lesson, student=student, reason=reason)
        return Outcome.VOIDED
    if current is None or (current.kind, current.minutes_late) != (old["kind"], old["minutes_late"]):
        current = absence_set(
            actor=actor,
            lesson=lesson,
            student=student,
            kind=old["kind"],
            minutes_late=old["minutes_late"],
            reason=reason,
        )
    if current.reason != old["reason"] and old["kind"] == "absent":
        absence_reason_set(actor=actor, absence=current, reason=old["reason"], note=reason)
    return Outcome.VOIDED


def _restore_topic(actor: User, event: JournalEvent, reason: str) -> Outcome:
    lesson = Lesson.objects.select_related("group").get(pk=event.object_id)
    if {"topic": lesson.topic, "plan_item": lesson.plan_item_id} != event.new:
        return Outcome.CHANGED_LATER
    old = event.old
    if old is None or not old.get("topic"):
        # The lesson had no topic: the topic service only writes one, so the clearing is written here,
        # checked the same way (the deputy's correction) and recorded as a new event of the chain.
        lesson_write_mode(actor, lesson)
        lesson.topic, lesson.plan_item = "", None
        lesson.save(update_fields=["topic", "plan_item", "updated_at"])
        lesson_event(actor, lesson, EventAction.DELETE, EventObject.TOPIC, lesson.pk, old=event.new, reason=reason)
        return Outcome.VOIDED
    plan_item = PlanItem.objects.filter(pk=old.get("plan_item")).first() if old.get("plan_item") else None
    lesson_topic_set(actor=actor, lesson=lesson, topic=old["topic"], plan_item=plan_item, reason=reason)
    return Outcome.VOIDED


def _homework_state(homework: Homework | None) -> dict | None:
    if homework is None:
        return None
    due = homework.due_date.isoformat() if homework.due_date else None
    return {"text": homework.text, "pages": homework.pages, "exercises": homework.exercises, "due_date": due}


def _homework_args(old: dict) -> dict:
    due = dt.date.fromisoformat(old["due_date"]) if old.get("due_date") else None
    return {"text": old["text"], "pages": old.get("pages", ""), "exercises": old.get("exercises", ""), "due_date": due}


def _restore_homework(actor: User, event: JournalEvent, reason: str) -> Outcome:
    old = event.old
    if event.new is None:  # removed: give it again
        lesson = Lesson.objects.select_related("group").get(pk=event.lesson_id)
        homework_set(actor=actor, lesson=lesson, reason=reason, **_homework_args(old))
        return Outcome.VOIDED
    homework = Homework.objects.select_related("lesson__group").filter(pk=event.object_id).first()
    if _homework_state(homework) != event.new:
        return Outcome.CHANGED_LATER
    if old is None:
        homework_delete(actor=actor, homework=homework, reason=reason)
    else:
        homework_set(actor=actor, lesson=homework.lesson, homework=homework, reason=reason, **_homework_args(old))
    return Outcome.VOIDED


def _restore_period_mark(actor: User, event: JournalEvent, reason: str) -> Outcome:
    mark = PeriodMark.objects.select_related("group__subject", "student").filter(pk=event.object_id).first()
    state = (
        None
        if mark is None
        else {"value": mark.value, "code": mark.code, "is_deferred": mark.is_deferred, "period": mark.period_id}
    )
    if state != event.new:
        return Outcome.CHANGED_LATER
    old = event.old
    if old is None:  # a period mark is changed, never removed, by the journal's services
        return Outcome.NOT_VOIDABLE
    period_mark_set(
        actor=actor,
        group=mark.group,
        student=mark.student,
        period=StudyPeriod.objects.get(pk=old["period"]),
        text="" if old.get("is_deferred") else _mark_text(old),
        deferred=bool(old.get("is_deferred")),
        expected_version=mark.version,
        reason=reason,
    )
    return Outcome.VOIDED


def _restore_note(actor: User, event: JournalEvent, reason: str) -> Outcome:
    if event.new is None:  # withdrawn: write it again
        lesson = Lesson.objects.select_related("group").get(pk=event.lesson_id)
        student = Student.objects.get(pk=event.student_id)
        lesson_note_add(actor=actor, lesson=lesson, student=student, kind=event.old["kind"], text=event.old["text"])
        return Outcome.VOIDED
    note = LessonNote.objects.select_related("lesson__group").filter(pk=event.object_id).first()
    if note is None or {"kind": note.kind, "text": note.text} != event.new:
        return Outcome.CHANGED_LATER
    lesson_note_delete(actor=actor, note=note, reason=reason)
    return Outcome.VOIDED


_RESTORE = {
    EventObject.MARK: _restore_mark,
    EventObject.ABSENCE: _restore_absence,
    EventObject.TOPIC: _restore_topic,
    EventObject.HOMEWORK: _restore_homework,
    EventObject.PERIOD_MARK: _restore_period_mark,
    EventObject.NOTE: _restore_note,
}


def _void(actor: User, leak: CredentialLeak, event: JournalEvent) -> VoidResult:
    if VoidedOperation.objects.filter(event=event).exists():
        return VoidResult(event, Outcome.ALREADY)
    restore = _RESTORE.get(event.object_type)
    if restore is None:
        return VoidResult(event, Outcome.NOT_VOIDABLE)
    head, _hash = chain_head(event.group_id)
    reason = void_reason(leak)
    outcome = restore(actor, event, reason)
    if outcome != Outcome.VOIDED:
        return VoidResult(event, outcome)
    restoring = (
        JournalEvent.objects.filter(group_id=event.group_id, seq__gt=head, object_type=event.object_type)
        .order_by("seq")
        .first()
    )
    VoidedOperation.objects.create(leak=leak, event=event, restoring_event=restoring, voided_by=actor)
    record(
        actor=actor,
        school=leak.school_id,
        action="void",
        object_type="journal_event",
        object_id=event.pk,
        summary=_("Operation #%(seq)s of %(login)s in «%(group)s» voided (%(old)s → %(new)s)")
        % {
            "seq": event.seq,
            "login": leak.user.username,
            "group": event.group.name,
            "old": describe(event.object_type, event.new),
            "new": describe(event.object_type, event.old),
        },
        data={"leak": leak.pk, "event": event.pk, "restoring_event": restoring.pk if restoring else None},
    )
    return VoidResult(event, outcome, restoring)


def _event_of(leak: CredentialLeak, event_id: int) -> JournalEvent:
    event = leak_events(leak).filter(pk=event_id).first()
    if event is None:
        raise ValidationError(_("This operation is not one of the leaked account's."))
    return event


@transaction.atomic
def operation_void(*, actor: User, leak: CredentialLeak, event_id: int) -> VoidResult:
    """Void one operation of the leaked account (see the module's docstring)."""
    _check_correct(actor, leak.school)
    return _void(actor, leak, _event_of(leak, event_id))


@transaction.atomic
def operations_void_all(*, actor: User, leak: CredentialLeak) -> list[VoidResult]:
    """Void every operation of the leaked account not voided yet, newest first, in one transaction: if
    one of them is refused by the journal's rules, nothing is voided (the error names the operation)."""
    _check_correct(actor, leak.school)
    results = []
    for event in leak_events(leak).filter(voided_by__isnull=True):
        try:
            results.append(_void(actor, leak, event))
        except ValidationError as exc:
            raise ValidationError(
                _("Operation of %(time)s (%(group)s) cannot be voided: %(error)s")
                % {"time": _when(event.at), "group": event.group.name, "error": " ".join(exc.messages)}
            ) from exc
    return results
