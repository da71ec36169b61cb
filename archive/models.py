"""The electronic archive's registry (issue 6, points 5 and 7; R24–R26).

``ArchiveCopy`` is one signed document of the registry (a class's journal copy or summary sheet for a
period, in numbered versions), ``ArchiveCopyGroup`` the history chain head of each teaching group it
covers (what tells that a later correction made it out of date), ``ArchiveRun`` one production run
started by a deputy. ``StoredFile`` is one file kept in BOTH archive storages (``archive/storage.py``)
with its sha256 and the date until which it must be kept; ``IntegrityCheck`` is one pass of the weekly
verification; ``Backup`` is a database backup with what it must restore to (row counts, history chain
heads); ``BackupUse`` is the registry of every download and restore of a backup (R26, "журнал
использования резервных копий"); ``RetentionReview`` the yearly list of files whose term is over (R24).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RetentionError(ValidationError):
    """A stored file was to be deleted before the end of its retention term (R24)."""


class FileKind(models.TextChoices):
    JOURNAL_COPY = "journal_copy", _("journal copy")
    SUMMARY_SHEET = "summary_sheet", _("summary sheet")
    BACKUP = "backup", _("backup")


class CopyStatus(models.TextChoices):
    OK = "ok", _("intact")
    DAMAGED = "damaged", _("damaged")
    MISSING = "missing", _("missing")


class StoredFileQuerySet(models.QuerySet):
    def delete(self) -> tuple[int, dict[str, int]]:
        # A bulk delete skips Model.delete(); the retention guard must hold here too.
        early = self.filter(retain_until__gt=timezone.localdate())
        if early.exists():
            first = early.order_by("retain_until").first()
            raise RetentionError(_retention_message(first))
        return super().delete()


def _retention_message(stored: StoredFile | None) -> str:
    if stored is None:
        return str(_("The file must be kept until the end of its retention term."))
    return str(_("«%(name)s» must be kept until %(date)s (R24); it cannot be deleted before then.")) % {
        "name": stored.name,
        "date": stored.retain_until.strftime("%d.%m.%Y"),
    }


class StoredFile(models.Model):
    """One file kept in both archive storages. Written once, never overwritten; deleted only after its term."""

    name = models.CharField(_("name"), max_length=255, unique=True)
    kind = models.CharField(_("kind"), max_length=13, choices=FileKind.choices)
    sha256 = models.CharField(_("SHA-256 checksum"), max_length=64)
    size = models.PositiveBigIntegerField(_("size, bytes"))
    created_at = models.DateTimeField(_("stored at"), default=timezone.now)
    retain_until = models.DateField(_("keep until"))
    last_checked_at = models.DateTimeField(_("last checked at"), null=True, blank=True)
    status_a = models.CharField(_("copy A"), max_length=7, choices=CopyStatus.choices, default=CopyStatus.OK)
    status_b = models.CharField(_("copy B"), max_length=7, choices=CopyStatus.choices, default=CopyStatus.OK)

    objects = StoredFileQuerySet.as_manager()

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["kind", "retain_until"])]

    def __str__(self) -> str:
        return self.name

    @property
    def may_be_deleted(self) -> bool:
        return self.retain_until <= timezone.localdate()

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if not self.may_be_deleted:
            raise RetentionError(_retention_message(self))
        return super().delete(*args, **kwargs)


class IntegrityCheck(models.Model):
    """One verification pass over every stored file: copies re-hashed, bad ones repaired from the good one.

    ``damaged`` and ``missing`` count copies; ``repaired`` counts copies rewritten from the other storage;
    ``lost`` counts files of which no intact copy was left (reported, never "repaired")."""

    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    files = models.PositiveIntegerField(_("files"), default=0)
    damaged = models.PositiveIntegerField(_("damaged copies"), default=0)
    missing = models.PositiveIntegerField(_("missing copies"), default=0)
    repaired = models.PositiveIntegerField(_("repaired copies"), default=0)
    lost = models.PositiveIntegerField(_("files without an intact copy"), default=0)
    details = models.JSONField(_("details"), default=list, blank=True)

    class Meta:
        verbose_name = _("integrity check")
        verbose_name_plural = _("integrity checks")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}"

    @property
    def ok(self) -> bool:
        """Every bad copy was repaired and no file is lost."""
        return self.lost == 0 and self.repaired == self.damaged + self.missing


class Backup(models.Model):
    """A backup of the whole database, stored in both storages, with what a restore must give back."""

    file = models.OneToOneField(
        StoredFile,
        models.SET_NULL,  # the file goes after its term; the row stays for the registry of use
        null=True,
        related_name="backup",
        verbose_name=_("file"),
    )
    name = models.CharField(_("file name"), max_length=255, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("made by")
    )
    created_at = models.DateTimeField(_("made at"), default=timezone.now)
    size = models.PositiveBigIntegerField(_("size, bytes"))
    vendor = models.CharField(_("database"), max_length=20)
    chain_heads = models.JSONField(
        _("history chain heads"), default=dict, help_text=_("{group id: [seq, hash]} of every teaching group")
    )
    row_counts = models.JSONField(_("row counts"), default=dict, help_text=_("{table: rows}"))

    class Meta:
        verbose_name = _("backup")
        verbose_name_plural = _("backups")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def rows(self) -> int:
        return sum(self.row_counts.values())


class BackupAction(models.TextChoices):
    DOWNLOAD = "download", _("download")
    RESTORE = "restore", _("restore")


class BackupUse(models.Model):
    """The registry of backup use (R26): who took which backup, when, what for, and how it went."""

    backup = models.ForeignKey(Backup, models.PROTECT, related_name="uses", verbose_name=_("backup"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("who")
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    action = models.CharField(_("action"), max_length=8, choices=BackupAction.choices)
    target = models.CharField(_("target"), max_length=500, blank=True, help_text=_("database restored into"))
    ok = models.BooleanField(_("succeeded"), default=True)
    details = models.TextField(_("details"), blank=True)

    class Meta:
        verbose_name = _("use of a backup")
        verbose_name_plural = _("backup use registry")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.backup} {self.at:%Y-%m-%d %H:%M}"


class DocumentKind(models.TextChoices):
    JOURNAL = "journal", _("journal copy")
    MARKS = "marks", _("summary sheet of progress")
    ATTENDANCE = "attendance", _("summary sheet of attendance")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("finished with errors")


class ArchiveRun(models.Model):
    """A deputy's "archive period P for class C / for the whole school" (issue 6, point 3).

    One Celery task per class renders, signs and stores its documents; ``done`` and ``failed`` count
    classes as they finish, so the page shows progress. With ``lock`` each class's period is closed
    (journal.PeriodLock) before its copy is read, so the copy and the journal cannot drift apart."""

    school = models.ForeignKey("journal.School", models.PROTECT, related_name="+", verbose_name=_("school"))
    period = models.ForeignKey(
        "journal.StudyPeriod", models.PROTECT, related_name="archive_runs", verbose_name=_("study period")
    )
    school_class = models.ForeignKey(
        "journal.SchoolClass",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("class"),
        help_text=_("empty: every class of the school that studies by this period"),
    )
    lock = models.BooleanField(_("close the period"), default=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("started by")
    )
    requested_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=7, choices=RunStatus.choices, default=RunStatus.QUEUED)
    total = models.PositiveIntegerField(_("classes"), default=0)
    done = models.PositiveIntegerField(_("classes done"), default=0)
    failed = models.PositiveIntegerField(_("classes failed"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    reused = models.PositiveIntegerField(_("documents reused unchanged"), default=0)

    class Meta:
        verbose_name = _("archive run")
        verbose_name_plural = _("archive runs")
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.period} {self.school_class or self.school} {self.requested_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * (self.done + self.failed) / self.total)

    @property
    def finished(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED)


class ArchiveCopy(models.Model):
    """One signed PDF of the archive registry: never changed, never overwritten; a new run makes a new
    ``version``. ``number`` is the registry number, counted per school."""

    school = models.ForeignKey("journal.School", models.PROTECT, related_name="+", verbose_name=_("school"))
    number = models.PositiveIntegerField(_("registry number"))
    kind = models.CharField(_("document"), max_length=10, choices=DocumentKind.choices)
    school_class = models.ForeignKey(
        "journal.SchoolClass", models.PROTECT, related_name="archive_copies", verbose_name=_("class")
    )
    period = models.ForeignKey(
        "journal.StudyPeriod", models.PROTECT, related_name="archive_copies", verbose_name=_("study period")
    )
    version = models.PositiveSmallIntegerField(_("version"))
    file = models.OneToOneField(
        StoredFile,
        models.SET_NULL,  # destroyed after its term by a confirmed RetentionReview; the registry row stays
        null=True,
        related_name="copy",
        verbose_name=_("file"),
    )
    pages = models.PositiveIntegerField(_("pages"))
    sha256 = models.CharField(_("SHA-256 of the signed file"), max_length=64)
    content_sha256 = models.CharField(_("SHA-256 of the content"), max_length=64)
    render_key = models.CharField(_("render key"), max_length=64, db_index=True)
    signer = models.CharField(_("signed by"), max_length=300)
    signer_serial = models.CharField(_("certificate serial number"), max_length=100)
    signed_at = models.DateTimeField(_("signed at"))
    manifest = models.JSONField(_("manifest"), default=dict)
    run = models.ForeignKey(
        ArchiveRun, models.SET_NULL, null=True, blank=True, related_name="copies", verbose_name=_("run")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("made by")
    )
    render_seconds = models.FloatField(_("render time, s"), default=0)
    reused = models.BooleanField(_("pages reused unchanged"), default=False)

    class Meta:
        verbose_name = _("archive copy")
        verbose_name_plural = _("archive registry")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["school", "number"], name="archive_copy_number_unique"),
            models.UniqueConstraint(
                fields=["school_class", "period", "kind", "version"], name="archive_copy_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"№ {self.number} {self.get_kind_display()} {self.school_class} v{self.version}"


class ArchiveCopyGroup(models.Model):
    """The head of a teaching group's history chain (R4) when the copy was made. A later event of that
    group about the copy's period (a correction) makes the copy out of date."""

    copy = models.ForeignKey(ArchiveCopy, models.CASCADE, related_name="heads", verbose_name=_("copy"))
    group = models.ForeignKey("journal.TeachingGroup", models.PROTECT, related_name="+", verbose_name=_("group"))
    period = models.ForeignKey("journal.StudyPeriod", models.PROTECT, related_name="+", verbose_name=_("period"))
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    seq = models.PositiveBigIntegerField(_("number in the chain"))
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("history chain head")
        verbose_name_plural = _("history chain heads")
        constraints = [models.UniqueConstraint(fields=["copy", "group"], name="archive_head_unique")]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.seq}"


class RetentionReview(models.Model):
    """The yearly list of stored files whose retention term is over (R24): nothing is destroyed until a
    person confirms it with the number of the destruction act; then exactly the listed files that are
    still due go, and the list stays as the record of what was destroyed."""

    created_at = models.DateTimeField(_("listed at"), default=timezone.now)
    files = models.JSONField(_("files"), default=list, help_text=_("[{name, kind, retain_until, size}]"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    act = models.CharField(_("destruction act"), max_length=200, blank=True)
    destroyed = models.PositiveIntegerField(_("files destroyed"), default=0)

    class Meta:
        verbose_name = _("retention review")
        verbose_name_plural = _("retention reviews")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d}"


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved ``years`` years on; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
