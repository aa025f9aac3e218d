"""Entries with a parameter (issue 15): LeakyReLU's slope α, ELU's α and Huber's δ, set by
NAME:VALUE (leaky-relu:0.2, elu:0.5, huber:0.5) wherever an activation or a cost is named.

The value enters every formula exactly (a Rational from the decimal, never from sympify), so the
proofs stay exact; numeric checks keep away from Huber's kinks at ±δ; posts say the value; the
export computes with it and agrees with torch's LeakyReLU(α), ELU(α) and HuberLoss(δ) where torch
is installed; `derive check` reads LeakyReLU in a post as the network's own slope.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from derive import derive, rules
from derive.errors import DeriveError
from derive.export import export_source
from derive.gradcheck import check_grads
from derive.spec import build, load_toml
from cli_support import one_line_error
from export_support import assert_matches_autograd, load, self_test

ROOT = Path(__file__).resolve().parent.parent

NETS = {
    "leaky": dict(widths=[2, 3, 2], activation="leaky-relu:0.2", output_activation="identity", cost="huber:0.5",
                  batch=3),
    "elu-row": dict(widths=[3, 4, 2], activation="elu:0.5", output_activation="sigmoid", convention="row",
                    batch=2, reduction="mean"),
    "huber-2": dict(widths=[2, 3, 2], activation="tanh", output_activation="identity", cost="huber:2"),
}


def spec_of(kind: str):
    options = dict(NETS[kind])
    return build(options.pop("widths"), name=f"param-{kind}", **options)


def test_names_are_canonical_and_the_default_is_the_registered_entry() -> None:
    assert rules.lookup_activation("leaky-relu:0.20").name == "leaky-relu:0.2"
    assert rules.lookup_activation("leaky-relu:0.01") is rules.ACTIVATIONS["leaky-relu"]
    assert rules.lookup_cost("huber:1.0") is rules.COSTS["huber"]
    assert build([2, 2], activation="leaky-relu:0.250").layers[0].activation == "leaky-relu:0.25"
    # instances are not registry entries: derive list and the checker's vocabulary show the registered ones
    assert "leaky-relu:0.2" not in rules.ACTIVATIONS and "huber:0.5" not in rules.COSTS


@pytest.mark.parametrize(("name", "slope"), [("leaky-relu:0.2", sp.Rational(1, 5)), ("leaky-relu", sp.Rational(1, 100)),
                                             ("leaky-relu:0.333", sp.Rational(333, 1000))])
def test_the_slope_is_exact_in_every_formula(name: str, slope: sp.Rational) -> None:
    entry = rules.activation(name)
    z = rules.Z
    assert entry.f.subs(z, -3) == -3 * slope and entry.f.subs(z, 3) == 3
    assert entry.df_dz.subs(z, -1) == slope and entry.df_da.subs(rules.A, -1) == slope


def test_elu_and_huber_carry_their_values() -> None:
    elu = rules.activation("elu:0.5")
    assert elu.output_range == (-0.5, float("inf"))
    assert sp.limit(elu.f, rules.Z, -sp.oo) == -sp.Rational(1, 2)
    huber = rules.cost("huber:0.5")
    assert huber.kinks == (-0.5, 0.5)
    r = rules.A - rules.Y
    assert huber.c.subs({rules.A: 2, rules.Y: 0}) == sp.Rational(1, 2) * (2 - sp.Rational(1, 4))  # δ(|r| − δ/2)
    assert huber.dc_da.subs({rules.A: 2, rules.Y: 0}) == sp.Rational(1, 2)  # clipped to δ
    assert huber.dc_da.subs({rules.A: sp.Rational(1, 5), rules.Y: 0}) == sp.Rational(1, 5)
    assert r.free_symbols == {rules.A, rules.Y}


@pytest.mark.parametrize("kind", sorted(NETS))
def test_derivations_are_proved_and_checked(kind: str) -> None:
    d = derive(spec_of(kind))  # raises VerificationError on any step that fails its proof or check
    for step in d.steps:
        if step.section != "forward" and step.kind != "definition":
            assert {c.method for c in d.checks if c.step == step.key} == {"numeric", "symbolic"}, step.key


def reference_cost(spec, params: dict, x: np.ndarray, y: np.ndarray) -> float:
    """The forward pass and cost written out here, independently of the registry's formulas."""
    slope = {"leaky-relu:0.2": 0.2}
    row, a = spec.convention == "row", x
    for l, layer in enumerate(spec.layers, 1):
        z = a @ params[f"W{l}"] + params[f"b{l}"] if row else params[f"W{l}"] @ a + params[f"b{l}"]
        name = layer.activation
        if name in slope:
            a = np.where(z > 0, z, slope[name] * z)
        elif name == "elu:0.5":
            a = np.where(z > 0, z, 0.5 * (np.exp(np.minimum(z, 0)) - 1))
        elif name == "sigmoid":
            a = 1 / (1 + np.exp(-z))
        elif name == "tanh":
            a = np.tanh(z)
        else:
            a = z
    r = a - y
    if spec.cost.startswith("huber"):
        delta = float(spec.cost.partition(":")[2])
        total = np.sum(np.where(np.abs(r) <= delta, r**2 / 2, delta * (np.abs(r) - delta / 2)))
    else:
        total = np.sum(r**2) / 2
    return total / (x.shape[0] if row else x.shape[1]) if spec.reduction == "mean" else total


