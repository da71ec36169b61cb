"""The 8 a.m. peak (issue 8, point 1): teachers open their day and their lesson pages, save marks and
absences; parents open the diary — in the proportions of a school morning, on a seeded demo district.

    .venv/bin/locust -f bench/load/locustfile.py --headless -u 500 -r 25 -t 3m --host http://127.0.0.1:8000 \
        --csv bench/load/var/u500

``bench/load/run.sh`` starts the server and runs the three sizes; ``prepare.py`` must have written
``var/users.json`` first. Every mark save that the server confirmed (200) is appended to
``var/saves.jsonl``; ``verify.py`` then compares them with the database: nothing lost, nothing duplicated.

Proportions: one in four simulated users is a teacher (a district school has ~57 teachers and ~1,000
parents, but at 8 a.m. nearly every teacher is at work and only some parents look); a teacher waits 2–8 s
between actions, a parent 5–15 s. A few users log in through the real form (Argon2 included). Every
simulated person keeps one connection open between actions, as a browser does.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from pathlib import Path
from urllib.parse import urlencode

from locust import FastHttpUser, between, events, task

VAR = Path(__file__).resolve().parent / "var"
USERS = json.loads((VAR / "users.json").read_text()) if (VAR / "users.json").exists() else {"teachers": []}
TEACHERS = itertools.cycle(USERS.get("teachers") or [None])
PARENTS = itertools.cycle(USERS.get("parents") or [None])
TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')
FORM_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CSRF_COOKIE = re.compile(r"(?:^|[;,]\s*)csrftoken=([^;]+)")
FORM = "application/x-www-form-urlencoded"
VERSION = re.compile(r'data-version="(\d*)"')
CELL = re.compile(
    r'data-column="(\d+)" data-student="(\d+)" data-version="(\d*)"[^>]*>(?:(?!<td).)*?<input class="mk"[^>]*'
    r' name="value" value="([^"]*)"',
    re.S,
)
SAVES = open(VAR / f"saves-{os.getpid()}.jsonl", "a", buffering=1)  # noqa: SIM115 (one file per process)
MARKS = ["5", "4", "3", "2"]


def _csrf_cookie(response: object) -> str:
    """The csrftoken a response sets, if any (read from its Set-Cookie headers)."""
    headers = response.headers  # type: ignore[attr-defined]
    values = headers.getlist("Set-Cookie") if hasattr(headers, "getlist") else [headers.get("Set-Cookie") or ""]
    for value in values:
        found = CSRF_COOKIE.search(value)
        if found:
            return found.group(1)
    return ""


class _Session(FastHttpUser):
    """geventhttpclient (FastHttpUser), not requests: the load generator shares the server's two cores,
    and every CPU-millisecond it spends is one the server does not get."""

    abstract = True

    def _cookies(self, **more: str) -> dict[str, str]:
        # Sent by hand: production cookies are Secure, and this test talks plain HTTP to gunicorn.
        jar = {"sessionid": self.session_key, **({"csrftoken": self.csrf} if self.csrf else {}), **more}
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}

    def _get(self, url: str, name: str) -> str:
        # No redirects followed: every page of the mix answers 200 itself; a 302 (to the login) is a failure.
        with self.client.get(
            url, headers=self._cookies(), name=name, catch_response=True, allow_redirects=False
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} {response.headers.get('Location') or ''}")
                return ""
            self.csrf = _csrf_cookie(response) or self.csrf
            return response.text

    def _post(self, url: str, data: dict, name: str):  # noqa: ANN202 (locust's context manager)
        headers = {**self._cookies(), "X-CSRFToken": self.token, "HX-Request": "true", "Content-Type": FORM}
        return self.client.post(url, data=urlencode(data), headers=headers, name=name, catch_response=True)


class Teacher(_Session):
    weight = 1
    wait_time = between(2, 8)

    def on_start(self) -> None:
        me = next(TEACHERS)
        if me is None:
            raise RuntimeError("Run bench/load/prepare.py first.")
        self.session_key, self.csrf, self.token = me["session"], "", ""
        self.lessons = me["lessons"]
        self.versions: dict[tuple[int, int], str] = {}
        self.values: dict[tuple[int, int], str] = {}
        self._get("/", "/ (teacher's day)")
        self.open_lesson()

    @task(3)
    def open_lesson(self) -> None:
        self.lesson = random.choice(self.lessons)
        html = self._get(f"/journal/lessons/{self.lesson['lesson']}/", "/journal/lessons/[id]/")
        found = TOKEN.search(html)
        if found:
            self.token = found.group(1)
        # What the page shows is what the browser sends back: each cell's version and value.
        for column, student, version, value in CELL.findall(html):
            if int(column) == self.lesson["column"]:
                self.versions[(int(column), int(student))] = version
                self.values[(int(column), int(student))] = value

    @task(1)
    def day(self) -> None:
        self._get("/", "/ (teacher's day)")

    @task(8)
    def save_mark(self) -> None:
        lesson, column = self.lesson["lesson"], self.lesson["column"]
        student = random.choice(self.lesson["students"])
        key = (column, student)
        value = random.choice([m for m in MARKS if m != self.values.get(key)])
        data = {"column": column, "student": student, "value": value, "version": self.versions.get(key, "")}
        with self._post(f"/journal/lessons/{lesson}/cell/", data, "POST cell") as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return
            found = VERSION.search(response.text)
            self.versions[key] = found.group(1) if found else ""
            self.values[key] = value
            SAVES.write(json.dumps({"column": column, "student": student, "value": value}) + "\n")

    @task(2)
    def attendance(self) -> None:
        lesson = self.lesson["lesson"]
        # Students kept apart by prepare.py: an absent student takes no mark in an ordinary column and a
        # student with a mark cannot be absent (R3); the test must not count the rule's refusals as errors.
        student = random.choice(self.lesson["attend"])
        kind = random.choice(["absent", "late", ""])
        data = {"student": student, "kind": kind, "minutes": "5" if kind == "late" else ""}
        with self._post(f"/journal/lessons/{lesson}/attendance/", data, "POST attendance") as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}: {r.text[:200]}")


class Parent(_Session):
    weight = 3
    wait_time = between(5, 15)

    def on_start(self) -> None:
        me = next(PARENTS)
        if me is None:
            raise RuntimeError("Run bench/load/prepare.py first.")
        self.session_key, self.csrf = me["session"], ""
        self._get("/", "/ (family home)")

    @task(5)
    def diary(self) -> None:
        self._get("/diary/", "/diary/")

    @task(2)
    def marks(self) -> None:
        self._get("/diary/marks/", "/diary/marks/")

    @task(1)
    def home(self) -> None:
        self._get("/", "/ (family home)")


class LoggingIn(FastHttpUser):
    """A few people log in through the form at the peak (the demo parent; Argon2 and axes included)."""

    fixed_count = 2
    wait_time = between(20, 40)

    @task
    def login(self) -> None:
        page = self.client.get("/accounts/login/", name="/accounts/login/")
        token = FORM_TOKEN.search(page.text or "")
        data = {"username": "parent", "password": "demo12345", "csrfmiddlewaretoken": token.group(1) if token else ""}
        with self.client.post(
            "/accounts/login/",
            data=urlencode(data),
            headers={"Cookie": f"csrftoken={_csrf_cookie(page)}", "Content-Type": FORM},
            name="POST /accounts/login/",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login answered {response.status_code}")


@events.test_stop.add_listener
def _flush(**_kwargs: object) -> None:
    SAVES.flush()
