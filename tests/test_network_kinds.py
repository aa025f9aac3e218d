"""The networks people derive next (issue 15), each through everything derive does.

For every kind below: the verified derivation is proved and checked (test_backprop covers the
engine grids); here its post on every platform in both languages reads back through
`derive check` with every formula correct and nothing unchecked, every formula renders in strict
KaTeX (where node is installed), and a hand-written post with the kind's typical mistake is
caught by `derive check` with the right diagnosis.
"""

from __future__ import annotations

from functools import lru_cache

import pytest

from posts_support import strict_katex_errors

from derive.check import check_text
from derive.check.api import notebook_markdown
from derive.spec import NetworkSpec, build

#: kind -> a small network of that kind (small enough to prove every step exactly).
KINDS: dict[str, NetworkSpec] = {
    "mean": build([3, 3, 2], name="mean-mlp", activation="tanh", output_activation="sigmoid", batch=2,
                  reduction="mean"),
    "mean-bce-row": build([3, 3, 2], name="mean-bce", activation="softplus", output_activation="sigmoid",
                          cost="binary-cross-entropy", convention="row", batch=2, reduction="mean"),
}
#: The L2 penalty: summed with the weights only, and averaged with the biases too.
KINDS["l2"] = build([3, 3, 2], name="l2-mlp", activation="tanh", output_activation="sigmoid", l2=0.1)
KINDS["l2-mean-bias"] = build([3, 3, 2], name="l2-mean-mlp", activation="sigmoid", output_activation="sigmoid",
                              batch=2, reduction="mean", l2=0.2, l2_bias=True)
#: Dropout with a given mask: one hidden layer (sigmoid, one sample), two (tanh, a batch in the row
#: convention).
KINDS["dropout"] = build([3, 3, 2], name="dropout-mlp", activation="sigmoid", output_activation="sigmoid",
                         dropout=(1,))
KINDS["dropout-row-batch"] = build([3, 3, 3, 2], name="dropout-row-mlp", activation="tanh",
                                   output_activation="sigmoid", convention="row", batch=2, dropout=(1, 2))
#: Residual connections: a skip over a hidden layer (sigmoid, one sample), and skips from the input and
#: into the output layer (tanh, identity output, a batch in the row convention).
KINDS["residual"] = build([3, 3, 3, 2], name="residual-mlp", activation="sigmoid", output_activation="sigmoid",
                          residual=((2, 1),))
KINDS["residual-row-batch"] = build([2, 2, 2, 2], name="residual-row-mlp", activation="tanh",
                                    output_activation="identity", convention="row", batch=2,
                                    residual=((1, 0), (3, 1)))
#: Batch and layer normalisation: batch norm in the row convention (a batch of two, mean cost), layer
#: norm in the column convention (one sample). Every post of each, on every platform, is checked.
KINDS["norm-batch-row"] = build([2, 3, 2], name="norm-batch-row", activation="tanh", output_activation="sigmoid",
                                batch=2, convention="row", reduction="mean", norm="batch")
KINDS["norm-layer"] = build([3, 3, 2], name="norm-layer", activation="tanh", output_activation="sigmoid",
                            norm="layer")
#: One network per activation added in issue 15, hidden layer of that activation, sigmoid output.
NEW_ACTIVATIONS = ("leaky-relu", "elu", "gelu", "gelu-tanh", "silu")
KINDS.update({name: build([3, 3, 2], name=f"{name}-mlp", activation=name, output_activation="sigmoid")
              for name in NEW_ACTIVATIONS})

#: The costs added in issue 15, with a tanh output (residuals reach past Huber's δ = 1).
KINDS.update({name: build([3, 3, 2], name=f"{name}-mlp", activation="sigmoid", output_activation="tanh", cost=name)
              for name in ("mean-absolute-error", "huber")})


@lru_cache(maxsize=None)
def posts(kind: str) -> dict[str, str]:
    """Every post of the kind's network: file name -> text (platform × language)."""
    from derive.posts.command import derivation_for_post
    from derive.posts.render import LANGUAGES, PLATFORMS, PostSource, render_post

    spec = KINDS[kind]
    source = PostSource(derivation_for_post(spec, 0), 0)
    files: dict[str, str] = {}
    for platform in PLATFORMS:
        for lang in LANGUAGES:
            files.update(render_post(source, platform, lang))
    return {name: text for name, text in files.items() if not name.endswith(".svg")}


