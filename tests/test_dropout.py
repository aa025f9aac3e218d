"""Dropout with a given mask (issue 15): a^l = f(z^l) ⊙ m^l, the mask an input like x.

The mask's entries are given already scaled (inverted dropout: 0 or 1/(1 − p)), so the derivation
stays deterministic and p never appears. The engine proves δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ m^l ⊙ f′(z^l)
for every mask (the mask's entries are generators of the exact proof) and checks it numerically
at masks of 0 and 2; an error without the mask is refused; both export forms take the masks as an
argument and agree with an independent forward pass and with torch autograd where torch is
installed; bad values are one-line errors.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from derive import derive
from derive.algebra import NetQuantity
from derive.errors import DeriveError, VerificationError
from derive.export import export_source
from derive.gradcheck import check_grads
from derive.spec import build
from derive.verify import verify
from cli_support import one_line_error, spec_file_error
from export_support import assert_matches_autograd, load

NETS = {
    "one": dict(widths=[2, 3, 2], activation="sigmoid", output_activation="sigmoid", dropout=(1,)),
    "two-mean": dict(widths=[3, 3, 4, 2], activation="tanh", output_activation="sigmoid", batch=3,
                     reduction="mean", dropout=(1, 2)),
    "row-ce": dict(widths=[3, 4, 3], activation="relu", output_activation="softmax", cost="cross-entropy",
                   convention="row", batch=2, dropout=(1,)),
}


def spec_of(kind: str):
    options = dict(NETS[kind])
    return build(options.pop("widths"), name=f"dropout-{kind}", **options)


def _is_mask(q: object) -> bool:
    return isinstance(q, NetQuantity) and q.kind == "m"


@pytest.mark.parametrize("kind", sorted(NETS))
def test_the_error_of_a_dropout_layer_carries_its_mask(kind: str) -> None:
    spec = spec_of(kind)
    d = derive(spec)
    for l in spec.dropout:
        assert d.step(f"a_{l}").rule == "dropout" and any(_is_mask(q) for q in d.step(f"a_{l}").rhs.atoms(NetQuantity))
        step = d.step(f"delta_{l}")
        assert step.rule == "chain-rule-dropout"
        assert {int(q.layer) for q in step.rhs.atoms(NetQuantity) if _is_mask(q)} == {l}
        methods = {c.method for c in d.checks if c.step == step.key}
        assert methods == {"numeric", "symbolic"}


def _without_mask(expr):
    import sympy as sp

    if isinstance(expr, sp.HadamardProduct):
        kept = [a for a in expr.args if not _is_mask(a)]
        return kept[0] if len(kept) == 1 else sp.HadamardProduct(*kept, evaluate=False)
    return expr


@pytest.mark.parametrize("kind", sorted(NETS))
def test_an_error_without_the_mask_is_refused(kind: str) -> None:
    """Both verifiers compare with the derivative of the masked network: m^l cannot be dropped."""
    spec = spec_of(kind)
    d = derive(spec)
    key = f"delta_{spec.dropout[0]}"
    steps = tuple(replace(s, forms=s.forms[:2] + tuple(_without_mask(f) for f in s.forms[2:])) if s.key == key else s
                  for s in d.steps)
    assert steps != d.steps
    for symbolic in (True, False):
        with pytest.raises(VerificationError):
            verify(replace(d, steps=steps, checks=()), symbolic=symbolic)


def data(spec, rng: np.random.Generator, batch: int = 3):
    column = spec.convention == "column"
    n_in, n_out = spec.widths[0], spec.widths[-1]
    x = rng.uniform(-1, 1, (n_in, batch) if column else (batch, n_in))
    shape = (lambda n: (n, batch)) if column else (lambda n: (batch, n))
    masks = {f"m{l}": 2.0 * rng.integers(0, 2, shape(spec.widths[l])) for l in spec.dropout}
    if spec.cost == "cross-entropy":
        hot = np.eye(n_out)[rng.integers(0, n_out, batch)]
        return x, (hot.T if column else hot), masks
    return x, rng.uniform(0.05, 0.95, shape(n_out)), masks


ACTS = {"tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "relu": lambda z: np.maximum(z, 0)}


def reference_output(spec, params: dict, x: np.ndarray, masks: dict) -> np.ndarray:
    """The forward pass written out here, independently: each dropout layer's output times its mask."""
    row, a = spec.convention == "row", x
    for l, layer in enumerate(spec.layers, 1):
        z = a @ params[f"W{l}"] + params[f"b{l}"] if row else params[f"W{l}"] @ a + params[f"b{l}"]
        if layer.activation == "softmax":
            e = np.exp(z - z.max(axis=1 if row else 0, keepdims=True))
            a = e / e.sum(axis=1 if row else 0, keepdims=True)
        else:
            a = ACTS[layer.activation](z)
        if l in spec.dropout:
            a = a * masks[f"m{l}"]
    return a


