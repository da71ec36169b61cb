"""Issue 8: every URL of the project that names an object, asked by every persona for an object out of
their reach, answers 403 or 404 and changes nothing (DESIGN.md §4: "a deputy of school A sees nothing of
school B"; R15: a family sees its own children only).

The URLs come from the URL configuration itself (:func:`urls_with_ids`), so a new URL with an id that the
table below (:data:`CASES`) does not cover fails :func:`test_every_url_with_an_id_is_in_the_table` until
somebody says how to build an object for it and who is allowed to reach it.

Two foreign worlds are built, lazily, through the services (conftest.py has the map of the personas):

* ``neighbours`` — the first school's 6Б (`parallel_class`, `other_group`, `other_student`): another class
  and another family of the personas' own school;
* ``other_school`` — the other school's 5А (`other_class`, `outsider_group`, `outsider_student`).

Each world has its own people (teacher, class teacher, deputy, parent, …) who own its objects. Who asks what:

* the first school's director, deputy, administrator and secretary ask for the other school's objects (their
  own school's are theirs to see);
* its class teacher, teacher and substitute, the parent and the student's own login ask for both worlds'
  objects (another class's, another family's, another school's);
* the outsider (the other school's deputy) asks for the first school's objects (``neighbours``).

Every ask is a GET, a POST with an empty body and, where the table gives one, a POST with the body that the
owner's own request uses, so that a missing row or a form error cannot stand in for the refusal. The
control: the world's owner of the object makes the same request and gets through (inside a transaction
that is rolled back), which proves that the URL points at a real row and the table names the right id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import (
    class_teacher_set,
    parent_link,
    staff_role_grant,
    substitution_start,
    teacher_assign,
)
from accounts.tests.factories import SuperUserFactory, UserFactory
from archive.models import ArchiveCopy, ArchiveRun, Backup, DocumentKind, FileKind, RetentionReview, StoredFile
from archive.production import run_request
from archive.retention import review_create
from archive.storage import store
from attendance.models import Absence
from attendance.services import absence_set
from grading.models import Mark, MarkColumn, WorkType
from grading.services import mark_column_add, mark_set
from grading.tests.factories import WorkTypeFactory
from journal.models import (
    AcademicYear,
    GroupMembership,
    Holiday,
    Homework,
    HomeworkAttachment,
    Lesson,
    LessonNote,
    PlanItem,
    School,
    SchoolClass,
    Student,
    StudyPeriod,
    TeachingAssignment,
    TeachingGroup,
    TimetableSlot,
)
from journal.services import homework_attachment_add, homework_set, lesson_note_add
from journal.tests.factories import AcademicYearFactory, LessonFactory, PlanItemFactory, TimetableSlotFactory
from messaging.models import MessageAttachment, Thread
from messaging.services import thread_start
from office import rollover
from office.leaks import leak_record
from office.models import CredentialLeak, RolloverRun
from office.year import holiday_add
from reports.models import ReportRun, ReportStatus
from reports.services import report_execute, report_request
from reports.tables import Document

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today", "_files")]

TODAY = dt.date(2026, 11, 23)  # the `_today` fixture's Monday (quarter II)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
REFUSED = {403, 404, 405}


# --- the URL configuration ---------------------------------------------------------------------------------


def _walk(patterns: list, converters: dict[str, Any], namespace: str) -> Iterator[tuple[str, frozenset[str]]]:
    for entry in patterns:
        found = {**converters, **entry.pattern.converters}
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":  # Django's admin: superusers only, ids of its own (test_admin.py)
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, found, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name or entry.pattern}", frozenset(found)


def urls_with_ids() -> dict[str, frozenset[str]]:
    """Every URL of the project (Django's admin aside) with at least one path converter: its name (with the
    namespace, as ``reverse`` takes it) → the names of its path arguments."""
    return {name: names for name, names in _walk(get_resolver().url_patterns, {}, "") if names}


# --- the foreign worlds ---------------------------------------------------------------------------------------


def _pdf(name: str = "задание.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, "application/pdf")


class World:
    """One class of one school with its group, a student and everybody who owns its objects. Every object is
    made on first use, through the services where the journal keeps history or grants."""

    def __init__(
        self, key: str, school: School, year: AcademicYear, school_class: SchoolClass, group: TeachingGroup,
        student: Student,
    ) -> None:  # fmt: skip
        self.key, self.school, self.year = key, school, year
        self.school_class, self.group, self.student = school_class, group, student

    def __repr__(self) -> str:
        return self.key

    def _user(self, name: str) -> User:
        return UserFactory(username=f"{self.key}_{name}", last_name="Владимирова", first_name=name)

    def _staff(self, role: str, name: str) -> User:
        user = self._user(name)
        staff_role_grant(actor=None, user=user, school=self.school, role=role)
        return user

    # people

    @cached_property
    def director(self) -> User:
        return self._staff(Role.DIRECTOR, "director")

    @cached_property
    def deputy(self) -> User:
        return self._staff(Role.DEPUTY, "deputy")

    @cached_property
    def administrator(self) -> User:
        return self._staff(Role.ADMINISTRATOR, "administrator")

    @cached_property
    def secretary(self) -> User:
        return self._staff(Role.SECRETARY, "secretary")

    @cached_property
    def superuser(self) -> User:
        """The platform's superuser, administrator of this school: in a district the only one who takes a
        backup away or confirms a retention list (both span every school)."""
        user = SuperUserFactory(username=f"{self.key}_root")
        staff_role_grant(actor=None, user=user, school=self.school, role=Role.ADMINISTRATOR)
        return user

    @cached_property
    def teacher(self) -> User:
        user = self._staff(Role.TEACHER, "teacher")
        teacher_assign(actor=None, group=self.group, teacher=user, start=self.year.start)
        return user

    @cached_property
    def class_teacher(self) -> User:
        user = self._staff(Role.TEACHER, "class_teacher")
        class_teacher_set(actor=None, school_class=self.school_class, teacher=user)
        return user

    @cached_property
    def parent(self) -> User:
        user = self._user("parent")
        parent_link(actor=None, parent=user, student=self.student, relation="father")
        return user

    # the year

    @cached_property
    def periods(self) -> tuple[StudyPeriod, StudyPeriod]:
        """Quarter I (over) and quarter II (today's) of the world's year."""
        q1 = StudyPeriod.objects.create(
            year=self.year, kind="quarter", number=1, start=dt.date(2026, 9, 1), end=dt.date(2026, 10, 24)
        )
        q2 = StudyPeriod.objects.create(
            year=self.year, kind="quarter", number=2, start=dt.date(2026, 11, 5), end=dt.date(2026, 12, 28)
        )
        return q1, q2

    @cached_property
    def holiday(self) -> Holiday:
        result = holiday_add(
            actor=self.deputy, year=self.year, name="Карантин", kind="quarantine",
            start=dt.date(2027, 2, 1), end=dt.date(2027, 2, 7),
        )  # fmt: skip
        return result.holiday

    @cached_property
    def membership(self) -> GroupMembership:
        return GroupMembership.objects.get(group=self.group, student=self.student)

    @cached_property
    def assignment(self) -> TeachingAssignment:
        return TeachingAssignment.objects.get(group=self.group, teacher=self.teacher, role="main")

    @cached_property
    def substitution(self) -> TeachingAssignment:
        substitute = self._staff(Role.TEACHER, "substitute")
        return substitution_start(
            actor=None, group=self.group, substitute=substitute, start=dt.date(2026, 11, 30),
            end=dt.date(2026, 12, 4), replaces=self.teacher,
        )  # fmt: skip

    @cached_property
    def slot(self) -> TimetableSlot:
        return TimetableSlotFactory(group=self.group, weekday=2, number=3)

    # the journal

    @cached_property
    def lesson(self) -> Lesson:
        self.periods  # noqa: B018 - the lesson's quarter
        return LessonFactory(group=self.group, date=TODAY, number=1, teacher=self.teacher)

    @cached_property
    def work_type(self) -> WorkType:
        return WorkTypeFactory(school=self.school)

    @cached_property
    def column(self) -> MarkColumn:
        return mark_column_add(actor=self.teacher, lesson=self.lesson, work_type=self.work_type)

    @cached_property
    def mark(self) -> Mark:
        return mark_set(actor=self.teacher, column=self.column, student=self.student, text="5")

    @cached_property
    def note(self) -> LessonNote:
        return lesson_note_add(
            actor=self.teacher, lesson=self.lesson, student=self.student, kind="remark", text="Забыл тетрадь"
        )

    @cached_property
    def homework(self) -> Homework:
        return homework_set(actor=self.teacher, lesson=self.lesson, text="§ 12, задачи 3–5")

    @cached_property
    def attachment(self) -> HomeworkAttachment:
        return homework_attachment_add(actor=self.teacher, homework=self.homework, upload=_pdf())

    @cached_property
    def absence(self) -> Absence:
        lesson = LessonFactory(group=self.group, date=TODAY, number=2, teacher=self.teacher)
        return absence_set(actor=self.teacher, lesson=lesson, student=self.student, kind="absent")

    @cached_property
    def plan_item(self) -> PlanItem:
        return PlanItemFactory(group=self.group)

    # messages

    @cached_property
    def thread(self) -> Thread:
        return thread_start(
            actor=self.parent, recipients=[self.teacher], subject="Справка", body="Справка о болезни во вложении.",
            uploads=[_pdf("справка.pdf")],
        )  # fmt: skip

    @cached_property
    def message_attachment(self) -> MessageAttachment:
        return MessageAttachment.objects.get(message__thread=self.thread)

    # reports

    @cached_property
    def report_run(self) -> ReportRun:
        run = report_request(actor=self.deputy, school=self.school, kind="monthly", params={"month": "2026-10"})
        report_execute(run.pk)
        run.refresh_from_db()
        assert run.status == ReportStatus.DONE, run.error
        return run

    @cached_property
    def report_table(self) -> str:
        return Document.from_json(self.report_run.result).tables[0].key

    # the archive

    def _copy(self, kind: str, content: bytes, *, retain_until: dt.date | None = None) -> ArchiveCopy:
        """A registry row with its file kept in both storages (``archive.storage.store``); the PDF itself
        is not rendered and signed here: who reaches the row is the question, not what it holds."""
        sha = hashlib.sha256(content).hexdigest()
        q1 = self.periods[0]
        stored = store(
            f"school-{self.school.pk}/class-{self.school_class.pk}/{kind}-{sha[:12]}.pdf",
            content,
            kind=FileKind.JOURNAL_COPY,
            retain_until=retain_until,
        )
        number = ArchiveCopy.objects.filter(school=self.school).count() + 1
        return ArchiveCopy.objects.create(
            school=self.school, number=number, kind=kind, school_class=self.school_class, period=q1, version=1,
            file=stored, pages=1, sha256=sha, content_sha256=sha, render_key=sha, signer=self.director.full_name,
            signer_serial="1", signed_at=timezone.now(), created_by=self.deputy,
        )  # fmt: skip

    @cached_property
    def archive_copy(self) -> ArchiveCopy:
        return self._copy(DocumentKind.JOURNAL, PDF + self.key.encode())

    @cached_property
    def archive_run(self) -> ArchiveRun:
        return run_request(
            actor=self.deputy, school=self.school, period=self.periods[0], school_class=self.school_class
        )

    @cached_property
    def backup(self) -> Backup:
        content = f"-- backup made by {self.key}\n".encode()
        stored = store(f"backups/{self.key}.dump", content, kind=FileKind.BACKUP)
        return Backup.objects.create(
            file=stored, name=stored.name, size=len(content), vendor="postgresql", created_by=self.administrator
        )

    @cached_property
    def retention_review(self) -> RetentionReview:
        """The yearly list of files past their term, holding a summary sheet of this world's class."""
        self._copy(DocumentKind.MARKS, PDF + b"expired " + self.key.encode(), retain_until=dt.date(2026, 6, 30))
        return review_create()

    # the office

    @cached_property
    def rollover_run(self) -> RolloverRun:
        to_year = AcademicYearFactory(
            school=self.school, name="2027/2028", start=dt.date(2027, 9, 1), end=dt.date(2028, 5, 31)
        )
        plan = rollover.rollover_plan(from_year=self.year, to_year=to_year)
        rollover.rollover_classes_create(actor=self.secretary, plan=plan)
        plan = rollover.rollover_plan(from_year=self.year, to_year=to_year)
        return rollover.rollover_apply(
            actor=self.secretary, from_year=self.year, to_year=to_year, choices={}, fingerprint=plan.fingerprint,
            order_number="12-о", order_date=dt.date(2026, 11, 20),
        )  # fmt: skip

    @cached_property
    def leak(self) -> CredentialLeak:
        leaked = self._staff(Role.TEACHER, "leaked")
        return leak_record(
            actor=self.administrator,
            school=self.school,
            user=leaked,
            reported_at=timezone.now() - dt.timedelta(hours=2),
        )


# --- the table: URL name → the foreign object, and who owns it ------------------------------------------------

Build = Callable[[World], dict[str, Any]]


def _none(_world: World) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Case:
    """How to point a URL at a world's object (``kwargs``, and ``query`` when the view reads it), the body
    of a real request (``data``: sent by the owner and, the same, by everybody refused), and the persona of
    the world (an attribute of :class:`World`) who does reach the object."""

    kwargs: Build
    owner: str
    query: Build = _none
    data: Build | None = None


def _lesson(w: World) -> dict[str, Any]:
    return {"pk": w.lesson.pk}


def _group(w: World) -> dict[str, Any]:
    return {"pk": w.group.pk}


def _class(w: World) -> dict[str, Any]:
    return {"pk": w.school_class.pk}


def _year(w: World) -> dict[str, Any]:
    return {"pk": w.year.pk}


def _student(w: World) -> dict[str, Any]:
    return {"pk": w.student.pk}


def _staff_member(w: World) -> dict[str, Any]:
    return {"pk": w.teacher.pk}


def _report(w: World) -> dict[str, Any]:
    return {"pk": w.report_run.pk}


def _pk(attribute: str) -> Build:
    return lambda w: {"pk": getattr(w, attribute).pk}


CASES: dict[str, Case] = {
    # --- the lesson page and its writes (journal/views_lesson.py): the group's teacher ---
    "lesson": Case(_lesson, "teacher"),
    "lesson_cell": Case(
        _lesson,
        "teacher",
        data=lambda w: {
            "column": w.column.pk,
            "student": w.student.pk,
            "value": "4",
            "version": w.mark.version,
            "reason": "Пересмотрел ответ",
        },
    ),
    "lesson_history": Case(
        _lesson, "teacher", query=lambda w: {"student": w.mark.student_id, "column": w.mark.column_id}
    ),
    "lesson_attendance": Case(
        _lesson, "teacher", data=lambda w: {"student": w.student.pk, "kind": "late", "minutes": "5"}
    ),
    "lesson_note": Case(
        _lesson, "teacher", data=lambda w: {"student": w.student.pk, "kind": "praise", "text": "Молодец"}
    ),
    "lesson_note_delete": Case(lambda w: {"pk": w.note.lesson_id, "note_id": w.note.pk}, "teacher", data=_none),
    "lesson_topic": Case(_lesson, "teacher", data=lambda w: {"topic": "Десятичные дроби"}),
    "lesson_cancel": Case(_lesson, "teacher", data=lambda w: {"reason": "Болезнь учителя"}),
    "lesson_column_add": Case(_lesson, "teacher", data=lambda w: {"work_type": w.work_type.pk}),
    "lesson_column_fill": Case(
        lambda w: {"pk": w.column.lesson_id, "column_id": w.column.pk}, "teacher", data=lambda w: {"value": "5"}
    ),
    "lesson_homework": Case(_lesson, "teacher", data=lambda w: {"text": "§ 13, задачи 1–4"}),
    "lesson_homework_delete": Case(
        lambda w: {"pk": w.homework.lesson_id, "homework_id": w.homework.pk}, "teacher", data=_none
    ),
    # Homework files: whoever reads the lesson, and the families of the group (the parent, here).
    "attachment": Case(_pk("attachment"), "parent"),
    # --- the grid and the КТП (journal/views_grid.py, views_plan.py): the group's teacher ---
    "group_grid": Case(_group, "teacher", query=lambda w: {"period": w.periods[1].pk}),
    "group_period_mark": Case(
        _group, "teacher", data=lambda w: {"period": w.periods[1].pk, "student": w.student.pk, "value": "5"}
    ),
    "group_history": Case(_group, "teacher", query=lambda w: {"student": w.student.pk, "period": w.periods[1].pk}),
    "plan": Case(_group, "teacher", data=lambda w: {"item": w.plan_item.pk, "action": "delete"}),
    "plan_import": Case(_group, "teacher"),
    "plan_export": Case(_group, "teacher", query=lambda w: {"format": "csv"}),
    # --- the diary's class pages (journal/views_diary.py): the class teacher ---
    "diary_acknowledgements": Case(_class, "class_teacher"),
    "diary_class_extract": Case(_class, "class_teacher", query=lambda w: {"month": "2026-11"}),
    # --- the class teacher's desk (journal/views_class.py) ---
    "class_detail": Case(_class, "class_teacher"),
    "class_student": Case(lambda w: {"pk": w.school_class.pk, "student_id": w.student.pk}, "class_teacher"),
    "class_parent": Case(lambda w: {"pk": w.school_class.pk, "user_id": w.parent.pk}, "class_teacher"),
    "class_consent": Case(_class, "class_teacher"),
    "class_attendance": Case(_class, "class_teacher"),
    "class_absence_reason": Case(
        lambda w: {"pk": w.school_class.pk, "absence_id": w.absence.pk},
        "class_teacher",
        data=lambda w: {"reason": "illness", "note": "Справка № 5"},
    ),
    "class_absence_range": Case(
        _class,
        "class_teacher",
        data=lambda w: {
            "student": w.absence.student_id,
            "start": "2026-11-23",
            "end": "2026-11-23",
            "reason": "excused",
        },
    ),
    "class_slips": Case(_class, "class_teacher", data=lambda w: {"users": [w.parent.pk]}),
    "class_password_reset": Case(lambda w: {"pk": w.school_class.pk, "user_id": w.parent.pk}, "class_teacher"),
    # --- messages (messaging/views.py): the thread's participants ---
    "messages_thread": Case(_pk("thread"), "parent", data=lambda w: {"body": "Спасибо, получили."}),
    "messages_attachment": Case(_pk("message_attachment"), "parent"),
    # --- reports (reports/views.py): the school's administration ---
    "reports_run": Case(_report, "deputy"),
    "reports_table": Case(lambda w: {"pk": w.report_run.pk, "key": w.report_table}, "deputy"),
    "reports_export": Case(_report, "deputy", query=lambda w: {"format": "xlsx"}),
    "reports_remarks": Case(_report, "deputy", data=lambda w: {"fix_by": "2026-11-30"}),
    # --- the archive (archive/views.py) ---
    "archive_copy": Case(_pk("archive_copy"), "secretary"),
    "archive_copy_download": Case(_pk("archive_copy"), "director"),
    "archive_run": Case(_pk("archive_run"), "deputy"),
    # A backup and a retention list span every school of the installation: in a district (two schools
    # here) only the platform's superuser takes a backup away or confirms a list; a school's administrator
    # is refused with 403.
    "archive_backup_download": Case(_pk("backup"), "superuser"),
    "archive_retention_confirm": Case(
        _pk("retention_review"), "superuser", data=lambda w: {"act": "Акт № 7 от 20.11.2026"}
    ),
    # --- the office: the year and its structure (office/views_year.py): deputy, administrator ---
    "office_year": Case(_year, "deputy"),
    "office_year_edit": Case(
        _year, "deputy", data=lambda w: {"name": "Изменённый год", "start": "2026-09-01", "end": "2027-05-31"}
    ),
    "office_year_copy": Case(_year, "deputy"),
    "office_year_periods": Case(_year, "deputy", data=lambda w: {"scheme": "half"}),
    "office_year_bands": Case(_year, "administrator", data=lambda w: {"kind": "half", "grade_from": 1, "grade_to": 11}),
    "office_holiday_add": Case(
        _year,
        "deputy",
        data=lambda w: {"name": "Каникулы", "kind": "vacation", "start": "2026-12-29", "end": "2027-01-08"},
    ),
    "office_period_edit": Case(
        lambda w: {"pk": w.periods[1].pk},
        "deputy",
        data=lambda w: {"start": "2026-11-05", "end": "2026-12-25", "marks_deadline": "2026-12-25"},
    ),
    "office_holiday_remove": Case(_pk("holiday"), "deputy", data=_none),
    "office_subject_add": Case(_year, "deputy", data=lambda w: {"name": "Астрономия", "short_name": "Астр"}),
    "office_class_add": Case(_year, "deputy", data=lambda w: {"grade": 7, "letter": "Я", "period_kind": "quarter"}),
    "office_group_new": Case(_year, "deputy"),
    "office_subject_edit": Case(
        lambda w: {"pk": w.group.subject_id}, "deputy", data=lambda w: {"name": "Алгебра", "short_name": "Алг"}
    ),
    "office_class_teacher": Case(_class, "deputy", data=lambda w: {"teacher": ""}),
    "office_class_split": Case(_class, "deputy"),
    "office_group": Case(_group, "deputy"),
    "office_group_edit": Case(_group, "deputy", data=lambda w: {"name": "Переименована", "hours_per_week": "2"}),
    "office_group_members": Case(_group, "deputy"),
    "office_assignment_add": Case(_group, "deputy"),
    "office_membership_end": Case(_pk("membership"), "deputy", data=lambda w: {"end": "2026-11-20"}),
    "office_assignment_end": Case(_pk("assignment"), "deputy", data=lambda w: {"end": "2026-11-20"}),
    # --- the timetable (office/views_timetable.py): deputy, administrator ---
    "office_timetable_slot_end": Case(_pk("slot"), "deputy", data=lambda w: {"last_day": "2026-11-20"}),
    "office_timetable_slot_remove": Case(_pk("slot"), "deputy", data=_none),
    # An empty last day cancels the substitution: the empty POST itself is the write to refuse.
    "office_substitution_end": Case(_pk("substitution"), "deputy", data=_none),
    "office_lesson_transfer": Case(
        _lesson, "deputy", data=lambda w: {"date": "2026-11-24", "number": 6, "reason": "Перенос"}
    ),
    "office_lesson_cancel": Case(_lesson, "deputy", data=lambda w: {"reason": "Карантин"}),
    # --- imports and exports (office/views_imports.py): no object in the path, the school in the query ---
    "office_import_template": Case(
        lambda w: {"shape": "students", "fmt": "csv"}, "secretary", query=lambda w: {"school": w.school.pk}
    ),
    "office_import_export": Case(
        lambda w: {"shape": "students", "fmt": "csv"},
        "secretary",
        query=lambda w: {"school": w.school.pk, "year": w.year.pk},
    ),
    # --- students' movement and the rollover (office/views_enrollment.py): the enrollment staff ---
    "office_student": Case(_student, "secretary"),
    "office_student_transfer": Case(_student, "secretary"),
    "office_student_leave": Case(
        _student,
        "secretary",
        data=lambda w: {
            "last_day": "2026-11-20",
            "reason": "Переезд",
            "order_number": "15-о",
            "order_date": "2026-11-20",
        },
    ),
    "office_student_readmit": Case(_student, "secretary"),
    "office_rollover_undo": Case(_pk("rollover_run"), "secretary", data=_none),
    # --- accounts and leaks (office/views_accounts.py): administrator; voiding: deputy ---
    "office_account": Case(_staff_member, "administrator", data=lambda w: {"roles": ["deputy"], "position": ""}),
    # ``active`` missing means "block": the empty POST itself is the write to refuse.
    "office_account_block": Case(_staff_member, "administrator", data=_none),
    "office_account_unlock": Case(_staff_member, "administrator", data=_none),
    "office_leak": Case(_pk("leak"), "administrator"),
    "office_leak_void": Case(_pk("leak"), "deputy", data=lambda w: {"all": "on"}),
}

# Who asks for which world's objects (the module's docstring says why).
STAFF_OF_THE_SCHOOL = ("director", "deputy", "administrator", "secretary")
ASKERS: dict[str, tuple[str, ...]] = {
    **{persona: ("other_school",) for persona in STAFF_OF_THE_SCHOOL},
    **{
        persona: ("neighbours", "other_school")
        for persona in ("class_teacher", "teacher", "substitute", "parent", "student_user")
    },
    "outsider": ("neighbours",),
}


# --- fixtures and helpers -------------------------------------------------------------------------------------


@pytest.fixture
def _files(settings: Any, tmp_path: Any) -> None:
    """Uploads and both archive storages of this test alone."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ARCHIVE_STORAGES = {
        key: {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / key)}}
        for key in ("a", "b")
    }


@pytest.fixture
def worlds(
    school: School, year: AcademicYear, parallel_class: SchoolClass, other_group: TeachingGroup, other_student: Student,
    other_school: School, other_year: AcademicYear, other_class: SchoolClass, outsider_group: TeachingGroup,
    outsider_student: Student,
) -> dict[str, World]:  # fmt: skip
    return {
        "neighbours": World("n", school, year, parallel_class, other_group, other_student),
        "other_school": World("b", other_school, other_year, other_class, outsider_group, outsider_student),
    }


@dataclass(frozen=True)
class Target:
    url: str
    data: dict[str, Any] | None


def _target(name: str, case: Case, world: World) -> Target:
    kwargs = case.kwargs(world)
    assert set(kwargs) == URLS[name], f"{name}: the table gives {sorted(kwargs)}, the URL takes {sorted(URLS[name])}"
    query = case.query(world)
    url = reverse(name, kwargs=kwargs) + (f"?{urlencode(query, doseq=True)}" if query else "")
    return Target(url, case.data(world) if case.data else None)


def _writes() -> dict[str, tuple[int, int, int]]:
    """Rows inserted, updated and deleted so far in this test's transaction, per table (PostgreSQL's own
    count: every write, even one that sets the same value or is rolled back to a savepoint). Sessions
    aside: logging in and the school's time zone live there."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables"
            " WHERE relname <> 'django_session'"
        )
        return {table: (ins, upd, dele) for table, ins, upd, dele in cursor.fetchall()}


