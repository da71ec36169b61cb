"""Writes of the messaging app: conversations, replies, read marks, announcements, preferences, and the
e-mail notifications the Celery tasks send. Every function takes keyword arguments and an ``actor``
where a person acts; authorization comes from ``accounts.permissions``.

E-mails are sent at most once per user and message (or digest day): a ``NotificationLog`` row is
inserted under a unique constraint in the same transaction as the sending, so a task that runs twice,
or twice at once, sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Greatest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import ParentLink, User
from accounts.permissions import (
    announcement_classes_for,
    announcement_schools_for,
    diary_parent_links,
    message_recipients_for,
    schools_for,
)
from attendance.models import Absence
from grading.models import Mark
from journal.models import LessonNote, School, SchoolClass, Student
from journal.services import upload_check

from .models import (
    CLASS_AUDIENCES,
    Announcement,
    Audience,
    Message,
    MessageAttachment,
    NotificationKind,
    NotificationLog,
    NotificationPreference,
    Thread,
    ThreadKind,
    ThreadParticipant,
)

logger = logging.getLogger(__name__)

MAX_ATTACHMENTS = 10
MAX_BODY = 5000


# --- the unread count in the top bar (cached; see context_processors.py) ----------------------------------


def unread_cache_key(user_id: int, joined: dt.datetime) -> str:
    """The cache key of a user's unread count; the account's creation time keeps a reused id (a test
    database built again) from reading another account's count."""
    return f"messaging:unread:v1:{user_id}:{joined.timestamp():.6f}"


def _forget_unread(users: Iterable[tuple[int, dt.datetime]]) -> None:
    """Drop the cached unread counts of ``(user id, date joined)`` now and again after the commit (a
    reader in between may have cached the old value)."""
    keys = [unread_cache_key(pk, joined) for pk, joined in set(users)]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


# --- attachments ------------------------------------------------------------------------------------------


def _attach(message: Message, uploads: list) -> None:
    if len(uploads) > MAX_ATTACHMENTS:
        raise ValidationError(_("At most %(n)d files per message.") % {"n": MAX_ATTACHMENTS})
    checked = [upload_check(upload) for upload in uploads]  # all refused before any file is written
    for upload, (name, extension) in zip(uploads, checked, strict=True):
        attachment = MessageAttachment(message=message, original_name=name, size=upload.size, content_type=extension)
        attachment.file.save(f"{uuid.uuid4().hex}.{extension}", upload, save=False)
        attachment.save()


# --- conversations ----------------------------------------------------------------------------------------


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError(_("Write the text of the message."))
    if len(body) > MAX_BODY:
        raise ValidationError(_("Keep the message under %(n)d characters.") % {"n": MAX_BODY})
    return body


def _post(*, thread: Thread, sender: User | None, body: str, uploads: list, note: LessonNote | None = None) -> Message:
    """Add a message to a thread: the thread moves up, the sender has read it, the others have not."""
    now = timezone.now()
    message = Message.objects.create(thread=thread, sender=sender, body=body, at=now, note=note)
    _attach(message, uploads)
    Thread.objects.filter(pk=thread.pk).update(
        last_message_at=Greatest(F("last_message_at"), Value(now)),
        last_message_id=Greatest(F("last_message_id"), Value(message.pk)),
    )
    thread.last_message_at, thread.last_message_id = max(thread.last_message_at, now), message.pk
    if sender is not None:
        ThreadParticipant.objects.filter(thread=thread, user=sender).update(
            last_read_id=Greatest(F("last_read_id"), Value(message.pk)), last_read_at=now
        )
    _forget_unread(ThreadParticipant.objects.filter(thread=thread).values_list("user_id", "user__date_joined"))
    message_id = message.pk
    transaction.on_commit(lambda: _enqueue_notification(message_id))
    return message


def _enqueue_notification(message_id: int) -> None:
    """Queue the e-mail task. A broker that is down must not undo a message already saved: log it."""
    from .tasks import notify_new_message

    try:
        notify_new_message.delay(message_id)
    except Exception:  # noqa: BLE001 - the message is saved; only its e-mail is lost
        logger.exception("Could not queue the e-mail notification of message %s", message_id)


def _common_school(actor: User, recipients: list[User]) -> School:
    schools = School.objects.filter(pk__in=schools_for(actor).values("pk"))
    for recipient in recipients:
        schools = schools.filter(pk__in=schools_for(recipient).values("pk"))
    school = schools.order_by("pk").first() or schools_for(actor).order_by("pk").first()
    if school is None:  # pragma: no cover - a recipient in scope always shares a school
        raise PermissionDenied(_("You cannot write to this person."))
    return school


