"""Re-compute every journal's history chain and report the first broken link (R4).

    python manage.py verify_history [--school ID]

Exit status 0 when every chain is intact, 1 when any is broken (for cron and monitoring).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from grading.history import chain_verify
from journal.models import School, TeachingGroup


class Command(BaseCommand):
    help = "Verify the hash chains of the journal history; exit 1 at the first broken link of any group."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", type=int, help="only the groups of this school (its id)")

    def handle(self, *args: object, school: int | None = None, **options: object) -> None:
        groups = TeachingGroup.objects.filter(events__isnull=False).distinct().order_by("pk")
        if school is not None:
            if not School.objects.filter(pk=school).exists():
                raise CommandError(f"No school with id {school}.")
            groups = groups.filter(year__school_id=school)
        checked = events = 0
        broken: list[str] = []
        for group_id, name in groups.values_list("pk", "name"):
            result = chain_verify(group_id)
            checked += 1
            events += result.length if result.ok else result.length + 1
            if not result.ok:
                broken.append(f"group {group_id} «{name}»: the chain breaks at event #{result.first_bad_seq}")
        for line in broken:
            self.stderr.write(line)
        summary = f"{checked} journals, {events} events checked; {len(broken)} broken."
        if broken:
            self.stderr.write(summary)
            raise SystemExit(1)
        self.stdout.write(summary)
