"""``python manage.py health`` and the superuser's /admin/health/ page (issue 8, point 4): the health of the
running configuration, one line per check, exit status 1 when any check fails."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from io import StringIO
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from archive.management.commands.make_demo_certificate import write_pkcs12
from journal.health import HEARTBEAT_KEY, record_heartbeat
from journal.tasks import beat_heartbeat


def run_health(*args: str) -> tuple[int, str]:
    """The command's exit status and what it printed."""
    out = StringIO()
    try:
        call_command("health", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def line(output: str, name: str) -> str:
    """The line of the check called ``name`` (``STATUS  name  detail``)."""
    found = [row for row in output.splitlines() if row.split()[1:2] == [name]]
    assert len(found) == 1, output
    return found[0]


def write_certificate(path: Path, password: str, *, not_before: dt.datetime, not_after: dt.datetime) -> None:
    """A PKCS#12 signing certificate with the given validity, written the way make_demo_certificate does."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Школа № 1")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    write_pkcs12(path, key, certificate, password)


@pytest.fixture
def places(settings, tmp_path: Path) -> Path:
    """Every place the journal writes to, in a fresh temporary directory."""
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ARCHIVE_RENDER_CACHE = tmp_path / "var" / "archive-cache"
    settings.ARCHIVE_STORAGES = {
        key: {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / key)}}
        for key in ("a", "b")
    }
    settings.ARCHIVE_SIGNING_P12 = tmp_path / "signing" / "school.p12"
    return tmp_path


@pytest.fixture
def certificate(settings, places: Path) -> Path:
    """The demo certificate, made by the project's own command."""
    call_command("make_demo_certificate", "--name", "Школа № 1", stdout=StringIO())
    return Path(settings.ARCHIVE_SIGNING_P12)


@pytest.fixture
def empty_cache(settings) -> None:
    """A local cache of this test's own, which nobody has written a heartbeat to."""
    location = f"health-{uuid.uuid4().hex}"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": location}}


@pytest.fixture
def eager(settings) -> None:
    """Embedded mode: no broker, worker or beat to ask, so only the other checks decide."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


def heartbeat_through_the_worker() -> None:
    """Send beat's heartbeat task through Redis to the real worker and wait until it has run."""
    cache.delete(HEARTBEAT_KEY)
    beat_heartbeat.delay()
    for _attempt in range(300):
        if cache.get(HEARTBEAT_KEY) is not None:
            return
        time.sleep(0.1)
    pytest.fail("The worker did not run journal.beat_heartbeat.")


def test_it_passes_with_a_real_worker_and_a_fresh_beat_heartbeat(celery_worker, certificate):
    heartbeat_through_the_worker()

    status, output = run_health()

    assert status == 0, output
    assert line(output, "database").startswith("OK")
    assert "postgresql answers" in line(output, "database")
    assert line(output, "migrations").startswith("OK")
    assert line(output, "broker").startswith("OK")
    assert line(output, "worker").startswith("OK")
    assert "worker" in line(output, "worker") and "answer" in line(output, "worker")
    assert line(output, "beat").startswith("OK")
    for storage in ("media", "archive-a", "archive-b", "var", "render-cache"):
        assert line(output, f"storage:{storage}").startswith("OK"), output
    assert line(output, "certificate").startswith("OK")
    assert "Школа № 1" in line(output, "certificate")
    # No backup has been made in the test database: a warning, not a failure.
    assert line(output, "backups").startswith("WARN")
    assert "0 failed" in output


def test_json_says_the_same(celery_worker, certificate):
    heartbeat_through_the_worker()

    status, output = run_health("--json")

    body = json.loads(output)
    assert status == 0
    assert body["ok"] is True
    checks = {check["name"]: check for check in body["checks"]}
    assert checks["worker"]["status"] == "ok"
    assert checks["beat"]["status"] == "ok"
    assert checks["backups"]["status"] == "warn"


def test_beat_that_never_ran_fails_the_check(celery_worker, certificate, empty_cache):
    status, output = run_health()

    assert status == 1
    assert line(output, "beat").startswith("FAIL")
    assert "never run" in line(output, "beat")
    assert line(output, "worker").startswith("OK")
    assert "1 failed" in output


@pytest.mark.django_db
def test_a_stale_beat_heartbeat_fails_the_check(certificate, empty_cache):
    record_heartbeat(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=25))

    status, output = run_health()

    assert status == 1
    assert line(output, "beat").startswith("FAIL")
    assert "25 min ago" in line(output, "beat")


@pytest.mark.django_db
def test_a_broker_on_a_closed_port_fails_broker_and_worker(certificate, settings):
    settings.REDIS_URL = settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    status, output = run_health()

    assert status == 1
    assert line(output, "broker").startswith("FAIL")
    assert "redis://127.0.0.1:1/0 does not answer" in line(output, "broker")
    assert line(output, "worker").startswith("FAIL")
    assert "broker does not answer" in line(output, "worker")
    assert line(output, "database").startswith("OK")


