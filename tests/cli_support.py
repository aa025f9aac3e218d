"""Running `derive` as a user does, in a subprocess, under a time guard: for the hardening
regression tests and the input fuzz test."""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Every input must be answered within this much CPU time (issue 16). A guard against hangs, not
#: a speed test: the child is killed past it (RLIMIT_CPU) and the test fails saying so. CPU time,
#: not wall time, so that a busy machine (parallel test runs on 2 cores) does not fail it...
GUARD_SECONDS = 10
#: ...and a wall-clock backstop for what waits without computing (a read that never ends).
WALL_SECONDS = 120
#: The exit codes an input may end in: 0 (done, nothing wrong), 1 (a checked step is wrong),
#: 2 (bad input, one line on stderr). Never 3 (a formula failed verification) nor 70 (a bug).
ALLOWED_EXITS = (0, 1, 2)


@dataclass(frozen=True)
class Outcome:
    args: tuple[str, ...]
    returncode: int | None  # None: killed by the guard
    stdout: str
    stderr: str

    def describe(self) -> str:
        return f"derive {' '.join(map(repr, self.args))} -> {self.returncode}: {self.stderr[-500:]!r}"


def _limit_cpu() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (GUARD_SECONDS, GUARD_SECONDS + 1))


def run_derive(args: list[str] | tuple[str, ...], cwd: Path) -> Outcome:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DERIVE_DEBUG", None)
    try:
        result = subprocess.run([sys.executable, "-m", "derive", *args], capture_output=True, text=True,
                                cwd=cwd, env=env, timeout=WALL_SECONDS, errors="replace", preexec_fn=_limit_cpu)
    except subprocess.TimeoutExpired as exc:
        return Outcome(tuple(args), None, _text(exc.stdout), _text(exc.stderr))
    if result.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return Outcome(tuple(args), None, result.stdout, result.stderr)
    return Outcome(tuple(args), result.returncode, result.stdout, result.stderr)


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", errors="replace")


def assert_clean(outcome: Outcome) -> None:
    """Answered in time, with an allowed exit code; a usage error is exactly one stderr line."""
    assert outcome.returncode is not None, f"no answer within {GUARD_SECONDS} s of CPU: {outcome.describe()}"
    assert outcome.returncode in ALLOWED_EXITS, outcome.describe()
    assert "Traceback" not in outcome.stderr and "internal error" not in outcome.stderr, outcome.describe()
    assert "internal error" not in outcome.stdout, outcome.describe()  # a check's step lost to a bug
    if outcome.returncode == 2:
        assert outcome.stderr.count("\n") == 1 and outcome.stderr.startswith("derive: error: "), outcome.describe()
        assert outcome.stdout == "", outcome.describe()


def one_line_error(args: list[str]) -> str:
    """The one stderr line of a command refused as bad input (exit 2, no traceback)."""
    outcome = run_derive(args, ROOT)
    assert_clean(outcome)
    assert outcome.returncode == 2, outcome.describe()
    return outcome.stderr.strip()


def spec_file_error(tmp_path: Path, text: str) -> str:
    """The message a spec file `net.toml` holding text is refused with (DeriveError)."""
    from derive.errors import DeriveError
    from derive.spec import load_toml

    path = tmp_path / "net.toml"
    path.write_text(text, encoding="utf-8")
    try:
        load_toml(path)
    except DeriveError as error:
        return str(error).replace(str(path), "net.toml")
    raise AssertionError(f"accepted: {text!r}")


def tree(directory: Path) -> list[str]:
    """Every path under a directory (files and folders), relative and sorted."""
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


#: The temporary files derive's atomic writes make: .NAME.XXXXXXXX.tmp (mkstemp's 8 characters).
TEMPORARY = re.compile(r"\..*\.[A-Za-z0-9_]{8}\.tmp")


def temporaries(directory: Path) -> list[str]:
    """Temporary files of derive's atomic writes that survived."""
    return [str(p) for p in directory.rglob("*") if p.is_file() and TEMPORARY.fullmatch(p.name)]
