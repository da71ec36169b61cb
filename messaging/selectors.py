"""Reads of the messaging app, already limited to what the user may see: a thread only to its
participants (404 for anybody else), announcements only to their audience."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from accounts.permissions import classes_for, in_force_on, staff_schools_for, students_for
from journal.models import Enrollment, Student

from .models import Announcement, Audience, Message, MessageAttachment, ThreadParticipant


def unread_count(user: User) -> int:
    """How many of the user's threads have a message they have not read. One query."""
    return ThreadParticipant.objects.filter(user=user).filter(thread__last_message_id__gt=F("last_read_id")).count()


def inbox(user: User) -> QuerySet[ThreadParticipant]:
    """The user's threads, newest first, as their participant rows: ``thread`` (with the school and the
    student it is about), ``unread`` (messages of others after the last read), ``last_body`` and the
    other participants (``thread.participants`` prefetched). A fixed number of queries, whatever the
    number of threads."""
    unread = (
        Message.objects.filter(thread_id=OuterRef("thread_id"), pk__gt=OuterRef("last_read_id"))
        .exclude(sender_id=user.pk)
        .order_by()
        .values("thread_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    last = Message.objects.filter(thread_id=OuterRef("thread_id")).order_by("-at", "-pk")
    return (
        ThreadParticipant.objects.filter(user=user)
        .annotate(
            unread=Coalesce(Subquery(unread, output_field=IntegerField()), 0),
            last_body=Subquery(last.values("body")[:1]),
        )
        .select_related("thread__student")
        .prefetch_related(
            Prefetch(
                "thread__participants",
                queryset=ThreadParticipant.objects.select_related("user").order_by("user__last_name"),
            )
        )
        .order_by("-thread__last_message_at", "-thread_id")
    )


def get_participation(user: User, thread_id: int) -> ThreadParticipant:
    """The user's place in the thread (with the thread), or 404 when they are not in it."""
    participation = (
        ThreadParticipant.objects.filter(user=user, thread_id=thread_id)
        .select_related("thread__school", "thread__student")
        .first()
    )
    if participation is None or not user.is_authenticated:
        raise Http404
    return participation


def thread_messages(thread_id: int) -> QuerySet[Message]:
    return (
        Message.objects.filter(thread_id=thread_id)
        .select_related("sender")
        .prefetch_related("attachments")
        .order_by("at", "pk")
    )


def thread_participants(thread_id: int) -> QuerySet[User]:
    return User.objects.filter(thread_participations__thread_id=thread_id).order_by("last_name", "first_name")


def get_attachment_for(user: User, pk: int) -> MessageAttachment:
    """An attachment of a thread the user takes part in, or 404."""
    attachment = (
        MessageAttachment.objects.filter(pk=pk, message__thread__participants__user=user)
        .select_related("message")
        .first()
    )
    if attachment is None:
        raise Http404
    return attachment


def announcements_for(user: User, *, on: dt.date | None = None) -> QuerySet[Announcement]:
    """Announcements the user is in the audience of (or wrote): the whole school — everybody of the
    school (staff, parents, students); staff — its staff; a class — the parents and / or the students
    enrolled in it on ``on`` (today), and its class teacher."""
    if not user.is_authenticated:
        return Announcement.objects.none()
    day = on or timezone.localdate()
    own = Student.objects.filter(user=user).values("pk")
    children = students_for(user).exclude(user=user).values("pk")
    family = Student.objects.filter(Q(pk__in=own) | Q(pk__in=children))
    staff_schools = staff_schools_for(user).values("pk")
    scope = (
        Q(author=user)
        | Q(audience__in=[Audience.SCHOOL, Audience.STAFF], school_id__in=staff_schools)
        | Q(audience=Audience.SCHOOL, school_id__in=family.values("school_id"))
        | Q(
            audience__in=[Audience.CLASS, Audience.CLASS_PARENTS],
            school_class_id__in=Enrollment.objects.filter(in_force_on(day), student_id__in=children).values(
                "school_class_id"
            ),
        )
        | Q(
            audience__in=[Audience.CLASS, Audience.CLASS_STUDENTS],
            school_class_id__in=Enrollment.objects.filter(in_force_on(day), student_id__in=own).values(
                "school_class_id"
            ),
        )
        | Q(school_class_id__in=classes_for(user, lead_only=True).values("pk"))
    )
    return Announcement.objects.filter(scope).select_related("author", "school_class", "school")
