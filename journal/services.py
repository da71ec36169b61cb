"""Writes on the school structure: enrollment and the group memberships that follow it.

Whole-class groups mirror the class's enrollment (DESIGN.md §3): admitting a student to a class makes
them a member of every whole-class group of that class from that day; leaving or transferring ends
those memberships on the last day. Subgroups, streams and individual plans are formed explicitly.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import lesson_write_mode
from grading.history import lesson_event
from grading.models import EventAction, EventObject

from .models import (
    Enrollment,
    EnrollmentReason,
    GroupKind,
    GroupMembership,
    Homework,
    HomeworkAttachment,
    Lesson,
    LessonNote,
    LessonStatus,
    NoteKind,
    PlanItem,
    SchoolClass,
    Student,
    TeachingGroup,
)
from .selectors import members_on

# The code of every ValidationError that a reason would resolve: the page asks for one and sends again.
REASON_REQUIRED = "reason_required"


def _overlapping(student: Student, start: dt.date, end: dt.date | None, exclude_pk: int | None = None):
    qs = Enrollment.objects.filter(student=student).filter(Q(end__isnull=True) | Q(end__gte=start))
    if end is not None:
        qs = qs.filter(start__lte=end)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs


@transaction.atomic
def enrollment_admit(
    *,
    actor,  # noqa: ANN001 - accounts.User; journal must not import accounts
    student: Student,
    school_class: SchoolClass,
    start: dt.date,
    order_number: str = "",
    reason: str = EnrollmentReason.ADMITTED,
) -> Enrollment:
    """Enroll ``student`` in ``school_class`` from ``start`` and add them to its whole-class groups.

    Refuses (ValidationError in Russian) a class of another school, a date outside the class's year,
    and an enrollment that overlaps one the student already has.
    """
    year = school_class.year
    if student.school_id != year.school_id:
        raise ValidationError(_("The student and the class belong to different schools."))
    if not year.contains(start):
        raise ValidationError(
            _("The date %(date)s is outside the academic year %(year)s.") % {"date": f"{start:%d.%m.%Y}", "year": year}
        )
    clash = _overlapping(student, start, None).select_related("school_class").first()
    if clash is not None:
        raise ValidationError(
            _("%(student)s is already enrolled in %(class)s from %(date)s.")
            % {"student": student.short_name, "class": clash.school_class, "date": f"{clash.start:%d.%m.%Y}"}
        )
    enrollment = Enrollment.objects.create(
        student=student, school_class=school_class, start=start, reason=reason, order_number=order_number
    )
    groups = TeachingGroup.objects.filter(classes=school_class, kind=GroupKind.WHOLE_CLASS)
    GroupMembership.objects.bulk_create(GroupMembership(group=g, student=student, start=start) for g in groups)
    return enrollment


@transaction.atomic
def enrollment_end(
    *,
    actor,
    enrollment: Enrollment,
    end: dt.date,
    reason: str,
    order_number: str = "",  # noqa: ANN001
) -> Enrollment:
    """Close the enrollment on ``end`` (the last day in the class) and every open membership of the
    student in groups of that class. Nothing is deleted: the journal keeps the student up to ``end``."""
    if end < enrollment.start:
        raise ValidationError(_("The last day is before the day of admission."))
    if reason not in {
        EnrollmentReason.LEFT,
        EnrollmentReason.TRANSFERRED,
        EnrollmentReason.GRADUATED,
        EnrollmentReason.PROMOTED,
        EnrollmentReason.RETAINED,
    }:
        raise ValidationError(_("Choose why the student leaves the class."))
    enrollment.end = end
    enrollment.end_reason = reason
    enrollment.end_order_number = order_number
    enrollment.save(update_fields=["end", "end_reason", "end_order_number"])
    GroupMembership.objects.filter(
        Q(end__isnull=True) | Q(end__gt=end),
        student=enrollment.student,
        group__classes=enrollment.school_class,
        start__lte=end,
    ).update(end=end)
    GroupMembership.objects.filter(
        student=enrollment.student, group__classes=enrollment.school_class, start__gt=end
    ).delete()
    return enrollment


@transaction.atomic
def enrollment_transfer(
    *,
    actor,
    student: Student,
    to_class: SchoolClass,
    on: dt.date,
    order_number: str = "",  # noqa: ANN001
) -> Enrollment:
    """Move the student to ``to_class`` from ``on``: the old enrollment ends the day before."""
    current = (
        Enrollment.objects.filter(student=student, start__lt=on).filter(Q(end__isnull=True) | Q(end__gte=on)).first()
    )
    if current is None:
        raise ValidationError(_("The student is not enrolled in any class on that date."))
    if current.school_class_id == to_class.pk:
        raise ValidationError(_("The student is already in this class."))
    enrollment_end(
        actor=actor,
        enrollment=current,
        end=on - dt.timedelta(days=1),
        reason=EnrollmentReason.TRANSFERRED,
        order_number=order_number,
    )
    return enrollment_admit(
        actor=actor,
        student=student,
        school_class=to_class,
        start=on,
        order_number=order_number,
        reason=EnrollmentReason.TRANSFERRED,
    )


@transaction.atomic
def membership_add(*, actor, group: TeachingGroup, student: Student, start: dt.date) -> GroupMembership:  # noqa: ANN001
    """Put a student into a subgroup, stream or individual-plan group from ``start`` (R13)."""
    if student.school_id != group.year.school_id:
        raise ValidationError(_("The student and the group belong to different schools."))
    open_ = GroupMembership.objects.filter(group=group, student=student).filter(Q(end__isnull=True) | Q(end__gte=start))
    if open_.exists():
        raise ValidationError(_("%(student)s is already in this group.") % {"student": student.short_name})
    return GroupMembership.objects.create(group=group, student=student, start=start)


def student_on_lesson_check(lesson: Lesson, student: Student) -> None:
    """Refuse (in Russian) a student who was not in the lesson's group on its date."""
    if not members_on(lesson.group, lesson.date).filter(pk=student.pk).exists():
        raise ValidationError(
            _("%(student)s was not in this group on %(date)s.")
            % {"student": student.short_name, "date": f"{lesson.date:%d.%m.%Y}"}
        )