def data(spec, module, rng: np.random.Generator, params: dict, batch: int):
    """x, and targets whose residuals stay 0.2 away from Huber's kinks at ±δ."""
    row = spec.convention == "row"
    x = rng.uniform(-1, 1, (batch, spec.input_width) if row else (spec.input_width, batch))
    out = module.forward(params, x)
    if spec.cost.startswith("huber"):
        delta = float(spec.cost.partition(":")[2])
        residual = rng.choice([-1.0, 1.0], out.shape) * rng.choice([0.3 * delta, delta + 0.3, 0.5 * delta], out.shape)
        return x, out - residual
    return x, rng.uniform(0.1, 0.9, out.shape)


@pytest.mark.parametrize("form", ["matrix", "scalar"])
@pytest.mark.parametrize("kind", sorted(NETS))
def test_export_computes_with_the_value(tmp_path: Path, rng: np.random.Generator, kind: str, form: str) -> None:
    spec = spec_of(kind)
    path = tmp_path / f"param_{kind.replace('-', '_')}_{form}.py"
    path.write_text(export_source(spec, form=form), encoding="utf-8")
    module = load(path)
    params = {k: v + rng.uniform(-0.5, 0.5, v.shape) for k, v in module.init_params(1).items()}
    for batch in (1, 3):
        x, y = data(spec, module, rng, params, batch)
        assert module.cost(params, x, y) == pytest.approx(reference_cost(spec, params, x, y), rel=1e-12)
        check_grads(lambda p: module.cost(p, x, y), lambda p: module.gradients(p, x, y), params)
    self_test(path)


