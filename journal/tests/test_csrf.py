"""CSRF on every POST (issue 8, Security), generated from the URL configuration: every URL of the project
(the admin's too), sent a POST without the CSRF token by an anonymous visitor and by a logged-in superuser,
answers 403 from Django's CSRF check and writes nothing to the database.

Every URL, not only the views that accept POST: CsrfViewMiddleware refuses a tokenless POST before the view
runs (before its own 405, 404 or permission check), so the ids in the URLs need no real rows. A view marked
``csrf_exempt`` would answer otherwise and fail here; the project has none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RoutePattern

pytestmark = pytest.mark.django_db

SAMPLES = {"int": "7", "str": "x", "slug": "x", "path": "x/y", "uuid": "6f1c3f2e-8a64-4c59-9a8e-0c5f0a3f9b11"}
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|TRUNCATE)\b", re.IGNORECASE)


def _sample_route(route: str) -> str:
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES[m.group(1) or "str"], route)


def _sample_regex(regex: str) -> str:
    """A path the admin's two regular-expression patterns match: a named group becomes its first
    alternative (``auth|journal|…`` → ``auth``) or ``x``."""

    def group(match: re.Match) -> str:
        first = match.group(1).split("|")[0]
        return first if re.fullmatch(r"\w+", first) else "x"

    return re.sub(r"\(\?P<\w+>([^)]*)\)", group, regex).lstrip("^").rstrip("$")


def _urls(patterns: list, prefix: str = "") -> Iterator[tuple[str, object]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _urls(entry.url_patterns, prefix + _sample(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield "/" + prefix + _sample(entry.pattern), entry.callback


def _sample(pattern: object) -> str:
    return _sample_route(str(pattern)) if isinstance(pattern, RoutePattern) else _sample_regex(pattern.regex.pattern)


URLS = list(_urls(get_resolver().url_patterns))


def test_the_urls_cover_the_whole_configuration_and_none_is_csrf_exempt():
    assert len(URLS) > 100  # the project's own URLs and the admin's
    for url, callback in URLS:
        assert resolve(url).func == callback, url
    exempt = [url for url, callback in URLS if getattr(callback, "csrf_exempt", False)]
    assert exempt == []


@pytest.fixture
def superuser_client() -> Client:
    from accounts.tests.factories import SuperUserFactory

    client = Client(enforce_csrf_checks=True)
    client.force_login(SuperUserFactory(username="root"))
    client.get("/healthz")  # the first request of a session stores the school's time zone in it
    return client


@pytest.mark.parametrize("who", ["anonymous", "superuser"])
def test_every_url_refuses_a_post_without_the_csrf_token_and_writes_nothing(request, who):
    client = Client(enforce_csrf_checks=True) if who == "anonymous" else request.getfixturevalue("superuser_client")
    failures = []
    for url, _callback in URLS:
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url, {"name": "x", "text": "x", "reason": "x"})
        writes = [q["sql"] for q in queries.captured_queries if WRITES.match(q["sql"])]
        if response.status_code != 403 or "CSRF" not in response.content.decode() or writes:
            failures.append((url, response.status_code, writes))
    assert failures == []


def test_the_same_post_with_the_token_reaches_the_view(superuser_client):
    """The control: the refusal above is the token's absence, not the URL (the login form signs in)."""
    from accounts.tests.factories import UserFactory

    mother = UserFactory(username="mother")
    mother.set_password("Kv8#tree-lamp")
    mother.save(update_fields=["password"])
    client = Client(enforce_csrf_checks=True)
    token = client.get("/accounts/login/").cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/", {"username": "mother", "password": "Kv8#tree-lamp", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
