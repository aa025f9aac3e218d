"""The same command twice gives byte-identical output, whatever the hash seed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    result = subprocess.run([sys.executable, "-m", "derive", *args], capture_output=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


@pytest.mark.parametrize("args", [["show", "two-two-two", "--json"], ["show", "softmax-classifier"],
                                  ["show", "batched-mlp", "--json"]])
def test_show_is_identical_across_hash_seeds(args: list[str]) -> None:
    outputs = {_run(args, seed) for seed in ("0", "1", "12345")}
    assert len(outputs) == 1