def _checkable(name: str, text: str) -> tuple[str, str]:
    if name.endswith(".ipynb"):
        return notebook_markdown(text, name), "markdown"
    return text, "latex" if name.endswith(".tex") else "markdown"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_post_checks_correct(kind: str) -> None:
    from derive.posts.render import LANGUAGES, PLATFORMS

    files = posts(kind)
    assert len(files) == len(PLATFORMS) * len(LANGUAGES)
    for name, text in sorted(files.items()):
        body, doc_kind = _checkable(name, text)
        report = check_text(body, KINDS[kind], kind=doc_kind, path=name)
        bad = [(l.line, l.verdict, l.reason, l.text) for st in report.statements for l in st.links
               if l.verdict != "correct"]
        assert not bad, (name, bad[:3])
        assert report.counts["correct"] >= 20, name


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_formula_renders_in_strict_katex(kind: str) -> None:
    errors = strict_katex_errors(posts(kind))
    assert not errors, errors[:5]


#: (kind, hand-written post, the diagnosis of each wrong line, in order)
PLANTED = [
    ("mean",
     "The cost is $$C = \\frac{1}{2n} \\sum_{i=1}^{n} \\sum_{j=1}^{2} (a^2_{ji} - y_{ji})^2$$\n"
     "so $$\\frac{\\partial C}{\\partial a^2} = a^2 - y$$\n"
     "and $$\\delta^2 = \\frac{1}{n} (a^2 - y) \\odot a^2 \\odot (1 - a^2)$$\n",
     ["batch-factor"]),
    ("mean",
     "$$C = \\frac{1}{2} \\sum_{i=1}^{n} \\sum_{j=1}^{2} (a^2_{ji} - y_{ji})^2$$\n",
     ["batch-factor"]),
]


#: λ missing in ∂C/∂W (the penalty's term forgotten), and the penalty dropped from the cost.
_L2_COST = ("$$C = \\frac{{1}}{{2}} \\sum_{{j=1}}^{{2}} (a^2_j - y_j)^2 + {}$$\n")
PLANTED += [
    ("l2", "$$\\frac{\\partial C}{\\partial W^2} = \\delta^2 (a^1)^T$$\n", ["missing-weight-decay"]),
    ("l2", "$$\\frac{\\partial C}{\\partial W^1} = \\delta^1 x^T + \\lambda W^1$$\n", []),
    ("l2", _L2_COST.format("\\frac{\\lambda}{2}\\left(\\lVert W^1 \\rVert^2 + \\lVert W^2 \\rVert^2\\right)"), []),
    ("l2", _L2_COST.format("0"), ["missing-weight-decay"]),
    ("l2-mean-bias", "$$\\frac{\\partial C}{\\partial b^2} = \\delta^2 \\mathbf{1}_n$$\n", ["missing-weight-decay"]),
]

#: The mask missing in δ (the error of a dropped unit passed back anyway), and the correct forms.
PLANTED += [
    ("dropout", "$$\\delta^1 = \\left((W^2)^T \\delta^2\\right) \\odot \\sigma'(z^1)$$\n", ["missing-dropout-mask"]),
    ("dropout", "$$\\delta^1 = \\left((W^2)^T \\delta^2\\right) \\odot m^1 \\odot \\sigma'(z^1)$$\n", []),
    ("dropout", "$$a^1 = \\sigma(z^1) \\odot m^1$$\n", []),
    ("dropout", "$$\\delta^1_j = \\sum_{k=1}^{2} W^2_{kj} \\delta^2_k \\sigma'(z^1_j)$$\n", ["missing-dropout-mask"]),
    ("dropout-row-batch", "$$\\delta_1 = \\left(\\delta_2 W_2^T\\right) \\odot \\tanh'(z_1)$$\n", ["missing-dropout-mask"]),
]

