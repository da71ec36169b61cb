"""Thin Celery tasks of the archive (issue 6): the weekly integrity check and the regular backup."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from .backup import backup_create
from .models import Backup
from .storage import verify_all

# A retried or doubly delivered backup task within this window returns the backup already made.
BACKUP_DEDUP = dt.timedelta(hours=6)


@shared_task(name="archive.verify_storages")
def verify_storages() -> int:
    """Re-hash both archive storages and repair what can be repaired; the IntegrityCheck's id."""
    return verify_all().pk


@shared_task(name="archive.backup")
def backup() -> int:
    """The scheduled backup (R26: the 1st and the 15th); the Backup's id."""
    recent = Backup.objects.filter(created_at__gte=timezone.now() - BACKUP_DEDUP).order_by("-created_at").first()
    if recent is not None:
        return recent.pk
    return backup_create(actor=None).pk
