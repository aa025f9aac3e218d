"""Shared fixtures: seeding, an rng, golden files (reviewed as diffs, rewritten only on request)."""

from __future__ import annotations

import difflib
import os
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

# Property-based tests draw the same examples on every run (CI must not be flaky); with
# DERIVE_SLOW=1 they explore new examples each run instead.
settings.register_profile("derive-ci", derandomize=True, deadline=None)
settings.register_profile("derive-explore", derandomize=False, deadline=None)
settings.load_profile("derive-explore" if os.environ.get("DERIVE_SLOW") == "1" else "derive-ci")

GOLDEN = Path(__file__).parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files instead of comparing")


@pytest.fixture(autouse=True)
def _seed() -> None:
    random.seed(0)
    np.random.seed(0)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """golden(relative_path, actual_text): compare with tests/golden/…, or rewrite with --update-golden."""
    update = request.config.getoption("--update-golden")

    def check(name: str, actual: str) -> None:
        path = GOLDEN / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        if not path.exists():
            pytest.fail(f"golden file {path} is missing; run pytest --update-golden and review the diff")
        expected = path.read_text(encoding="utf-8")
        if expected != actual:
            diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                                str(path), "actual"))
            pytest.fail(f"output differs from {path} (review, then --update-golden):\n{diff}")

    return check


def slow_enabled() -> bool:
    return os.environ.get("DERIVE_SLOW") == "1"
