from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _shell(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    """`manage.py shell -c code` under `env` (the settings are read at start-up)."""
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
    )


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
    result = _shell(env, code)
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


def _production_settings(**extra: str) -> list[str]:
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": "w" * 20 + "-production-grade-secret-key-for-the-default-check-0123456",
        "ALLOWED_HOSTS": "skills.example.com",
        "TRUSTED_PROXY_COUNT": "1",
        **extra,
    }
    for name in ("DJANGO_ALLOW_ASYNC_UNSAFE", "TASKS_BACKEND", "LOADTEST_BASELINE", "EMAIL_URL"):
        if name not in extra:
            env.pop(name, None)
    code = (
        "from django.conf import settings as s;"
        "print(s.TASKS['default']['BACKEND'], 'loadtest' in s.INSTALLED_APPS, s.EMAIL_BACKEND)"
    )
    result = _shell(env, code)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1].split()


@pytest.mark.timeout(120)
def test_production_defaults_to_the_database_task_backend_and_no_loadtest_app():
    assert _production_settings() == [
        "django_tasks_db.DatabaseBackend",
        "False",
        # No EMAIL_URL: mail is dropped, not printed (reset links would reach the logs).
        "django.core.mail.backends.dummy.EmailBackend",
    ]


@pytest.mark.timeout(120)
def test_production_installs_loadtest_only_for_the_baseline_and_mails_through_email_url():
    _, loadtest, mail = _production_settings(
        LOADTEST_BASELINE="true", EMAIL_URL="smtp://mailer:secret@mail.example.com:587"
    )
    assert (loadtest, mail) == ("True", "django.core.mail.backends.smtp.EmailBackend")
