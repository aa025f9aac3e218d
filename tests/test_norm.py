"""Batch and layer normalisation (issue 15): z^l = W^l a^{l-1}, μ and σ² over the batch (batch norm)
or over the layer's neurons (layer norm), ẑ = (z − μ)/√(σ² + ε), u^l = γ ⊙ ẑ + β, a^l = f(u^l).

The engine derives δ^l = ∂C/∂z^l through the mean and the variance, proves it exactly on small
instances (√(σ² + ε) enters the exact arithmetic as one more generator, see exact.py) and checks it
numerically; a δ with f′ of z instead of u, or without the 1/N of the variance, is refused; the
exported matrix form agrees with an independent forward pass, with central differences and with
torch's BatchNorm1d (training mode) and LayerNorm in float64; bad values are one-line errors.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from derive import derive
from derive.algebra import ApplyPrime, NetQuantity
from derive.errors import DeriveError, VerificationError
from derive.exact import is_identically_zero
from derive.export import export_source
from derive.gradcheck import check_grads
from derive.spec import build
from derive.verify import verify
from export_support import load, sample_data as data

ROOT = Path(__file__).resolve().parent.parent

NETS = {
    "batch": dict(widths=[3, 3, 2], activation="sigmoid", output_activation="sigmoid", batch=3, norm="batch"),
    "batch-row-mean": dict(widths=[2, 3, 2], activation="tanh", output_activation="sigmoid", batch=2,
                           convention="row", reduction="mean", norm="batch"),
    "layer-one-sample": dict(widths=[3, 3, 2], activation="tanh", output_activation="sigmoid", norm="layer"),
    "layer-row-ce": dict(widths=[3, 3, 3], activation="relu", output_activation="softmax", cost="cross-entropy",
                         convention="row", batch=2, norm="layer"),
}
#: Two normalisation layers: proved one at a time above, checked numerically here.
DEEP = dict(widths=[3, 4, 4, 2], activation="tanh", output_activation="sigmoid", batch=4, norm="batch")


def spec_of(options: dict, name: str = "norm"):
    options = dict(options)
    return build(options.pop("widths"), name=name, **options)


@lru_cache(maxsize=None)
def derived(kind: str):
    """The verified derivation of NETS[kind], derived once for the tests that read it (a Derivation
    is immutable: a test changes a copy)."""
    return derive(spec_of(NETS[kind]))


@pytest.mark.parametrize("kind", sorted(NETS))
def test_the_backward_pass_goes_through_mean_and_variance(kind: str) -> None:
    spec = spec_of(NETS[kind])
    d = derived(kind)
    (l, _), = spec.norm
    assert not spec.layers[l - 1].bias  # β takes the bias's place
    rules = {s.key: s.rule for s in d.steps}
    assert rules[f"delta_{l}"] == "norm-backward"
    for key in (f"grad_u_{l}", f"grad_zhat_{l}", f"grad_var_{l}", f"grad_mu_{l}", f"delta_{l}", f"grad_gamma_{l}",
                f"grad_beta_{l}"):
        assert {c.method for c in d.checks if c.step == key} == {"numeric", "symbolic"}, key
    # f′ is taken at u, the activation's argument, never at z
    primes = [n for n in sp.preorder_traversal(d.step(f"grad_u_{l}").forms[1]) if isinstance(n, ApplyPrime)]
    assert primes and all(p.arg.kind == "u" for p in primes)
    assert {name for name, _, _ in d.parameters} >= {f"gamma{l}", f"beta{l}"}


def test_two_normalisation_layers_are_checked_numerically() -> None:
    d = derive(spec_of(DEEP))
    assert {c.method for c in d.checks if c.step in ("delta_1", "delta_2")} == {"numeric"}


def _refused(d, key: str, change) -> None:
    steps = tuple(replace(s, forms=s.forms[:2] + tuple(change(f) for f in s.forms[2:])) if s.key == key else s
                  for s in d.steps)
    assert steps != d.steps
    for symbolic in (True, False):
        with pytest.raises(VerificationError):
            verify(replace(d, steps=steps, checks=()), symbolic=symbolic)


@pytest.mark.parametrize("kind", ["batch", "layer-one-sample"])
def test_f_prime_of_z_is_refused(kind: str) -> None:
    """σ′ of the pre-norm z instead of the activation's argument u."""
    spec = spec_of(NETS[kind])
    d = derived(kind)
    l = spec.norm[0][0]
    u, z = NetQuantity("u", l, *d.step(f"u_{l}").lhs.shape), d.step(f"z_{l}").lhs
    _refused(d, f"grad_u_{l}", lambda form: form.xreplace({ApplyPrime("sigmoid" if kind == "batch" else "tanh", u):
                                                          ApplyPrime("sigmoid" if kind == "batch" else "tanh", z)}))


