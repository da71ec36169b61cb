"""Thin Celery tasks of the core app."""

from __future__ import annotations

from celery import shared_task

from .health import record_heartbeat


@shared_task(name="journal.beat_heartbeat", ignore_result=True)
def beat_heartbeat() -> str:
    """Celery beat sends this every minute; the time it ran is what ``manage.py health`` calls beat's last
    run. Idempotent: it only overwrites one cache key with the current time."""
    return record_heartbeat().isoformat()