@pytest.mark.parametrize("kind", sorted(NETS))
def test_agrees_with_torch_autograd(tmp_path: Path, rng: np.random.Generator, kind: str) -> None:
    torch = pytest.importorskip("torch")
    spec = spec_of(kind)
    path = tmp_path / f"param_torch_{kind.replace('-', '_')}.py"
    path.write_text(export_source(spec, form="matrix"), encoding="utf-8")
    module = load(path)
    params = {k: v + rng.uniform(-0.5, 0.5, v.shape) for k, v in module.init_params(2).items()}
    x, y = data(spec, module, rng, params, 3)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    acts = {"leaky-relu:0.2": torch.nn.LeakyReLU(0.2), "elu:0.5": torch.nn.ELU(0.5), "tanh": torch.tanh,
            "sigmoid": torch.sigmoid, "identity": lambda z: z}
    row, a = spec.convention == "row", torch.tensor(x)
    for l, layer in enumerate(spec.layers, 1):
        a = acts[layer.activation](a @ t[f"W{l}"] + t[f"b{l}"] if row else t[f"W{l}"] @ a + t[f"b{l}"])
    target = torch.tensor(y)
    if spec.cost.startswith("huber"):
        cost = torch.nn.HuberLoss(reduction="sum", delta=float(spec.cost.partition(":")[2]))(a, target)
    else:
        cost = 0.5 * torch.sum((a - target) ** 2)
    if spec.reduction == "mean":
        cost = cost / x.shape[0 if row else 1]
    assert_matches_autograd(module, params, t, cost, x, y)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_posts_say_the_value_and_check_correct(tmp_path: Path, lang: str) -> None:
    args = ["mlp:2-3-2", "--activation", "leaky-relu:0.2", "--cost", "huber:0.5"]
    run = subprocess.run([sys.executable, "-m", "derive", "post", *args, "--platform", "github", "--lang", lang,
                          "-o", str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    post = tmp_path / f"mlp-2-3-2.github.{lang}.md"
    text = post.read_text(encoding="utf-8")
    assert "α = 0.2" in text and "δ = 0.5" in text
    checked = subprocess.run([sys.executable, "-m", "derive", "check", str(post), "--net", *args],
                             capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert checked.returncode == 0, checked.stdout
    assert " 0 wrong, 0 not checked" in checked.stdout


def test_a_post_with_the_default_slope_is_wrong_for_another(tmp_path: Path) -> None:
    """LeakyReLU′ written with 0.01 where the network's slope is 0.2: the derivative steps are wrong."""
    run = subprocess.run([sys.executable, "-m", "derive", "post", "mlp:2-3-2", "--activation", "leaky-relu",
                          "--platform", "github", "-o", str(tmp_path)], capture_output=True, text=True, cwd=ROOT,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    checked = subprocess.run([sys.executable, "-m", "derive", "check", str(tmp_path / "mlp-2-3-2.github.en.md"),
                              "--net", "mlp:2-3-2", "--activation", "leaky-relu:0.2"],
                             capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert checked.returncode == 1
    verdicts = [line for line in checked.stdout.splitlines() if " WRONG " in line or " correct " in line]
    derivatives = [line for line in verdicts if "\\operatorname{LeakyReLU}'" in line and "\\frac{99}{100}" in line]
    definitions = [line for line in verdicts if "= \\operatorname{LeakyReLU}\\left(" in line]
    assert len(derivatives) == 2 and all(" WRONG " in line for line in derivatives)
    assert definitions and all(" correct " in line for line in definitions)


@pytest.mark.parametrize(("args", "message"), [
    (["show", "mlp:2-1", "--activation", "leaky-relu:1.5"], "the slope below 0 must be above 0 and below 1"),
    (["show", "mlp:2-1", "--activation", "leaky-relu:abc"], "must be a decimal number such as 0.01"),
    (["show", "mlp:2-1", "--activation", "relu:0.2"], "activation 'relu' takes no parameter; activations that do: "
                                                      "leaky-relu:VALUE (the slope below 0), elu:VALUE (α)"),
    (["show", "mlp:2-1", "--activation", "identity", "--cost", "huber:1e3"], "must be a decimal number such as 1"),
    (["show", "mlp:2-1", "--activation", "identity", "--cost", "mse:2"], "cost 'quadratic' takes no parameter"),
    (["show", "mlp:2-1", "--activation", "nope:2"], "unknown activation 'nope'; valid choices: sigmoid"),
])
def test_bad_values_are_one_line_errors(args: list[str], message: str) -> None:
    assert message in one_line_error(args)


def test_spec_files_take_the_value(tmp_path: Path) -> None:
    path = tmp_path / "net.toml"
    path.write_text('input = 2\ncost = "huber:0.5"\n[[layers]]\nwidth = 3\nactivation = "leaky-relu:0.2"\n'
                    '[[layers]]\nwidth = 1\nactivation = "identity"\n', encoding="utf-8")
    spec = load_toml(path)
    assert spec.cost == "huber:0.5" and spec.layers[0].activation == "leaky-relu:0.2"
    path.write_text('input = 2\n[[layers]]\nwidth = 1\nactivation = "elu:-1"\n', encoding="utf-8")
    with pytest.raises(DeriveError, match="must be a decimal number"):
        load_toml(path)