@pytest.mark.parametrize("kind", ["batch", "layer-row-ce"])
def test_a_missing_one_over_n_is_refused(kind: str) -> None:
    """δ with the variance's path ∂σ²/∂z = 2(z − μ) instead of 2(z − μ)/N."""
    spec = spec_of(NETS[kind])
    d = derived(kind)
    l = spec.norm[0][0]
    count = d.step(f"mu_{l}").rhs.args[0]  # the 1/N of the mean

    def without(form):
        if not isinstance(form, sp.MatAdd):
            return form
        return sp.MatAdd(*[t.xreplace({2 * count: sp.Integer(2)}) for t in form.args], evaluate=False)

    _refused(d, f"delta_{l}", without)


def test_the_exact_test_rewrites_square_roots_soundly() -> None:
    x, eps = sp.symbols("x epsilon", positive=True)
    v = x**2 + eps
    assert is_identically_zero(x * v ** sp.Rational(-1, 2) * v ** sp.Rational(1, 2) - x)
    assert is_identically_zero(v ** sp.Rational(-3, 2) * v - v ** sp.Rational(-1, 2))
    assert not is_identically_zero(v ** sp.Rational(-1, 2) - v ** sp.Rational(-3, 2))


ACTS = {"tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "relu": lambda z: np.maximum(z, 0)}


def reference_output(spec, params: dict, x: np.ndarray, eps: float) -> np.ndarray:
    """The forward pass written out here, independently, in samples-as-rows layout."""
    row = spec.convention == "row"
    a = x if row else x.T
    kinds = dict(spec.norm)
    for l, layer in enumerate(spec.layers, 1):
        W = params[f"W{l}"] if row else params[f"W{l}"].T
        z = a @ W + (params[f"b{l}"].reshape(1, -1) if layer.bias else 0.0)
        if l in kinds:
            axis = 0 if kinds[l] == "batch" else 1
            centred = z - z.mean(axis=axis, keepdims=True)
            zhat = centred / np.sqrt((centred**2).mean(axis=axis, keepdims=True) + eps)
            z = zhat * params[f"gamma{l}"].reshape(1, -1) + params[f"beta{l}"].reshape(1, -1)
        if layer.activation == "softmax":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            a = e / e.sum(axis=1, keepdims=True)
        else:
            a = ACTS[layer.activation](z)
    return a if row else a.T


@pytest.mark.parametrize("kind", sorted(NETS))
def test_export_matches_an_independent_forward_pass(tmp_path: Path, rng: np.random.Generator, kind: str) -> None:
    spec = spec_of(NETS[kind])
    path = tmp_path / f"norm_{kind}.py"
    path.write_text(export_source(spec), encoding="utf-8")
    module = load(path)
    params = {k: v + rng.uniform(-0.3, 0.3, v.shape) for k, v in module.init_params(1).items()}
    for batch in (2, 5):
        x, y = data(spec, rng, batch)
        np.testing.assert_allclose(module.forward(params, x), reference_output(spec, params, x, spec.norm_epsilon),
                                   rtol=1e-12, atol=1e-12)
        check_grads(lambda p: module.cost(p, x, y), lambda p: module.gradients(p, x, y), params)
    completed = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_init_params_start_like_torch(tmp_path: Path) -> None:
    path = tmp_path / "norm_init.py"
    path.write_text(export_source(spec_of(NETS["batch"])), encoding="utf-8")
    params = load(path).init_params(0)
    np.testing.assert_array_equal(params["gamma1"], 1.0)
    np.testing.assert_array_equal(params["beta1"], 0.0)
    assert "b1" not in params


@pytest.mark.parametrize("kind", [*sorted(NETS), "deep"])
def test_agrees_with_torch_normalisation_layers(tmp_path: Path, rng: np.random.Generator, kind: str) -> None:
    """torch.nn.BatchNorm1d in training mode (batch statistics, biased variance) and LayerNorm,
    both in float64 with their weight and bias set to γ and β."""
    torch = pytest.importorskip("torch")
    spec = spec_of(DEEP if kind == "deep" else NETS[kind], name=f"norm-{kind}")
    path = tmp_path / f"norm_torch_{kind}.py"
    path.write_text(export_source(spec, form="matrix", backend="torch"), encoding="utf-8")
    module = load(path)
    params = {k: np.asarray(v) + rng.uniform(-0.3, 0.3, np.shape(v)) for k, v in module.init_params(2).items()}
    batch = 4
    x, y = data(spec, rng, batch)
    row = spec.convention == "row"
    kinds = dict(spec.norm)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    a = torch.tensor(x if row else x.T)
    acts = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "softmax": lambda z: torch.softmax(z, 1)}
    for l, layer in enumerate(spec.layers, 1):
        W = t[f"W{l}"] if row else t[f"W{l}"].T
        z = a @ W + (t[f"b{l}"].reshape(1, -1) if layer.bias else 0.0)
        if l in kinds:
            width = layer.width
            if kinds[l] == "batch":
                norm = torch.nn.BatchNorm1d(width, eps=spec.norm_epsilon, dtype=torch.float64)
                norm.train()
            else:
                norm = torch.nn.LayerNorm(width, eps=spec.norm_epsilon, dtype=torch.float64)
            with torch.no_grad():
                norm.weight.copy_(t[f"gamma{l}"].detach().reshape(-1))
                norm.bias.copy_(t[f"beta{l}"].detach().reshape(-1))
            z = norm(z)
            norm_params = {f"gamma{l}": norm.weight, f"beta{l}": norm.bias}
            t.update({f"torch_{k}": v for k, v in norm_params.items()})
        a = acts[layer.activation](z)
    target = torch.tensor(y if row else y.T)
    cost = 0.5 * torch.sum((a - target) ** 2) if spec.cost == "quadratic" else -torch.sum(target * torch.log(a))
    if spec.reduction == "mean":
        cost = cost / batch
    cost.backward()
    assert module.cost(params, x, y) == pytest.approx(float(cost.detach()), rel=1e-10)
    ours = module.gradients(params, x, y)
    for k in params:
        theirs = t[f"torch_{k}"] if f"torch_{k}" in t else t[k]
        np.testing.assert_allclose(np.asarray(ours[k]).reshape(-1), theirs.grad.numpy().reshape(-1), rtol=1e-10,
                                   atol=1e-12, err_msg=k)


