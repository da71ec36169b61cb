"""Internal mail, announcements and e-mail notifications (issue 4, points 6–7).

A ``Thread`` has participants (``ThreadParticipant``, with the newest message each has read) and
messages; a thread is unread for a participant while its ``last_message_id`` is above their
``last_read_id``, so the unread count of a user is one indexed query. A teacher's remark on a lesson
(R14) is a message of a ``notes`` thread (one per teacher and child) to the child's parents.
``NotificationLog`` has one row per e-mail sent, unique per user, kind and key: a task that runs twice
sends nothing twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from journal.models import LessonNote, School, SchoolClass, Student


class ThreadKind(models.TextChoices):
    CONVERSATION = "conversation", _("conversation")
    NOTES = "notes", _("remarks from lessons")


class Thread(models.Model):
    school = models.ForeignKey(School, models.CASCADE, related_name="+", verbose_name=_("school"))
    kind = models.CharField(_("kind"), max_length=12, choices=ThreadKind.choices, default=ThreadKind.CONVERSATION)
    subject = models.CharField(_("topic of the conversation"), max_length=200)
    student = models.ForeignKey(
        Student, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("about the student")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("started by")
    )
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    last_message_at = models.DateTimeField(_("last message at"), default=timezone.now)
    # The id of the newest message: a participant has read the thread up to ``last_read_id``.
    last_message_id = models.PositiveBigIntegerField(_("last message"), default=0)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_at"]
        constraints = [
            # One thread of remarks per teacher and child: the parents see them together and can answer.
            models.UniqueConstraint(
                fields=["created_by", "student"], condition=Q(kind="notes"), name="thread_one_notes_thread"
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class ThreadParticipant(models.Model):
    thread = models.ForeignKey(Thread, models.CASCADE, related_name="participants", verbose_name=_("conversation"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="thread_participations", verbose_name=_("user")
    )
    last_read_id = models.PositiveBigIntegerField(_("read up to message"), default=0)
    last_read_at = models.DateTimeField(_("last read at"), null=True, blank=True)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="participant_unique")]
        indexes = [models.Index(fields=["user", "thread"], name="participant_user_thread")]

    def __str__(self) -> str:
        return f"{self.user} ∈ {self.thread}"


class Message(models.Model):
    thread = models.ForeignKey(Thread, models.CASCADE, related_name="messages", verbose_name=_("conversation"))
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("sender")
    )
    body = models.TextField(_("text"))
    at = models.DateTimeField(_("sent at"), default=timezone.now)
    note = models.ForeignKey(
        LessonNote, models.SET_NULL, null=True, blank=True, related_name="messages", verbose_name=_("lesson note")
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["thread", "at", "pk"]
        indexes = [models.Index(fields=["thread", "at"], name="message_thread_at")]

    def __str__(self) -> str:
        return self.body[:40]


def message_upload_to(instance: MessageAttachment, filename: str) -> str:
    return f"messages/{instance.message.thread_id}/{filename}"


class MessageAttachment(models.Model):
    message = models.ForeignKey(Message, models.CASCADE, related_name="attachments", verbose_name=_("message"))
    file = models.FileField(_("file"), upload_to=message_upload_to)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size, bytes"))
    content_type = models.CharField(_("file type"), max_length=100)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("message attachment")
        verbose_name_plural = _("message attachments")

    def __str__(self) -> str:
        return self.original_name


class Audience(models.TextChoices):
    SCHOOL = "school", _("the whole school")
    STAFF = "staff", _("staff of the school")
    CLASS = "class", _("parents and students of a class")
    CLASS_PARENTS = "class_parents", _("parents of a class")
    CLASS_STUDENTS = "class_students", _("students of a class")


CLASS_AUDIENCES = (Audience.CLASS, Audience.CLASS_PARENTS, Audience.CLASS_STUDENTS)


class Announcement(models.Model):
    school = models.ForeignKey(School, models.CASCADE, related_name="+", verbose_name=_("school"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+", verbose_name=_("author")
    )
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices)
    school_class = models.ForeignKey(
        SchoolClass, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("class")
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published at"), default=timezone.now)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(audience__in=["school", "staff"], school_class__isnull=True)
                | Q(audience__in=["class", "class_parents", "class_students"], school_class__isnull=False),
                name="announcement_class_matches_audience",
            ),
        ]
        indexes = [models.Index(fields=["school", "-published_at"], name="announcement_school_published")]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """A user's e-mail choices; without a row: e-mail for new messages, no daily digest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notification_preference", verbose_name=_("user")
    )
    email_messages = models.BooleanField(_("e-mail about new messages"), default=True)
    daily_digest = models.BooleanField(_("daily e-mail of new marks and absences"), default=False)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return str(self.user)


class NotificationKind(models.TextChoices):
    MESSAGE = "message", _("new message")
    DIGEST = "digest", _("daily digest")


class NotificationLog(models.Model):
    """One e-mail sent. The key is the message id or the digest's date: unique, so nothing goes twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=NotificationKind.choices)
    key = models.CharField(_("key"), max_length=40)
    email = models.EmailField(_("e-mail"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("e-mail sent")
        verbose_name_plural = _("e-mails sent")
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["user", "kind", "key"], name="notification_once")]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.key}"
