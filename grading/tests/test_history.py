"""The append-only, hash-chained journal history (R4; grading/history.py, grading/migrations/0002)."""

from __future__ import annotations

import threading

import pytest
from django.db import ProgrammingError, connection, transaction
from django.test.utils import CaptureQueriesContext

from grading.history import (
    GENESIS_HASH,
    ChainCheck,
    EventData,
    chain_head,
    chain_verify,
    event_append,
    event_hash,
    events_append,
)
from grading.models import EventAction, EventObject, JournalEvent

pytestmark = pytest.mark.django_db


def mark_event(actor, student, lesson=None, *, old=None, new=None, object_id=1, reason="") -> EventData:
    return EventData(
        actor_id=actor.pk,
        action=EventAction.UPDATE if old else EventAction.CREATE,
        object_type=EventObject.MARK,
        object_id=object_id,
        lesson_id=lesson.pk if lesson else None,
        student_id=student.pk,
        old=old,
        new=new or {"value": 5},
        reason=reason,
    )


@pytest.fixture
def chain(group, teacher, student, make_lesson) -> list[JournalEvent]:
    """Three events in `group`'s journal: a mark 4, its correction to 5, an absence."""
    lesson = make_lesson()
    return events_append(
        group.pk,
        [
            mark_event(teacher, student, lesson, new={"value": 4}),
            mark_event(teacher, student, lesson, old={"value": 4}, new={"value": 5}, reason="Ошибка ввода"),
            EventData(
                actor_id=teacher.pk,
                action=EventAction.CREATE,
                object_type=EventObject.ABSENCE,
                object_id=7,
                lesson_id=lesson.pk,
                student_id=student.pk,
                new={"kind": "absent"},
            ),
        ],
    )


# --- the chain ----------------------------------------------------------------------------------------------


def test_events_append_numbers_events_from_one_and_links_each_to_the_previous(chain):  # R4
    stored = list(JournalEvent.objects.filter(group=chain[0].group_id).order_by("seq"))
    assert [e.seq for e in stored] == [1, 2, 3]
    assert stored[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in stored[1:]] == [e.hash for e in stored[:-1]]
    assert all(event_hash(e) == e.hash for e in stored)


def test_later_appends_continue_the_chain_without_gaps(chain, group, teacher, student):
    fourth = event_append(group.pk, mark_event(teacher, student, object_id=2))
    more = events_append(
        group.pk, [mark_event(teacher, student, object_id=3), mark_event(teacher, student, object_id=4)]
    )
    assert [fourth.seq, *(e.seq for e in more)] == [4, 5, 6]
    assert fourth.prev_hash == chain[-1].hash
    assert chain_head(group.pk) == (6, more[-1].hash)


def test_each_group_has_a_chain_of_its_own(chain, other_group, teacher, other_student):
    first = event_append(other_group.pk, mark_event(teacher, other_student))
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    assert chain_head(chain[0].group_id)[0] == 3


def test_an_empty_journal_has_the_genesis_head_and_verifies(group):
    assert chain_head(group.pk) == (0, GENESIS_HASH)
    assert chain_verify(group.pk) == ChainCheck(ok=True, length=0, head=GENESIS_HASH)
    assert events_append(group.pk, []) == []


def test_chain_verify_accepts_an_untouched_chain(chain, group):
    check = chain_verify(group.pk)
    assert check.ok
    assert (check.length, check.head, check.first_bad_seq) == (3, chain[-1].hash, None)


def test_the_hash_covers_every_field_of_the_event(chain):
    event = JournalEvent.objects.get(pk=chain[1].pk)
    for field, value in [
        ("new", {"value": 3}),
        ("old", {"value": 2}),
        ("reason", ""),
        ("actor_id", None),
        ("student_id", event.student_id + 1),
        ("at", event.at.replace(microsecond=(event.at.microsecond + 1) % 1_000_000)),
        ("is_late", True),
        ("seq", 9),
        ("prev_hash", "f" * 64),
    ]:
        forged = JournalEvent.objects.get(pk=event.pk)
        setattr(forged, field, value)
        assert event_hash(forged) != event.hash, field


def test_appends_roll_back_with_the_callers_transaction(chain, group, teacher, student):
    with pytest.raises(RuntimeError), transaction.atomic():
        event_append(group.pk, mark_event(teacher, student, object_id=99))
        raise RuntimeError("the service failed after appending")
    assert chain_head(group.pk) == (3, chain[-1].hash)
    assert chain_verify(group.pk).ok


# --- append-only on PostgreSQL ------------------------------------------------------------------------------


def test_an_event_cannot_be_updated(chain):  # R4: nothing is silently overwritten
    with pytest.raises(ProgrammingError, match="append-only: UPDATE"), transaction.atomic():
        JournalEvent.objects.filter(pk=chain[0].pk).update(new={"value": 5})
    event = JournalEvent.objects.get(pk=chain[0].pk)
    event.reason = "подчистка"
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        event.save()
    assert JournalEvent.objects.get(pk=chain[0].pk).new == {"value": 4}


def test_an_event_cannot_be_deleted(chain):  # R4: nothing is erased
    with pytest.raises(ProgrammingError, match="append-only: DELETE"), transaction.atomic():
        JournalEvent.objects.filter(pk=chain[2].pk).delete()
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        chain[2].delete()
    assert JournalEvent.objects.filter(group=chain[0].group_id).count() == 3


