"""deploy/ works as the README's "Production" section installs it (issue 8, point 4): the systemd units
pass ``systemd-analyze verify`` with the paths of this checkout, and nginx with deploy/nginx/journal.conf
in front of gunicorn with deploy/gunicorn.conf.py and the production settings serves the journal over
TLS — HTTP sent to HTTPS, static files from disk with their long cache, uploads never from disk, and a
person logs in and reaches their home page through the proxy (CSRF, secure cookies, HSTS, CSP)."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HOST = "journal.test"

# Our own self-signed certificate: not verified (the chain is the administrator's business, README).
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_systemd_units_verify_with_this_checkouts_paths(tmp_path):
    """What `cp deploy/systemd/journal-*.service /etc/systemd/system/` installs, with /opt/journal being
    this checkout: every directive known, every command executable."""
    env_file = tmp_path / "journal.env"
    env_file.write_text((DEPLOY / "journal.env.example").read_text())
    units = []
    for unit in sorted((DEPLOY / "systemd").glob("journal-*.service")):
        text = unit.read_text().replace("/opt/journal/.venv/bin", str(BIN)).replace("/opt/journal", str(ROOT))
        text = text.replace("/etc/journal/journal.env", str(env_file))
        (tmp_path / unit.name).write_text(text)
        units.append(str(tmp_path / unit.name))
    assert [Path(u).name for u in units] == ["journal-beat.service", "journal-web.service", "journal-worker.service"]
    verified = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0 and not verified.stdout.strip() and not verified.stderr.strip(), verified


def _wait(url: str, **kwargs: object) -> None:
    for _ in range(100):
        try:
            requests.get(url, timeout=2, **kwargs)  # type: ignore[arg-type]  # noqa: S113
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[dict]:
    """gunicorn (deploy/gunicorn.conf.py, production settings, this test's database) and nginx
    (deploy/nginx/journal.conf with its placeholders filled in: ports, certificate, static root)."""
    db = connection.settings_dict
    web, http, https = _free_port(), _free_port(), _free_port()
    www = tmp_path / "www"
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "VAR_DIR": str(tmp_path / "var"),
        "STATIC_ROOT": str(www / "static"),
        "GUNICORN_BIND": f"127.0.0.1:{web}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage = [str(BIN / "python"), str(ROOT / "manage.py")]
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT, check=True, timeout=300)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={HOST}",
         "-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    site = (DEPLOY / "nginx" / "journal.conf").read_text()
    for old, new in [
        ("server 127.0.0.1:8000", f"server 127.0.0.1:{web}"),
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        ("/etc/ssl/journal/", f"{tmp_path}/"),
        ("root /var/www/journal;", f"root {www};"),
        ("root /var/www/letsencrypt;", f"root {tmp_path};"),
        ("server_name journal.school.ru;", f"server_name {HOST};"),
    ]:
        assert old in site, old  # the placeholders the README tells the administrator to replace
        site = site.replace(old, new)
    site = re.sub(r"^\s*listen \[::\]:.*$", "", site, flags=re.M)  # no IPv6 on every CI machine
    (tmp_path / "journal.conf").write_text(site)
    temp = " ".join(
        f"{kind}_temp_path {tmp_path}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # pytest's temporary directories are the test user's alone: nginx's workers run as that user here
    # (in production they are www-data, and the README has STATIC_ROOT readable by it).
    user = "user root; " if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(
        f"{user}daemon off; worker_processes 1; pid {tmp_path}/nginx.pid; error_log {tmp_path}/nginx-error.log;\n"
        f"events {{}}\nhttp {{ include /etc/nginx/mime.types; access_log off; {temp}\n"
        f"  include {tmp_path}/journal.conf; }}\n"
    )
    nginx = [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
    checked = subprocess.run([*nginx, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    gunicorn = subprocess.Popen(
        [str(BIN / "gunicorn"), "--config", str(DEPLOY / "gunicorn.conf.py")],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "gunicorn.log", "w"),  # noqa: SIM115
    )  # fmt: skip
    proxy = subprocess.Popen(nginx, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(f"http://127.0.0.1:{web}/healthz")
        _wait(f"https://127.0.0.1:{https}/healthz", verify=False)
        yield {"http": f"http://127.0.0.1:{http}", "https": f"https://127.0.0.1:{https}", "log": tmp_path}
    finally:
        for process in (proxy, gunicorn):
            process.terminate()
            process.wait(timeout=40)


@pytest.mark.django_db(transaction=True)
def test_nginx_and_gunicorn_serve_the_journal_as_deployed(stack):
    from accounts.services import staff_role_grant
    from accounts.tests.factories import UserFactory
    from journal.tests.factories import SchoolFactory

    school = SchoolFactory(name="Школа № 1")
    user = UserFactory(username="zavuch", last_name="Орлова", first_name="Нина", patronymic="Ильинична")
    user.set_password("demo12345")
    user.save()
    staff_role_grant(actor=None, user=user, school=school, role="deputy")
    site = requests.Session()
    site.trust_env = False  # REQUESTS_CA_BUNDLE and proxies of the machine do not apply here
    site.verify = False
    site.headers["Host"] = HOST

    plain = site.get(f"{stack['http']}/accounts/login/", allow_redirects=False, timeout=10)
    assert plain.status_code == 301 and plain.headers["Location"] == f"https://{HOST}/accounts/login/"

    health = site.get(f"{stack['https']}/healthz", timeout=10)
    assert health.status_code == 200 and health.json()["database"]["ok"] is True

    login = site.get(f"{stack['https']}/accounts/login/", timeout=10)
    assert login.status_code == 200 and "Вход в журнал" in login.text
    assert "max-age=" in login.headers["Strict-Transport-Security"]
    assert "script-src 'self'" in login.headers["Content-Security-Policy"]
    assert login.headers["X-Content-Type-Options"] == "nosniff"
    csrf = next(c for c in site.cookies if c.name == "csrftoken")
    assert csrf.secure  # sent only over HTTPS

    css = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', login.text).group(1)
    static = site.get(f"{stack['https']}{css}", headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert static.status_code == 200 and static.headers["Server"].startswith("nginx")
    assert "immutable" in static.headers["Cache-Control"] and static.headers.get("Content-Encoding") == "gzip"
    assert site.get(f"{stack['https']}/media/anything.pdf", timeout=10).status_code == 404  # never from disk

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    answer = site.post(
        f"{stack['https']}/accounts/login/",
        data={"username": "zavuch", "password": "demo12345", "csrfmiddlewaretoken": token},
        headers={"Referer": f"https://{HOST}/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:500]
    session = next(c for c in site.cookies if c.name == "sessionid")
    assert session.secure and session.has_nonstandard_attr("HttpOnly")
    home = site.get(f"{stack['https']}/", timeout=10)
    assert home.status_code == 200 and "Орлова" in home.text and "Школа № 1" in home.text