def lesson_mark_held(*, actor, lesson: Lesson) -> None:  # noqa: ANN001
    """A lesson that takes marks or attendance has taken place: a planned lesson becomes held, with its
    history event (R4). Idempotent. Runs inside the calling service's transaction."""
    if lesson.status != LessonStatus.PLANNED:
        return
    lesson.status = LessonStatus.HELD
    lesson.save(update_fields=["status", "updated_at"])
    lesson_event(
        actor,
        lesson,
        EventAction.UPDATE,
        EventObject.LESSON_STATUS,
        lesson.pk,
        old={"status": LessonStatus.PLANNED},
        new={"status": LessonStatus.HELD},
        is_late=False,
    )


# --- the lesson's record: topic, status, homework (R5, R10, R11) ------------------------------------------


def _needs_reason_after_the_day(actor, lesson: Lesson, reason: str) -> None:  # noqa: ANN001
    """Authorize the write; after the lesson day, and for a deputy's correction, demand a reason."""
    correction = lesson_write_mode(actor, lesson) == "correction"
    if (correction or timezone.localdate() > lesson.date) and not reason:
        raise ValidationError(
            _("The lesson day is over: changing the lesson's record needs a reason."), code=REASON_REQUIRED
        )  # R4


@transaction.atomic
def lesson_topic_set(*, actor, lesson: Lesson, topic: str = "", plan_item: PlanItem | None = None, reason: str = ""):  # noqa: ANN001
    """Record the lesson's topic (R10): an item of the group's КТП (its topic is copied) or free text.
    Recording a topic means the lesson took place; after the lesson day a reason is required (R4, R5)."""
    reason = reason.strip()
    if lesson.date > timezone.localdate():
        raise ValidationError(_("The topic is recorded on the day of the lesson."))
    if lesson.status == LessonStatus.CANCELLED:
        raise ValidationError(_("The lesson was cancelled: it has no topic."))
    if plan_item is not None:
        if plan_item.group_id != lesson.group_id:
            raise ValidationError(_("This item belongs to the plan of another group."))
        topic = topic.strip() or plan_item.topic
    topic = topic.strip()
    if not topic:
        raise ValidationError(_("Write the topic of the lesson or choose it from the plan."))
    old = {"topic": lesson.topic, "plan_item": lesson.plan_item_id}
    if old == {"topic": topic, "plan_item": plan_item.pk if plan_item else None}:
        return lesson
    _needs_reason_after_the_day(actor, lesson, reason)  # a late entry or a change after the day (R4, R5)
    lesson_mark_held(actor=actor, lesson=lesson)
    lesson.topic, lesson.plan_item = topic, plan_item
    lesson.save(update_fields=["topic", "plan_item", "updated_at"])
    lesson_event(
        actor,
        lesson,
        EventAction.UPDATE if old["topic"] else EventAction.CREATE,
        EventObject.TOPIC,
        lesson.pk,
        old=old if old["topic"] else None,
        new={"topic": topic, "plan_item": lesson.plan_item_id},
        reason=reason,
    )
    return lesson


