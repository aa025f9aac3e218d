"""Residual (skip) connections (issue 15): a^l = f(z^l) + a^j for an earlier layer j of the same width.

The skip gives a^j a second path to the cost, so ∂C/∂a^j = (W^{j+1})ᵀ δ^{j+1} + ∂C/∂a^l (its own
step, rule residual-gradient), and a layer whose output carries a skip keeps f′ in z (a^l ≠ f(z^l)).
Both verifiers refuse an error without the extra path and a derivative in a on such a layer; both
export forms agree with an independent forward pass and with torch autograd where torch is
installed; bad values are one-line errors naming the valid choices.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from derive import derive
from derive.algebra import ApplyPrime, Grad, NetQuantity
from derive.errors import DeriveError, VerificationError
from derive.gradcheck import check_grads
from derive.spec import build
from derive.verify import verify
from cli_support import ROOT, one_line_error, run_derive, spec_file_error
from export_support import assert_matches_autograd, data, perturbed_params, self_test, write_module

NETS = {
    # one skip over a hidden layer, one sample
    "hidden": dict(widths=[2, 3, 3, 2], activation="tanh", output_activation="sigmoid", residual=((2, 1),)),
    # from the input, and two skips from one layer (∂C/∂a^1 gains two terms), a batch averaged
    "input-two": dict(widths=[3, 3, 3, 3, 2], activation="sigmoid", output_activation="sigmoid", batch=3,
                      reduction="mean", residual=((1, 0), (2, 1), (3, 1))),
    # into the output layer (quadratic cost), row convention, a batch, with L2
    "output-row": dict(widths=[2, 3, 3, 3], activation="relu", output_activation="identity", convention="row",
                       batch=2, l2=0.1, residual=((3, 1),)),
}


def spec_of(kind: str):
    options = dict(NETS[kind])
    return build(options.pop("widths"), name=f"residual-{kind}", **options)


def _skip_terms(expr) -> set[int]:
    """The layers t of the ∂C/∂a^t terms of a sum in expr (the skips' direct paths)."""
    return {int(term.wrt.layer) for node in sp.preorder_traversal(expr) if isinstance(node, sp.MatAdd)
            for term in node.args if isinstance(term, Grad) and isinstance(term.wrt, NetQuantity)}


@pytest.mark.parametrize("kind", sorted(NETS))
def test_the_skip_adds_its_path_to_the_earlier_layer(kind: str) -> None:
    spec = spec_of(kind)
    d = derive(spec)
    for l, j in spec.residual:
        forward = d.step(f"a_{l}")
        assert forward.rule == "residual"
        assert NetQuantity("a", j, *forward.lhs.shape) in forward.rhs.args or (j == 0 and d.step(f"a_{l}").rhs.has(
            NetQuantity("x", 0, *forward.lhs.shape)))
        # a^l carries the skip: its error keeps f′ in z and never goes through an identity in a
        delta = d.step(f"delta_{l}")
        assert delta.rule == "chain-rule-residual"
        assert any(isinstance(n, ApplyPrime) for n in sp.preorder_traversal(delta.rhs))
        assert f"act_prime_{l}" not in {s.key for s in d.steps}
    for j in {j for _, j in spec.residual if j > 0}:
        later = {l for l, source in spec.residual if source == j}
        step = d.step(f"grad_a_{j}")
        assert step.rule == "residual-gradient"
        assert _skip_terms(step.rhs) == later
        assert _skip_terms(d.step(f"delta_{j}").rhs) == later
        assert {c.method for c in d.checks if c.step in (step.key, f"delta_{j}")} == {"numeric", "symbolic"}


def _without_skips(expr):
    if isinstance(expr, sp.MatAdd):
        kept = [_without_skips(a) for a in expr.args if not isinstance(a, Grad)]
        return kept[0] if len(kept) == 1 else sp.MatAdd(*kept, evaluate=False)
    if isinstance(expr, sp.HadamardProduct):
        return sp.HadamardProduct(*[_without_skips(a) for a in expr.args], evaluate=False)
    return expr


@pytest.mark.parametrize("kind", ["hidden", "input-two"])
def test_an_error_without_the_skip_path_is_refused(kind: str) -> None:
    """Both verifiers compare with the derivative of the network with its skip: the path cannot be left out."""
    spec = spec_of(kind)
    d = derive(spec)
    key = f"delta_{max(j for _, j in spec.residual)}"
    steps = tuple(replace(s, forms=s.forms[:2] + tuple(_without_skips(f) for f in s.forms[2:])) if s.key == key
                  else s for s in d.steps)
    assert steps != d.steps
    for symbolic in (True, False):
        with pytest.raises(VerificationError):
            verify(replace(d, steps=steps, checks=()), symbolic=symbolic)


def test_a_derivative_in_a_is_refused_where_a_carries_the_skip() -> None:
    """σ′(z²) = a²(1 − a²) holds only for a² = σ(z²): with a² = σ(z²) + a¹ both verifiers refuse it."""
    from derive.algebra import lift
    from derive import rules

    spec = build([2, 3, 3, 2], activation="sigmoid", residual=((2, 1),))
    d = derive(spec)
    step = d.step("delta_2")
    a2 = NetQuantity("a", 2, *step.lhs.shape)
    in_a = step.forms[-1].xreplace({n: lift(rules.activation("sigmoid").df_da, {rules.A: a2})
                                    for n in sp.preorder_traversal(step.forms[-1]) if isinstance(n, ApplyPrime)})
    steps = tuple(replace(s, forms=s.forms + (in_a,)) if s.key == "delta_2" else s for s in d.steps)
    for symbolic in (True, False):
        with pytest.raises(VerificationError):
            verify(replace(d, steps=steps, checks=()), symbolic=symbolic)


ACTS = {"tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "relu": lambda z: np.maximum(z, 0),
        "identity": lambda z: z}


def reference_output(spec, params: dict, x: np.ndarray) -> np.ndarray:
    """The forward pass written out here, independently: each skip adds the earlier output."""
    row, outputs = spec.convention == "row", [x]
    for l, layer in enumerate(spec.layers, 1):
        a = outputs[-1]
        z = a @ params[f"W{l}"] + params[f"b{l}"] if row else params[f"W{l}"] @ a + params[f"b{l}"]
        a = ACTS[layer.activation](z)
        if spec.residual_from(l) is not None:
            a = a + outputs[spec.residual_from(l)]
        outputs.append(a)
    return outputs[-1]


@pytest.mark.parametrize("form", ["matrix", "scalar"])
@pytest.mark.parametrize("kind", sorted(NETS))
def test_export_follows_the_skips(tmp_path: Path, rng: np.random.Generator, kind: str, form: str) -> None:
    spec = spec_of(kind)
    module = write_module(tmp_path, spec, f"residual_{kind}_{form}", form=form)
    params = perturbed_params(module, rng)
    for batch in (1, 4):
        x, y = data(module, rng, batch)
        np.testing.assert_allclose(module.forward(params, x), reference_output(spec, params, x), rtol=1e-12,
                                   atol=1e-12)
        check_grads(lambda p: module.cost(p, x, y), lambda p: module.gradients(p, x, y), params)
    self_test(tmp_path / f"residual_{kind}_{form}.py")


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_other_backends_pass_their_self_test(tmp_path: Path, backend: str) -> None:
    pytest.importorskip(backend)
    write_module(tmp_path, spec_of("input-two"), f"residual_{backend}", form="matrix", backend=backend)
    self_test(tmp_path / f"residual_{backend}.py")


def test_float32_agrees_with_float64(tmp_path: Path) -> None:
    write_module(tmp_path, spec_of("output-row"), "residual_float32", form="matrix", dtype="float32")
    assert "float32 agrees" in self_test(tmp_path / "residual_float32.py")


@pytest.mark.parametrize("kind", sorted(NETS))
def test_agrees_with_torch_autograd(tmp_path: Path, rng: np.random.Generator, kind: str) -> None:
    torch = pytest.importorskip("torch")
    spec = spec_of(kind)
    module = write_module(tmp_path, spec, f"residual_torch_{kind}", form="matrix")
    params = perturbed_params(module, rng)
    x, y = data(module, rng, 3)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    row = spec.convention == "row"
    acts = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "identity": lambda z: z}
    outputs = [torch.tensor(x)]
    for l, layer in enumerate(spec.layers, 1):
        z = outputs[-1] @ t[f"W{l}"] + t[f"b{l}"] if row else t[f"W{l}"] @ outputs[-1] + t[f"b{l}"]
        a = acts[layer.activation](z)
        if spec.residual_from(l) is not None:
            a = a + outputs[spec.residual_from(l)]
        outputs.append(a)
    cost = 0.5 * torch.sum((outputs[-1] - torch.tensor(y)) ** 2)
    if spec.l2:
        cost = cost + spec.l2 / 2 * sum(torch.sum(t[f"W{l}"] ** 2) for l in range(1, spec.depth + 1))
    if spec.reduction == "mean":
        cost = cost / (x.shape[0] if row else x.shape[1])
    assert_matches_autograd(module, params, t, cost, x, y)


