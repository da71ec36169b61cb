"""Django admin of the archive registry. Used only by platform superusers; everything is read-only.

Stored files are written only through ``archive.storage.store`` and go only after their retention term
(R24): the admin offers no delete before it, and deleting one after it removes both copies. A backup can
be downloaded from here; the download is written to the registry of use (R26).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from journal.admin import ReadOnlyAdminMixin

from .backup import backup_download
from .models import ArchiveCopy, ArchiveRun, Backup, BackupUse, IntegrityCheck, RetentionReview, StoredFile
from .storage import ArchiveError, discard


@admin.register(StoredFile)
class StoredFileAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "size", "created_at", "retain_until", "status_a", "status_b", "last_checked_at"]
    list_filter = ["kind", "status_a", "status_b"]
    search_fields = ["name", "sha256"]
    date_hierarchy = "created_at"
    actions = None  # no bulk delete: each file's term is checked on its own page

    def has_delete_permission(self, request: HttpRequest, obj: StoredFile | None = None) -> bool:
        return obj is not None and obj.may_be_deleted and request.user.is_superuser

    def delete_model(self, request: HttpRequest, obj: StoredFile) -> None:
        discard(obj)


@admin.register(IntegrityCheck)
class IntegrityCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["started_at", "finished_at", "files", "damaged", "missing", "repaired", "lost"]
    date_hierarchy = "started_at"


class BackupUseInline(admin.TabularInline):
    model = BackupUse
    fields = ["at", "user", "action", "target", "ok"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Backup)
class BackupAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "created_at", "created_by", "size", "vendor"]
    list_filter = ["vendor"]
    list_select_related = ["created_by"]
    search_fields = ["name"]
    date_hierarchy = "created_at"
    inlines = [BackupUseInline]
    actions = ["download"]

    @admin.action(description=_("Download the backup (written to the registry of use)"))
    def download(self, request: HttpRequest, queryset: QuerySet[Backup]) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one backup to download."), messages.WARNING)
            return None
        backup = queryset.get()
        try:
            content = backup_download(backup, actor=request.user)
        except ArchiveError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return None
        response = HttpResponse(content, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="{backup.name.rsplit("/", 1)[-1]}"'
        return response


@admin.register(BackupUse)
class BackupUseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "backup", "user", "action", "target", "ok"]
    list_filter = ["action", "ok"]
    list_select_related = ["backup", "user"]
    date_hierarchy = "at"


@admin.register(ArchiveCopy)
class ArchiveCopyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: copies are made by archive runs and never changed (the registry at /archive/)."""

    list_display = ["number", "school", "kind", "school_class", "period", "version", "pages", "signed_at", "signer"]
    list_filter = ["school", "kind"]
    list_select_related = ["school", "school_class", "period"]
    search_fields = ["=number", "sha256"]
    date_hierarchy = "signed_at"


@admin.register(ArchiveRun)
class ArchiveRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["requested_at", "school", "period", "school_class", "status", "done", "failed", "total"]
    list_filter = ["status", "school"]
    list_select_related = ["school", "period", "school_class"]


@admin.register(RetentionReview)
class RetentionReviewAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: a list is confirmed on the administrator's page with the destruction act."""

    list_display = ["created_at", "confirmed_at", "confirmed_by", "act", "destroyed"]
