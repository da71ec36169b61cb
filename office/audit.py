"""``record``: write one line of the school set-up's change log (``office.models.ChangeRecord``)."""

from __future__ import annotations

from typing import Any

from .models import ChangeRecord


def record(
    *,
    actor: Any,
    school: Any,
    action: str,
    object_type: str,
    summary: str,
    object_id: Any = "",
    data: dict | None = None,
) -> ChangeRecord:
    """Call inside the service's transaction, after the change: the line goes or stays with it."""
    return ChangeRecord.objects.create(
        school_id=getattr(school, "pk", school),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        summary=summary[:500],
        data=data or {},
    )
