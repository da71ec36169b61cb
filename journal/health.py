"""The health of the running configuration (issue 8, point 4): what a system administrator checks after
installing or changing the journal, and what monitoring asks every few minutes.

One function per check, each returning a :class:`Check` (``ok`` / ``warn`` / ``fail`` / ``skip`` with a
line of detail); :func:`run_checks` runs them all in order. ``python manage.py health`` prints them (and
exits 1 on any failure), the superuser's page ``/admin/health/`` shows them in Russian, and ``/healthz``
uses :func:`database_error` and :func:`redis_error` for its quick answer.

Like ``urls.py`` and the Celery beat schedule, this module belongs to the project package rather than to
the core domain app: it reaches into ``archive`` (its storages and the signing certificate), and does so
inside the functions that need it.

Scheduled jobs leave a trace: Celery beat sends ``journal.beat_heartbeat`` every minute and the worker
that runs it writes the time into the cache (:func:`record_heartbeat`); :func:`check_beat` fails when that
time is older than :data:`BEAT_STALE_AFTER`.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"

HEARTBEAT_KEY = "journal:beat-heartbeat"
# Beat sends the heartbeat every minute; ten minutes without one means beat (or every worker) is down.
BEAT_STALE_AFTER = dt.timedelta(minutes=10)
# The certificate is reported ahead of its end, so that a renewal can be ordered in time.
CERTIFICATE_WARN_BEFORE = dt.timedelta(days=30)
# Backups are made on the 1st and the 15th (R26: every two weeks); older than this, something is wrong.
BACKUP_STALE_AFTER = dt.timedelta(days=16)
WORKER_PING_SECONDS = 1.5
REDIS_TIMEOUT_SECONDS = 2


@dataclass(frozen=True)
class Check:
    """One line of the health report: which part, how it is, and a sentence about it."""

    name: str
    status: str  # OK, WARN, FAIL or SKIP
    detail: str

    @property
    def failed(self) -> bool:
        return self.status == FAIL

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def eager_mode() -> bool:
    """True when Celery tasks run in-process (no ``REDIS_URL``): no broker, worker or beat to check."""
    return bool(settings.CELERY_TASK_ALWAYS_EAGER or not settings.REDIS_URL)


def redacted(url: str) -> str:
    """``url`` with its password replaced by ``***``, fit to print."""
    return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)


def _error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[0]}" if text else exc.__class__.__name__


# ---------------------------------------------------------------------------------------------- primitives


def database_error() -> BaseException | None:
    """None when the default database answers a query; otherwise the error."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return exc
    return None


def redis_error(url: str) -> BaseException | None:
    """None when the Redis server at ``url`` answers PING within two seconds; otherwise the error."""
    import redis

    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001
        return exc
    return None


def record_heartbeat(now: dt.datetime | None = None) -> dt.datetime:
    """Write the time of beat's latest heartbeat (now) into the cache, where :func:`check_beat` reads it."""
    now = now or timezone.now()
    cache.set(HEARTBEAT_KEY, now.isoformat(), timeout=None)
    return now


# ---------------------------------------------------------------------------------------------- the checks


def check_database() -> Check:
    """The database answers a query."""
    error = database_error()
    if error is not None:
        detail = _("%(vendor)s does not answer: %(error)s") % {"vendor": connection.vendor, "error": _error(error)}
        return Check("database", FAIL, detail)
    values = {"vendor": connection.vendor, "name": connection.settings_dict.get("NAME") or ""}
    return Check("database", OK, _("%(vendor)s answers (database %(name)s)") % values)


def check_migrations() -> Check:
    """Every migration of the code is applied to the database."""
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # noqa: BLE001
        return Check("migrations", FAIL, _("cannot read the migration history: %(error)s") % {"error": _error(exc)})
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:3])
        more = "…" if len(plan) > 3 else ""
        detail = ngettext(
            "%(count)d migration not applied (%(names)s): run “python manage.py migrate”",
            "%(count)d migrations not applied (%(names)s): run “python manage.py migrate”",
            len(plan),
        ) % {"count": len(plan), "names": names + more}
        return Check("migrations", FAIL, detail)
    applied = len(executor.loader.applied_migrations)
    return Check("migrations", OK, _("all %(count)d migrations applied") % {"count": applied})


