"""Settings read from the environment and the health check (issue 2, points 2 and 8)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _check_in_env(**env: str) -> subprocess.CompletedProcess:
    """Run `manage.py check` in a child process with exactly these settings variables."""
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ENV"}}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _check_in_env(DJANGO_ENV="production", ALLOWED_HOSTS="journal.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _check_in_env(DJANGO_ENV="production", SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_starts_with_both_and_is_secure():
    result = _check_in_env(DJANGO_ENV="production", SECRET_KEY="s" * 60, ALLOWED_HOSTS="journal.example.org")
    assert result.returncode == 0, result.stderr


def test_a_misspelt_environment_mode_stops_start_up():
    result = _check_in_env(DJANGO_ENV="prod")
    assert result.returncode != 0
    assert "DJANGO_ENV" in result.stderr


def test_the_ui_is_russian_by_default_with_argon2_passwords():
    assert settings.LANGUAGE_CODE == "ru"
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == {"ok": True, "vendor": "postgresql"}
    # make test and CI run against the machine's Redis, so the broker is real here.
    assert body["broker"]["mode"] == "redis"
    assert body["broker"]["ok"] is True
    assert body["ok"] is True


@pytest.mark.django_db
def test_healthz_says_when_the_broker_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CELERY_TASK_ALWAYS_EAGER = False
    body = client.get("/healthz").json()
    assert body["broker"]["ok"] is False
    assert body["ok"] is False
    assert body["database"]["ok"] is True