@transaction.atomic
def lesson_cancel(*, actor, lesson: Lesson, reason: str) -> Lesson:  # noqa: ANN001
    """Mark the lesson as not held (cancelled). Refused once it has marks or attendance: those must be
    removed first, each with its own history."""
    reason = reason.strip()
    lesson_write_mode(actor, lesson)
    if not reason:
        raise ValidationError(_("Say why the lesson is cancelled."))
    if lesson.mark_columns.filter(marks__isnull=False).exists() or lesson.absences.exists():
        raise ValidationError(_("The lesson has marks or attendance entries: remove them before cancelling it."))
    if lesson.status == LessonStatus.CANCELLED:
        return lesson
    old = {"status": lesson.status}
    lesson.status = LessonStatus.CANCELLED
    lesson.save(update_fields=["status", "updated_at"])
    lesson_event(
        actor, lesson, EventAction.UPDATE, EventObject.LESSON_STATUS, lesson.pk,
        old=old, new={"status": LessonStatus.CANCELLED}, reason=reason,
    )  # fmt: skip
    return lesson


def _next_lesson_date(lesson: Lesson) -> dt.date | None:
    return (
        Lesson.objects.filter(group_id=lesson.group_id, date__gt=lesson.date)
        .exclude(status=LessonStatus.CANCELLED)
        .order_by("date", "number")
        .values_list("date", flat=True)
        .first()
    )


def _homework_snapshot(homework: Homework) -> dict:
    due = homework.due_date.isoformat() if homework.due_date else None
    return {"text": homework.text, "pages": homework.pages, "exercises": homework.exercises, "due_date": due}


@transaction.atomic
def homework_set(
    *,
    actor,  # noqa: ANN001
    lesson: Lesson,
    text: str,
    pages: str = "",
    exercises: str = "",
    due_date: dt.date | None = None,
    homework: Homework | None = None,
    reason: str = "",
) -> Homework:
    """Give (or change) the homework of a lesson (R11): what to do, pages, exercise numbers and the due
    date (by default the group's next lesson). It may be set ahead for a future lesson (R5); changing it
    after the lesson day needs a reason (R4)."""
    text, reason = text.strip(), reason.strip()
    if not text:
        raise ValidationError(_("Write what the homework is."))
    if lesson.status == LessonStatus.CANCELLED:
        raise ValidationError(_("The lesson was cancelled: it has no homework."))
    due_date = due_date or _next_lesson_date(lesson)
    if due_date is not None and due_date <= lesson.date:
        raise ValidationError(_("Homework is due after the lesson it is given at."))
    if homework is None:
        _needs_reason_after_the_day(actor, lesson, reason)  # ahead of the lesson is fine (R5)
        homework = Homework.objects.create(
            lesson=lesson, text=text, pages=pages.strip(), exercises=exercises.strip(), due_date=due_date,
            created_by=actor,
        )  # fmt: skip
        old, action = None, EventAction.CREATE
    else:
        if homework.lesson_id != lesson.pk:
            raise ValidationError(_("This homework belongs to another lesson."))
        old = _homework_snapshot(homework)
        wanted = {"text": text, "pages": pages.strip(), "exercises": exercises.strip(), "due_date": due_date}
        if _homework_snapshot(Homework(**wanted)) == old:
            return homework
        _needs_reason_after_the_day(actor, lesson, reason)  # validate before touching the caller's object
        for field, value in wanted.items():
            setattr(homework, field, value)
        homework.save(update_fields=[*wanted, "updated_at"])
        action = EventAction.UPDATE
    lesson_event(
        actor, lesson, action, EventObject.HOMEWORK, homework.pk,
        old=old, new=_homework_snapshot(homework), reason=reason,
    )  # fmt: skip
    return homework


@transaction.atomic
def homework_delete(*, actor, homework: Homework, reason: str = "") -> None:  # noqa: ANN001
    """Remove homework given by mistake; after the lesson day a reason is required. History keeps it."""
    lesson = homework.lesson
    reason = reason.strip()
    _needs_reason_after_the_day(actor, lesson, reason)
    old, homework_id = _homework_snapshot(homework), homework.pk
    homework.delete()
    lesson_event(actor, lesson, EventAction.DELETE, EventObject.HOMEWORK, homework_id, old=old, reason=reason)


