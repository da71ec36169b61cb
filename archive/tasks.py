"""Thin Celery tasks of the archive (issue 6): production runs, the weekly integrity check, the regular
backup and the yearly retention review."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from .backup import backup_create
from .models import Backup
from .storage import verify_all

# A retried or doubly delivered backup task within this window returns the backup already made.
BACKUP_DEDUP = dt.timedelta(hours=6)


@shared_task(name="archive.run_start", bind=True)
def run_start(self, run_id: int) -> int:  # noqa: ANN001 -- Celery's bound task
    """Fan a production run out: one task per class, run in parallel by the workers, on the queue this
    task came from. The number of classes."""
    from .production import run_begin

    queue = (self.request.delivery_info or {}).get("routing_key")
    classes = run_begin(run_id)
    for class_id in classes:
        run_class.apply_async((run_id, class_id), queue=queue)
    return len(classes)


@shared_task(name="archive.run_class")
def run_class(run_id: int, class_id: int) -> None:
    """Render, sign and store one class's documents of a run."""
    from .production import run_class as produce

    produce(run_id, class_id)


@shared_task(name="archive.verify_storages")
def verify_storages() -> int:
    """Re-hash both archive storages and repair what can be repaired; the IntegrityCheck's id."""
    return verify_all().pk


@shared_task(name="archive.backup")
def backup(user_id: int | None = None) -> int:
    """A backup (R26): scheduled on the 1st and the 15th, or asked for on the administrator's page
    (``user_id``). A scheduled one within six hours of another returns that one. The Backup's id."""
    if user_id is None:
        recent = Backup.objects.filter(created_at__gte=timezone.now() - BACKUP_DEDUP).order_by("-created_at").first()
        if recent is not None:
            return recent.pk
    from accounts.models import User

    actor = User.objects.get(pk=user_id) if user_id else None
    return backup_create(actor=actor).pk


@shared_task(name="archive.retention_review")
def retention_review() -> int:
    """The yearly list of files whose retention term is over (R24), for a person to confirm; its id."""
    from .retention import review_create

    return review_create().pk
