# The electronic class journal: every day-to-day command. GNU make; recipes are indented with tabs.
#
#   make run     demo school on SQLite under var/ at http://127.0.0.1:8000
#   make test    checks + the whole test suite on PostgreSQL and Redis (ARGS="-k diary" to narrow it)
#   make lint    ruff check + ruff format --check
#
# `make help` lists every target.

PYTHON ?= python3
VENV = .venv
PY = $(VENV)/bin/python
MANAGE = $(PY) manage.py
RUFF = $(VENV)/bin/ruff

# Extra arguments for pytest: make test ARGS="-k absence -x"
ARGS ?=
# Where `make run` listens.
ADDR ?= 127.0.0.1:8000
# The system Chromium that the browser tests (Playwright) drive; conftest.py reads CHROMIUM_PATH.
CHROMIUM_PATH ?= /usr/bin/chromium
export CHROMIUM_PATH

.DEFAULT_GOAL := help
.PHONY: help syscheck venv messages run test check-services check-chromium check-deploy lint fmt clean superuser

help:
	@echo "make run        start the demo school at http://$(ADDR) (SQLite under var/ unless DATABASE_URL is set)"
	@echo "make test       system checks, migration check and pytest on PostgreSQL + Redis; extra pytest args: ARGS=..."
	@echo "make check-deploy  Django's deployment checks on the production settings (part of make test)"
	@echo "make lint       ruff check and ruff format --check"
	@echo "make fmt        sort imports and format the code with ruff"
	@echo "make superuser  create a Django superuser in the configured database"
	@echo "make messages   compile the Russian translations (locale/ru) into .mo files"
	@echo "make venv       create .venv and install requirements.txt (done by run/test when needed)"
	@echo "make syscheck   check the Debian packages the journal needs"
	@echo "make clean      remove caches (never the database or uploaded files under var/)"

# ---------------------------------------------------------------------------------------------------
# System packages. Prints exactly what to install and fails when something is missing.

syscheck:
	@missing=0; \
	if ! { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep -q 'libpango-1.0'; then \
		echo "Missing: Pango (WeasyPrint needs it to render PDF journal copies). Install it with:"; \
		echo "    sudo apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"; \
		missing=1; \
	fi; \
	if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then \
		echo "Missing: the DejaVu fonts (Cyrillic text of the PDF diary extracts and journal copies). Install them with:"; \
		echo "    sudo apt-get install -y fonts-dejavu-core"; \
		missing=1; \
	fi; \
	if ! command -v msgfmt >/dev/null 2>&1; then \
		echo "Missing: gettext (msgfmt compiles the Russian translations). Install it with:"; \
		echo "    sudo apt-get install -y gettext"; \
		missing=1; \
	fi; \
	if ! { $(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c 'import ensurepip' >/dev/null 2>&1; }; then \
		echo "Missing: the venv module of $(PYTHON) (needed to create $(VENV)). Install it with:"; \
		echo "    sudo apt-get install -y python3-venv"; \
		missing=1; \
	fi; \
	exit $$missing

# ---------------------------------------------------------------------------------------------------
# Virtual environment: reinstalled whenever requirements.txt changes.

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt | syscheck
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r requirements.txt
	touch $@

# .mo files are not committed: compile them from locale/ru/LC_MESSAGES/*.po on every run and test.
messages: venv
	$(MANAGE) compilemessages --ignore=$(VENV)

# ---------------------------------------------------------------------------------------------------
# The demo school. seed_demo --if-empty seeds only a database that has no school yet.

run: venv messages
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo --if-empty
	$(MANAGE) make_demo_certificate
	$(MANAGE) archive_period --school 1 --period quarter:1 --class 5А --as deputy --if-empty
	$(MANAGE) runserver $(ADDR)

superuser: venv
	$(MANAGE) migrate --noinput
	$(MANAGE) createsuperuser

# ---------------------------------------------------------------------------------------------------
# Tests run on real PostgreSQL and Redis (DESIGN.md §5). pytest-django creates test_<name> itself.

test check-services: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/journal
test check-services: export REDIS_URL ?= redis://127.0.0.1:6379/15
test: venv messages check-services check-chromium check-deploy
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
	$(PY) -m pytest $(ARGS)

# Connects to the maintenance database of the DATABASE_URL server and creates the named database when
# it is missing (makemigrations --check reads the migration history from it).
define PG_CHECK
import os, sys, urllib.parse
import psycopg
from psycopg import sql
url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
if url.scheme not in ("postgres", "postgresql", "pgsql"):
    print(f"DATABASE_URL must point to PostgreSQL for the tests, not {url.scheme!r}.", file=sys.stderr)
    sys.exit(3)
name = urllib.parse.unquote(url.path.lstrip("/")) or "postgres"
params = dict(
    host=url.hostname or "127.0.0.1", port=url.port or 5432, dbname="postgres", connect_timeout=3,
    user=urllib.parse.unquote(url.username or "postgres"),
    password=urllib.parse.unquote(url.password) if url.password else None,
)
try:
    with psycopg.connect(**params, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created database {name}.")
except psycopg.Error as exc:
    sys.exit(f"PostgreSQL does not answer at {params['host']}:{params['port']}: {exc}".strip())
endef
export PG_CHECK

define REDIS_CHECK
import os, sys
import redis
try:
    redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=3, socket_timeout=3).ping()
except redis.RedisError as exc:
    sys.exit(f"Redis does not answer at {os.environ['REDIS_URL']}: {exc}")
endef
export REDIS_CHECK

check-services: venv
	@$(PY) -c "$$PG_CHECK" || { \
		[ $$? -eq 3 ] && exit 1; \
		echo "The tests need PostgreSQL ($$DATABASE_URL). Start it with:"; \
		echo '    pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start'; \
		exit 1; }
	@$(PY) -c "$$REDIS_CHECK" || { \
		echo "The tests need Redis ($$REDIS_URL). Start it with:"; \
		echo '    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'; \
		exit 1; }

# The production settings (DJANGO_ENV=production) pass `check --deploy` with no warning at all (issue 8):
# a throwaway secret key and an example host stand in for the real ones.
check-deploy: venv
	DJANGO_ENV=production ALLOWED_HOSTS=journal.example.org \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	$(MANAGE) check --deploy --fail-level WARNING

# Browser tests are part of the suite: a missing Chromium fails the run, it never skips them.
check-chromium:
	@test -x "$(CHROMIUM_PATH)" || { \
		echo "The browser tests need Chromium at $(CHROMIUM_PATH). Install it with:"; \
		echo "    sudo apt-get install -y chromium"; \
		exit 1; }
	@command -v pdfsig >/dev/null 2>&1 || { \
		echo "The archive tests check signatures with poppler's pdfsig as well. Install it with:"; \
		echo "    sudo apt-get install -y poppler-utils"; \
		exit 1; }
	@{ command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx; } && command -v systemd-analyze >/dev/null 2>&1 || { \
		echo "The deployment test runs deploy/nginx in front of gunicorn and checks deploy/systemd. Install:"; \
		echo "    sudo apt-get install -y nginx systemd && sudo systemctl disable --now nginx"; \
		exit 1; }

# ---------------------------------------------------------------------------------------------------
# Code style.

lint: venv
	$(RUFF) check .
	$(RUFF) format --check .

fmt: venv
	$(RUFF) check --select I --fix .
	$(RUFF) format .

# Caches only: var/db.sqlite3 and var/media may be a school's real journal in embedded mode.
clean:
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -print0 | xargs -0 rm -rf
	rm -rf .pytest_cache .ruff_cache test-results staticfiles var/static var/ci
