"""``python manage.py archive_period --school 1 --period quarter:1 [--class 5А] [--as deputy] [--if-empty]``

Archive a period from the command line, as the deputy's page does: close the period of the class (or of
every class of the school that studies by it), render, sign and store the journal copies and summary
sheets, one class after another in this process. ``--if-empty`` does nothing when the school's registry
already has copies (``make run`` uses it to give the demo school an archived first quarter).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from accounts.permissions import archive_scope
from archive.models import ArchiveCopy
from archive.production import archive_class, classes_of
from archive.signing import SigningNotConfigured, signer_info
from journal.models import School, StudyPeriod


class Command(BaseCommand):
    help = "Archive a period of a class or of the whole school: close it, then render, sign and store its copies."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--school", type=int, required=True, help="the school's id")
        parser.add_argument("--period", required=True, help="the period's id, or kind:number, e.g. quarter:1")
        parser.add_argument("--class", dest="class_name", default="", help="one class, e.g. 5А (default: all)")
        parser.add_argument("--as", dest="username", default="", help="the deputy or administrator who archives")
        parser.add_argument("--if-empty", action="store_true", help="skip when the registry already has copies")

    def handle(self, *args: Any, **options: Any) -> None:
        school = School.objects.filter(pk=options["school"]).first()
        if school is None:
            raise CommandError(f"There is no school with id {options['school']}.")
        if options["if_empty"] and ArchiveCopy.objects.filter(school=school).exists():
            self.stdout.write("The school's archive registry already has copies: nothing to do.")
            return
        period = self._period(school, options["period"])
        if period.end >= timezone.localdate():
            if options["if_empty"]:  # make run before the period's end: nothing to archive yet
                self.stdout.write(f"{period} ends on {period.end:%d.%m.%Y}: nothing to archive yet.")
                return
            raise CommandError(f"{period} ends on {period.end:%d.%m.%Y}: a period is archived after it has ended.")
        actor = None
        if options["username"]:
            actor = User.objects.filter(username=options["username"]).first()
            if actor is None or school.pk not in archive_scope(actor).produce:
                raise CommandError(f"{options['username']!r} does not produce this school's archive.")
        try:
            signer_info()
        except SigningNotConfigured as exc:
            raise CommandError(str(exc)) from exc
        classes = list(classes_of(school, period))
        if options["class_name"]:
            classes = [c for c in classes if c.name == options["class_name"]]
            if not classes:
                raise CommandError(f"Class {options['class_name']} does not study by this period.")
        for school_class in classes:
            produced = archive_class(school_class, period, actor=actor)
            numbers = ", ".join(f"№ {c.number} v{c.version}" for c in produced.copies)
            self.stdout.write(f"{school_class.name}: {produced.pages} pages ({numbers})")

    def _period(self, school: School, raw: str) -> StudyPeriod:
        periods = StudyPeriod.objects.filter(year__school=school).select_related("year")
        if raw.isdigit():
            period = periods.filter(pk=int(raw)).first()
        else:
            kind, _sep, number = raw.partition(":")
            today = timezone.localdate()
            period = (
                periods.filter(kind=kind, number=int(number or 1), year__start__lte=today)
                .order_by("-year__start")
                .first()
            )
        if period is None:
            raise CommandError(f"The school has no period {raw!r}.")
        return period
