"""The lesson page and its writes (issue 3, point 2).

Every write goes through a service (which checks the journal's rules and writes the history) after the
lesson was fetched through ``accounts.permissions`` (404 outside the user's scope). A read-only user
(class teacher, director) who posts anyway gets 403 from the service's own check.

The cell, row and topic endpoints answer htmx with the same partial the page renders; a refused write
answers 409 (conflict) or 422 (rule broken) with the partial in its error state, which the page swaps
in (``htmx-config`` in base.html) — it never shows "saved" for something that was not saved.
"""

from __future__ import annotations

from html import escape

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import Action, get_lesson_for, lesson_page_mode, lessons_for, students_for
from attendance.models import AbsenceKind
from attendance.services import absence_clear, absence_set
from grading.cells import CONFLICT, ERROR, SAVED, CellError
from grading.models import EventObject, JournalEvent, Mark, MarkColumn, WorkType
from grading.services import MarkConflict, control_work_fill, mark_column_add, mark_delete, mark_set

from . import selectors
from .downloads import file_download
from .lesson_sheet import RowRenderer, changed_cells, render_cell, sheet_rows
from .models import (
    Homework,
    HomeworkAttachment,
    Lesson,
    LessonNote,
    LessonStatus,
    PlanItem,
    Student,
)
from .services import (
    REASON_REQUIRED,
    homework_attachment_add,
    homework_delete,
    homework_set,
    lesson_cancel,
    lesson_note_add,
    lesson_note_delete,
    lesson_topic_set,
    upload_check,
)


def _message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _needs_reason(exc: ValidationError) -> bool:
    return any(getattr(e, "code", None) == REASON_REQUIRED for e in exc.error_list)


def _student_of(request: HttpRequest, lesson: Lesson) -> Student:
    """The student named in the request, from the lesson's school only (the services then check that
    they were in the group that day)."""
    try:
        pk = int(request.POST.get("student", ""))
    except ValueError:
        raise Http404 from None
    student = Student.objects.filter(pk=pk, school_id=lesson.group.year.school_id).first()
    if student is None:
        raise Http404
    return student


# --- the page --------------------------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe); each is checked by the service."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):  # noqa: ANN001, ANN201
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class HomeworkForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Assignment"), widget=forms.Textarea(attrs={"rows": 3}))
    pages = forms.CharField(label=gettext_lazy("Pages"), required=False, max_length=100)
    exercises = forms.CharField(label=gettext_lazy("Exercises"), required=False, max_length=200)
    due_date = forms.DateField(
        label=gettext_lazy("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Empty: the group's next lesson."),
    )
    files = MultipleFileField(
        label=gettext_lazy("Files"),
        required=False,
        widget=MultipleFileInput(
            attrs={
                "accept": ".pdf,.jpg,.jpeg,.png,.gif,.webp,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.odp,.rtf,.txt"
            }
        ),
    )
    reason = forms.CharField(label=gettext_lazy("Reason of the change"), required=False, max_length=500)


def _work_types(lesson: Lesson):  # noqa: ANN202
    return (
        WorkType.objects.filter(school_id=lesson.group.year.school_id)
        .filter(Q(subjects=None) | Q(subjects=lesson.group.subject_id))
        .distinct()
        .order_by("ordering_number", "name")
    )


def _plan_options(lesson: Lesson) -> str:
    """The ``<option>``s of the topic picker: the group's КТП items that no held lesson has covered yet,
    plus this lesson's own item; the lesson's own item, or else the first uncovered one, is selected
    (R10: the page proposes the next topic). One query; rendered here, a plan is 30–170 items."""
    covered = Exists(
        Lesson.objects.filter(group_id=lesson.group_id, plan_item=OuterRef("pk"), status=LessonStatus.HELD).exclude(
            pk=lesson.pk
        )
    )
    items = list(
        PlanItem.objects.filter(group_id=lesson.group_id)
        .filter(~covered | Q(pk=lesson.plan_item_id or 0))
        .order_by("ordinal")
        .values_list("pk", "ordinal", "topic", "is_control_work")
    )
    selected = lesson.plan_item_id or (items[0][0] if items else None)
    control = escape(" (" + _("control work") + ")")
    return "".join(
        f'<option value="{pk}"{" selected" if pk == selected else ""}>{ordinal}. {escape(topic)}'
        f"{control if is_control else ''}</option>"
        for pk, ordinal, topic, is_control in items
    )


