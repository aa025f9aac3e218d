"""The command line: what users see, exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from derive.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DERIVE_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "derive", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300)


def test_list(capsys: pytest.CaptureFixture) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for word in ("two-two-two", "l-layer", "batched-mlp", "softmax-classifier", "sigmoid", "softmax",
                 "quadratic", "cross-entropy", "binary-cross-entropy", "column", "row"):
        assert word in out


def test_show_two_two_two(capsys: pytest.CaptureFixture) -> None:
    assert main(["show", "two-two-two"]) == 0
    out = capsys.readouterr().out
    assert "δ² = ∂C/∂z² = ∂C/∂ŷ ⊙ σ′(z²) = (ŷ − y) ⊙ ŷ ⊙ (𝟏 − ŷ)" in out
    assert "∂C/∂W¹ = δ¹ xᵀ" in out
    assert "∂C/∂w₃₅ = ∂C/∂ŷ₁ ∂ŷ₁/∂z₅ ∂z₅/∂w₃₅ = (ŷ₁ − y₁) ŷ₁ (1 − ŷ₁) a₃ = (∂C/∂W²)₁₁ = (∂C/∂(W²)ᵀ)₁₁" in out
    assert "proved equal to the derivative of the expanded scalar cost" in out


def test_show_batched_mlp_uses_its_notation(capsys: pytest.CaptureFixture) -> None:
    assert main(["show", "batched-mlp"]) == 0
    out = capsys.readouterr().out
    assert "∂L/∂W₂ = H₁ᵀ ∂L/∂Z₂" in out
    assert "∂L/∂b₂ = 𝟏ₙᵀ ∂L/∂Z₂" in out
    assert "∂L/∂H₁ = ∂L/∂Z₂ W₂ᵀ" in out


def test_show_json_two_two_two(capsys: pytest.CaptureFixture) -> None:
    assert main(["show", "two-two-two", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["network"]["widths"] == [2, 2, 2]
    assert set(data["gradients"]) == {"W1", "W2"}
    w2 = data["gradients"]["W2"]
    assert w2["latex"] == r"\boldsymbol{\delta}^{2} \left(\boldsymbol{a}^{1}\right)^{\top}"
    names = set()
    for row in data["gradients"]["W1"]["entries"]:
        for text in row:
            names |= set(_symbol_names(text))
    assert names == {"x1", "x2", "y1", "y2", "w13", "w14", "w23", "w24", "w35", "w36", "w45", "w46"}
    step_keys = [s["key"] for s in data["steps"]]
    assert "scalar_w35" in step_keys and "layout_grad_W2_source" in step_keys
    assert all(s["checks"] for s in data["steps"] if s["kind"] != "definition")


def _symbol_names(srepr_text: str) -> list[str]:
    import re

    return re.findall(r"Symbol\('([A-Za-z0-9_]+)'", srepr_text)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "resnet"], "derive: error: unknown network 'resnet'; valid choices: two-two-two"),
        (["show", "mlp:3-0-2"], "derive: error: width must be >= 1, not 0"),
        (["show", "mlp:3-4-2", "--activation", "mish"], "derive: error: unknown activation 'mish'; valid choices:"),
        (["show", "mlp:3-4-2", "--cost", "hinge"], "derive: error: unknown cost 'hinge'; valid choices:"),
        (["show", "mlp:3-4-2", "--convention", "diag"], "derive: error: unknown convention 'diag'; valid choices: column, row"),
        (["show", "mlp:3-4-2", "--batch", "0"], "derive: error: argument --batch: must be a whole number >= 1"),
        (["show", "mlp:3-4-2", "--batch", "x"], "derive: error: argument --batch: must be a whole number >= 1"),
        (["show", "two-two-two", "--activation", "tanh"], "derive: error: --activation only apply to an mlp: shorthand"),
        (["show", "mlp:3-4-2", "--activation", "softmax", "--cost", "ce"], "derive: error: softmax is only allowed on the output layer"),
        (["show", "mlp:3-4-2", "--activation", "tanh", "--cost", "ce"], "derive: error: cost 'cross-entropy' needs outputs in"),
        (["show", "missing.toml"], "derive: error: spec file 'missing.toml' does not exist"),
        (["frobnicate"], "derive: error: unknown command 'frobnicate'; valid choices: list, show, post"),
        (["show"], "derive: error: the following arguments are required: NET"),
        (["show", "two-two-two", "--bogus"], "derive: error: unrecognized arguments: --bogus"),
    ],
)
def test_bad_input_is_one_line_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(message), lines[0]
    assert "Traceback" not in result.stderr


def test_no_files_are_written_by_show(tmp_path: Path) -> None:
    assert run("show", "two-two-two", cwd=tmp_path).returncode == 0
    assert list(tmp_path.iterdir()) == []


def test_python_dash_m_and_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("derive ")