#: The skip's path missing in ∂C/∂a^1 and δ^1 (matrix and entry), f′ in a where a carries the skip,
#: and the correct forms.
PLANTED += [
    ("residual", "$$\\delta^1 = \\left((W^2)^T \\delta^2\\right) \\odot \\sigma'(z^1)$$\n", ["missing-residual-path"]),
    ("residual", "$$\\frac{\\partial C}{\\partial a^1} = (W^2)^T \\delta^2$$\n", ["missing-residual-path"]),
    ("residual", "$$\\delta^1 = \\left((W^2)^T \\delta^2 + \\frac{\\partial C}{\\partial a^2}\\right) \\odot "
                 "\\sigma'(z^1)$$\n", []),
    ("residual", "$$a^2 = \\sigma(z^2) + a^1$$\n", []),
    ("residual", "$$\\delta^1_j = \\sum_{k=1}^{3} W^2_{kj} \\delta^2_k \\sigma'(z^1_j)$$\n", ["missing-residual-path"]),
    ("residual", "$$\\delta^2 = \\left((W^3)^T \\delta^3\\right) \\odot a^2 \\odot (1 - a^2)$$\n",
     ["residual-prime-in-a"]),
    ("residual-row-batch", "$$\\delta_1 = \\left(\\delta_2 W_2^T\\right) \\odot \\tanh'(z_1)$$\n",
     ["missing-residual-path"]),
    ("residual-row-batch", "$$\\delta_1 = \\left(\\delta_2 W_2^T + \\frac{\\partial C}{\\partial a_3}\\right) \\odot "
                           "\\tanh'(z_1)$$\n", []),
]

#: f′ of a normalisation layer taken at the pre-norm z instead of u, and its 1/N (N = 3 neurons of
#: the layer norm, n = 2 samples of the batch norm) left out of μ, (σ)², δ's compact form or one of
#: its paths; and the correct forms.
_COMPACT = ("\\left(\\left({n} \\frac{{\\partial C}}{{\\partial \\hat{{z}}^1}} - \\mathbf{{1}}_3^T "
            "\\frac{{\\partial C}}{{\\partial \\hat{{z}}^1}} - \\hat{{z}}^1 \\odot \\left(\\mathbf{{1}}_3^T "
            "\\left(\\frac{{\\partial C}}{{\\partial \\hat{{z}}^1}} \\odot \\hat{{z}}^1\\right)\\right)\\right) \\oslash "
            "\\sqrt{{\\left(\\sigma^1\\right)^2 + \\epsilon}}\\right)")
_PATHS = ("\\frac{{\\partial C}}{{\\partial \\hat{{z}}^1}} \\oslash \\sqrt{{\\left(\\sigma^1\\right)^2 + \\epsilon}} + "
          "\\frac{{\\partial C}}{{\\partial \\left(\\sigma^1\\right)^2}} \\odot \\left({two} \\left(z^1 - \\mu^1\\right)\\right) "
          "+ {one} \\frac{{\\partial C}}{{\\partial \\mu^1}}")
PLANTED += [
    ("norm-layer", "$$\\frac{\\partial C}{\\partial u^1} = \\left((W^2)^T \\delta^2\\right) \\odot \\tanh'(z^1)$$\n",
     ["norm-prime-of-z"]),
    ("norm-layer", "$$\\frac{\\partial C}{\\partial u^1} = \\left((W^2)^T \\delta^2\\right) \\odot \\tanh'(u^1)$$\n", []),
    ("norm-layer", "$$\\mu^1 = \\mathbf{1}_3^T z^1$$\n", ["missing-norm-count"]),
    ("norm-layer", "$$\\mu^1 = \\frac{1}{3} \\mathbf{1}_3^T z^1$$\n", []),
    ("norm-layer", "$$\\delta^1 = " + _COMPACT.format(n="3") + "$$\n", ["missing-norm-count"]),
    ("norm-layer", "$$\\delta^1 = \\frac{1}{3} " + _COMPACT.format(n="3") + "$$\n", []),
    ("norm-layer", "$$\\delta^1 = " + _PATHS.format(two="2", one="\\frac{1}{3}") + "$$\n", ["missing-norm-count"]),
    ("norm-layer", "$$\\delta^1 = " + _PATHS.format(two="\\frac{2}{3}", one="") + "$$\n", ["missing-norm-count"]),
    ("norm-layer", "$$\\delta^1 = " + _PATHS.format(two="\\frac{2}{3}", one="\\frac{1}{3}") + "$$\n", []),
    ("norm-batch-row", "$$\\frac{\\partial C}{\\partial u_1} = \\left(\\delta_2 W_2^T\\right) \\odot \\tanh'(z_1)$$\n",
     ["norm-prime-of-z"]),
    ("norm-batch-row", "$$\\sigma_1^2 = \\mathbf{1}_n^T \\left((z_1 - \\mu_1) \\odot (z_1 - \\mu_1)\\right)$$\n",
     ["missing-norm-count"]),
    ("norm-batch-row", "$$\\sigma_1^2 = \\frac{1}{n} \\mathbf{1}_n^T \\left((z_1 - \\mu_1) \\odot (z_1 - \\mu_1)\\right)$$\n",
     []),
]

