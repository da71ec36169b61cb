"""gunicorn settings of the journal's web process (journal-web.service; README "Production").

    gunicorn --config deploy/gunicorn.conf.py journal.wsgi:application

Every value can be changed from the environment (/etc/journal/journal.env) without editing this file:
GUNICORN_BIND, WEB_CONCURRENCY, GUNICORN_THREADS, GUNICORN_TIMEOUT, GUNICORN_KEEPALIVE, GUNICORN_MAX_REQUESTS.

The whole morning peak of a school is short requests (a mark saved, a diary page), a few are PDFs rendered
in the request (the diary extract of a class): threads keep a worker responsive while one thread waits for
PostgreSQL, and the timeout leaves room for the PDFs. With ``preload_app`` the code is loaded once in the
master: after an update run ``systemctl restart journal-web`` (a HUP reloads the workers, not the code).
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {value!r}.") from None


wsgi_app = "journal.wsgi:application"
# nginx on the same machine proxies to this address (deploy/nginx/journal.conf, upstream journal_app).
# A unix socket works as well: GUNICORN_BIND=unix:/run/journal-web/gunicorn.sock.
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]

workers = _int("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1)
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
# Seconds a request may take before its worker is killed; a class's diary extract (PDF) takes a few.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = 30
# nginx keeps connections to us open (upstream keepalive, keepalive_timeout 60 s in
# deploy/nginx/journal.conf). We must keep an idle connection open *longer* than nginx does, so that it is
# always nginx that closes it: when gunicorn closes first, a request nginx sends at that very moment is
# lost — nginx answers 502 to a mark being saved (it retries only GETs). The load test saw exactly this
# with a 5 s keep-alive: ~1 request in 1,500 reset (bench/RESULTS.md).
keepalive = _int("GUNICORN_KEEPALIVE", 75)
# Restarting a worker after so many requests would bound a leak in a library (Pango, WeasyPrint), but the
# gthread worker drops the keep-alive connections it holds when it restarts (gunicorn issue #3038, open
# in 27.0): a mark being saved on one of them is lost with a 502. Off by default; watch the workers'
# memory (journalctl, `systemctl status journal-web`) and set GUNICORN_MAX_REQUESTS only if it grows.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
preload_app = True

# Only nginx on this machine may say that the request came over HTTPS (X-Forwarded-Proto, which
# settings.SECURE_PROXY_SSL_HEADER reads as well).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs go to stdout/stderr, that is the journal of systemd: journalctl -u journal-web.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The client's address as nginx saw it, the request, status, size, referrer, agent and the time the
# request took in milliseconds.
access_log_format = '%({x-real-ip}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

# The heartbeat files of the workers in memory, not on a disk that may stall (gunicorn's advice).
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"
# systemd gives the unit a runtime directory (RuntimeDirectory=journal-web): the control socket of
# gunicornc goes there rather than into the service user's home.
if os.environ.get("RUNTIME_DIRECTORY"):
    control_socket = os.path.join(os.environ["RUNTIME_DIRECTORY"].split(":")[0], "gunicorn.ctl")
proc_name = "journal-web"