def test_general_and_scalar_view_refuse_residual() -> None:
    import derive as package

    with pytest.raises(DeriveError, match="concrete widths"):
        replace(package.EXAMPLES["l-layer"], residual=((2, 1),))
    with pytest.raises(DeriveError, match="scalar view"):
        replace(package.EXAMPLES["two-two-two"], residual=((2, 1),))


@pytest.mark.parametrize(("args", "message"), [
    (["show", "mlp:3-4-2", "--residual", "2:1"],
     "a residual into layer 2 from layer 1 needs equal widths, but layer 2 has 2 neurons and layer 1 has 4; "
     "layers before 2 of width 2: none"),
    (["show", "mlp:3-4-3", "--residual", "1:0"],
     "a residual into layer 1 from the input (layer 0) needs equal widths, but layer 1 has 4 neurons and the input "
     "(layer 0) has 3; layers before 1 of width 4: none"),
    (["show", "mlp:3-3-3-2", "--residual", "2:2"], "residual_from of layer 2 must be an earlier layer, 0 (the input) "
                                                    "to 1, not 2"),
    (["show", "mlp:3-3-3-2", "--residual", "4:1"], "residual layer 4 is not a layer; choose from 1, 2, 3"),
    (["show", "mlp:3-3-3-2", "--residual", "2:1,2:0"], "layer 2 has two residual connections"),
    (["show", "mlp:3-3-3", "--residual", "2:1", "--output-activation", "softmax", "--cost", "ce"],
     "layer 2's softmax is not elementwise"),
    (["show", "mlp:3-3-3", "--residual", "2:1", "--cost", "bce"],
     "a residual into the output layer 2 makes a^2 = f(z^2) + a^1 leave the range the binary-cross-entropy cost "
     "needs; costs defined for every output: quadratic, mean-absolute-error, huber"),
    (["show", "mlp:3-3-3-2", "--residual", "2:1", "--dropout", "1"],
     "layer 1 has dropout; residual connections join layers without a dropout mask"),
    (["show", "mlp:3-3-3-2", "--residual", "2"],
     "argument --residual: must be layer:from pairs such as 3:1 or 2:0,4:2, not '2'"),
])
def test_bad_values_are_one_line_errors(args: list[str], message: str) -> None:
    assert message in one_line_error(args)