def _lesson_page(request: HttpRequest, lesson: Lesson, *, status: int = 200, homework_form=None, edit_homework=None):  # noqa: ANN001
    sheet = selectors.lesson_sheet(lesson)
    mode = lesson_page_mode(request.user, lesson)
    can_write = mode is not None
    correcting = mode == "correction"  # a deputy: every change with a reason (also in archived periods)
    today = timezone.localdate()
    day_over = today > lesson.date or correcting  # both ask for the reason of a change
    renderer = RowRenderer(lesson, can_write=can_write, day_over=day_over, correcting=correcting)
    rows_html = "".join(renderer.render(row) for row in sheet_rows(sheet, editable=can_write))
    context = {
        "sheet": sheet,
        "lesson": lesson,
        "can_write": can_write,
        "correcting": correcting,
        "rows_html": mark_safe(rows_html),  # noqa: S308 -- every text in it is escaped by RowRenderer
        "day_over": day_over,
        "takes_marks": can_write
        and lesson.status != LessonStatus.CANCELLED
        and lesson.date <= today
        and not lesson.wm_first_grade,
    }
    if can_write:
        context.update(
            work_types=_work_types(lesson),
            plan_options=mark_safe(_plan_options(lesson)),  # noqa: S308 -- escaped in _plan_options
            homework_form=homework_form or HomeworkForm(),
            edit_homework=edit_homework,
            upload_limit_mb=settings.UPLOAD_MAX_BYTES // (1024 * 1024),
        )
    return render(request, "journal/lesson.html", context, status=status)


@login_required
@require_GET
def lesson_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A lesson's page: class list, attendance, marks by column, remarks, topic and homework. Anybody
    who may read the journal sees it (R15: class teacher, deputy, director read-only); others get 404.
    The group's teacher (and the substitute on the substituted dates) edit it in place."""
    lesson = get_lesson_for(request.user, pk, Action.VIEW, write_mode=True)
    return _lesson_page(request, lesson)


# --- one mark cell -------------------------------------------------------------------------------------


@login_required
@require_POST
def lesson_cell(request: HttpRequest, pk: int) -> HttpResponse:
    """Save one mark cell (htmx): the typed text, or an empty cell to remove the mark. Answers the
    re-rendered cell: 200 saved, 409 somebody changed it meanwhile, 422 refused by a rule."""
    lesson = get_lesson_for(request.user, pk, Action.VIEW, write_mode=True)
    column = (
        MarkColumn.objects.select_related("work_type").filter(pk=request.POST.get("column") or 0, lesson=lesson).first()
    )
    if column is None:
        raise Http404
    column.lesson = lesson
    student = _student_of(request, lesson)
    text = request.POST.get("value", "").strip()
    reason = request.POST.get("reason", "").strip()
    raw_version = request.POST.get("version", "").strip()
    version = int(raw_version) if raw_version.isdigit() else None
    state, error, status, deleted = SAVED, None, 200, False
    try:
        if text:
            mark = mark_set(
                actor=request.user,
                column=column,
                student=student,
                text=text,
                expected_version=version,
                reason=reason,
            )
        else:
            mark = Mark.objects.filter(column=column, student=student).first()
            if mark is not None:
                if version is None:
                    raise MarkConflict(mark)
                mark.column = column
                mark_delete(actor=request.user, mark=mark, expected_version=version, reason=reason)
                mark, deleted = None, True
    except MarkConflict as exc:
        state, status = CONFLICT, 409
        error = CellError(_message(exc), typed=text)
    except ValidationError as exc:
        state, status = ERROR, 422
        error = CellError(_message(exc), typed=text, needs_reason=_needs_reason(exc))
    except PermissionDenied as exc:
        return HttpResponse(str(exc) or _("You cannot change this journal."), status=403)
    if state != SAVED:
        mark = Mark.objects.filter(column=column, student=student).first()
    # A saved change or removal has just left its history; a first version may have an older one.
    if state == SAVED and (deleted or (mark is not None and mark.version > 1)):
        changed = True
    else:
        changed = (student.pk, column.pk) in changed_cells([lesson.pk])
    html = render_cell(
        lesson, column, student.pk, mark, editable=True, absence=None, changed=changed, state=state, error=error
    )
    return HttpResponse(html, status=status)


@login_required
@require_GET
def lesson_history(request: HttpRequest, pk: int) -> HttpResponse:
    """The history of one mark cell of the lesson (R4), for the popover: who, when, before → after, why."""
    lesson = get_lesson_for(request.user, pk, Action.VIEW)
    try:
        student_id, column_id = int(request.GET.get("student", "")), int(request.GET.get("column", ""))
    except ValueError:
        raise Http404 from None
    events = (
        JournalEvent.objects.filter(lesson=lesson, student_id=student_id, object_type=EventObject.MARK)
        .filter(Q(new__column=column_id) | Q(old__column=column_id))
        .select_related("actor")
        .order_by("seq")
    )
    return render(request, "journal/partials/_history.html", {"events": list(events)})


# --- attendance and remarks: one row ------------------------------------------------------------------