@transaction.atomic
def thread_start(
    *,
    actor: User,
    recipients: list[User],
    subject: str,
    body: str,
    uploads: list | None = None,
    student: Student | None = None,
) -> Thread:
    """Start a conversation with people ``actor`` may write to (``message_recipients_for``), with its
    first message and files. Refuses anybody else with ``PermissionDenied``."""
    subject = (subject or "").strip()
    if not recipients:
        raise ValidationError(_("Choose whom to write to."))
    if not subject:
        raise ValidationError(_("Write the subject."))
    if len(subject) > 200:
        raise ValidationError(_("Keep the subject under 200 characters."))
    body = _clean_body(body)
    ids = {user.pk for user in recipients}
    if message_recipients_for(actor).filter(pk__in=ids).count() != len(ids):
        raise PermissionDenied(_("You cannot write to this person."))
    thread = Thread.objects.create(
        school=_common_school(actor, recipients), subject=subject, created_by=actor, student=student
    )
    ThreadParticipant.objects.bulk_create(
        [ThreadParticipant(thread=thread, user=actor)] + [ThreadParticipant(thread=thread, user_id=pk) for pk in ids]
    )
    _post(thread=thread, sender=actor, body=body, uploads=list(uploads or []))
    return thread


@transaction.atomic
def message_send(*, actor: User, thread: Thread, body: str, uploads: list | None = None) -> Message:
    """A reply in a thread; only its participants may write there."""
    if not ThreadParticipant.objects.filter(thread=thread, user=actor).exists():
        raise PermissionDenied(_("You are not in this conversation."))
    return _post(thread=thread, sender=actor, body=_clean_body(body), uploads=list(uploads or []))


def thread_mark_read(*, actor: User, thread: Thread) -> None:
    """Everything in the thread up to now is read by ``actor`` (a participant; others: nothing happens)."""
    newest = Subquery(Thread.objects.filter(pk=OuterRef("thread_id")).values("last_message_id")[:1])
    updated = ThreadParticipant.objects.filter(thread=thread, user=actor, last_read_id__lt=newest).update(
        last_read_id=newest, last_read_at=timezone.now()
    )
    if updated:
        _forget_unread([(actor.pk, actor.date_joined)])


@transaction.atomic
def lesson_note_notify(*, note: LessonNote) -> Message | None:
    """R14: a remark, praise or message to parents written on a lesson reaches the child's parents'
    inbox, in the teacher's thread of remarks about that child (one per teacher and child), in the same
    transaction as the note. Nothing when the child has no parent with a login."""
    parent_ids = list(ParentLink.objects.filter(student_id=note.student_id).values_list("parent_id", flat=True))
    if not parent_ids or note.created_by_id is None:
        return None
    lesson = note.lesson
    student = note.student
    with translation.override(settings.LANGUAGE_CODE):
        thread, _created = Thread.objects.get_or_create(
            kind=ThreadKind.NOTES,
            created_by_id=note.created_by_id,
            student=student,
            defaults={
                "school_id": student.school_id,
                "subject": _("Remarks from the lessons: %(student)s") % {"student": student.short_name},
            },
        )
        heading = _("%(kind)s — %(subject)s, %(date)s, lesson %(number)d:") % {
            "kind": note.get_kind_display().capitalize(),
            "subject": lesson.group.subject.name,
            "date": lesson.date.strftime("%d.%m.%Y"),
            "number": lesson.number,
        }
    body = f"{heading}\n{note.text}"
    ThreadParticipant.objects.bulk_create(
        [ThreadParticipant(thread=thread, user_id=pk) for pk in [note.created_by_id, *parent_ids]],
        ignore_conflicts=True,
    )
    return _post(thread=thread, sender=note.created_by, body=body, uploads=[], note=note)


# --- announcements ----------------------------------------------------------------------------------------


@transaction.atomic
def announcement_publish(
    *,
    actor: User,
    audience: str,
    title: str,
    text: str,
    school: School | None = None,
    school_class: SchoolClass | None = None,
) -> Announcement:
    """Publish an announcement: to a class (its parents, students or both) by its class teacher or the
    school's administration; to the whole school or its staff by the administration only."""
    title, text = (title or "").strip(), (text or "").strip()
    if audience not in Audience.values:
        raise ValidationError(_("Choose who the announcement is for."))
    if not title or not text:
        raise ValidationError(_("Write the title and the text of the announcement."))
    if len(title) > 200:
        raise ValidationError(_("Keep the title under 200 characters."))
    if audience in CLASS_AUDIENCES:
        if school_class is None:
            raise ValidationError(_("Choose the class."))
        if not announcement_classes_for(actor).filter(pk=school_class.pk).exists():
            raise PermissionDenied(_("You cannot publish announcements for this class."))
        school = School.objects.get(pk=school_class.year.school_id)
    else:
        school_class = None
        if school is None:
            school = announcement_schools_for(actor).order_by("pk").first()
        if school is None or not announcement_schools_for(actor).filter(pk=school.pk).exists():
            raise PermissionDenied(_("Only the school's administration publishes announcements for the whole school."))
    return Announcement.objects.create(
        school=school, author=actor, audience=audience, school_class=school_class, title=title, text=text
    )


