"""The bad-input table: every row is one way to get the command line wrong. Each gets exactly one
line on stderr naming the problem (and the valid choices where there is a list), exit code 2, no
traceback, and nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

TOML_ROWS = {
    "width0.toml": "input = 3\n[[layers]]\nwidth = 0\n",
    "negative.toml": "input = 3\n[[layers]]\nwidth = -2\n",
    "fraction.toml": "input = 3\n[[layers]]\nwidth = 2.5\n",
    "broken.toml": "input = 3\n[[layers]\nwidth = 2\n",
    "unknown-key.toml": "input = 3\nlayer = 4\n[[layers]]\nwidth = 2\n",
}

TABLE = [
    ("unknown example", ["show", "resnet"],
     "unknown network 'resnet'; valid choices: two-two-two, l-layer, batched-mlp, softmax-classifier, "
     "mlp:WIDTHS (e.g. mlp:3-4-2), FILE.toml"),
    ("unknown activation", ["show", "mlp:3-4-2", "--activation", "mish"],
     "unknown activation 'mish'; valid choices: sigmoid, tanh, relu, identity, softplus, leaky-relu, elu, gelu, "
     "gelu-tanh, silu, softmax"),
    ("unknown cost", ["show", "mlp:3-4-2", "--cost", "hinge"],
     "unknown cost 'hinge'; valid choices: quadratic, cross-entropy, binary-cross-entropy, mean-absolute-error, "
     "huber, bce, ce, l1, mae, mse"),
    ("unknown platform", ["post", "two-two-two", "--platform", "medium"],
     "unknown platform 'medium'; valid choices: jekyll, hugo, hexo, github, mkdocs, jupyter, latex"),
    ("unknown language", ["post", "two-two-two", "--platform", "hugo", "--lang", "fr"],
     "unknown language 'fr'; valid choices: en, zh"),
    ("unknown convention", ["show", "mlp:3-4-2", "--convention", "diagonal"],
     "unknown convention 'diagonal'; valid choices: column, row"),
    ("width 0 (shorthand)", ["show", "mlp:3-0-2"], "width must be >= 1, not 0"),
    ("width 0 (spec file)", ["show", "width0.toml"], "width of layer 1 must be >= 1, not 0"),
    ("negative width", ["show", "negative.toml"], "width of layer 1 must be >= 1, not -2"),
    ("non-integer width", ["show", "fraction.toml"], "width of layer 1 must be a whole number >= 1, not 2.5"),
    ("malformed shorthand", ["show", "mlp:3-2.5-2"],
     "network shorthand 'mlp:3-2.5-2' must look like mlp:3-4-2 (input width, then each layer width)"),
    ("softmax on a hidden layer with CE", ["show", "mlp:3-4-2", "--activation", "softmax", "--cost", "ce"],
     "softmax is only allowed on the output layer (layer 2), not on layer 1; hidden layers take an "
     "elementwise activation: sigmoid, tanh, relu, identity, softplus, leaky-relu, elu, gelu, gelu-tanh, silu"),
    ("cost incompatible with the output", ["show", "mlp:3-4-2", "--activation", "relu", "--cost", "ce"],
     "cost 'cross-entropy' needs outputs in (0, inf) but 'relu' outputs [0, inf); valid output activations: "
     "sigmoid, softplus, softmax"),
    ("one-class softmax", ["show", "mlp:3-1", "--activation", "softmax", "--cost", "ce"],
     "softmax needs at least 2 outputs (with 1 it is the constant 1), not 1"),
    ("invalid TOML (with the line)", ["show", "broken.toml"],
     "invalid TOML in 'broken.toml': Expected ']]' at the end of an array declaration (at line 2, column 9)"),
    ("unknown key in a spec", ["show", "unknown-key.toml"],
     "unknown key 'layer' in 'unknown-key.toml'; valid keys: name, input, layers, cost, convention, batch, "
     "normalize_input, reduction, l2, l2_bias, dropout, norm, norm_epsilon, notation, description"),
    ("missing spec file", ["show", "missing.toml"], "spec file 'missing.toml' does not exist"),
    ("output directory not writable", ["post", "two-two-two", "--platform", "hugo", "-o", "a-file/posts"],
     "the output path a-file is not a directory"),
    ("export to an unwritable place", ["export", "two-two-two", "-o", "a-file/g.py"],
     "the output path a-file is not a directory"),
    ("a spec so large it would take minutes", ["show", "mlp:100000-1000-100"],
     "the network has 100,101,100 parameters, more than the limit of 10,000,000 (verifying every gradient "
     "numerically would take too long)"),
    ("non-UTF-8 post for check", ["check", "latin1.md", "--net", "two-two-two"], "post 'latin1.md' is not UTF-8 text"),
    ("missing post for check", ["check", "nothere.md", "--net", "two-two-two"], "no such file or folder: nothere.md"),
    ("unknown export form", ["export", "two-two-two", "--form", "vector"],
     "unknown form 'vector'; valid choices: auto, matrix, scalar"),
    ("unknown command", ["frobnicate"],
     "unknown command 'frobnicate'; valid choices: list, show, post, export, check"),
    ("unknown reduction", ["show", "mlp:3-4-2", "--batch", "2", "--reduction", "max"],
     "unknown reduction 'max'; valid choices: sum, mean"),
    ("mean over no batch", ["show", "two-two-two", "--reduction", "mean"],
     "reduction 'mean' averages over a batch: give a batch of samples (--batch N, batch = N)"),
    ("bad batch", ["show", "mlp:3-4-2", "--batch", "0"],
     "argument --batch: must be a whole number >= 1, not '0' (see 'derive --help')"),
]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    for name, text in TOML_ROWS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "a-file").write_text("not a directory\n", encoding="utf-8")
    (tmp_path / "latin1.md").write_bytes("caf\xe9: $x = 1$\n".encode("latin-1"))
    return tmp_path


@pytest.mark.parametrize(("row", "args", "message"), TABLE, ids=[row[0] for row in TABLE])
def test_bad_input(workdir: Path, row: str, args: list[str], message: str) -> None:
    before = sorted(p.name for p in workdir.iterdir())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DERIVE_DEBUG", None)
    result = subprocess.run([sys.executable, "-m", "derive", *args], capture_output=True, text=True, cwd=workdir,
                            env=env, timeout=300)
    assert result.returncode == 2, (row, result.stderr)
    assert result.stderr == f"derive: error: {message}\n", result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in workdir.iterdir()) == before, "nothing may be written"