def _row_response(request: HttpRequest, lesson: Lesson, student: Student, *, error: str = "", status: int = 200,
                  needs_reason: bool = False, sent: dict | None = None) -> HttpResponse:  # fmt: skip
    sheet = selectors.lesson_sheet(lesson)
    rows = sheet_rows(sheet, editable=True, only=student.pk)
    if not rows:
        raise Http404
    correcting = lesson_page_mode(request.user, lesson) == "correction"
    day_over = timezone.localdate() > lesson.date or correcting
    renderer = RowRenderer(lesson, can_write=True, day_over=day_over, correcting=correcting)
    return HttpResponse(renderer.render(rows[0], sent=sent, error=error), status=status)


@login_required
@require_POST
def lesson_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a student present, absent (Н) or late (with minutes) at the lesson; answers the row."""
    lesson = get_lesson_for(request.user, pk, Action.VIEW, write_mode=True)
    student = _student_of(request, lesson)
    kind = request.POST.get("kind", "")
    minutes_raw = request.POST.get("minutes", "").strip()
    reason = request.POST.get("reason", "").strip()
    try:
        if kind == "":
            absence_clear(actor=request.user, lesson=lesson, student=student, reason=reason)
        else:
            if kind not in AbsenceKind.values:
                raise ValidationError(_("Choose absent or late."))
            if minutes_raw and not minutes_raw.isdigit():
                raise ValidationError(_("Lateness is from 1 to 45 minutes."))
            minutes = int(minutes_raw) if minutes_raw else None
            absence_set(
                actor=request.user, lesson=lesson, student=student, kind=kind, minutes_late=minutes, reason=reason
            )
    except ValidationError as exc:
        sent = {"kind": kind, "minutes": minutes_raw}
        return _row_response(
            request, lesson, student, error=_message(exc), status=422, needs_reason=_needs_reason(exc), sent=sent
        )
    except PermissionDenied as exc:
        return HttpResponse(str(exc), status=403)
    return _row_response(request, lesson, student)


@login_required
@require_POST
def lesson_note(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a remark, praise or message to parents about a student (R14); answers the row."""
    lesson = get_lesson_for(request.user, pk, Action.VIEW, write_mode=True)
    student = _student_of(request, lesson)
    try:
        lesson_note_add(
            actor=request.user,
            lesson=lesson,
            student=student,
            kind=request.POST.get("kind", ""),
            text=request.POST.get("text", ""),
        )
    except ValidationError as exc:
        sent = {"note_kind": request.POST.get("kind", ""), "note_text": request.POST.get("text", "")}
        return _row_response(request, lesson, student, error=_message(exc), status=422, sent=sent)
    except PermissionDenied as exc:
        return HttpResponse(str(exc), status=403)
    return _row_response(request, lesson, student)


