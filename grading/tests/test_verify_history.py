"""`manage.py verify_history` recomputes every chain and catches an edited history row (R4)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from grading.history import EventData, events_append
from grading.models import JournalEvent

pytestmark = pytest.mark.django_db


def _history(group, teacher, n=5):
    events_append(
        group.pk,
        [
            EventData(actor_id=teacher.pk, action="create", object_type="mark", object_id=i, new={"value": 4})
            for i in range(n)
        ],
    )


def test_intact_chains_pass(group, other_group, teacher, capsys):
    _history(group, teacher)
    _history(other_group, teacher, n=2)
    call_command("verify_history")
    assert "2 journals, 7 events checked; 0 broken." in capsys.readouterr().out


def test_an_edited_row_is_reported_with_exit_status_1(group, teacher, capsys):
    _history(group, teacher)
    third = JournalEvent.objects.get(group=group, seq=3)
    with connection.cursor() as cursor:  # what an intruder with the table owner's rights could do
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # Django's foreign keys are deferred
        cursor.execute("ALTER TABLE grading_journalevent DISABLE TRIGGER journalevent_no_update_delete")
        cursor.execute("""UPDATE grading_journalevent SET new = '{"value": 5}' WHERE id = %s""", [third.pk])
        cursor.execute("ALTER TABLE grading_journalevent ENABLE TRIGGER journalevent_no_update_delete")
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_history", school=group.year.school_id)
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert f"group {group.pk}" in err and "event #3" in err
