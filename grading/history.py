"""The append-only, hash-chained history of a group's journal (R4, DESIGN.md §3 "history").

Every service that changes a mark, period mark, absence, topic or homework calls :func:`event_append`
inside its own transaction. The chain runs per teaching group: appending locks that group's row
(``SELECT … FOR UPDATE``), so teachers of different groups never wait on each other, and two saves
in one group get consecutive ``seq`` numbers with each hash covering the previous one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from journal import diary_cache
from journal.models import Lesson, TeachingGroup

from .models import JournalEvent

GENESIS_HASH = "0" * 64


def _canonical(event: JournalEvent) -> bytes:
    """The bytes a hash covers: every field of the row but the hash itself, in a fixed form."""
    payload = {
        "group": event.group_id,
        "seq": event.seq,
        "at": event.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "lesson": event.lesson_id,
        "student": event.student_id,
        "old": event.old,
        "new": event.new,
        "reason": event.reason,
        "is_late": event.is_late,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def event_hash(event: JournalEvent) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


@dataclass(frozen=True)
class EventData:
    """What a service knows about one change; the chain fields are filled in by the append."""

    actor_id: int | None
    action: str
    object_type: str
    object_id: int
    lesson_id: int | None = None
    student_id: int | None = None
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None
    reason: str = ""
    is_late: bool = False
    at: dt.datetime | None = None


def _head(group_id: int) -> tuple[int, str]:
    last = JournalEvent.objects.filter(group_id=group_id).order_by("-seq").values_list("seq", "hash").first()
    return last if last else (0, GENESIS_HASH)


def events_append(group_id: int, items: Iterable[EventData]) -> list[JournalEvent]:
    """Append events to one group's chain, in order, under a row lock on the group.

    Guarantees: ``seq`` is gapless from 1, each ``prev_hash`` is the previous row's ``hash``, and the
    rows are written in the caller's transaction (nothing is appended if the caller rolls back).
    """
    items = list(items)
    if not items:
        return []
    with transaction.atomic(savepoint=False):  # joins the service's transaction; no savepoint round trips
        TeachingGroup.objects.select_for_update().only("pk").get(pk=group_id)
        seq, prev = _head(group_id)
        now = timezone.now()
        rows = []
        for item in items:
            seq += 1
            event = JournalEvent(
                group_id=group_id,
                seq=seq,
                at=item.at or now,
                actor_id=item.actor_id,
                action=item.action,
                object_type=item.object_type,
                object_id=item.object_id,
                lesson_id=item.lesson_id,
                student_id=item.student_id,
                old=item.old,
                new=item.new,
                reason=item.reason,
                is_late=item.is_late,
                prev_hash=prev,
            )
            event.hash = prev = event_hash(event)
            rows.append(event)
        created = JournalEvent.objects.bulk_create(rows, batch_size=2000)
        diary_cache.bump(group_ids=[group_id])  # every history write changes what the diary shows
        return created


def event_append(group_id: int, item: EventData) -> JournalEvent:
    """Append one event to the group's chain (see :func:`events_append`)."""
    return events_append(group_id, [item])[0]


def chain_head(group_id: int) -> tuple[int, str]:
    """``(seq, hash)`` of the last event of the group; ``(0, GENESIS_HASH)`` for an empty journal."""
    return _head(group_id)


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    length: int
    head: str
    first_bad_seq: int | None = None


def chain_verify(group_id: int) -> ChainCheck:
    """Recompute the group's chain from the start; report the first row whose hash or link is wrong."""
    prev = GENESIS_HASH
    expected_seq = 0
    for event in JournalEvent.objects.filter(group_id=group_id).order_by("seq").iterator(chunk_size=5000):
        expected_seq += 1
        if event.seq != expected_seq or event.prev_hash != prev or event_hash(event) != event.hash:
            return ChainCheck(ok=False, length=expected_seq - 1, head=prev, first_bad_seq=expected_seq)
        prev = event.hash
    return ChainCheck(ok=True, length=expected_seq, head=prev)


def lesson_event(
    actor,  # noqa: ANN001 - accounts.User; history must not import accounts
    lesson: Lesson,
    action: str,
    object_type: str,
    object_id: int,
    *,
    student_id: int | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    reason: str = "",
    is_late: bool | None = None,
) -> JournalEvent:
    """Append one event about something at ``lesson`` to its group's chain — the one way the services
    record a change. ``is_late`` defaults to "made after the lesson day" (in the school's time zone)."""
    if is_late is None:
        is_late = timezone.localdate() > lesson.date
    return event_append(
        lesson.group_id,
        EventData(
            actor_id=actor.pk if actor is not None else None,
            action=action,
            object_type=object_type,
            object_id=object_id,
            lesson_id=lesson.pk,
            student_id=student_id,
            old=old,
            new=new,
            reason=reason,
            is_late=is_late,
        ),
    )