@pytest.mark.django_db
def test_a_password_in_the_broker_url_is_not_printed(certificate, settings):
    settings.REDIS_URL = settings.CELERY_BROKER_URL = "redis://:s3cret@127.0.0.1:1/0"

    _status, output = run_health()

    assert "s3cret" not in output
    assert "redis://:***@127.0.0.1:1/0" in line(output, "broker")


@pytest.mark.django_db
@pytest.mark.parametrize("storage", ["archive-b", "media"])
def test_a_storage_that_cannot_take_a_file_fails_its_check(certificate, eager, settings, places, storage):
    # The tests may run as root, whom chmod does not stop: a regular file where the directory should be
    # stops everybody.
    blocker = places / f"{storage}-is-a-file"
    blocker.write_text("not a directory")
    if storage == "media":
        settings.MEDIA_ROOT = blocker
    else:
        settings.ARCHIVE_STORAGES = {
            **settings.ARCHIVE_STORAGES,
            "b": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(blocker)}},
        }

    status, output = run_health()

    assert status == 1
    assert line(output, f"storage:{storage}").startswith("FAIL")
    assert f"{blocker} is not writable" in line(output, f"storage:{storage}")
    others = {"media", "archive-a", "archive-b", "var", "render-cache"} - {storage}
    for other in others:
        assert line(output, f"storage:{other}").startswith("OK")
    assert "1 failed" in output


@pytest.mark.django_db
def test_a_certificate_that_expires_soon_is_a_warning(eager, settings, places):
    now = dt.datetime.now(dt.UTC)
    path = Path(settings.ARCHIVE_SIGNING_P12)
    write_certificate(
        path,
        settings.ARCHIVE_SIGNING_PASSWORD,
        not_before=now - dt.timedelta(days=300),
        not_after=now + dt.timedelta(days=12),
    )

    status, output = run_health()

    assert status == 0, output  # a warning does not fail the run
    assert line(output, "certificate").startswith("WARN")
    assert f"expires on {now + dt.timedelta(days=12):%Y-%m-%d}" in line(output, "certificate")


@pytest.mark.django_db
def test_an_expired_certificate_fails(eager, settings, places):
    now = dt.datetime.now(dt.UTC)
    path = Path(settings.ARCHIVE_SIGNING_P12)
    write_certificate(
        path,
        settings.ARCHIVE_SIGNING_PASSWORD,
        not_before=now - dt.timedelta(days=400),
        not_after=now - dt.timedelta(days=2),
    )

    status, output = run_health()

    assert status == 1
    assert line(output, "certificate").startswith("FAIL")
    assert "is not valid now" in line(output, "certificate")


@pytest.mark.django_db
def test_a_missing_certificate_fails_and_says_how_to_make_one(eager, places):
    status, output = run_health()

    assert status == 1
    assert line(output, "certificate").startswith("FAIL")
    assert "make_demo_certificate" in line(output, "certificate")


@pytest.mark.django_db
def test_a_wrong_certificate_password_fails(eager, certificate, settings):
    settings.ARCHIVE_SIGNING_PASSWORD = "not-the-password"

    status, output = run_health()

    assert status == 1
    assert "ARCHIVE_SIGNING_PASSWORD" in line(output, "certificate")


@pytest.mark.django_db
def test_embedded_mode_does_not_ask_for_a_broker_worker_or_beat(eager, certificate):
    status, output = run_health()

    assert status == 0, output
    for name in ("broker", "worker", "beat"):
        assert line(output, name).startswith("SKIP")
    assert "eager mode" in line(output, "broker")


# ---------------------------------------------------------------------------------------------- the page


@pytest.mark.django_db
def test_the_superuser_sees_every_check_on_the_page(client, eager, certificate):
    superuser = User.objects.create_superuser("root", password="x")
    client.force_login(superuser)

    response = client.get(reverse("health"))

    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-check="database" data-status="ok"' in body
    assert 'data-check="certificate" data-status="ok"' in body
    assert 'data-check="worker" data-status="skip"' in body
    assert "Школа № 1" in body


@pytest.mark.django_db
def test_the_page_shows_a_failed_check(client, eager, certificate, settings, places):
    settings.MEDIA_ROOT = places / "blocked"
    (places / "blocked").write_text("not a directory")
    client.force_login(User.objects.create_superuser("root", password="x"))

    body = client.get(reverse("health")).content.decode()

    assert 'data-check="storage:media" data-status="fail"' in body


@pytest.mark.django_db
def test_the_school_administrator_gets_404(client, administrator):
    client.force_login(administrator)

    assert client.get(reverse("health")).status_code == 404


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("health"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