@pytest.mark.parametrize("form", ["matrix", "scalar"])
@pytest.mark.parametrize("kind", sorted(NETS))
def test_export_takes_the_masks(tmp_path: Path, rng: np.random.Generator, kind: str, form: str) -> None:
    spec = spec_of(kind)
    path = tmp_path / f"dropout_{kind}_{form}.py"
    path.write_text(export_source(spec, form=form), encoding="utf-8")
    module = load(path)
    params = {k: v + rng.uniform(-0.3, 0.3, v.shape) for k, v in module.init_params(1).items()}
    for batch in (1, 4):
        x, y, masks = data(spec, rng, batch)
        np.testing.assert_allclose(module.forward(params, x, masks), reference_output(spec, params, x, masks),
                                   rtol=1e-12, atol=1e-12)
        check_grads(lambda p: module.cost(p, x, y, masks), lambda p: module.gradients(p, x, y, masks), params)
        # A dropped unit's incoming weights get no gradient from that sample: all dropped, none at all.
        silent = {k: np.zeros_like(v) for k, v in masks.items()}
        first = spec.dropout[0]
        np.testing.assert_array_equal(module.gradients(params, x, y, silent)[f"W{first}"], 0.0)
    completed = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.mark.parametrize("kind", sorted(NETS))
def test_agrees_with_torch_autograd(tmp_path: Path, rng: np.random.Generator, kind: str) -> None:
    torch = pytest.importorskip("torch")
    spec = spec_of(kind)
    path = tmp_path / f"dropout_torch_{kind}.py"
    path.write_text(export_source(spec, form="matrix"), encoding="utf-8")
    module = load(path)
    params = {k: v + rng.uniform(-0.3, 0.3, v.shape) for k, v in module.init_params(2).items()}
    x, y, masks = data(spec, rng, 3)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    a = torch.tensor(x)
    row = spec.convention == "row"
    acts = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
            "softmax": lambda z: torch.softmax(z, dim=1 if row else 0)}
    for l, layer in enumerate(spec.layers, 1):
        z = a @ t[f"W{l}"] + t[f"b{l}"] if row else t[f"W{l}"] @ a + t[f"b{l}"]
        a = acts[layer.activation](z)
        if l in spec.dropout:
            a = a * torch.tensor(masks[f"m{l}"])
    target = torch.tensor(y)
    cost = 0.5 * torch.sum((a - target) ** 2) if spec.cost == "quadratic" else -torch.sum(target * torch.log(a))
    if spec.reduction == "mean":
        cost = cost / (x.shape[0] if row else x.shape[1])
    assert_matches_autograd(module, params, t, cost, x, y, masks)


def test_general_and_scalar_view_refuse_dropout() -> None:
    import derive as package

    with pytest.raises(DeriveError, match="concrete widths"):
        replace(package.EXAMPLES["l-layer"], dropout=(1,))
    with pytest.raises(DeriveError, match="scalar view"):
        replace(package.EXAMPLES["two-two-two"], dropout=(1,))


@pytest.mark.parametrize(("args", "message"), [
    (["show", "mlp:2-2-1", "--dropout", "2"], "dropout layer 2 is not a hidden layer; choose from 1"),
    (["show", "mlp:2-1", "--dropout", "1"], "dropout layer 1 is not a hidden layer; choose from none"),
    (["show", "mlp:2-2-1", "--dropout", "x"], "argument --dropout: must be layer numbers such as 1 or 1,2, not 'x'"),
    (["show", "mlp:2-2-2-1", "--dropout", "1,1"], "dropout lists a layer twice: [1, 1]"),
])
def test_bad_values_are_one_line_errors(args: list[str], message: str) -> None:
    assert message in one_line_error(args)


@pytest.mark.parametrize(("text", "message"), [
    ("input = 2\ndropout = 1\n[[layers]]\nwidth = 2\n[[layers]]\nwidth = 1\n",
     "dropout in 'net.toml' must be a list of hidden layers such as [1, 2], not 1"),
    ("input = 2\n[[layers]]\nwidth = 2\ndropout = \"yes\"\n[[layers]]\nwidth = 1\n",
     "dropout of layer 1 must be true or false, not 'yes'"),
    ("input = 2\n[[layers]]\nwidth = 2\n[[layers]]\nwidth = 1\ndropout = true\n",
     "dropout layer 2 is not a hidden layer; choose from 1"),
])
def test_bad_spec_keys(tmp_path: Path, text: str, message: str) -> None:
    assert spec_file_error(tmp_path, text) == message


def test_per_layer_key_and_list_agree(tmp_path: Path) -> None:
    from derive.spec import load_toml

    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text("input = 2\ndropout = [1]\n[[layers]]\nwidth = 2\n[[layers]]\nwidth = 1\n", encoding="utf-8")
    b.write_text("input = 2\n[[layers]]\nwidth = 2\ndropout = true\n[[layers]]\nwidth = 1\n", encoding="utf-8")
    assert load_toml(a).dropout == load_toml(b).dropout == (1,)