@login_required
@require_POST
def lesson_note_remove(request: HttpRequest, pk: int, note_id: int) -> HttpResponse:
    """Withdraw a remark written by mistake (a reason after the lesson day, R4); answers the row."""
    lesson = get_lesson_for(request.user, pk, Action.VIEW, write_mode=True)
    note = LessonNote.objects.filter(pk=note_id, lesson=lesson).select_related("student").first()
    if note is None:
        raise Http404
    try:
        lesson_note_delete(actor=request.user, note=note, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        return _row_response(
            request, lesson, note.student, error=_message(exc), status=422, needs_reason=_needs_reason(exc)
        )
    except PermissionDenied as exc:
        return HttpResponse(str(exc), status=403)
    return _row_response(request, lesson, note.student)


# --- topic, status, columns: plain forms that come back to the page ---------------------------------------


def _back(lesson: Lesson, anchor: str = "") -> HttpResponse:
    return redirect(reverse("lesson", args=[lesson.pk]) + (f"#{anchor}" if anchor else ""))


def _refused(request: HttpRequest, lesson: Lesson, exc: Exception, anchor: str = "") -> HttpResponse:
    if isinstance(exc, PermissionDenied):
        raise exc
    messages.error(request, _message(exc))  # type: ignore[arg-type]
    return _back(lesson, anchor)


@login_required
@require_POST
def lesson_topic(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the lesson's topic (R10): a КТП item, or free text."""
    lesson = get_lesson_for(request.user, pk, Action.VIEW, write_mode=True)
    item_id = request.POST.get("plan_item", "")
    plan_item = None
    if item_id:
        plan_item = PlanItem.objects.filter(pk=item_id if item_id.isdigit() else 0, group_id=lesson.group_id).first()
        if plan_item is None:
            raise Http404
    try:
        lesson_topic_set(
            actor=request.user,
            lesson=lesson,
            topic=request.POST.get("topic", ""),
            plan_item=plan_item,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        return _refused(request, lesson, exc, "topic")
    messages.success(request, _("The topic is saved."))
    return _back(lesson, "topic")


@login_required
@require_POST
def lesson_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that the lesson did not take place (with the reason)."""
    lesson = get_lesson_for(request.user, pk, Action.VIEW, write_mode=True)
    try:
        lesson_cancel(actor=request.user, lesson=lesson, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        return _refused(request, lesson, exc)
    messages.success(request, _("The lesson is recorded as not held."))
    return _back(lesson)


@login_required
@require_POST
def lesson_column_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a mark column: a work type, an optional title, or a «коррекция» column (R3)."""
    lesson = get_lesson_for(request.user, pk, Action.VIEW, write_mode=True)
    work_type = _work_types(lesson).filter(pk=request.POST.get("work_type") or 0).first()
    try:
        if work_type is None:
            raise ValidationError(_("Choose the kind of work."))
        mark_column_add(
            actor=request.user,
            lesson=lesson,
            work_type=work_type,
            title=request.POST.get("title", "")[:200],
            is_correction=request.POST.get("is_correction") == "1",
        )
    except ValidationError as exc:
        return _refused(request, lesson, exc, "marks")
    return _back(lesson, "marks")


@login_required
@require_POST
def lesson_column_fill(request: HttpRequest, pk: int, column_id: int) -> HttpResponse:
    """Give every present student without a mark in the column the same mark (R3, control works)."""
    lesson = get_lesson_for(request.user, pk, Action.VIEW, write_mode=True)
    column = MarkColumn.objects.filter(pk=column_id, lesson=lesson).select_related("work_type").first()
    if column is None:
        raise Http404
    column.lesson = lesson
    try:
        marks = control_work_fill(
            actor=request.user, column=column, text=request.POST.get("value", ""), reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        return _refused(request, lesson, exc, "marks")
    messages.success(request, _("Marks given: %(n)d.") % {"n": len(marks)})
    return _back(lesson, "marks")


# --- homework ------------------------------------------------------------------------------------------


@login_required
@require_POST
def lesson_homework(request: HttpRequest, pk: int) -> HttpResponse:
    """Give or change the lesson's homework (R11), with attachments. Refused input comes back in the
    form with the message; nothing saved before is touched."""
    lesson = get_lesson_for(request.user, pk, Action.VIEW, write_mode=True)
    if lesson_page_mode(request.user, lesson) is None:
        raise PermissionDenied
    homework = None
    if request.POST.get("homework"):
        homework = Homework.objects.filter(pk=request.POST["homework"] or 0, lesson=lesson).first()
        if homework is None:
            raise Http404
    form = HomeworkForm(request.POST, request.FILES)
    if not form.is_valid():
        return _lesson_page(request, lesson, status=422, homework_form=form, edit_homework=homework)
    data = form.cleaned_data
    try:
        for upload in request.FILES.getlist("files"):
            upload_check(upload)  # a refused file stops everything before any file is written to disk
        with transaction.atomic():  # the homework and its files together, or nothing
            homework = homework_set(
                actor=request.user,
                lesson=lesson,
                text=data["text"],
                pages=data["pages"],
                exercises=data["exercises"],
                due_date=data["due_date"],
                homework=homework,
                reason=data["reason"],
            )
            for upload in request.FILES.getlist("files"):
                homework_attachment_add(actor=request.user, homework=homework, upload=upload)
    except ValidationError as exc:
        form.add_error(None, _message(exc))
        return _lesson_page(request, lesson, status=422, homework_form=form, edit_homework=homework)
    messages.success(request, _("The homework is saved."))
    return _back(lesson, "homework")


@login_required
@require_POST
def lesson_homework_delete(request: HttpRequest, pk: int, homework_id: int) -> HttpResponse:
    lesson = get_lesson_for(request.user, pk, Action.VIEW, write_mode=True)
    homework = Homework.objects.filter(pk=homework_id, lesson=lesson).first()
    if homework is None:
        raise Http404
    try:
        homework_delete(actor=request.user, homework=homework, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        return _refused(request, lesson, exc, "homework")
    messages.success(request, _("The homework is removed."))
    return _back(lesson, "homework")


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """An attachment of homework, always as a download (never rendered by the browser), to those who
    read the lesson and to the families of the group's students."""
    attachment = HomeworkAttachment.objects.select_related("homework__lesson").filter(pk=pk).first()
    if attachment is None:
        raise Http404
    lesson = attachment.homework.lesson
    readable = lessons_for(request.user, Action.VIEW).filter(pk=lesson.pk).exists() or (
        students_for(request.user)
        .filter(
            memberships__group_id=lesson.group_id, memberships__start__lte=attachment.homework.due_date or lesson.date
        )
        .exists()
    )
    if not readable:
        raise Http404
    return file_download(attachment.file, attachment.original_name)
