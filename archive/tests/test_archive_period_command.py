"""``manage.py archive_period`` (issue 6, point 3): the deputy's run from the command line, used by
``make run`` to give the demo school an archived first quarter."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from archive.models import ArchiveCopy
from journal.models import PeriodLock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today", "archive")]


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("archive_period", *args, stdout=out)
    return out.getvalue()


def test_it_archives_one_class_and_then_leaves_a_filled_registry_alone(school, school_class, journal, deputy):
    out = _run("--school", str(school.pk), "--period", "quarter:1", "--class", "5А", "--as", deputy.username)
    assert "5А: " in out and "№ 1 v1, № 2 v1, № 3 v1" in out
    assert ArchiveCopy.objects.filter(created_by=deputy).count() == 3
    assert PeriodLock.objects.filter(school_class=school_class, period=journal["period"]).exists()
    again = _run("--school", str(school.pk), "--period", "quarter:1", "--if-empty")
    assert "already has copies" in again and ArchiveCopy.objects.count() == 3


def test_it_refuses_what_the_page_refuses(school, school_class, quarters, teacher):
    with pytest.raises(CommandError, match="after it has ended"):
        _run("--school", str(school.pk), "--period", "quarter:2")
    assert "nothing to archive yet" in _run("--school", str(school.pk), "--period", "quarter:2", "--if-empty")
    with pytest.raises(CommandError, match="does not produce"):
        _run("--school", str(school.pk), "--period", "quarter:1", "--as", teacher.username)
    with pytest.raises(CommandError, match="no period"):
        _run("--school", str(school.pk), "--period", "trimester:3")
    with pytest.raises(CommandError, match="does not study"):
        _run("--school", str(school.pk), "--period", "quarter:1", "--class", "11Я")
    assert not ArchiveCopy.objects.exists() and not PeriodLock.objects.exists()