def test_general_scalar_view_and_scalar_form_refuse_norm() -> None:
    import derive as package

    with pytest.raises(DeriveError, match="concrete widths"):
        replace(package.EXAMPLES["l-layer"], norm="layer")
    with pytest.raises(DeriveError, match="scalar view"):
        replace(package.EXAMPLES["two-two-two"], norm="layer")
    with pytest.raises(DeriveError, match="use --form matrix"):
        export_source(spec_of(NETS["batch"]), form="scalar")


@pytest.mark.parametrize(("args", "message"), [
    (["show", "mlp:2-2-1", "--batch", "2", "--norm", "batch:2"], "norm layer 2 is not a hidden layer"),
    (["show", "mlp:2-2-1", "--norm", "group"], "unknown normalisation 'group'; valid choices: batch, layer"),
    (["show", "mlp:2-2-1", "--norm", "batch"], "batch normalisation needs a batch of n >= 2 samples"),
    (["show", "mlp:2-1-1", "--norm", "layer"], "layer normalisation needs a layer of width >= 2"),
    (["show", "mlp:2-2-1", "--norm", "batch:x"], "must name layers such as batch:1 or batch:1,2"),
    (["show", "mlp:2-2-1", "--batch", "2", "--norm", "batch", "--norm-epsilon", "0"],
     "argument --norm-epsilon: must be a number > 0, not '0'"),
    (["show", "mlp:2-2-1", "--batch", "2", "--norm", "batch", "--dropout", "1"],
     "normalisation layers and dropout are not derived together yet"),
    (["export", "mlp:2-2-1", "--batch", "2", "--norm", "batch", "--form", "scalar"],
     "a normalisation layer's mean and variance need them all: use --form matrix"),
])
def test_bad_values_are_one_line_errors(args: list[str], message: str) -> None:
    from cli_support import assert_clean, run_derive

    outcome = run_derive(args, ROOT)
    assert_clean(outcome)  # one line on stderr, no traceback
    assert outcome.returncode == 2 and message in outcome.stderr, outcome.describe()


