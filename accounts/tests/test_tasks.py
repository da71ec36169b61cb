"""The scheduled job that removes ended teaching assignments' access, run by a real Celery worker (R12)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from accounts.models import Role, TeachingGroupUserObjectPermission
from accounts.permissions import Action, groups_for
from accounts.services import staff_role_grant, substitution_start
from accounts.tasks import expire_assignments
from accounts.tests.factories import UserFactory


def test_beat_runs_the_expiry_every_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["expire-assignments"]
    assert entry["task"] == expire_assignments.name
    assert entry["schedule"] == 60 * 60


def test_the_worker_removes_the_access_of_a_substitute_whose_substitution_ended(celery_worker, school, group):
    today = timezone.localdate()
    finished, ongoing = UserFactory(), UserFactory()
    for person in (finished, ongoing):
        staff_role_grant(actor=None, user=person, school=school, role=Role.TEACHER)
    substitution_start(
        actor=None,
        group=group,
        substitute=finished,
        start=today - dt.timedelta(days=9),
        end=today - dt.timedelta(days=1),
    )
    substitution_start(actor=None, group=group, substitute=ongoing, start=today, end=today + dt.timedelta(days=4))
    held = TeachingGroupUserObjectPermission.objects.filter(
        content_object=group, permission__codename="substitute_group"
    )
    assert set(held.values_list("user_id", flat=True)) == {finished.pk, ongoing.pk}

    removed = expire_assignments.delay().get(timeout=60)

    assert removed == 1
    assert set(held.values_list("user_id", flat=True)) == {ongoing.pk}
    assert group in groups_for(ongoing, Action.EDIT)
    assert group not in groups_for(finished, Action.EDIT, on=today - dt.timedelta(days=3))
    assert expire_assignments.delay().get(timeout=60) == 0  # running it again changes nothing