#: The hidden error of each new activation with the usual slips: f′ of the activation a instead of
#: the pre-activation z, or another activation's derivative (ReLU's step for a leaky ReLU).
_HIDDEN = "$$\\delta^1 = \\left((W^2)^T \\delta^2\\right) \\odot {}$$\n"
PLANTED += [
    ("leaky-relu", _HIDDEN.format("\\mathbf{1}[a^1 > 0]"), ["other-activation"]),
    ("leaky-relu", _HIDDEN.format("\\operatorname{LeakyReLU}'(z^1)"), []),
    ("elu", _HIDDEN.format("\\operatorname{ELU}'(a^1)"), ["prime-argument"]),
    ("elu", _HIDDEN.format("\\operatorname{LeakyReLU}'(z^1)"), ["other-activation"]),
    ("gelu", _HIDDEN.format("\\operatorname{GELU}'(a^1)"), ["prime-argument"]),
    ("gelu", _HIDDEN.format("\\operatorname{GELUtanh}'(z^1)"), ["other-activation"]),
    ("gelu-tanh", _HIDDEN.format("\\operatorname{GELUtanh}'(a^1)"), ["prime-argument"]),
    ("silu", _HIDDEN.format("\\operatorname{SiLU}'(a^1)"), ["prime-argument"]),
    ("silu", _HIDDEN.format("a^1 \\odot (1 - a^1)"), ["other-activation"]),
]

#: A cost's derivative written as the quadratic cost's (the kink forgotten), or the cost without
#: its absolute value.
PLANTED += [
    ("mean-absolute-error", "$$\\frac{\\partial C}{\\partial a^2} = a^2 - y$$\n", ["wrong-cost"]),
    ("mean-absolute-error",
     "$$\\frac{\\partial C}{\\partial a^2} = \\mathbf{1}[a^2 - y > 0] - \\mathbf{1}[y - a^2 > 0]$$\n", []),
    ("huber-linear", "$$\\frac{\\partial C}{\\partial a^2} = a^2 - y$$\n", ["wrong-cost"]),
    ("huber-linear",
     "$$\\frac{\\partial C}{\\partial a^2} = \\mathbf{1}[a^2 - y > 0] - \\mathbf{1}[y - a^2 > 0]$$\n",
     ["wrong-cost"]),
]
#: Networks only the planted mistakes use: a linear output, whose residuals pass Huber's δ on the
#: checker's random points (a formula right only inside δ must be caught).
PLANTED_NETS = {"huber-linear": build([3, 3, 2], activation="sigmoid", output_activation="identity", cost="huber")}


@pytest.mark.parametrize(("kind", "text", "expected"), PLANTED, ids=[f"{p[0]}-{i}" for i, p in enumerate(PLANTED)])
def test_planted_mistake_is_caught(kind: str, text: str, expected: list[str]) -> None:
    report = check_text(text, {**KINDS, **PLANTED_NETS}[kind])
    wrong = [l.diagnosis.name if l.diagnosis else None for st in report.statements for l in st.links
             if l.verdict == "wrong"]
    assert wrong == expected
    assert report.counts["not checked"] == 0 and report.exit_code == (1 if expected else 0)


#: (σ^l)² is read as the variance only squared: σ is the sigmoid in derive's map, and a letter a post
#: binds to norm-variance names the standard deviation when it stands alone.
_VARIANCE = "\\frac{1}{3} \\mathbf{1}_3^T \\left((z^1 - \\mu^1) \\odot (z^1 - \\mu^1)\\right)"
_S_IS_VARIANCE = "```derive-notation\n[symbols]\ns = \"norm-variance\"\n```\n"


@pytest.mark.parametrize(("text", "verdict", "reason"), [
    (f"$$\\left(\\sigma^1\\right)^2 = {_VARIANCE}$$\n", "correct", ""),
    (f"{_S_IS_VARIANCE}$$\\left(s^1\\right)^2 = {_VARIANCE}$$\n", "correct", ""),
    (f"{_S_IS_VARIANCE}$$s^1 = {_VARIANCE}$$\n", "not checked", "s alone, the standard deviation"),
    ("$$\\gamma^2 = W^2$$\n", "not checked", "layer 2 has no normalisation (normalised layers: 1)"),
])
def test_norm_variance_is_read_squared(text: str, verdict: str, reason: str) -> None:
    report = check_text(text, KINDS["norm-layer"])
    (link,) = [l for st in report.statements for l in st.links]
    assert link.verdict == verdict and link.reason.startswith(reason), link.reason
