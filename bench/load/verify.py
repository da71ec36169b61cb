"""After the load test: compare every mark save the server confirmed with the database (issue 8,
point 1) — nothing lost, nothing duplicated, and the history chains of the groups still verify.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<seeded db> .venv/bin/python bench/load/verify.py

Reads ``var/columns.json`` (the columns ``prepare.py`` made) and ``var/saves-*.jsonl`` (what
``locustfile.py`` recorded, in the order the confirmations arrived). For every cell: the mark in the
database has the last confirmed value and a version equal to the number of confirmed saves; every save
left exactly one history event; no mark exists that no save confirmed — except one save per cell made
within seconds of the end of a run, which locust sent but stopped waiting for (reported apart). Exits 1
on any difference.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "journal.settings")

import django  # noqa: E402

django.setup()

from django.db.models import Max  # noqa: E402

from grading.history import chain_verify  # noqa: E402
from grading.models import JournalEvent, Mark  # noqa: E402

VAR = Path(__file__).resolve().parent / "var"


def main() -> None:
    columns = json.loads((VAR / "columns.json").read_text())
    saves: Counter[tuple[int, int]] = Counter()
    last: dict[tuple[int, int], int] = {}
    for path in sorted(VAR.glob("saves-*.jsonl"), key=lambda p: p.stat().st_mtime):  # one file per locust run
        for line in path.read_text().splitlines():
            save = json.loads(line)
            key = (save["column"], save["student"])
            saves[key] += 1
            last[key] = int(save["value"])
    marks = {(m.column_id, m.student_id): m for m in Mark.objects.filter(column_id__in=columns)}
    events = Counter(
        JournalEvent.objects.filter(object_type="mark", object_id__in=[m.pk for m in marks.values()]).values_list(
            "object_id", flat=True
        )
    )
    # A save still on its way when locust stopped at the end of a run: committed after the client stopped
    # listening (locust drops the requests in flight). Not a lost or a duplicated write: such a cell has
    # exactly one save more than the client counted, made within seconds of a run's end. Counted apart.
    ends = [dt.datetime.fromtimestamp(p.stat().st_mtime, dt.UTC) for p in VAR.glob("u*_stats.csv")]
    last_event = dict(
        JournalEvent.objects.filter(object_type="mark", object_id__in=[m.pk for m in marks.values()])
        .values("object_id")
        .annotate(last=Max("at"))
        .values_list("object_id", "last")
    )
    in_flight = {
        k
        for k, m in marks.items()
        if m.version == saves.get(k, 0) + 1
        and events[m.pk] == m.version
        and any(abs((last_event[m.pk] - end).total_seconds()) < 5 for end in ends)
    }
    lost = [k for k in saves if k not in marks]
    checked = [k for k in saves if k in marks and k not in in_flight]
    wrong_value = [k for k in checked if marks[k].value != last[k]]
    wrong_version = [k for k in checked if marks[k].version != saves[k]]
    wrong_events = [k for k in checked if events[marks[k].pk] != saves[k]]
    unconfirmed = [k for k in marks if k not in saves and k not in in_flight]
    groups = set(Mark.objects.filter(column_id__in=columns).values_list("column__lesson__group_id", flat=True))
    broken = [g for g in groups if not chain_verify(g).ok]
    print(
        f"confirmed saves {sum(saves.values())} in {len(saves)} cells; marks in the database {len(marks)}; "
        f"history events {sum(events.values())}"
    )
    print(
        f"lost {len(lost)}, wrong value {len(wrong_value)}, wrong version (duplicated or missing saves) "
        f"{len(wrong_version)}, events not one per save {len(wrong_events)}, marks nobody confirmed "
        f"{len(unconfirmed)}, broken history chains {len(broken)} of {len(groups)}"
    )
    if in_flight:
        print(f"saves in flight when a run stopped (committed, the answer not awaited): {len(in_flight)}")
    if lost or wrong_value or wrong_version or wrong_events or unconfirmed or broken:
        sys.exit(1)


if __name__ == "__main__":
    main()
