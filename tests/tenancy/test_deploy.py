from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(120)
def test_check_deploy_with_production_settings_reports_no_issues():
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": "x" * 20 + "-production-grade-secret-key-for-the-deploy-check-0123456789",
        "ALLOWED_HOSTS": "skills.example.com",
        "TRUSTED_PROXY_COUNT": "1",
    }
    env.pop("DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.timeout(120)
def test_production_cookies_are_secure_and_the_session_cookie_is_http_only():
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": "y" * 20 + "-production-grade-secret-key-for-the-cookie-check-0123456789",
        "ALLOWED_HOSTS": "skills.example.com",
        "TRUSTED_PROXY_COUNT": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SECURE_SSL_REDIRECT, s.DEBUG)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stderr
    # The last line: Django 5.2's shell first says what it imported.
    assert result.stdout.splitlines()[-1].split() == ["True", "True", "True", "True", "False"]


@pytest.mark.timeout(120)
def test_production_settings_refuse_to_start_without_trusted_proxy_count():
    """Behind a proxy, a missing TRUSTED_PROXY_COUNT puts every user on the proxy's
    address (one sign-in limit for all); the settings cannot see the proxy, so
    they make the operator say how many there are."""
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": "z" * 20 + "-production-grade-secret-key-for-the-proxy-check-0123456789",
        "ALLOWED_HOSTS": "skills.example.com",
    }
    env.pop("TRUSTED_PROXY_COUNT", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT" in result.stderr
