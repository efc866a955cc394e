"""Fuzzing: the bounded hypothesis profile every test in tests/fuzz runs under.

The profile keeps tests/fuzz well under a minute on a 2-core machine. Under
CI (CI=true) it is derandomized: every run tries the same examples, so CI
never goes red on a one-off draw a developer cannot reproduce; locally each
run draws new examples (and the example database replays a failure), which
is where new bugs are found. `--hypothesis-profile=NAME` still wins.
"""

from __future__ import annotations

import os

from hypothesis import settings

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    # Examples hit PostgreSQL on a shared 2-core machine: a slow one is not a bug.
    deadline=None,
    derandomize=IN_CI,
    # Derandomized runs replay nothing: no example database to write.
    database=None if IN_CI else settings.default.database,
    print_blob=True,
)
if settings.get_current_profile_name() in ("default", "ci"):
    settings.load_profile("fuzz")
