"""Where the CPU of one request of the morning peak goes (issue 8, point 1): the pages of the load test's
mix requested in-process through Django's WSGI handler as the prepared users (``prepare.py`` first), CPU
milliseconds per page (p50 over the requests) and, with ``--profile``, the functions that take it.

    DJANGO_ENV=production SECRET_KEY=$(cat bench/load/var/secret.key) ALLOWED_HOSTS=testserver \\
    SECURE_SSL_REDIRECT=false DATABASE_URL=postgres://postgres@127.0.0.1:5432/journal_load \\
    REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/load/profile_pages.py [--n 40] [--profile]

Saves marks and absences like the load test does (into the prepared columns, each cell once): run
``prepare.py`` before it, and again before the load test.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "journal.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

VAR = Path(__file__).resolve().parent / "var"
FRAMEWORK = [
    r"template/base.py:\d+\(render\)",
    "sessions/backends",
    r"auth/__init__.py:\d+\(get_user",
    r"compiler.py:\d+\(as_sql",
    r"psycopg/cursor.py:\d+\(execute",
    r"cache/backends/redis.py:\d+\((get|set)",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=40, help="requests per page")
    parser.add_argument("--profile", action="store_true", help="print the top functions by own time")
    parser.add_argument("--only", default="", help="profile only pages whose name contains this")
    args = parser.parse_args()
    users = json.loads((VAR / "users.json").read_text())
    random.seed(1)
    cpu: dict[str, list[float]] = defaultdict(list)
    queries: dict[str, list[int]] = defaultdict(list)
    profiler = cProfile.Profile()

    def hit(name: str, client: Client, method: str, url: str, **extra: object) -> None:
        profiling = args.profile and args.only in name
        reset_queries()
        start = time.process_time()
        if profiling:
            profiler.enable()
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, method)(url, secure=True, **extra)
        if profiling:
            profiler.disable()
        cpu[name].append((time.process_time() - start) * 1000)
        queries[name].append(len(captured))
        if response.status_code != 200:
            raise SystemExit(f"{name} {url}: {response.status_code}")

    shared = Client()  # one handler, as a gunicorn worker has: its middleware is loaded once

    def client_of(session: str) -> Client:
        shared.cookies.clear()
        shared.cookies["sessionid"] = session
        return shared

    for _ in range(2):  # warm: templates compiled, connection open, caches filled as at 8 a.m.
        for teacher in users["teachers"][:5]:
            client_of(teacher["session"]).get("/", secure=True)
    marked: set[tuple[int, int]] = set()
    for i in range(args.n):
        teacher = users["teachers"][i % len(users["teachers"])]
        lesson = random.choice(teacher["lessons"])
        client = client_of(teacher["session"])
        hit("/ (teacher's day)", client, "get", "/")
        url = f"/journal/lessons/{lesson['lesson']}/"
        hit("lesson page", client, "get", url)
        # A mark in a cell nobody has marked yet (the columns are fresh after prepare.py), as the lesson
        # page sends it; and an absence, as the attendance column does.
        free = [pk for pk in lesson["students"] if (lesson["column"], pk) not in marked]
        if free:
            marked.add((lesson["column"], free[0]))
            data = {"column": lesson["column"], "student": free[0], "value": random.choice("5432"), "version": ""}
            hit("POST cell", client, "post", f"{url}cell/", data=data, HTTP_HX_REQUEST="true")
        kind = random.choice(["absent", "late", ""])
        data = {"student": random.choice(lesson["attend"]), "kind": kind, "minutes": "5"}
        hit("POST attendance", client, "post", f"{url}attendance/", data=data, HTTP_HX_REQUEST="true")
        parent = users["parents"][i % len(users["parents"])]
        client = client_of(parent["session"])
        hit("/ (family home)", client, "get", "/")
        hit("/ (family) again", client, "get", "/")
        hit("/diary/", client, "get", "/diary/")
        hit("/diary/ again", client, "get", "/diary/")
        hit("/diary/marks/", client, "get", "/diary/marks/")
        hit("/diary/marks/ again", client, "get", "/diary/marks/")
    print(f"{'page':<22} {'CPU p50':>8} {'CPU mean':>9} {'queries':>8}")
    for name, values in cpu.items():
        p50, mean = statistics.median(values), statistics.mean(values)
        print(f"{name:<22} {p50:>6.1f}ms {mean:>7.1f}ms {max(queries[name]):>8}")
    if args.profile:
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(35)
        # Our code, and the parts of Django every request goes through.
        ours = "|".join([r"^(?!.*\.venv).*/(accounts|journal|grading|attendance|messaging)/", *FRAMEWORK])
        stats.sort_stats("cumulative").print_stats(ours, 60)


if __name__ == "__main__":
    main()
