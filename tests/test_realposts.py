"""derive check on real posts: the development set's scorer, with the notation maps a user writes.

The scorer (`tests/realposts/devset/score.py`, a copy of `../shared/realposts/score.py`) runs
`derive check` on seven public posts and compares every verdict with one verified numerically. This
test fails on any false verdict (correct mathematics called wrong, or a wrong formula called
correct), and holds the figures the README states: every mistake caught with a fitting diagnosis,
and at least 85% of the formulas given a verdict.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEVSET = ROOT / "tests" / "realposts" / "devset"
MAPS = ROOT / "tests" / "realposts"
SHARED = ROOT.parent / "shared" / "realposts"


@pytest.fixture(scope="module")
def score() -> tuple[str, int]:
    run = subprocess.run([sys.executable, str(DEVSET / "score.py"), "--maps", str(MAPS), "--show"],
                         capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                         timeout=600)
    return run.stdout + run.stderr, run.returncode


def test_no_false_verdict(score: tuple[str, int]) -> None:
    output, code = score
    total = re.search(r"total: (\d+) false verdicts", output)
    assert total, output
    assert int(total.group(1)) == 0 and code == 0, output


def test_mistakes_caught_and_formulas_answered(score: tuple[str, int]) -> None:
    output, _ = score
    m = re.search(r"(\d+)/(\d+) mistakes caught with a fitting diagnosis, (\d+)/(\d+) formulas given a verdict",
                  output)
    assert m, output
    caught, wrong, answered, entries = map(int, m.groups())
    assert caught == wrong, output
    assert answered >= 0.85 * entries, output


def test_every_post_has_a_map() -> None:
    posts = sorted(p.stem for p in DEVSET.glob("*.md") if p.name not in ("README.md", "VENDORED.md"))
    assert posts and all((MAPS / f"{name}.toml").is_file() for name in posts), posts


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/realposts is not beside this checkout (a fresh clone)")
def test_copy_is_current() -> None:
    stale = [p.name for p in DEVSET.iterdir() if p.name != "VENDORED.md"
             and (not (SHARED / p.name).is_file() or (SHARED / p.name).read_bytes() != p.read_bytes())]
    missing = [p.name for p in SHARED.iterdir() if p.suffix in (".md", ".json", ".toml", ".txt")
               and not (DEVSET / p.name).is_file()]
    assert not stale and not missing, f"copy ../shared/realposts into {DEVSET} again: {stale + missing}"
