"""Security settings (issue 8): the production settings pass Django's deployment checks with no warning,
every answer carries the Content-Security-Policy and the other protective headers, and no template that a
browser renders holds an inline script, an inline handler or an inline style the policy would refuse."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
# Rendered by WeasyPrint into PDF files, never by a browser: the CSP does not apply to them.
PDF_TEMPLATES = {
    "journal/templates/journal/diary/extract.html",
    "reports/templates/reports/print.html",
    "archive/templates/archive/registry_print.html",
    "archive/templates/archive/_print.css.html",
    "archive/templates/archive/journal_copy.html",
    "archive/templates/archive/summary_sheet.html",
}
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "inline handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "htmx inline handler": re.compile(r"\shx-on", re.IGNORECASE),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE),
    "style element": re.compile(r"<style\b", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}

TEMPLATE_COMMENT = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.DOTALL)


def _production(*args: str, **env: str) -> subprocess.CompletedProcess:
    """``python <args>`` in a child process with the production settings and a throwaway secret key."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_", "DEBUG"))}
    clean.update(
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="journal.example.org",
        **env,
    )
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


def test_production_settings_pass_the_deployment_checks_with_no_warning():
    result = _production("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output and "?: (security." not in output


PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in [
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY",
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_CONTENT_TYPE_NOSNIFF",
    "X_FRAME_OPTIONS", "MIDDLEWARE", "CLIENT_IP_HEADER", "MEDIA_URL"]}))
"""


def test_production_cookies_are_secure_and_https_is_enforced():
    result = _production("-c", PRINT_SETTINGS, DJANGO_SETTINGS_MODULE="journal.settings")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_HTTPONLY"] and values["CSRF_COOKIE_HTTPONLY"]
    assert values["SECURE_SSL_REDIRECT"] and values["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert values["SECURE_HSTS_SECONDS"] >= 60 * 60 * 24 * 365
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] and values["X_FRAME_OPTIONS"] == "DENY"
    assert "journal.security.PageCSPMiddleware" in values["MIDDLEWARE"]
    assert values["CLIENT_IP_HEADER"] == "X-Real-IP"  # behind nginx the client's address is in this header


def test_a_malformed_rate_limit_stops_start_up_and_names_the_variable():
    result = _production("manage.py", "check", LOGIN_RATE_LIMIT="lots")
    assert result.returncode != 0 and "LOGIN_RATE_LIMIT" in result.stderr


def _policy(header: str) -> dict[str, list[str]]:
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: sorted(values) for name, *values in directives}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "teacher", "parent"])
def test_every_page_carries_the_content_security_policy(client, request, who):
    expected = {name: sorted(values) for name, values in POLICY.items()}
    urls = ["/no-such-page/"]
    if who == "anonymous":
        urls.append("/accounts/login/")
    else:
        client.force_login(request.getfixturevalue(who))
        urls += ["/", "/messages/", "/diary/" if who == "parent" else "/journal/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert _policy(response["Content-Security-Policy"]) == expected, url
        assert "Content-Security-Policy-Report-Only" not in response  # enforced, not only reported
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_files_do_not_get_the_pages_policy(client, parent, student):
    """A PDF opens in the browser's own viewer, which the pages' policy would break; uploaded files keep
    their sandbox policy (test_upload_security.py)."""
    client.force_login(parent)
    extract = client.get("/diary/extract/", {"child": student.pk})
    assert extract.status_code == 200 and extract["Content-Type"] == "application/pdf"
    assert "Content-Security-Policy" not in extract
    assert "Content-Security-Policy" not in client.get("/healthz")


def test_no_template_a_browser_renders_has_inline_script_or_style():
    templates = [
        path
        for directory in ROOT.glob("**/templates")
        if ".venv" not in directory.parts
        for path in directory.rglob("*.html")
    ]
    assert len(templates) > 50
    found = []
    for path in templates:
        name = path.relative_to(ROOT).as_posix()
        if name in PDF_TEMPLATES:
            continue
        text = TEMPLATE_COMMENT.sub("", path.read_text(encoding="utf-8"))
        found += [f"{name}: {what}" for what, pattern in INLINE.items() if pattern.search(text)]
    assert found == []
    assert all((ROOT / name).exists() for name in PDF_TEMPLATES)


def test_the_static_scripts_neither_evaluate_strings_nor_write_style_attributes():
    for path in (ROOT / "static" / "js").glob("*.js"):
        if path.name.endswith(".min.js"):  # vendored htmx: configured in base.html (no eval, no <style>)
            continue
        text = path.read_text(encoding="utf-8")
        for forbidden in ("eval(", "new Function", 'setAttribute("style"', "setAttribute('style'"):
            assert forbidden not in text, f"{path.name}: {forbidden}"


def test_htmx_is_told_not_to_inject_its_indicator_style():
    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", base)
    assert meta and json.loads(meta.group(1))["includeIndicatorStyles"] is False
    assert ".htmx-indicator" in (ROOT / "static" / "css" / "app.css").read_text(encoding="utf-8")
    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"] == POLICY
