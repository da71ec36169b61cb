"""Collects the history events of a school's journals and appends them group by group (R4).

Events are written only through ``grading.history.events_append``, once per group, sorted by time, so
each group's hash chain runs in chronological order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from grading.history import EventData, events_append
from grading.models import EventAction


class EventLog:
    def __init__(self) -> None:
        self._by_group: dict[int, list[tuple[dt.datetime, int, EventData]]] = {}
        self._counter = 0

    def add(
        self,
        group_id: int,
        at: dt.datetime,
        *,
        actor_id: int | None,
        object_type: str,
        object_id: int,
        lesson_id: int | None = None,
        student_id: int | None = None,
        new: dict[str, Any] | None = None,
        old: dict[str, Any] | None = None,
        action: str = EventAction.CREATE,
    ) -> None:
        """Record one event; ``at`` is an aware datetime. Ties keep the order of the calls."""
        self._counter += 1
        event = EventData(
            actor_id=actor_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            lesson_id=lesson_id,
            student_id=student_id,
            old=old,
            new=new,
            at=at,
        )
        self._by_group.setdefault(group_id, []).append((at, self._counter, event))

    def __len__(self) -> int:
        return self._counter

    def flush(self) -> int:
        """Append every group's events in time order; returns how many were written."""
        written = 0
        for group_id in sorted(self._by_group):
            items = self._by_group[group_id]
            items.sort(key=lambda item: (item[0], item[1]))
            written += len(events_append(group_id, [event for _at, _n, event in items]))
        self._by_group.clear()
        return written