def _ask(client: Client, target: Target) -> list[tuple[str, int]]:
    answers = [("GET", client.get(target.url).status_code), ("POST {}", client.post(target.url).status_code)]
    if target.data:
        answers.append((f"POST {target.data}", client.post(target.url, target.data).status_code))
    return answers


URLS = urls_with_ids()


# --- the tests ------------------------------------------------------------------------------------------------


def test_every_url_with_an_id_is_in_the_table():
    """A new URL with an object id must come with a row of CASES (how to build a foreign object for it and
    who owns it); a row whose URL is gone must go."""
    assert sorted(set(URLS) - set(CASES)) == [], "URLs with an id that the access matrix does not cover"
    assert sorted(set(CASES) - set(URLS)) == [], "rows of the access matrix without their URL"


def test_the_walk_sees_through_includes_and_keeps_the_admin_out():
    assert URLS["lesson_note_delete"] == {"pk", "note_id"}  # journal/urls.py
    assert URLS["office_import_export"] == {"shape", "fmt"}  # office/ → office/urls_imports.py
    assert URLS["reports_table"] == {"pk", "key"}
    assert not [name for name in URLS if name.startswith("admin:")]


def test_the_write_counter_sees_a_write_that_changes_nothing(student: Student):
    before = _writes()
    Student.objects.filter(pk=student.pk).update(last_name=student.last_name)
    assert _writes()["journal_student"] != before.get("journal_student", (0, 0, 0))


