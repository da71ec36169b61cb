#!/usr/bin/env bash
# The morning-peak load test (issue 8, point 1) on this machine: gunicorn + PostgreSQL + Redis, then
# locust at each number of users, then the write check. Results: bench/load/var/u<N>_stats.csv and the
# summary this prints; the figures are kept in bench/RESULTS.md.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/journal_load bench/load/run.sh [50 200 500]
#
# The database must be seeded (`manage.py seed_demo --schools 20`); every run prepares it
# (`bench/load/prepare.py`: sessions signed with var/secret.key, which the server then uses, and a mark
# column per lesson of the day). Environment: WORKERS (gunicorn processes, 5 = 2 x cores + 1 as deploy/ does), THREADS (4),
# DURATION (per size, 3m), SPAWN (users started per second, 10; the figures are reset once all are running,
# so they are the steady peak, not the ramp), PORT (8001), TEACHERS (300), PARENTS (1500),
# APP_DIR (the checkout gunicorn serves, default this one).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

: "${DATABASE_URL:?set DATABASE_URL to the seeded database}"
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/3}
export DJANGO_ENV=production ALLOWED_HOSTS=127.0.0.1,localhost SECURE_SSL_REDIRECT=false
WORKERS=${WORKERS:-5} THREADS=${THREADS:-4} DURATION=${DURATION:-3m} SPAWN=${SPAWN:-10} PORT=${PORT:-8001}
VAR=$PWD/bench/load/var
mkdir -p "$VAR"
[ -f "$VAR/secret.key" ] || head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$VAR/secret.key"
SECRET_KEY=$(cat "$VAR/secret.key")
export SECRET_KEY STATIC_ROOT="$VAR/static"
.venv/bin/python bench/load/prepare.py --teachers "${TEACHERS:-300}" --parents "${PARENTS:-1500}"
.venv/bin/python manage.py collectstatic --noinput -v0

# APP_DIR: serve another checkout (e.g. a `git worktree` of an older commit) for a before/after figure.
.venv/bin/gunicorn --config "$PWD/deploy/gunicorn.conf.py" --chdir "${APP_DIR:-.}" --bind "127.0.0.1:$PORT" \
  --workers "$WORKERS" --threads "$THREADS" --access-logfile /dev/null --error-logfile "$VAR/gunicorn.log" &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
up=""
for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then up=1 && break; fi
  sleep 1
done
[ -n "$up" ] || { echo "gunicorn did not start: see $VAR/gunicorn.log" >&2; exit 1; }

# Warm-up, not recorded: the workers compile their templates, connect to the database (8 a.m. is never
# a cold start in production).
.venv/bin/locust -f bench/load/locustfile.py --headless --users 20 --spawn-rate 20 --run-time 20s \
  --stop-timeout 30 --host "http://127.0.0.1:$PORT" --only-summary --loglevel ERROR >/dev/null 2>&1 || true

for users in "${@:-50 200 500}"; do
  for n in $users; do
    echo "== $n users, $DURATION"
    .venv/bin/locust -f bench/load/locustfile.py --headless --users "$n" --spawn-rate "$SPAWN" \
      --run-time "$DURATION" --stop-timeout 30 --reset-stats --host "http://127.0.0.1:$PORT" --csv "$VAR/u$n" --only-summary \
      --loglevel WARNING 2>&1 | tail -n 40 || true  # locust exits 1 when a request failed: keep going
  done
done

kill $server
wait $server 2>/dev/null || true
trap - EXIT
.venv/bin/python bench/load/verify.py