@pytest.mark.parametrize(("text", "message"), [
    ("input = 2\nbatch = 2\n[[layers]]\nwidth = 2\nnorm = \"batch\"\nbias = true\n[[layers]]\nwidth = 1\n",
     "layer 1 has batch normalisation and a bias: the mean removes b^1"),
    ("input = 2\nbatch = 2\n[[layers]]\nwidth = 2\nnorm = 3\n[[layers]]\nwidth = 1\n",
     "unknown normalisation of layer 1 3; valid choices: batch, layer"),
    ("input = 2\nnorm = \"layer\"\nnorm_epsilon = -1\n[[layers]]\nwidth = 2\n[[layers]]\nwidth = 1\n",
     "norm_epsilon (the ε of √(σ² + ε)) must be a number > 0, not -1"),
])
def test_bad_spec_keys(tmp_path: Path, text: str, message: str) -> None:
    from derive.spec import load_toml

    path = tmp_path / "net.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DeriveError) as info:
        load_toml(path)
    assert message in str(info.value)


def test_per_layer_key_and_top_level_key_agree(tmp_path: Path) -> None:
    from derive.spec import load_toml

    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text("input = 2\nbatch = 2\nnorm = \"batch\"\nnorm_epsilon = 0.001\n[[layers]]\nwidth = 2\n"
                 "[[layers]]\nwidth = 1\n", encoding="utf-8")
    b.write_text("input = 2\nbatch = 2\nnorm_epsilon = 0.001\n[[layers]]\nwidth = 2\nnorm = \"batch\"\n"
                 "[[layers]]\nwidth = 1\n", encoding="utf-8")
    first, second = load_toml(a), load_toml(b)
    assert first.norm == second.norm == ((1, "batch"),)
    assert first.layers == second.layers and not first.layers[0].bias and first.layers[1].bias
    assert first.norm_epsilon == 0.001


def test_the_shorthand_option_drops_the_biases_of_normalised_layers() -> None:
    from derive.api import resolve_network

    spec = resolve_network("mlp:3-4-4-2", batch=2, norm="batch:2")
    assert [layer.bias for layer in spec.layers] == [True, False, True]
    assert "batch norm on layer 2" in spec.describe()


#: Posts of a batch-norm and a layer-norm network: written on every platform in both languages.
POST_NETS = {"batch": NETS["batch"], "layer-row-ce": NETS["layer-row-ce"]}
#: The post of each that derive check reads back: a Markdown post in English, the LaTeX one in Chinese.
CHECKED_POST = {"batch": "hugo.en.md", "layer-row-ce": "latex.zh.tex"}


@lru_cache(maxsize=None)
def posts(kind: str) -> dict[str, str]:
    from derive.posts.command import derivation_for_post
    from derive.posts.render import LANGUAGES, PLATFORMS, PostSource, render_post

    source = PostSource(derivation_for_post(spec_of(POST_NETS[kind], name=f"norm-{kind}"), 0), 0)
    files: dict[str, str] = {}
    for platform in PLATFORMS:
        for lang in LANGUAGES:
            files.update(render_post(source, platform, lang))
    return {name: text for name, text in files.items() if not name.endswith(".svg")}


@pytest.mark.parametrize("kind", sorted(POST_NETS))
def test_posts_explain_every_step_in_both_languages(kind: str) -> None:
    from derive.check.api import notebook_markdown

    for name, text in posts(kind).items():
        text = notebook_markdown(text, name) if name.endswith(".ipynb") else text
        assert "+ \\epsilon}" in text and "\\sqrt{" in text, name
        if ".zh." in name:
            assert "均值有两条路径" in text and "三条路径" in text, name
        else:
            assert "The mean has two paths to the cost" in text and "three ways" in text, name


@pytest.mark.parametrize("kind", sorted(POST_NETS))
def test_derive_check_finds_every_formula_of_a_norm_post_correct(kind: str) -> None:
    """μ^l, (σ^l)², ẑ^l, u^l, γ^l, β^l and ε are bound by derive's own notation: every formula of its
    post is judged, and correct (nothing left unchecked)."""
    from derive.check import check_text
    from derive.check.api import notebook_markdown

    spec = spec_of(POST_NETS[kind], name=f"norm-{kind}")
    name = f"norm-{kind}.{CHECKED_POST[kind]}"  # one post each: test_network_kinds checks every platform's
    for name, text in [(name, posts(kind)[name])]:
        body = notebook_markdown(text, name) if name.endswith(".ipynb") else text
        report = check_text(body, spec, kind="latex" if name.endswith(".tex") else "markdown", path=name)
        bad = [(l.line, l.verdict, l.reason) for st in report.statements for l in st.links if l.verdict != "correct"]
        assert not bad, (name, bad[:3])
        assert report.counts["correct"] >= 90, name


@pytest.mark.parametrize("kind", sorted(POST_NETS))
def test_every_formula_renders_in_strict_katex(kind: str) -> None:
    from posts_support import strict_katex_errors

    errors = strict_katex_errors(posts(kind))
    assert not errors, errors[:5]