def test_in_a_district_only_the_superuser_confirms_a_retention_list(client: Client, worlds, administrator: User):
    """What this matrix found: a retention list names the due files of every school and its confirmation
    destroys them, yet any school's administrator could confirm it. In a district (two schools here) the
    platform's superuser does, as with taking a backup away."""
    world = worlds["other_school"]
    review = world.retention_review
    name = review.files[0]["name"]
    url = reverse("archive_retention_confirm", args=[review.pk])
    for user in (administrator, world.administrator):
        client.force_login(user)
        assert client.post(url, {"act": "Акт № 7 от 20.11.2026"}).status_code == 403
    review.refresh_from_db()
    assert review.confirmed_at is None
    assert StoredFile.objects.filter(name=name).exists()

    client.force_login(world.superuser)
    assert client.post(url, {"act": "Акт № 7 от 20.11.2026"}).status_code == 302
    review.refresh_from_db()
    assert (review.confirmed_by, review.destroyed) == (world.superuser, 1)
    assert not StoredFile.objects.filter(name=name).exists()


@pytest.mark.parametrize("name", sorted(CASES))
def test_nobody_reaches_an_object_out_of_their_scope(name: str, request: pytest.FixtureRequest, worlds):
    """Every persona of ASKERS, for each of their foreign worlds: GET, POST {} and POST with the owner's
    body all answer 403, 404 or 405 (not 405 to all), and not one row is written."""
    case = CASES[name]
    targets = {key: _target(name, case, world) for key, world in worlds.items()}
    owners = {key: getattr(world, case.owner) for key, world in worlds.items()}
    problems: list[str] = []

    for persona, keys in ASKERS.items():
        client = Client()
        client.force_login(request.getfixturevalue(persona))
        for key in keys:
            target = targets[key]
            before = _writes()
            answers = _ask(client, target)
            changed = sorted(table for table, count in _writes().items() if before.get(table, (0, 0, 0)) != count)
            if any(status not in REFUSED for _method, status in answers):
                problems.append(f"{persona} → {key}: {target.url} answered {answers}")
            elif all(status == 405 for _method, status in answers):
                problems.append(f"{persona} → {key}: {target.url} refused every method with 405: {answers}")
            if changed:
                problems.append(f"{persona} → {key}: {target.url} changed {changed}")

    # The control: the owner makes the same requests and gets through (rolled back afterwards).
    for key, target in targets.items():
        with transaction.atomic():
            client = Client()
            client.force_login(owners[key])
            status = client.get(target.url).status_code
            if status == 405:
                status = client.post(target.url, target.data or {}).status_code
            if status in REFUSED:
                problems.append(f"control: the {case.owner} of {key} does not reach {target.url} ({status})")
            transaction.set_rollback(True)

    assert not problems, "\n".join(problems)