def check_broker() -> Check:
    """Redis, the Celery broker, answers (with ``REDIS_URL`` set)."""
    if eager_mode():
        return Check("broker", SKIP, _("not used: eager mode, tasks run inside the web process (REDIS_URL is empty)"))
    error = redis_error(settings.REDIS_URL)
    if error is not None:
        values = {"url": redacted(settings.REDIS_URL), "error": _error(error)}
        return Check("broker", FAIL, _("Redis at %(url)s does not answer: %(error)s") % values)
    return Check("broker", OK, _("Redis at %(url)s answers") % {"url": redacted(settings.REDIS_URL)})


def check_worker(broker: Check | None = None) -> Check:
    """At least one Celery worker answers a ping through the broker."""
    if eager_mode():
        return Check("worker", SKIP, _("not used: eager mode"))
    broker = broker or check_broker()
    if broker.failed:
        return Check("worker", FAIL, _("cannot ask the workers: the broker does not answer"))
    from journal.celery import app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            replies = app.control.ping(timeout=WORKER_PING_SECONDS, connection=conn)
    except Exception as exc:  # noqa: BLE001
        return Check("worker", FAIL, _("cannot ask the workers: %(error)s") % {"error": _error(exc)})
    names = sorted(name for reply in replies for name in reply)
    if not names:
        detail = _("no Celery worker answered within %(seconds)s s: is journal-worker running?")
        return Check("worker", FAIL, detail % {"seconds": WORKER_PING_SECONDS})
    detail = ngettext("%(count)d worker answers: %(names)s", "%(count)d workers answer: %(names)s", len(names))
    return Check("worker", OK, detail % {"count": len(names), "names": ", ".join(names)})


def check_beat(now: dt.datetime | None = None) -> Check:
    """Celery beat's heartbeat is fresh: scheduled jobs (backups, the archive check, reports) are running."""
    if eager_mode():
        return Check("beat", SKIP, _("not used: eager mode, nothing is scheduled (run backups from cron)"))
    now = now or timezone.now()
    try:
        raw = cache.get(HEARTBEAT_KEY)
    except Exception as exc:  # noqa: BLE001
        return Check("beat", FAIL, _("cannot read the heartbeat from the cache: %(error)s") % {"error": _error(exc)})
    if raw is None:
        return Check("beat", FAIL, _("Celery beat has never run (no heartbeat recorded): is journal-beat running?"))
    try:
        last = dt.datetime.fromisoformat(raw)
    except (TypeError, ValueError):
        return Check("beat", FAIL, _("the heartbeat in the cache is unreadable: %(value)r") % {"value": raw})
    age = now - last
    seconds = max(int(age.total_seconds()), 0)
    if age > BEAT_STALE_AFTER:
        detail = _(
            "last heartbeat %(minutes)d min ago (%(at)s), more than %(limit)d min: is journal-beat running, "
            "and a worker to run what it sends?"
        )
        values = {
            "minutes": seconds // 60,
            "at": f"{timezone.localtime(last):%Y-%m-%d %H:%M}",
            "limit": BEAT_STALE_AFTER.total_seconds() // 60,
        }
        return Check("beat", FAIL, detail % values)
    return Check("beat", OK, _("last heartbeat %(seconds)d s ago") % {"seconds": seconds})


def _probe(storage: Storage) -> None:
    """Write, read back and delete a small file; raise if any step fails or the bytes differ."""
    payload = f"health probe {uuid.uuid4()}".encode()
    name = storage.save(f"health-probe-{uuid.uuid4().hex}.txt", ContentFile(payload))
    try:
        with storage.open(name, "rb") as handle:
            if handle.read() != payload:
                raise OSError(_("the file read back differs from the file written"))
    finally:
        storage.delete(name)


def _where(storage: Storage) -> str:
    location = getattr(storage, "location", None)
    return str(location) if location else f"{storage.__class__.__module__}.{storage.__class__.__name__}"


def _storage_check(name: str, build: Callable[[], Storage]) -> Check:
    try:
        storage = build()
        where = _where(storage)
    except Exception as exc:  # noqa: BLE001
        return Check(name, FAIL, _("cannot be set up: %(error)s") % {"error": _error(exc)})
    try:
        _probe(storage)
    except Exception as exc:  # noqa: BLE001
        return Check(name, FAIL, _("%(where)s is not writable: %(error)s") % {"where": where, "error": _error(exc)})
    return Check(name, OK, _("%(where)s is writable") % {"where": where})


