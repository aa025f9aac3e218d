"""L2 regularisation (weight decay, issue 15): C = C₀ + λ/2 Σ_l ‖W^l‖² (λ/(2n) with the mean).

The engine proves the weight gradient δ^l (a^{l-1})ᵀ + λW^l for every λ (λ stays a symbol in the
exact proof) and checks it numerically at the spec's λ; a gradient without the penalty's term is
refused; both export forms carry the penalty once per batch (not once per sample) and agree with
torch autograd where torch is installed; the CLI rejects bad values in one line.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from derive import derive
from derive.verify import verify
from derive.algebra import Grad
from derive.errors import DeriveError, VerificationError
from derive.export import export_source
from derive.gradcheck import check_grads
from derive.quantities import LAMBDA
from derive.spec import build
from cli_support import one_line_error, spec_file_error
from export_support import assert_matches_autograd, load, sample_data as data

NETS = {
    "sum": dict(widths=[2, 3, 2], activation="tanh", output_activation="sigmoid", l2=0.1),
    "mean-bias": dict(widths=[3, 3, 2], activation="sigmoid", output_activation="sigmoid", batch=3,
                      reduction="mean", l2=0.25, l2_bias=True),
    "row-ce": dict(widths=[3, 4, 3], activation="relu", output_activation="softmax", cost="cross-entropy",
                   convention="row", batch=2, l2=0.05),
}


def spec_of(kind: str):
    options = dict(NETS[kind])
    return build(options.pop("widths"), name=f"l2-{kind}", **options)


@pytest.mark.parametrize("kind", sorted(NETS))
def test_weight_gradient_carries_the_penalty_term(kind: str) -> None:
    spec = spec_of(kind)
    d = derive(spec)
    for l in range(1, spec.depth + 1):
        step = d.step(f"grad_W_{l}")
        assert step.rule == "weight-decay" and step.rhs.has(LAMBDA)
        assert all(check.method in ("numeric", "symbolic") for check in d.checks if check.step == step.key)
        b = d.step(f"grad_b_{l}")
        assert b.rhs.has(LAMBDA) == spec.l2_bias
    assert d.step("cost").rhs.has(LAMBDA)


@pytest.mark.parametrize("kind", sorted(NETS))
def test_a_gradient_without_the_penalty_is_refused(kind: str) -> None:
    """The verifiers compare with the derivative of the regularised cost: λW cannot be dropped."""
    d = derive(spec_of(kind))
    steps = tuple(replace(s, forms=tuple(f.xreplace({LAMBDA: 0}) for f in s.forms)) if s.key == "grad_W_1" else s
                  for s in d.steps)
    for symbolic in (True, False):
        with pytest.raises(VerificationError):
            verify(replace(d, steps=steps, checks=()), symbolic=symbolic)


def penalty(spec, params: dict, batch: int) -> float:
    """λ/2 Σ‖W‖² (and the biases when asked), over n for a mean: written out here, independently."""
    names = [k for k in params if k.startswith("W") or (spec.l2_bias and k.startswith("b"))]
    total = spec.l2 / 2 * sum(float(np.sum(params[k] ** 2)) for k in names)
    return total / batch if spec.reduction == "mean" else total


@pytest.mark.parametrize("form", ["matrix", "scalar"])
@pytest.mark.parametrize("kind", sorted(NETS))
def test_export_adds_the_penalty_once_per_batch(tmp_path: Path, rng: np.random.Generator, kind: str, form: str) -> None:
    spec = spec_of(kind)
    path = tmp_path / f"l2_{kind}_{form}.py"
    path.write_text(export_source(spec, form=form), encoding="utf-8")
    module = load(path)
    params = {k: v + rng.uniform(-0.3, 0.3, v.shape) for k, v in module.init_params(1).items()}
    for batch in (1, 4):
        x, y = data(spec, rng, batch)
        check_grads(lambda p: module.cost(p, x, y), lambda p: module.gradients(p, x, y), params)
        # The penalty is the difference the weights make at a fixed output: zero weights, zero penalty.
        unregularised = load_without_l2(tmp_path, spec, form, batch)
        assert module.cost(params, x, y) == pytest.approx(unregularised.cost(params, x, y) + penalty(spec, params, batch),
                                                          rel=1e-12, abs=1e-12)
    completed = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def load_without_l2(tmp_path: Path, spec, form: str, batch: int):
    path = tmp_path / f"plain_{spec.name}_{form}_{batch}.py"
    if not path.exists():
        path.write_text(export_source(replace(spec, l2=0.0, l2_bias=False), form=form), encoding="utf-8")
    return load(path)


@pytest.mark.parametrize("kind", sorted(NETS))
def test_agrees_with_torch_autograd(tmp_path: Path, rng: np.random.Generator, kind: str) -> None:
    torch = pytest.importorskip("torch")
    spec = spec_of(kind)
    path = tmp_path / f"l2_torch_{kind}.py"
    path.write_text(export_source(spec, form="matrix"), encoding="utf-8")
    module = load(path)
    params = {k: v + rng.uniform(-0.3, 0.3, v.shape) for k, v in module.init_params(2).items()}
    x, y = data(spec, rng, 3)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    a = torch.tensor(x)
    row = spec.convention == "row"
    acts = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
            "softmax": lambda z: torch.softmax(z, dim=1 if row else 0)}
    for l, layer in enumerate(spec.layers, 1):
        z = a @ t[f"W{l}"] + t[f"b{l}"] if row else t[f"W{l}"] @ a + t[f"b{l}"]
        a = acts[layer.activation](z)
    target = torch.tensor(y)
    data_cost = 0.5 * torch.sum((a - target) ** 2) if spec.cost == "quadratic" else -torch.sum(target * torch.log(a))
    n = x.shape[0] if row else x.shape[1]
    regularised = [k for k in t if k.startswith("W") or spec.l2_bias]
    cost = data_cost + spec.l2 / 2 * sum(torch.sum(t[k] ** 2) for k in regularised)
    if spec.reduction == "mean":  # Ng's convention: the data term and the penalty both over n
        cost = cost / n
    assert_matches_autograd(module, params, t, cost, x, y)


def test_general_and_scalar_view_refuse_the_penalty() -> None:
    import derive as package

    with pytest.raises(DeriveError, match="concrete widths"):
        replace(package.EXAMPLES["l-layer"], l2=0.1)
    with pytest.raises(DeriveError, match="scalar view"):
        replace(package.EXAMPLES["two-two-two"], l2=0.1)


@pytest.mark.parametrize(("args", "message"), [
    (["show", "mlp:2-2-1", "--l2", "-1"], "argument --l2: must be a number >= 0, not '-1'"),
    (["show", "mlp:2-2-1", "--l2", "x"], "argument --l2: must be a number >= 0, not 'x'"),
    (["show", "mlp:2-2-1", "--l2-bias"], "l2_bias regularises the biases with the L2 penalty: give l2 = λ > 0 too"),
])
def test_bad_values_are_one_line_errors(args: list[str], message: str) -> None:
    assert message in one_line_error(args)


@pytest.mark.parametrize(("text", "message"), [
    ("input = 2\nl2 = -0.5\n[[layers]]\nwidth = 1\n", "l2 (the weight decay λ) must be a number >= 0, not -0.5"),
    ("input = 2\nl2 = \"big\"\n[[layers]]\nwidth = 1\n", "l2 (the weight decay λ) must be a number >= 0, not 'big'"),
    ("input = 2\nl2 = 0.1\nl2_bias = 1\n[[layers]]\nwidth = 1\n", "l2_bias must be true or false, not 1"),
])
def test_bad_spec_keys(tmp_path: Path, text: str, message: str) -> None:
    assert spec_file_error(tmp_path, text) == message


def test_the_exact_proof_holds_for_every_lambda() -> None:
    """λ is a generator of the exact proof, not a number: the symbolic check does not use 0.1."""
    d = derive(spec_of("sum"), symbolic=True)
    assert any(c.method == "symbolic" and c.step == "grad_W_1" for c in d.checks)
    assert d.step("grad_W_1").rhs.has(LAMBDA)  # the symbol every formula shows, not its value


def test_the_latex_post_spells_lambda_as_tex_does() -> None:
    """Unicode names λ LAMDA; words and code listings of a LaTeX post must say \\lambda."""
    from derive.posts.command import derivation_for_post
    from derive.posts.render import PostSource, render_post

    source = PostSource(derivation_for_post(spec_of("sum"), 0), 0)
    tex = next(text for name, text in render_post(source, "latex", "en").items() if name.endswith(".tex"))
    assert tex.isascii() and r"\lambda" in tex and r"\lamda" not in tex