# --- notification preferences and e-mails ----------------------------------------------------------------


def preference_set(*, actor: User, email_messages: bool, daily_digest: bool) -> NotificationPreference:
    """The user's own e-mail choices."""
    preference, _created = NotificationPreference.objects.update_or_create(
        user=actor, defaults={"email_messages": email_messages, "daily_digest": daily_digest}
    )
    return preference


def preference_of(user: User) -> NotificationPreference:
    """The user's choices, or the defaults (not saved) when they never chose."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(user=user)


def _render_mail(template: str, context: dict) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"messaging/email/{template}_subject.txt", context).split())
        body = render_to_string(f"messaging/email/{template}_body.txt", context)
    return subject, body


def _send_once(user: User, kind: str, key: str, subject: str, body: str) -> bool:
    """Send one e-mail unless the log says it went already. The log row and the sending share a
    transaction: a failed send leaves no row, so the next run tries again."""
    with transaction.atomic():
        _log, created = NotificationLog.objects.get_or_create(
            user=user, kind=kind, key=key, defaults={"email": user.email}
        )
        if not created:
            return False
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email], fail_silently=False)
    return True


def message_notify(*, message_id: int) -> int:
    """E-mail the other participants of a new message who have an address and did not switch this off.
    Returns how many e-mails went out now (0 when run again)."""
    message = Message.objects.select_related("thread__school", "sender").filter(pk=message_id).first()
    if message is None:
        return 0
    recipients = (
        User.objects.filter(thread_participations__thread_id=message.thread_id, is_active=True)
        .exclude(pk=message.sender_id)
        .exclude(email="")
        .exclude(notification_preference__email_messages=False)
    )
    context = {
        "message": message,
        "thread": message.thread,
        "sender": message.sender,
        "url": settings.SITE_URL + reverse("messages_thread", args=[message.thread_id]),
        "settings_url": settings.SITE_URL + reverse("messages_settings"),
    }
    with timezone.override(zoneinfo.ZoneInfo(message.thread.school.time_zone)):
        subject, body = _render_mail("new_message", context)
    return sum(_send_once(user, NotificationKind.MESSAGE, str(message.pk), subject, body) for user in recipients)


def _day_bounds(schools: dict[int, School], day: dt.date, field: str) -> Q:
    """``field`` inside ``day`` in each school's own time zone, for the students of that school."""
    scope = Q(pk__in=[])
    for school in schools.values():
        start = dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(school.time_zone))
        scope |= Q(
            **{"student__school_id": school.pk, f"{field}__gte": start, f"{field}__lt": start + dt.timedelta(days=1)}
        )
    return scope


def digest_send(*, day: dt.date) -> int:
    """The daily digest: each parent who asked for it gets one e-mail with the marks and absences of
    their children entered on ``day`` (nothing when there are none). Running it again for the same day
    sends nothing. Returns how many e-mails went out now."""
    links = list(
        diary_parent_links()
        .filter(
            parent__notification_preference__daily_digest=True,
            parent__is_active=True,
        )
        .exclude(parent__email="")
        .select_related("parent", "student__school")
    )
    if not links:
        return 0
    schools = {link.student.school_id: link.student.school for link in links}
    child_ids = {link.student_id for link in links}
    marks = defaultdict(list)
    for mark in (
        Mark.objects.filter(_day_bounds(schools, day, "created_at"), student_id__in=child_ids)
        .select_related("column__lesson__group__subject", "column__work_type")
        .order_by("column__lesson__date", "column__lesson__number", "pk")
    ):
        marks[mark.student_id].append(mark)
    absences = defaultdict(list)
    for absence in (
        Absence.objects.filter(_day_bounds(schools, day, "created_at"), student_id__in=child_ids)
        .select_related("lesson__group__subject")
        .order_by("lesson__date", "lesson__number")
    ):
        absences[absence.student_id].append(absence)
    by_parent: dict[int, list] = defaultdict(list)
    parents: dict[int, User] = {}
    for link in links:
        parents[link.parent_id] = link.parent
        if marks[link.student_id] or absences[link.student_id]:
            by_parent[link.parent_id].append(
                {"student": link.student, "marks": marks[link.student_id], "absences": absences[link.student_id]}
            )
    sent = 0
    for parent_id, children in by_parent.items():
        context = {
            "day": day,
            "children": sorted(children, key=lambda c: c["student"].full_name),
            "url": settings.SITE_URL + reverse("home"),
            "settings_url": settings.SITE_URL + reverse("messages_settings"),
        }
        subject, body = _render_mail("digest", context)
        sent += _send_once(parents[parent_id], NotificationKind.DIGEST, day.isoformat(), subject, body)
    return sent