@transaction.atomic
def lesson_note_add(*, actor, lesson: Lesson, student: Student, kind: str, text: str) -> LessonNote:  # noqa: ANN001
    """A remark, praise or message to parents about a student at the lesson (R14), with its history."""
    text = text.strip()
    lesson_write_mode(actor, lesson)
    if kind not in NoteKind.values:
        raise ValidationError(_("Choose remark, praise or message to parents."))
    if not text:
        raise ValidationError(_("Write the text of the remark."))
    if len(text) > 1000:
        raise ValidationError(_("Keep it under 1000 characters."))
    student_on_lesson_check(lesson, student)
    note = LessonNote.objects.create(lesson=lesson, student=student, kind=kind, text=text, created_by=actor)
    lesson_event(
        actor, lesson, EventAction.CREATE, EventObject.NOTE, note.pk,
        student_id=student.pk, new={"kind": kind, "text": text},
    )  # fmt: skip
    from messaging.services import lesson_note_notify  # R14: the parents' inbox; messaging sits above journal

    lesson_note_notify(note=note)
    return note


@transaction.atomic
def lesson_note_delete(*, actor, note: LessonNote, reason: str = "") -> None:  # noqa: ANN001
    """Withdraw a remark written by mistake; after the lesson day a reason is required (R4)."""
    lesson = note.lesson
    reason = reason.strip()
    _needs_reason_after_the_day(actor, lesson, reason)
    old, note_id, student_id = {"kind": note.kind, "text": note.text}, note.pk, note.student_id
    note.delete()
    lesson_event(
        actor, lesson, EventAction.DELETE, EventObject.NOTE, note_id, student_id=student_id, old=old, reason=reason
    )


# --- homework attachments (R11) ---------------------------------------------------------------------------

# What a homework file may be: extension → the first bytes its content must start with. Checking the
# content, not only the name, keeps an executable renamed to .pdf out; files are served as downloads.
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # .doc / .xls / .ppt
_ZIP = (b"PK\x03\x04",)  # .docx / .xlsx / .pptx / .odt / .ods / .odp
ATTACHMENT_SIGNATURES: dict[str, tuple[bytes, ...] | None] = {
    "pdf": (b"%PDF-",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "gif": (b"GIF87a", b"GIF89a"),
    "webp": (b"RIFF",),
    "doc": _OLE,
    "xls": _OLE,
    "ppt": _OLE,
    "docx": _ZIP,
    "xlsx": _ZIP,
    "pptx": _ZIP,
    "odt": _ZIP,
    "ods": _ZIP,
    "odp": _ZIP,
    "rtf": (b"{\\rtf",),
    "txt": None,  # plain text: anything without NUL bytes
}
MAX_ATTACHMENTS = 10


def upload_check(upload) -> tuple[str, str]:  # noqa: ANN001 - an UploadedFile
    """The rules for every uploaded file (homework, messages): a PDF, an image or an office document,
    checked by its content and not only its name, not empty, within ``UPLOAD_MAX_BYTES``. Returns the
    clean file name and its extension; a Russian ``ValidationError`` otherwise."""
    from django.conf import settings

    name = (upload.name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ATTACHMENT_SIGNATURES:
        raise ValidationError(
            _("«%(name)s»: only PDF, images (JPG, PNG, GIF, WebP) and office documents can be attached.")
            % {"name": name}
        )
    if upload.size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("«%(name)s» is larger than %(limit)d MB.")
            % {"name": name, "limit": settings.UPLOAD_MAX_BYTES // (1024 * 1024)}
        )
    if upload.size == 0:
        raise ValidationError(_("«%(name)s» is empty.") % {"name": name})
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    signatures = ATTACHMENT_SIGNATURES[extension]
    genuine = b"\x00" not in head if signatures is None else head.startswith(signatures)
    if extension == "webp":
        genuine = genuine and head[8:12] == b"WEBP"  # a RIFF file may as well be .wav or .avi
    if not genuine:
        raise ValidationError(_("«%(name)s» is not really a %(ext)s file.") % {"name": name, "ext": extension.upper()})
    return name, extension


@transaction.atomic
def homework_attachment_add(*, actor, homework: Homework, upload) -> HomeworkAttachment:  # noqa: ANN001
    """Attach a file to homework: a PDF, an image or an office document (checked by content), within
    the size limit (``UPLOAD_MAX_BYTES``), at most ten per homework. History records it (R4)."""
    lesson = homework.lesson
    lesson_write_mode(actor, lesson)
    name, extension = upload_check(upload)
    if homework.attachments.count() >= MAX_ATTACHMENTS:
        raise ValidationError(_("At most %(n)d files per homework.") % {"n": MAX_ATTACHMENTS})
    attachment = HomeworkAttachment(
        homework=homework, original_name=name, size=upload.size, content_type=f"{extension}"
    )
    attachment.file.save(f"{uuid.uuid4().hex}.{extension}", upload, save=False)
    attachment.save()
    lesson_event(
        actor, lesson, EventAction.UPDATE, EventObject.HOMEWORK, homework.pk,
        new={"attachment": name, "size": upload.size}, is_late=None,
    )  # fmt: skip
    return attachment