@pytest.mark.parametrize(("text", "message"), [
    ("input = 2\n[[layers]]\nwidth = 2\nresidual_from = \"x\"\n[[layers]]\nwidth = 1\n",
     "residual_from of layer 1 must be an earlier layer, 0 (the input) to 0, not 'x'"),
    ("input = 2\n[[layers]]\nwidth = 3\n[[layers]]\nwidth = 2\nresidual_from = 1\n",
     "a residual into layer 2 from layer 1 needs equal widths, but layer 2 has 2 neurons and layer 1 has 3; "
     "layers before 2 of width 2: 0"),
    ("input = 2\n[[layers]]\nwidth = 2\nresidual_from = true\n[[layers]]\nwidth = 1\n",
     "residual_from of layer 1 must be an earlier layer, 0 (the input) to 0, not True"),
])
def test_bad_spec_keys(tmp_path: Path, text: str, message: str) -> None:
    assert spec_file_error(tmp_path, text) == message


def test_spec_key_and_option_agree(tmp_path: Path) -> None:
    from derive.api import resolve_network
    from derive.spec import load_toml

    path = tmp_path / "net.toml"
    path.write_text("input = 3\n[[layers]]\nwidth = 3\nresidual_from = 0\n[[layers]]\nwidth = 3\n"
                    "[[layers]]\nwidth = 3\nresidual_from = 1\n[[layers]]\nwidth = 2\n", encoding="utf-8")
    from_file = load_toml(path)
    from_option = resolve_network("mlp:3-3-3-3-2", residual=((3, 1), (1, 0)))
    assert from_file.residual == from_option.residual == ((1, 0), (3, 1))
    assert "residual 1:0,3:1" in from_option.describe()


def test_derive_list_shows_the_key() -> None:
    listing = run_derive(["list"], ROOT)
    assert listing.returncode == 0
    assert any(line.split()[:1] == ["residual_from"] for line in listing.stdout.splitlines()), listing.stdout


def _posts(spec, platform: str) -> dict[str, str]:
    from derive.posts.command import derivation_for_post
    from derive.posts.render import PostSource, render_post

    source = PostSource(derivation_for_post(spec, 0), 0)
    return {**render_post(source, platform, "en"), **render_post(source, platform, "zh")}


def test_posts_show_the_skips_and_are_deterministic() -> None:
    spec = build([3, 3, 3, 3, 2], name="residual-post", activation="tanh", residual=((1, 0), (3, 1)))
    first = _posts(spec, "github")
    assert first == _posts(spec, "github")
    english = next(text for name, text in first.items() if name.endswith(".en.md"))
    chinese = next(text for name, text in first.items() if name.endswith(".zh.md"))
    assert "a residual connection from the input into layer 1" in english
    assert "This is where the skip's extra path enters the error." in english
    assert "从第 1 层到第 3 层的残差连接" in chinese and "跳跃连接带来的额外路径" in chinese
    diagram = next(text for name, text in first.items() if name.endswith(".svg"))
    assert diagram.count("<polyline") == len(spec.residual)


def test_the_english_latex_post_is_ascii_and_draws_the_skips() -> None:
    """pdflatex reads ASCII: the explanations' f′, ≠ and σ′ are typeset, not passed through."""
    spec = build([3, 3, 3, 3, 2], name="residual-tex", activation="tanh", residual=((1, 0), (3, 1)))
    tex = next(text for name, text in _posts(spec, "latex").items() if name.endswith(".en.tex"))
    assert tex.isascii(), sorted({ch for ch in tex if not ch.isascii()})
    assert tex.count(r"\draw[dashed") == len(spec.residual)