def test_the_history_table_cannot_be_truncated(chain):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # else PostgreSQL refuses first, for pending FK checks
    with pytest.raises(ProgrammingError, match="append-only: TRUNCATE"), transaction.atomic():
        with connection.cursor() as cursor:
            # CASCADE: other tables (voided operations, archive manifests) refer to the history; without it
            # PostgreSQL refuses for the foreign keys before our trigger has a say.
            cursor.execute("TRUNCATE grading_journalevent CASCADE")
    assert JournalEvent.objects.count() == 3


# --- tampering is detected ----------------------------------------------------------------------------------


def _forge(after: JournalEvent, **changes: object) -> JournalEvent:
    """Insert a row straight into the table (no events_append, no lock): what a forger could do.

    The row's hash is computed over its own contents unless ``hash`` is given.
    """
    event = JournalEvent(
        group_id=after.group_id,
        seq=after.seq + 1,
        at=after.at,
        actor_id=after.actor_id,
        action=EventAction.CREATE,
        object_type=EventObject.MARK,
        object_id=42,
        new={"value": 5},
        prev_hash=after.hash,
    )
    for name, value in changes.items():
        setattr(event, name, value)
    if "hash" not in changes:
        event.hash = event_hash(event)
    event.save(force_insert=True)
    return event


def test_a_row_inserted_with_a_wrong_previous_hash_is_detected(chain, group):
    _forge(chain[-1], prev_hash="f" * 64)  # hash is consistent with the row, but the link is broken
    check = chain_verify(group.pk)
    assert not check.ok
    assert (check.first_bad_seq, check.length, check.head) == (4, 3, chain[-1].hash)


def test_a_row_whose_hash_does_not_match_its_contents_is_detected(chain, group):
    _forge(chain[-1], hash="0" * 63 + "1")
    check = chain_verify(group.pk)
    assert (check.ok, check.first_bad_seq) == (False, 4)


def test_a_gap_in_the_numbering_is_detected(chain, group):
    _forge(chain[-1], seq=5)  # correct link, but event 4 is missing
    check = chain_verify(group.pk)
    assert (check.ok, check.first_bad_seq) == (False, 4)


def test_a_past_event_rewritten_behind_the_trigger_is_detected(chain, group):
    """Someone who owns the table can switch the trigger off; the chain still gives them away (R4, R25)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE wants no deferred FK checks pending
        cursor.execute("ALTER TABLE grading_journalevent DISABLE TRIGGER journalevent_no_update_delete")
        JournalEvent.objects.filter(pk=chain[0].pk).update(new={"value": 5})  # the "4" becomes a "5"
        cursor.execute("ALTER TABLE grading_journalevent ENABLE TRIGGER journalevent_no_update_delete")
    check = chain_verify(group.pk)
    assert (check.ok, check.first_bad_seq, check.length, check.head) == (False, 1, 0, GENESIS_HASH)


def test_an_event_erased_behind_the_trigger_is_detected(chain, group):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE wants no deferred FK checks pending
        cursor.execute("ALTER TABLE grading_journalevent DISABLE TRIGGER journalevent_no_update_delete")
        JournalEvent.objects.filter(pk=chain[1].pk).delete()
        cursor.execute("ALTER TABLE grading_journalevent ENABLE TRIGGER journalevent_no_update_delete")
    check = chain_verify(group.pk)
    assert (check.ok, check.first_bad_seq, check.length) == (False, 2, 1)


# --- concurrency ----------------------------------------------------------------------------------------------


def test_two_appends_in_one_transaction_get_consecutive_numbers(group, teacher, student):
    with transaction.atomic():
        first = event_append(group.pk, mark_event(teacher, student, object_id=1))
        second = event_append(group.pk, mark_event(teacher, student, object_id=2))
    assert (first.seq, second.seq) == (1, 2)
    assert second.prev_hash == first.hash
    assert chain_verify(group.pk).ok


def test_an_append_locks_only_its_groups_row(group, teacher, student):
    with CaptureQueriesContext(connection) as queries:
        event_append(group.pk, mark_event(teacher, student))
    locks = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    assert len(locks) == 1
    assert '"journal_teachinggroup"' in locks[0] and str(group.pk) in locks[0]


@pytest.mark.django_db(transaction=True)
def test_a_second_writer_waits_for_the_first_and_continues_its_chain(group, teacher, student):
    """Two teachers' saves at the same moment in one group: the second waits for the first's commit
    (row lock on the group), then appends seq 2 over the first's hash — no duplicate, no fork."""
    first_appended, release_first = threading.Event(), threading.Event()
    results: dict[str, JournalEvent] = {}
    errors: list[BaseException] = []

    def first_writer() -> None:
        try:
            with transaction.atomic():
                results["first"] = event_append(group.pk, mark_event(teacher, student, object_id=1))
                first_appended.set()
                release_first.wait(10)
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)
            first_appended.set()
        finally:
            connection.close()

    def second_writer() -> None:
        try:
            results["second"] = event_append(group.pk, mark_event(teacher, student, object_id=2))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    one = threading.Thread(target=first_writer)
    one.start()
    assert first_appended.wait(10)
    two = threading.Thread(target=second_writer)
    two.start()
    two.join(0.5)
    assert two.is_alive(), "the second append must wait for the first transaction"
    release_first.set()
    one.join(10)
    two.join(10)
    assert not errors, errors
    assert (results["first"].seq, results["second"].seq) == (1, 2)
    assert results["second"].prev_hash == results["first"].hash
    assert chain_verify(group.pk).ok
