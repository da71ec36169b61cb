"""The demo logins' mail (issue 4): so that `make run` shows a parent's inbox with something in it — the
remarks and praise the child got in the last two weeks (R14, as the lesson page would have sent them),
a conversation with the class teacher, and the class teacher's announcement to the class's parents.
Written through the messaging services, like the pages do; the demo users have no e-mail address, so no
mail goes out."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import ParentLink
from journal.models import LessonNote

from .context import SchoolBuild


def create_demo_messages(ctx: SchoolBuild) -> int:
    """Messages and an announcement for the demo parent of school 1; returns how many were written."""
    from messaging.models import Audience
    from messaging.services import announcement_publish, lesson_note_notify, message_send, thread_start

    parent, leader = ctx.staff.get("parent"), ctx.staff.get("classteacher")
    if parent is None or leader is None:
        return 0
    children = list(ParentLink.objects.filter(parent=parent).values_list("student_id", flat=True))
    written = 0
    notes = LessonNote.objects.filter(
        student_id__in=children, lesson__date__gte=ctx.today - dt.timedelta(days=14), lesson__date__lte=ctx.today
    ).select_related("lesson__group__subject", "student", "created_by")
    for note in notes.order_by("lesson__date", "created_at"):
        written += lesson_note_notify(note=note) is not None
    try:
        thread = thread_start(
            actor=parent,
            recipients=[leader],
            subject="Экскурсия в музей",
            body="Добрый день! Подскажите, пожалуйста, во сколько в пятницу сбор у школы и нужно ли брать с собой "
            "обед?",
        )
        message_send(
            actor=leader,
            thread=thread,
            body="Здравствуйте! Сбор в 8:40 у главного входа, вернёмся к 14:00. Обед не нужен, будет перекус.",
        )
        written += 2
        own_class = ctx.classes[0].obj if ctx.classes else None
        led = [cls.obj for cls in ctx.classes if ctx.class_teacher.get(cls.obj.pk) == leader]
        if led or own_class:
            announcement_publish(
                actor=leader,
                audience=Audience.CLASS_PARENTS,
                school_class=led[0] if led else own_class,
                title="Родительское собрание",
                text="Уважаемые родители! Собрание класса — в четверг в 18:30, кабинет 21. Повестка: итоги "
                "первого полугодия, экскурсии, питание.",
            )
    except (PermissionDenied, ValidationError):  # a seed on a date outside the demo's assignments
        pass
    return written
