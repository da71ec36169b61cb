"""gunicorn settings of the journal's web process (journal-web.service; README "Production").

    gunicorn --config deploy/gunicorn.conf.py journal.wsgi:application

Every value can be changed from the environment (/etc/journal/journal.env) without editing this file:
GUNICORN_BIND, WEB_CONCURRENCY, GUNICORN_THREADS, GUNICORN_TIMEOUT, GUNICORN_MAX_REQUESTS.

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
# nginx keeps connections to us open (upstream keepalive): a little longer than its idle time.
keepalive = 5
# Restart each worker after so many requests (± jitter, so they do not all restart at once): a leak in a
# library (Pango, WeasyPrint) cannot grow without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
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
