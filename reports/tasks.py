"""Thin Celery tasks of the reports (issue 5): they take ids and call reports.services."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="reports.run")
def run_report(run_id: int) -> str:
    return services.report_execute(run_id)


@shared_task(name="reports.monthly_all")
def monthly_all(month: str = "") -> list[int]:
    """On the 1st of each month: the previous month's analysis of every school."""
    if not month:
        last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
        month = f"{last_month:%Y-%m}"
    return services.monthly_for_every_school(month)