def _directory_check(name: str, path: Path) -> Check:
    probe = path / f".health-probe-{uuid.uuid4().hex}"
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"probe")
        probe.unlink()
    except Exception as exc:  # noqa: BLE001
        return Check(name, FAIL, _("%(where)s is not writable: %(error)s") % {"where": path, "error": _error(exc)})
    return Check(name, OK, _("%(where)s is writable") % {"where": path})


def check_storages() -> list[Check]:
    """Every place the journal writes to takes a file: uploads, both archive storages, the work space of
    backups (``VAR_DIR``) and the render cache."""
    from archive.storage import COPIES
    from archive.storage import storages as archive_storages

    checks = [_storage_check("storage:media", lambda: storages.create_storage(settings.STORAGES["default"]))]
    for index, key in enumerate(COPIES):
        checks.append(_storage_check(f"storage:archive-{key}", lambda i=index: archive_storages()[i]))
    checks.append(_directory_check("storage:var", Path(settings.VAR_DIR)))
    checks.append(_directory_check("storage:render-cache", Path(settings.ARCHIVE_RENDER_CACHE)))
    return checks


def check_certificate(now: dt.datetime | None = None) -> Check:
    """The school's signing certificate (``ARCHIVE_SIGNING_P12``) opens with its password and is valid for
    at least :data:`CERTIFICATE_WARN_BEFORE` more."""
    from archive.signing import SigningNotConfigured, signer_info

    try:
        signer = signer_info()
    except SigningNotConfigured as exc:
        return Check("certificate", FAIL, str(exc))
    except Exception as exc:  # noqa: BLE001
        return Check("certificate", FAIL, _error(exc))
    left = signer.not_after - (now or timezone.now())
    values = {"subject": signer.subject, "end": f"{signer.not_after:%Y-%m-%d}", "days": left.days}
    if left < CERTIFICATE_WARN_BEFORE:
        detail = _(
            "«%(subject)s» expires on %(end)s, in %(days)d days: put the renewed PKCS#12 file at ARCHIVE_SIGNING_P12"
        )
        return Check("certificate", WARN, detail % values)
    return Check("certificate", OK, _("«%(subject)s» valid until %(end)s (%(days)d days)") % values)


def _pg_dump_major() -> int | None:
    path = shutil.which("pg_dump")
    if path is None:
        return None
    output = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout
    found = re.search(r"(\d+)(?:\.\d+)?", output)
    return int(found.group(1)) if found else None


def check_backups(now: dt.datetime | None = None) -> Check:
    """Backups can be made (``pg_dump`` installed and no older than the server) and the latest is recent."""
    from archive.models import Backup

    try:
        if connection.vendor == "postgresql":
            client, server = _pg_dump_major(), connection.pg_version // 10000
            if client is None:
                return Check("backups", FAIL, _("pg_dump is not installed: apt-get install postgresql-client"))
            if client < server:
                detail = _("pg_dump %(client)d is older than the PostgreSQL %(server)d server and cannot dump it")
                return Check("backups", FAIL, detail % {"client": client, "server": server})
        latest = Backup.objects.order_by("-created_at").values_list("created_at", flat=True).first()
    except Exception as exc:  # noqa: BLE001
        return Check("backups", FAIL, _("cannot tell: %(error)s") % {"error": _error(exc)})
    if latest is None:
        return Check("backups", WARN, _("no backup made yet: run “python manage.py backup”"))
    age = (now or timezone.now()) - latest
    values = {"at": f"{timezone.localtime(latest):%Y-%m-%d %H:%M}", "days": age.days}
    if age > BACKUP_STALE_AFTER:
        return Check("backups", WARN, _("the latest backup is %(days)d days old (%(at)s)") % values)
    return Check("backups", OK, _("the latest backup was made %(at)s") % values)


def run_checks() -> list[Check]:
    """Every check, in the order a person would fix them: database, broker, worker, beat, storages,
    certificate, backups."""
    broker = check_broker()
    return [
        check_database(),
        check_migrations(),
        broker,
        check_worker(broker),
        check_beat(),
        *check_storages(),
        check_certificate(),
        check_backups(),
    ]
