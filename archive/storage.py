"""Two archive storages with integrity control (issue 6, point 5; R25).

``settings.ARCHIVE_STORAGES`` names two Django storages, ``"a"`` and ``"b"``, in the shape of Django's
``STORAGES`` (``{"BACKEND": "<dotted path>", "OPTIONS": {...}}``): by default two directories under
``VAR_DIR``; any storage class works, so an S3 bucket through django-storages is a matter of settings.

Every file is written to both, once: :func:`store` refuses an existing name. :func:`read` returns the bytes
of the first copy whose sha256 matches the registry. :func:`verify_all` re-hashes both copies of every
file, rewrites a damaged or missing copy from the intact one, and alerts when no intact copy is left.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
from collections.abc import Iterator
from typing import IO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.mail import mail_admins, send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import CopyStatus, FileKind, IntegrityCheck, StoredFile, add_years

logger = logging.getLogger(__name__)

COPIES = ("a", "b")
CHUNK = 1024 * 1024
# R24: journals 5 years, summary sheets 25; backups as settings say (a year unless told otherwise).
RETENTION_YEARS = {FileKind.JOURNAL_COPY: 5, FileKind.SUMMARY_SHEET: 25}
DEFAULT_BACKUP_RETENTION_DAYS = 365


class ArchiveError(Exception):
    """The archive could not do what was asked; the message says why."""


class AlreadyStored(ArchiveError):
    """A file of this name is already in the archive: archived files are never overwritten."""


class NoIntactCopy(ArchiveError):
    """Neither copy of a stored file matches its registered sha256."""


def storages() -> tuple[Storage, Storage]:
    """The two archive storages, A and B, built from ``settings.ARCHIVE_STORAGES``."""
    config = getattr(settings, "ARCHIVE_STORAGES", None)
    if not isinstance(config, dict) or set(config) != set(COPIES):
        raise ImproperlyConfigured('ARCHIVE_STORAGES must define exactly two storages, "a" and "b".')
    built = []
    for key in COPIES:
        entry = config[key]
        if not isinstance(entry, dict) or "BACKEND" not in entry:
            raise ImproperlyConfigured(f'ARCHIVE_STORAGES["{key}"] needs a "BACKEND" (a storage class path).')
        try:
            backend = import_string(entry["BACKEND"])
        except ImportError as exc:
            raise ImproperlyConfigured(f'ARCHIVE_STORAGES["{key}"]: cannot import {entry["BACKEND"]!r}.') from exc
        built.append(backend(**entry.get("OPTIONS", {})))
    return built[0], built[1]


def default_retain_until(kind: str, today: dt.date | None = None) -> dt.date:
    """The end of the retention term of a file of ``kind`` stored ``today`` (R24)."""
    today = today or timezone.localdate()
    if kind == FileKind.BACKUP:
        days = getattr(settings, "ARCHIVE_BACKUP_RETENTION_DAYS", DEFAULT_BACKUP_RETENTION_DAYS)
        return today + dt.timedelta(days=days)
    return add_years(today, RETENTION_YEARS[FileKind(kind)])


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK):
        yield chunk


def _digest(handle: IO[bytes]) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    for chunk in _chunks(handle):
        sha.update(chunk)
        size += len(chunk)
    return sha.hexdigest(), size


def _copy_state(storage: Storage, stored: StoredFile) -> str:
    if not storage.exists(stored.name):
        return CopyStatus.MISSING
    try:
        with storage.open(stored.name, "rb") as handle:
            sha, size = _digest(handle)
    except OSError:
        return CopyStatus.MISSING
    return CopyStatus.OK if (sha, size) == (stored.sha256, stored.size) else CopyStatus.DAMAGED


def _save_exactly(storage: Storage, name: str, handle: IO[bytes]) -> None:
    """Write ``handle`` under ``name``; a storage that would pick another name (it exists) is an error."""
    handle.seek(0)
    saved = storage.save(name, File(handle, name=name))
    if saved != name:
        storage.delete(saved)
        raise AlreadyStored(f"The archive storage already holds «{name}».")


@transaction.atomic
def store(name: str, content: bytes | IO[bytes], *, kind: str, retain_until: dt.date | None = None) -> StoredFile:
    """Write ``content`` under ``name`` to both storages and register it with its sha256.

    Guarantees: both copies hold the same bytes as the registry's sha256 when this returns; an existing
    name (in the registry or in either storage) is refused with :class:`AlreadyStored` and nothing is
    written; if writing the second copy fails, the first is removed and nothing is registered.
    ``content`` is bytes or a binary file opened for reading (large backups are never held in memory).
    """
    handle: IO[bytes] = ContentFile(content) if isinstance(content, bytes) else content
    handle.seek(0)
    sha, size = _digest(handle)
    if StoredFile.objects.filter(name=name).exists():
        raise AlreadyStored(f"«{name}» is already in the archive; archived files are never overwritten.")
    pair = storages()
    for key, storage in zip(COPIES, pair, strict=True):
        if storage.exists(name):
            raise AlreadyStored(f"Archive storage {key.upper()} already holds «{name}»; it is not overwritten.")
    try:
        with transaction.atomic():
            stored = StoredFile.objects.create(
                name=name, kind=kind, sha256=sha, size=size, retain_until=retain_until or default_retain_until(kind)
            )
    except IntegrityError as exc:  # another process registered the name between the check and now
        raise AlreadyStored(f"«{name}» is already in the archive; archived files are never overwritten.") from exc
    written: list[Storage] = []
    try:
        for storage in pair:
            _save_exactly(storage, name, handle)
            written.append(storage)
    except Exception:
        for storage in written:
            storage.delete(name)
        raise
    return stored


def open_intact(name: str) -> IO[bytes]:
    """An open handle on the first copy of ``name`` whose sha256 matches the registry.

    A copy found bad is marked so in the registry; :class:`NoIntactCopy` when neither is intact."""
    stored = StoredFile.objects.get(name=name)
    for key, storage in zip(COPIES, storages(), strict=True):
        state = _copy_state(storage, stored)
        if state == CopyStatus.OK:
            return storage.open(name, "rb")
        logger.warning("Archive copy %s of %s is %s", key.upper(), name, state)
        StoredFile.objects.filter(pk=stored.pk).update(**{f"status_{key}": state})
    raise NoIntactCopy(f"No intact copy of «{name}» is left in the archive storages.")


def read(name: str) -> bytes:
    """The bytes of ``name`` from the first copy whose sha256 matches the registry (hashed as read)."""
    stored = StoredFile.objects.get(name=name)
    for key, storage in zip(COPIES, storages(), strict=True):
        try:
            with storage.open(name, "rb") as handle:
                content = handle.read()
        except (OSError, FileNotFoundError):
            state = CopyStatus.MISSING
        else:
            if hashlib.sha256(content).hexdigest() == stored.sha256:
                return content
            state = CopyStatus.DAMAGED
        logger.warning("Archive copy %s of %s is %s", key.upper(), name, state)
        StoredFile.objects.filter(pk=stored.pk).update(**{f"status_{key}": state})
    raise NoIntactCopy(f"No intact copy of «{name}» is left in the archive storages.")


def _repair(source: Storage, target: Storage, stored: StoredFile) -> bool:
    """Rewrite the target's copy from the source's intact one; True if the new copy is intact."""
    try:
        if target.exists(stored.name):
            target.delete(stored.name)
        with source.open(stored.name, "rb") as handle:
            _save_exactly(target, stored.name, handle)
    except Exception:
        logger.exception("Could not repair the archive copy of %s", stored.name)
        return False
    return _copy_state(target, stored) == CopyStatus.OK


def verify_all() -> IntegrityCheck:
    """Re-hash both copies of every stored file, repair bad copies from the intact one, record the pass.

    Guarantees: every file's ``status_a``/``status_b`` and ``last_checked_at`` are brought up to date; a
    copy is rewritten only from a copy whose sha256 matches the registry; a file with no intact copy is
    counted as ``lost``, listed in ``details``, logged as an error and e-mailed to the administrators.
    """
    pair = storages()
    check = IntegrityCheck.objects.create(started_at=timezone.now())
    lost_names: list[str] = []
    for stored in StoredFile.objects.order_by("pk").iterator(chunk_size=500):
        check.files += 1
        states = {key: _copy_state(storage, stored) for key, storage in zip(COPIES, pair, strict=True)}
        check.damaged += sum(s == CopyStatus.DAMAGED for s in states.values())
        check.missing += sum(s == CopyStatus.MISSING for s in states.values())
        intact = [key for key, state in states.items() if state == CopyStatus.OK]
        bad = {key: state for key, state in states.items() if state != CopyStatus.OK}
        if bad and intact:
            source = pair[COPIES.index(intact[0])]
            for key, state in bad.items():
                if _repair(source, pair[COPIES.index(key)], stored):
                    check.repaired += 1
                    states[key] = CopyStatus.OK
                    check.details.append({"name": stored.name, "copy": key, "was": state, "repaired": True})
                else:
                    check.details.append({"name": stored.name, "copy": key, "was": state, "repaired": False})
        elif bad:
            check.lost += 1
            lost_names.append(stored.name)
            check.details.append({"name": stored.name, **bad, "repaired": False})
        StoredFile.objects.filter(pk=stored.pk).update(
            status_a=states["a"], status_b=states["b"], last_checked_at=timezone.now()
        )
    check.finished_at = timezone.now()
    check.save()
    if check.damaged or check.missing or check.lost:
        _alert(check, lost_names)
    return check


def _alert(check: IntegrityCheck, lost_names: list[str]) -> None:
    unrepaired = [d["name"] for d in check.details if not d["repaired"] and d["name"] not in lost_names]
    lines = [
        f"Archive integrity check #{check.pk} of {check.started_at:%Y-%m-%d %H:%M}: {check.files} files, "
        f"{check.damaged} damaged and {check.missing} missing copies, {check.repaired} repaired.",
    ]
    if lost_names:
        lines += ["", "No intact copy is left of (restore them from a backup or the paper original):"]
        lines += [f"  {name}" for name in lost_names]
    if unrepaired:
        lines += ["", "A copy could not be rewritten (the other copy is intact):"]
        lines += [f"  {name}" for name in unrepaired]
    message = "\n".join(lines)
    if check.ok:
        subject = "Archive integrity check: damaged copies found and repaired"
        logger.warning(message)
    else:
        subject = "Archive integrity check: damage that could not be repaired"
        logger.error(message)
    mail_admins(subject, message, fail_silently=True)
    # The schools' administrators (manage_backups) hear it too, at the addresses of their accounts.
    from accounts.models import SchoolUserObjectPermission

    recipients = sorted(
        set(
            SchoolUserObjectPermission.objects.filter(permission__codename="manage_backups")
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )
    if recipients:
        send_mail(subject, message, None, recipients, fail_silently=True)


def discard(stored: StoredFile) -> None:
    """Remove a file whose retention term is over from both storages and the registry.

    Raises :class:`~archive.models.RetentionError` before the term (R24); nothing is removed then."""
    with transaction.atomic():
        stored.delete()
        for storage in storages():
            if storage.exists(stored.name):
                transaction.on_commit(lambda s=storage: s.delete(stored.name))


def copy_to_path(name: str, path: str) -> None:
    """Write the intact copy of ``name`` to a local file (for pg_restore and friends)."""
    with open_intact(name) as source, open(path, "wb") as target:
        shutil.copyfileobj(source, target, CHUNK)
