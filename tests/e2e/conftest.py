"""Browser tests: real Chromium (Debian's package) driven by pytest-playwright.

Playwright cannot download browsers here, so we launch /usr/bin/chromium. With
CI set, a missing browser fails the run; elsewhere the tests skip and say why.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

import pytest

from tools.chromium import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        reason = f"Chromium not found at {CHROMIUM}: apt-get install chromium (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def login(live_server) -> Callable:
    """`login(page, user)` signs in through the real login form."""

    def sign_in(page, user, password: str = "demo-password") -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")

    return sign_in
