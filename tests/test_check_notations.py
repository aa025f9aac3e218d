r"""derive check on the notations real posts are written in (issue 11 §2) and on the sources of
false verdicts seen on real posts (§1).

Every notation form has at least one CORRECT instance (true mathematics written in that notation:
the checker must say "correct") and one WRONG instance (a real mistake in that notation: the
checker must say "wrong"; where the issue names the kind of mistake, the diagnosis must name it
too). Each instance is a short post in the style of the real posts of that family, checked through
the public API with the notation map a user would write for it. Every correct instance was checked
by hand or numerically (NumPy central differences, outside this file) and every wrong instance
differs from the truth at the instance's sizes.

The sources of false verdicts (§1) are judged "never wrong": the checker may abstain, but a link of
correct mathematics, or one it cannot read, is never called wrong.

A case the checker gets wrong today is marked `xfail(strict=True)` with what it gets wrong; the
marker comes off with the fix.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from derive.api import resolve_network
from derive.check import CheckReport, check_text
from derive.check.notation import parse_toml

if TYPE_CHECKING:  # the checker's internals move while it is reshaped: only the public API at run time
    from derive.check.results import LinkResult

CORRECT, WRONG, NOT_CHECKED = "correct", "wrong", "not checked"
NEVER_WRONG = "never wrong"  # correct or not checked


# ----------------------------------------------------------------------------------------------
# Cases and how they are judged
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    verdict: str
    doc: str
    #: A piece of the link's right side (or of "left = right"), whitespace ignored; None: the post's
    #: only link.
    needle: str | None = None
    #: Words one of which a fitting diagnosis contains (its name or message); () for no demand.
    kinds: tuple[str, ...] = ()
    net: str = ""
    notation: str | None = None


@dataclass(frozen=True)
class Spec:
    """One case as a family lists it: its id, the case, and what the checker gets wrong today
    (`xfail` for the verdict, `xfail_diagnosis` for the diagnosis only)."""

    id: str
    case: Case
    xfail: str | None = None
    xfail_diagnosis: str | None = None


def ok(id: str, doc: str, needle: str | None = None, *, xfail: str | None = None) -> Spec:
    return Spec(id, Case(CORRECT, doc, needle), xfail)


def bad(id: str, doc: str, needle: str | None = None, *, kinds: tuple[str, ...] = (), xfail: str | None = None,
        xfail_diagnosis: str | None = None) -> Spec:
    return Spec(id, Case(WRONG, doc, needle, kinds), xfail, xfail_diagnosis)


def safe(id: str, doc: str, needle: str | None = None, *, xfail: str | None = None) -> Spec:
    return Spec(id, Case(NEVER_WRONG, doc, needle), xfail)


def abstains(id: str, doc: str, needle: str | None = None, *, xfail: str | None = None) -> Spec:
    return Spec(id, Case(NOT_CHECKED, doc, needle), xfail)


def family(net: str, notation: str | None, specs: list[Spec]) -> list[Any]:
    """The parameters of a family's test: each case on the family's network and map; a wrong case
    whose kind is named is a second parameter, `ID-diagnosis`, that also demands the diagnosis."""
    params = []
    for spec in specs:
        case = replace(spec.case, net=net, notation=notation)
        verdict_only = replace(case, kinds=())
        marks = [pytest.mark.xfail(strict=True, reason=spec.xfail)] if spec.xfail else []
        params.append(pytest.param(verdict_only, id=spec.id, marks=marks))
        if case.kinds:
            reason = spec.xfail or spec.xfail_diagnosis
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(pytest.param(case, id=spec.id + "-diagnosis", marks=marks))
    return params


NETS: dict[str, Any] = {
    # Andrew Ng: examples as the m columns, tanh hidden layer, one sigmoid unit, binary cross-entropy.
    "ng": resolve_network("mlp:3-3-1", batch=4, activation="tanh", output_activation="sigmoid",
                          cost="binary-cross-entropy"),
    # CS231n: examples as the N rows, ReLU, softmax classes, cross-entropy.
    "cs231n": resolve_network("mlp:4-3-3", batch=5, activation="relu", output_activation="softmax",
                              cost="cross-entropy", convention="row"),
    # One letter per layer: tanh hidden layer, softmax output, cross-entropy, one sample.
    "letters": resolve_network("mlp:3-4-3", activation="tanh", output_activation="softmax", cost="cross-entropy"),
    # Chinese blogs: a small sigmoid network with biases, quadratic cost, one sample.
    "zh": resolve_network("mlp:2-2-2"),
    # A batch post that also writes single-sample formulas.
    "batch": resolve_network("mlp:3-3-2", batch=4),
    # One sigmoid output unit, binary cross-entropy, a batch of 4 (a post's "第二层" lines).
    "bce": resolve_network("mlp:3-4-1", batch=4, cost="binary-cross-entropy"),
    "mlp-3-3-3": resolve_network("mlp:3-3-3"),
    # Logistic regression: one sigmoid neuron, binary cross-entropy.
    "one-neuron": resolve_network("mlp:3-1", cost="binary-cross-entropy"),
    # Regression, examples as rows: tanh hidden layer, linear output, squared error.
    "row-mse": resolve_network("mlp:3-4-2", batch=5, activation="tanh", output_activation="identity", convention="row"),
    # Regression, one sample: tanh hidden layer, three linear outputs, squared error.
    "tanh-mse": resolve_network("mlp:3-4-3", activation="tanh", output_activation="identity"),
}


def squash(text: str) -> str:
    return "".join(text.split())


@functools.lru_cache(maxsize=None)
def report_of(doc: str, net: str, notation: str | None) -> CheckReport:
    data = (parse_toml(notation, "test map"), "test map") if notation else None
    return check_text(doc, NETS.get(net, net), notation=data)


def all_links(report: CheckReport) -> list[LinkResult]:
    return [link for st in report.statements for link in st.links]


def find_link(case: Case) -> LinkResult:
    """The link of the case: the only one, or the one whose right side is the needle, or the one
    whose right side (or "left = right") contains it."""
    links = all_links(report_of(case.doc, case.net, case.notation))
    if case.needle is None:
        assert len(links) == 1, [(l.left, l.text, l.verdict) for l in links]
        return links[0]
    want = squash(case.needle)
    found = [l for l in links if squash(l.text) == want]
    if not found:
        found = [l for l in links if want in squash(l.text) or want in squash(l.left + "=" + l.text)]
    assert len(found) == 1, (f"{case.needle!r} names {len(found)} links of "
                             f"{[(l.left, l.text, l.verdict) for l in links]}")
    return found[0]


def describe(link: LinkResult) -> str:
    d = link.diagnosis
    return (f"{link.left} {link.relation} {link.text}: {link.verdict} ({link.reason})"
            + (f"; diagnosis {d.name}: {d.message}" if d else ""))


def judge(case: Case) -> None:
    link = find_link(case)
    if case.verdict == NEVER_WRONG:
        assert link.verdict != WRONG, describe(link)
        return
    assert link.verdict == case.verdict, describe(link)
    if case.kinds:
        assert link.diagnosis is not None, describe(link)
        said = f"{link.diagnosis.name} {link.diagnosis.message}".lower()
        assert any(kind.lower() in said for kind in case.kinds), (case.kinds, describe(link))


# ----------------------------------------------------------------------------------------------
# Andrew Ng / Coursera: A^{[l]}, dZ, dW, m examples as columns, a mean cost, (i) superscripts
# ----------------------------------------------------------------------------------------------

NG_MAP = """
gradient_prefix = "d"          # dZ^{[l]}, dW^{[l]}, db^{[l]}, dA^{[l]}: derivatives of the cost J
[symbols]
W = "weight"
b = "bias"
Z = "preactivation"
z = "preactivation"            # dz^{[l](i)}: column i of dZ^{[l]}
A = "activation"               # A^{[0]} = X
X = "input"
Y = "target"
J = { role = "cost", reduction = "mean" }   # J = (1/m) sum of the losses of the m examples
m = "batch"
g = "activation-function"      # g^{[l]}: the activation of layer l
"""

ONE_OVER_M_TWICE = ("1/m", "twice", "mean", "batch", "average")
NG_HALF = "diagnosed 'factor: a factor ½ too many' (the ratio on the checker's instance of 2 examples), not as 1/m counted twice"

NG_COST = r"$$J = %s\sum_{i=1}^{m}\left(Y^{(i)}\log A^{[2](i)} + (1 - Y^{(i)})\log(1 - A^{[2](i)})\right)$$"

NG = [
    ok("forward", r"Forward propagation: $$Z^{[1]} = W^{[1]} X + b^{[1]}$$"),
    bad("forward-transposed", r"$$Z^{[1]} = W^{[1]T} X + b^{[1]}$$", kinds=("transpos",)),
    ok("activation", r"$$A^{[l]} = g^{[l]}(Z^{[l]})$$"),
    ok("mean-cost", NG_COST % r"-\frac{1}{m}"),
    bad("mean-cost-sign", NG_COST % r"\frac{1}{m}", kinds=("sign",)),
    bad("mean-cost-without-1/m", NG_COST % "-"),
    ok("dZ-output", r"For the mean cost, $$dZ^{[2]} = \frac{1}{m}(A^{[2]} - Y)$$"),
    bad("dZ-output-sign", r"$$dZ^{[2]} = \frac{1}{m}(Y - A^{[2]})$$", kinds=("sign",)),
    ok("dW-transpose-inside-superscript", r"$$dW^{[2]} = dZ^{[2]} A^{[1]T}$$"),
    bad("dW-1/m-twice", r"$$dW^{[2]} = \frac{1}{m} dZ^{[2]} A^{[1]T}$$", kinds=ONE_OVER_M_TWICE),
    ok("db-sum-over-examples", r"$$db^{[2]} = \sum_{i=1}^{m} dZ^{[2](i)}$$"),
    bad("db-1/m-twice", r"$$db^{[2]} = \frac{1}{m}\sum_{i=1}^{m} dZ^{[2](i)}$$", kinds=ONE_OVER_M_TWICE),
    ok("db-lowercase-columns", r"$$db^{[l]} = \sum_{i=1}^{m} dz^{[l](i)}$$"),
    bad("db-lowercase-columns-1/m-twice", r"$$db^{[l]} = \frac{1}{m} \sum_{i=1}^{m} dz^{[l](i)}$$",
        kinds=ONE_OVER_M_TWICE),
    ok("dA", r"$$dA^{[1]} = W^{[2]T} dZ^{[2]}$$"),
    bad("dA-untransposed", r"$$dA^{[1]} = W^{[2]} dZ^{[2]}$$", kinds=("transpos",)),
    ok("g-prime-after-layer", r"$$dZ^{[1]} = dA^{[1]} \odot g^{[1]\prime}(Z^{[1]})$$"),
    ok("g-prime-before-layer", r"$$dZ^{[1]} = dA^{[1]} \odot g^{\prime[1]}(Z^{[1]})$$"),
    bad("g-prime-of-A", r"$$dZ^{[1]} = dA^{[1]} \odot g^{[1]\prime}(A^{[1]})$$", kinds=("prime-argument",)),
    ok("tanh-derivative", r"$$dZ^{[1]} = W^{[2]T} dZ^{[2]} \odot (1 - (A^{[1]})^2)$$"),
    bad("tanh-derivative-of-Z", r"$$dZ^{[1]} = W^{[2]T} dZ^{[2]} \odot (1 - (Z^{[1]})^2)$$", kinds=("z-for-a",)),
    ok("general-layer", r"$$dW^{[l]} = dZ^{[l]} A^{[l-1]T}$$"),
    bad("general-layer-1/m-twice", r"$$dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1]T}$$", kinds=ONE_OVER_M_TWICE),
    ok("example-superscript", r"$$Z^{[l](i)} = W^{[l]} A^{[l-1](i)} + b^{[l]}$$"),
    bad("example-superscript-wrong-layer", r"$$Z^{[l](i)} = W^{[l]} A^{[l](i)} + b^{[l]}$$"),
    ok("example-superscript-input", r"$$Z^{[1](i)} = W^{[1]} X^{(i)} + b^{[1]}$$"),
    bad("example-superscript-input-transposed", r"$$Z^{[1](i)} = W^{[1]T} X^{(i)} + b^{[1]}$$", kinds=("transpos",)),
]

#: Ng's own convention: dZ is the derivative of the summed loss C, the parameters' gradients of J = C/m.
NG_SUM_MAP = NG_MAP.replace('gradient_prefix = "d"', 'gradient_prefix = "d"\ngradient_of = "C"').replace(
    "[symbols]", '[symbols]\nC = "cost"                     # the sum of the losses')

INPUT_FOR_HIDDEN = ("input", "activation", "a^{[1]}", "A^{[1]}")

NG_SUM = [
    ok("dZ-of-the-summed-loss", r"$$dZ^{[2]} = A^{[2]} - Y$$"),
    bad("dZ-of-the-summed-loss-mean", r"$$dZ^{[2]} = \frac{1}{m}(A^{[2]} - Y)$$"),
    ok("dJ/dW-with-1/m", r"$$\frac{\partial J}{\partial W^{[2]}} = \frac{1}{m} dZ^{[2]} A^{[1]T}$$"),
    bad("dJ/dW-without-1/m", r"$$\frac{\partial J}{\partial W^{[2]}} = dZ^{[2]} A^{[1]T}$$",
        kinds=("1/m", "mean", "batch", "average")),
    bad("dJ/dW-input-for-hidden", r"$$\frac{\partial J}{\partial W^{[2]}} = \frac{1}{m} dZ^{[2]} X^T$$",
        kinds=INPUT_FOR_HIDDEN),
    ok("dJ/db-mean-of-columns", r"$$\frac{\partial J}{\partial b^{[1]}} = \frac{1}{m} \sum_{i=1}^{m} dZ^{[1](i)}$$"),
    ok("mean-of-the-sum", r"$$J = \frac{1}{m} C$$"),
]


@pytest.mark.parametrize("case", family("ng", NG_MAP, NG) + family("ng", NG_SUM_MAP, NG_SUM))
def test_andrew_ng(case: Case) -> None:
    judge(case)


# ----------------------------------------------------------------------------------------------
# CS231n / PyTorch: examples as rows, array indexing, class labels y_i, a loss averaged over N
# ----------------------------------------------------------------------------------------------

CS_MAP = """
layer_index = "sub"            # W_1, b_1, W_2, b_2
[symbols]
X = "input"                    # X[i,p]: feature p of example i
W = "weight"                   # W_2[p,k]: from hidden unit p to class k (rows = source)
b = "bias"
Z = "preactivation"            # Z_1: the hidden pre-activation
H = { role = "activation", layer = 1 }
S = { role = "preactivation", layer = 2 }   # the scores
P = { role = "activation", layer = 2 }      # the probabilities
y = "label"                    # y_i: the correct class of example i
Y = "target"                   # Y[i,k] = 1 when k = y_i
L = { role = "cost", reduction = "mean" }   # L = (1/N) sum_i L_i
N = "batch"
"""

CS_CASES = r"""$$\frac{\partial L_i}{\partial S[i,k]} = \begin{cases} %s, & \text{if k = y_i} \\ P[i,k], & \text{if k $\ne$ y_i} \end{cases}$$"""
CS_SOFTMAX = r"""$$U[i,k] = e^{S[i,k]}$$

$$P[i,k] = \frac{U[i,k]}{\sum_{p=1}^{3} U[i,p]}$$

If $k \ne y_i$,
$$\frac{\partial P[i,y_i]}{\partial S[i,k]} = %s$$
"""

CS = [
    ok("bracket-indexing", r"$$Z_1[i,j] = \sum_{p=1}^{4} X[i,p] W_1[p,j] + b_1[j]$$"),
    ok("scores", r"$$S[i,k] = \sum_{p=1}^{3} H[i,p] W_2[p,k] + b_2[k]$$"),
    bad("scores-swapped-indices", r"$$S[i,k] = \sum_{p=1}^{3} H[i,p] W_2[k,p] + b_2[k]$$", kinds=("swap",)),
    ok("softmax", r"$$P[i,k] = \frac{e^{S[i,k]}}{\sum_{j=1}^{3} e^{S[i,j]}}$$"),
    ok("loss-of-one-example", r"$$L_i = -\log P[i, y_i]$$"),
    bad("loss-of-one-example-sign", r"$$L_i = \log P[i, y_i]$$", kinds=("sign",)),
    ok("mean-loss", r"$$L = \frac{1}{N}\sum_{i=1}^{N} L_i$$"),
    bad("mean-loss-as-sum", r"$$L = \sum_{i=1}^{N} L_i$$"),
    ok("mean-loss-written-out", r"$$L = -\frac{1}{N}\sum_{i=1}^{N} \log P[i, y_i]$$"),
    ok("mean-loss-one-hot", r"$$L = -\frac{1}{N}\sum_{i=1}^{N}\sum_{k=1}^{3} Y[i,k] \log P[i,k]$$"),
    ok("d-notation-entry", r"$$\frac{dL}{dW_2[m,n]} = \frac{1}{N}\sum_{i=1}^{N} \frac{dL_i}{dW_2[m,n]}$$"),
    bad("d-notation-entry-without-mean", r"$$\frac{dL}{dW_2[m,n]} = \sum_{i=1}^{N} \frac{dL_i}{dW_2[m,n]}$$"),
    ok("d-notation-matrix", r"$$\frac{dL}{dW_2} = H^T \frac{dL}{dS}$$"),
    bad("d-notation-matrix-order", r"$$\frac{dL}{dW_2} = \frac{dL}{dS} H^T$$", kinds=("order",)),
    ok("scores-gradient", r"$$\frac{\partial L}{\partial S} = \frac{1}{N}(P - Y)$$"),
    bad("scores-gradient-without-mean", r"$$\frac{\partial L}{\partial S} = P - Y$$",
        kinds=("1/n", "mean", "batch", "average")),
    ok("cases-text-condition", CS_CASES % r"P[i,k] - 1", r"P[i,k] - 1, & \text{if k = y_i}"),
    bad("cases-text-condition-sign", CS_CASES % r"1 - P[i,k]", r"1 - P[i,k], & \text{if k = y_i}", kinds=("sign",)),
    ok("cases-condition-after-text",
       r"$$\frac{\partial L_i}{\partial S[i,k]} = \begin{cases} P[i,k] - 1, & \text{if } k = y_i \\ "
       r"P[i,k], & \text{otherwise} \end{cases}$$", r"P[i,k] - 1"),
    ok("condition-before-block", "If $k = y_i$,\n$$\\frac{\\partial P[i,y_i]}{\\partial S[i,k]} = P[i,k] (1 - P[i,k])$$"),
    bad("condition-before-block-sign-in-one-term",
        "If $k = y_i$,\n$$\\frac{\\partial P[i,y_i]}{\\partial S[i,k]} = P[i,k] (1 + P[i,k])$$", kinds=("sign",)),
    ok("other-class", "If $k \\ne y_i$,\n$$\\frac{\\partial P[i,y_i]}{\\partial S[i,k]} = -P[i,y_i] P[i,k]$$"),
    bad("other-class-sign", "If $k \\ne y_i$,\n$$\\frac{\\partial P[i,y_i]}{\\partial S[i,k]} = P[i,y_i] P[i,k]$$",
        kinds=("sign",)),
    ok("square-of-the-sum", CS_SOFTMAX % r"-\frac{U[i,y_i] U[i,k]}{(\sum_{p=1}^{3} U[i,p])^2}", r"U[i,p])^2}"),
    bad("sum-of-the-squares", CS_SOFTMAX % r"-\frac{U[i,y_i] U[i,k]}{\sum_{p=1}^{3} U[i,p]^2}", r"U[i,p]^2}",
        kinds=("square",)),
    ok("relu-as-max", r"$$H[i,j] = \max(0, Z_1[i,j])$$"),
]


@pytest.mark.parametrize("case", family("cs231n", CS_MAP, CS))
def test_cs231n(case: Case) -> None:
    judge(case)


# ----------------------------------------------------------------------------------------------
# Nielsen: BP1–BP4, ∇_a C, w^l_{jk}, component sums, the input numbered as layer 1
# ----------------------------------------------------------------------------------------------

NIELSEN_MAP = """
layer_offset = 1               # the input is layer 1 (a^1 = x): weights and biases for l = 2..L
[symbols]
w = "weight"                   # w^l_{jk}: from neuron k of layer l-1 to neuron j of layer l
b = "bias"
z = "preactivation"
a = { role = "activation", layer = "L" }   # \\nabla_a C: a without a layer is the output a^L
delta = "error"
sigma = "sigmoid"
C = "cost"
y = "target"
x = "input"
"""

OFFSET = ("layer_offset = 1 adds 1 to the post's layer numbers (README: 'W_0 is the first weight matrix'), so "
          "with the input numbered 1 (the map of tests/realposts/yinhangfeng_bp_proof.toml) %s")

NIELSEN = [
    ok("BP1", r"$$\delta^L = \nabla_a C \odot \sigma'(z^L) \tag{BP1}$$"),
    bad("BP1-prime-of-a", r"$$\delta^L = \nabla_a C \odot \sigma'(a^L) \tag{BP1}$$", kinds=("prime-argument",)),
    ok("BP2", r"$$\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l) \tag{BP2}$$"),
    bad("BP2-untransposed", r"$$\delta^l = (w^{l+1} \delta^{l+1}) \odot \sigma'(z^l) \tag{BP2}$$", kinds=("transpos",)),
    ok("BP3", r"$$\frac{\partial C}{\partial b^l_j} = \delta^l_j \tag{BP3}$$"),
    bad("BP3-prime-twice", r"$$\frac{\partial C}{\partial b^l_j} = \delta^l_j \sigma'(z^l_j) \tag{BP3}$$"),
    ok("BP4", r"$$\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j \tag{BP4}$$"),
    bad("BP4-swapped-indices", r"$$\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_j \delta^l_k \tag{BP4}$$",
        kinds=("swap",)),
    bad("BP4-wrong-layer", r"$$\frac{\partial C}{\partial w^l_{jk}} = a^{l}_k \delta^l_j \tag{BP4}$$", kinds=("layer",)),
    ok("nabla-a", r"$$\nabla_a C = a^L - y$$"),
    bad("nabla-a-sign", r"$$\nabla_a C = y - a^L$$", kinds=("sign",)),
    ok("nabla-w", r"$$\nabla_{w^l} C = \delta^l (a^{l-1})^T$$"),
    bad("nabla-w-untransposed", r"$$\nabla_{w^l} C = \delta^l a^{l-1}$$", kinds=("transpos",)),
    ok("component-sum", r"$$\delta^l_j = \sum_k w^{l+1}_{kj} \delta^{l+1}_k \sigma'(z^l_j)$$"),
    bad("component-sum-swapped", r"$$\delta^l_j = \sum_k w^{l+1}_{jk} \delta^{l+1}_k \sigma'(z^l_j)$$", kinds=("swap",)),
    ok("forward-component-sum", r"$$z^{l+1}_k = \sum_j w^{l+1}_{kj} a^l_j + b^{l+1}_k$$"),
    ok("cost-components", r"$$C = \frac{1}{2}\sum_j (y_j - a^L_j)^2$$"),
    # a post's definition of its own cost is its notation (a squared error without the ½): what it
    # implies for the gradients is checked (test_never_wrong, own-cost-…)
    abstains("cost-components-without-half", r"$$C = \sum_j (y_j - a^L_j)^2$$"),
    # L is the output layer whatever the offset.
    ok("output-error", r"$$\delta^L = (a^L - y) \odot \sigma'(z^L)$$"),
    bad("output-error-wrong-layer", r"$$\delta^L = (a^{L-1} - y) \odot \sigma'(z^L)$$", kinds=("layer",)),
    # The input is a^1.
    ok("input-is-layer-1", r"$$a^1 = x$$"),
    ok("first-layer", r"$$z^2 = w^2 x + b^2$$"),
    ok("first-layer-gradient", r"$$\frac{\partial C}{\partial w^2} = \delta^2 x^T$$"),
    ok("output-layer-by-number", r"$$\delta^4 = (a^4 - y) \odot \sigma'(z^4)$$"),
    bad("first-layer-gradient-wrong-layer", r"$$\frac{\partial C}{\partial w^2} = \delta^2 (a^2)^T$$"),
]


@pytest.mark.parametrize("case", family("l-layer", NIELSEN_MAP, NIELSEN))
def test_nielsen(case: Case) -> None:
    judge(case)


# ----------------------------------------------------------------------------------------------
# Chinese blogs: y_1 (layer 1) beside y_{21} (layer 2, neuron 1), hats, f^{'}, * and \times
# ----------------------------------------------------------------------------------------------

ZH_MAP = """
layer_index = "sub"
products = { ast = "elementwise", times = "matrix" }   # 文中说明：* 为对应元素相乘，\\times 为矩阵乘法
[symbols]
W = "weight"
b = "bias"
z = { role = "preactivation", index = "layer-neuron" }   # z_{21}: 第 2 层第 1 个神经元
y = { role = "activation", index = "layer-neuron" }      # y_1: 第 1 层的输出；y_{21}: 第 2 层第 1 个神经元
yhat = "target"                # \\hat{y}: 目标值
x = "input"
f = "sigmoid"
E = "cost"
delta = "error"
"""

#: A post that writes only layer vectors (no entries).
ZH_VECTOR_MAP = ZH_MAP.replace('z = { role = "preactivation", index = "layer-neuron" }', 'z = "preactivation"').replace(
    'y = { role = "activation", index = "layer-neuron" }', 'y = "activation"').replace(
    'x = "input"', 'xhat = "input"                 # \\hat{x}: 输入')

PROSE = "设第 $l$ 层的输出为 $y_l$，第 2 层第 1 个神经元的输出为 $y_{21}$。损失函数为 $E = \\frac{1}{2}\\|y_2 - \\hat{y}\\|^2$。\n"
LAYER_VECTOR = "not checked: 'y needs a layer and a neuron': a layer vector y_1 beside the entries y_{21} of the same map"

ZH = [
    ok("entry", PROSE + "对第 2 层第 1 个神经元求导：\n$$\\frac{\\partial E}{\\partial y_{21}} = y_{21} - \\hat{y}_1$$",
       r"y_{21} - \hat{y}_1"),
    bad("entry-sign", PROSE + "$$\\frac{\\partial E}{\\partial y_{21}} = \\hat{y}_1 - y_{21}$$", r"\hat{y}_1 - y_{21}",
        kinds=("sign",)),
    ok("entry-f-prime", r"$$\frac{\partial E}{\partial z_{21}} = (y_{21} - \hat{y}_1) f^{'}(z_{21})$$"),
    bad("entry-f-prime-of-y", r"$$\frac{\partial E}{\partial z_{21}} = (y_{21} - \hat{y}_1) f^{'}(y_{21})$$",
        kinds=("prime-argument",)),
    bad("entry-z-for-y", r"$$\frac{\partial E}{\partial z_{21}} = (y_{21} - \hat{y}_1) z_{21}(1 - z_{21})$$",
        kinds=("z-for-a",)),
    ok("layer-vector", "其中 $y_1$ 是第 1 层的输出：\n$$y_1 = f(W_1 \\times x + b_1)$$", r"f(W_1 \times x + b_1)"),
    ok("layer-vector-error", r"$$\delta_2 = (y_2 - \hat{y}) * f^{'}(z_2)$$"),
    bad("layer-vector-error-prime-of-y", r"$$\delta_2 = (y_2 - \hat{y}) * f^{'}(y_2)$$"),
    ok("layer-vector-gradient", r"$$\frac{\partial E}{\partial W_2} = \delta_2 \times y_1^T$$"),
    bad("layer-vector-gradient-wrong-layer", r"$$\frac{\partial E}{\partial W_2} = \delta_2 \times y_2^T$$"),
]

ZH_VECTORS = [
    ok("hat-input", "输入记为 $\\hat{x}$：\n$$z_1 = W_1 \\times \\hat{x} + b_1$$", r"W_1 \times \hat{x} + b_1"),
    bad("hat-input-transposed", r"$$z_1 = W_1^T \times \hat{x} + b_1$$", kinds=("transpos",)),
    ok("hat-target", r"$$E = \frac{1}{2}\|y_2 - \hat{y}\|^2$$"),
    bad("hat-target-without-square", r"$$E = \frac{1}{2}(y_2 - \hat{y})^T \times \mathbf{1}$$"),
    ok("ast-and-times", "其中 $*$ 表示对应元素相乘，$\\times$ 表示矩阵乘法：\n"
       "$$\\delta_1 = (W_2^T \\times \\delta_2) * f^{'}(z_1)$$", r"(W_2^T \times \delta_2) * f^{'}(z_1)"),
    bad("ast-and-times-untransposed", r"$$\delta_1 = (W_2 \times \delta_2) * f^{'}(z_1)$$", kinds=("transpos",)),
    ok("f-prime-output", r"$$\delta_2 = (y_2 - \hat{y}) * f^{'}(z_2)$$"),
    bad("f-prime-output-of-y", r"$$\delta_2 = (y_2 - \hat{y}) * f^{'}(y_2)$$", kinds=("prime-argument",)),
    ok("gradient", r"$$\frac{\partial E}{\partial W_2} = \delta_2 \times y_1^T$$"),
    bad("gradient-input-for-hidden", r"$$\frac{\partial E}{\partial W_2} = \delta_2 \times \hat{x}^T$$",
        kinds=INPUT_FOR_HIDDEN),
]


@pytest.mark.parametrize("case", family("zh", ZH_MAP, ZH) + family("zh", ZH_VECTOR_MAP, ZH_VECTORS))
def test_chinese_blog(case: Case) -> None:
    judge(case)


# ----------------------------------------------------------------------------------------------
# One letter per layer: t, h (hidden pre-activation and activation), θ (logits), ŷ
# ----------------------------------------------------------------------------------------------

LETTERS_MAP = """
[symbols]
x = "input"
y = "target"
U = { role = "weight", layer = 1 }
V = { role = "weight", layer = 2 }
b = { role = "bias", layer = 1 }
c = { role = "bias", layer = 2 }
t = { role = "preactivation", layer = 1 }
h = { role = "activation", layer = 1 }
theta = { role = "preactivation", layer = 2 }
yhat = { role = "activation", layer = 2 }
L = "cost"
"""

H_SQUARED = "h^2 is read as the activation of layer 2 (a layer superscript), not as h squared, although h's layer is fixed"

LETTERS = [
    ok("hidden-pre-activation", r"$$t = U x + b$$"),
    bad("hidden-pre-activation-transposed", r"$$t = U^T x + b$$", kinds=("transpos",)),
    ok("hidden-activation", r"$$h = \tanh(t)$$"),
    ok("logits", r"$$\theta = V h + c$$"),
    bad("logits-of-the-pre-activation", r"$$\theta = V t + c$$"),
    ok("output", r"$$\hat{y} = \operatorname{softmax}(\theta)$$"),
    ok("cost", r"$$L = -\sum_k y_k \log \hat{y}_k$$"),
    ok("logits-gradient", r"$$\frac{\partial L}{\partial \theta} = \hat{y} - y$$"),
    bad("logits-gradient-sign", r"$$\frac{\partial L}{\partial \theta} = y - \hat{y}$$", kinds=("sign",)),
    ok("output-weights", r"$$\frac{\partial L}{\partial V} = (\hat{y} - y) h^T$$"),
    bad("output-weights-input-for-hidden", r"$$\frac{\partial L}{\partial V} = (\hat{y} - y) x^T$$",
        kinds=INPUT_FOR_HIDDEN),
    ok("hidden-gradient", r"$$\frac{\partial L}{\partial h} = V^T (\hat{y} - y)$$"),
    bad("hidden-gradient-untransposed", r"$$\frac{\partial L}{\partial h} = V (\hat{y} - y)$$", kinds=("transpos",)),
    ok("tanh-derivative-square", r"$$\frac{\partial L}{\partial t} = \frac{\partial L}{\partial h} \odot (1 - h^2)$$"),
    ok("tanh-derivative-product", r"$$\frac{\partial L}{\partial t} = \frac{\partial L}{\partial h} \odot (1 - h \odot h)$$"),
    bad("tanh-derivative-of-t", r"$$\frac{\partial L}{\partial t} = \frac{\partial L}{\partial h} \odot (1 - t \odot t)$$"),
    ok("first-layer-weights", r"$$\frac{\partial L}{\partial U} = \left(V^T (\hat{y} - y) \odot (1 - h \odot h)\right) x^T$$"),
    bad("first-layer-weights-hidden-for-input",
        r"$$\frac{\partial L}{\partial U} = \left(V^T (\hat{y} - y) \odot (1 - h \odot h)\right) h^T$$"),
]


@pytest.mark.parametrize("case", family("letters", LETTERS_MAP, LETTERS))
def test_one_letter_per_layer(case: Case) -> None:
    judge(case)


# ----------------------------------------------------------------------------------------------
# Matrix calculus: vec, ⊗, Jacobians J_x(f), I_n, norms, C(W, b), \pmatrix, \bigg, \tag, systems,
# blocks that continue, operator forms, update rules
# ----------------------------------------------------------------------------------------------

MATRIX_MAP = """
products = { cdot = "matrix", otimes = "kronecker" }
[symbols]
W = "weight"
b = "bias"
z = "preactivation"
a = "activation"
delta = "error"
C = "cost"
y = "target"
J = "jacobian"                 # J_x(f): rows = entries of f, columns = entries of x
I = "identity-matrix"          # I_{n_l}
n = "width"
sigma = "sigmoid"
eta = "learning-rate"
"""

SYSTEM = (r"$$\left\{ \begin{aligned} \delta^L &= (a^L - y) \odot \sigma'(z^L) \\ "
          r"\delta^l &= ((W^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l) \\ "
          r"\frac{\partial C}{\partial b^l} &= \delta^l \\ "
          r"\frac{\partial C}{\partial W^l} &= %s \end{aligned} \right.$$")
CONTINUED = ("By the chain rule,\n"
             r"$$\frac{\partial C}{\partial b^L} = \frac{\partial C}{\partial a^L}\frac{\partial a^L}{\partial z^L}"
             r"\frac{\partial z^L}{\partial b^L} =$$" "\n" r"$$= %s$$" "\n")
UPDATE_DIRECTION = ("direction", "ascent", "up the gradient", "sign")

MATRIX = [
    ok("vec-kronecker", r"$$\frac{\partial z^{(l)}}{\partial \operatorname{vec}(W^{(l)})} = a^{(l-1)T} \otimes I_{n_l}$$"),
    bad("vec-kronecker-row-major", r"$$\frac{\partial z^{(l)}}{\partial \operatorname{vec}(W^{(l)})} = I_{n_l} \otimes a^{(l-1)T}$$"),
    ok("vec-kronecker-text", r"$$\nabla_{\text{vec}(W^{(l)})} C = \left(a^{(l-1)} \otimes I_{n_l}\right) \delta^{(l)}$$"),
    bad("vec-kronecker-text-row-major", r"$$\nabla_{\text{vec}(W^{(l)})} C = \left(I_{n_l} \otimes a^{(l-1)}\right) \delta^{(l)}$$"),
    ok("vec-of-outer-product", r"$$\nabla_{\operatorname{vec}(W^{(l)})} C = \operatorname{vec}\left(\delta^{(l)} a^{(l-1)T}\right)$$"),
    bad("vec-of-outer-product-transposed",
        r"$$\nabla_{\operatorname{vec}(W^{(l)})} C = \operatorname{vec}\left(a^{(l-1)} \delta^{(l)T}\right)$$"),
    ok("jacobian", r"$$J_{a^{(l-1)}}(z^{(l)}) = W^{(l)}$$"),
    bad("jacobian-transposed", r"$$J_{a^{(l-1)}}(z^{(l)}) = W^{(l)T}$$", kinds=("transpos",)),
    ok("jacobian-transpose-chain", r"$$\delta^{(l-1)} = J^T_{z^{(l-1)}}(a^{(l-1)}) (W^{(l)})^T \delta^{(l)}$$"),
    bad("jacobian-transpose-chain-untransposed", r"$$\delta^{(l-1)} = J^T_{z^{(l-1)}}(a^{(l-1)}) W^{(l)} \delta^{(l)}$$",
        kinds=("transpos",)),
    ok("identity", r"$$J_{b^{(l)}}(z^{(l)}) = I_{n_l}$$"),
    bad("identity-wrong-size", r"$$J_{b^{(l)}}(z^{(l)}) = I_{n_{l-1}}$$"),
    ok("identity-cdot", r"$$\nabla_{b^{(l)}} C = I_{n_l} \cdot \delta^{(l)}$$"),
    ok("bigodot", r"$$\delta^L = (a^L - y) \bigodot \sigma'(z^L)$$"),
    bad("bigodot-sigma-for-sigma-prime", r"$$\delta^L = (a^L - y) \bigodot \sigma'(a^L)$$", kinds=("prime-argument",)),
    ok("norm-backslash-bars", r"$$C = \frac{1}{2}\|a^L - y\|^2$$"),
    ok("norm-double-bars", r"$$C = \frac{1}{2}||a^L - y||^2$$"),
    abstains("norm-double-bars-without-half", r"$$C = ||a^L - y||^2$$"),  # the post's own cost (see own-cost-…)
    ok("cost-with-arguments", r"$$C(W, b) = \frac{1}{2}||a^L - y||^2$$"),
    ok("derivative-of-cost-with-arguments", r"$$\frac{\partial C(W, b)}{\partial b^l} = \delta^l$$"),
    bad("derivative-of-cost-with-arguments-untransposed", r"$$\frac{\partial C(W, b)}{\partial W^l} = \delta^l a^{l-1}$$",
        kinds=("transpos",)),
    ok("bigg-brackets", r"$$\delta^l = \bigg( (W^{l+1})^T \delta^{l+1} \bigg) \odot \sigma'(z^l)$$"),
    bad("bigg-brackets-untransposed", r"$$\delta^l = \bigg( W^{l+1} \delta^{l+1} \bigg) \odot \sigma'(z^l)$$",
        kinds=("transpos",)),
    ok("Bigg-square-brackets-tag", r"$$\delta^l = \Bigg[ (W^{l+1})^T \delta^{l+1} \Bigg] \odot \sigma'(z^l) \tag{2}$$"),
    bad("tag-sign", r"$$\frac{\partial C}{\partial b^l} = -\delta^l \tag{BP3}$$", kinds=("sign",)),
    ok("inline-with-inner-spaces", r"The bias gradient is $ \frac{\partial C}{\partial b^l} = \delta^l $ at every layer."),
    bad("inline-with-inner-spaces-sign", r"The bias gradient is $ \frac{\partial C}{\partial b^l} = -\delta^l $."),
    ok("system", SYSTEM % r"\delta^l (a^{l-1})^T", r"\delta^l (a^{l-1})^T"),
    ok("system-first-row", SYSTEM % r"\delta^l (a^{l-1})^T", r"(a^L - y) \odot \sigma'(z^L)"),
    bad("system-row-order", SYSTEM % r"(a^{l-1})^T \delta^l", r"(a^{l-1})^T \delta^l", kinds=("order",)),
    ok("continued-block", CONTINUED % r"(a^L - y) \odot \sigma'(z^L)", r"(a^L - y) \odot \sigma'(z^L)"),
    bad("continued-block-sigma-for-sigma-prime", CONTINUED % r"(a^L - y) \odot \sigma'(a^L)", r"\sigma'(a^L)",
        kinds=("prime-argument",)),
    ok("operator-form-entry", r"$$\frac{\partial C}{\partial a^L_j} = \frac{\partial}{\partial a^L_j}\left(\frac{1}{2}"
       r"\sum_k (a^L_k - y_k)^2\right) = a^L_j - y_j$$", r"\sum_k (a^L_k - y_k)^2\right)"),
    bad("operator-form-entry-sign", r"$$\frac{\partial C}{\partial a^L_j} = \frac{\partial}{\partial a^L_j}\left(\frac{1}{2}"
        r"\sum_k (a^L_k - y_k)^2\right) = y_j - a^L_j$$", r"y_j - a^L_j", kinds=("sign",)),
    ok("operator-form-vector", r"$$\frac{\partial C}{\partial a^L} = \frac{\partial}{\partial a^L}\left(\frac{1}{2}"
       r"\|a^L - y\|^2\right)$$"),
    ok("update-leftarrow", r"$$W^l \leftarrow W^l - \eta \frac{\partial C}{\partial W^l}$$"),
    bad("update-leftarrow-ascent", r"$$W^l \leftarrow W^l + \eta \frac{\partial C}{\partial W^l}$$", kinds=UPDATE_DIRECTION),
    ok("update-gets-nabla", r"$$W^l \gets W^l - \eta \nabla_{W^l} C$$"),
    ok("update-assign", r"$$W^l := W^l - \eta \delta^l (a^{l-1})^T$$"),
    bad("update-assign-untransposed", r"$$W^l := W^l - \eta \delta^l a^{l-1}$$"),
    ok("update-equals", r"$$b^l = b^l - \eta \delta^l$$"),
    bad("update-equals-ascent", r"$$b^l = b^l + \eta \delta^l$$", kinds=UPDATE_DIRECTION),
    ok("update-minus-equals", r"$$W^l -= \eta \frac{\partial C}{\partial W^l}$$"),
    bad("update-other-gradient", r"$$W^l \leftarrow W^l - \eta \nabla_{b^l} C$$"),
]

PMATRIX = [
    ok("pmatrix", r"$$\delta^2 = \pmatrix{(a^2_1 - y_1)\sigma'(z^2_1) \cr (a^2_2 - y_2)\sigma'(z^2_2)}$$"),
    bad("pmatrix-sign-in-one-row", r"$$\delta^2 = \pmatrix{(a^2_1 - y_1)\sigma'(z^2_1) \cr (y_2 - a^2_2)\sigma'(z^2_2)}$$",
        kinds=("sign",)),
]


@pytest.mark.parametrize("case", family("l-layer", MATRIX_MAP, MATRIX) + family("zh", MATRIX_MAP, PMATRIX))
def test_matrix_calculus(case: Case) -> None:
    judge(case)


def test_a_continued_block_adds_no_link_of_its_own() -> None:
    report = report_of(CONTINUED % r"(a^L - y) \odot \sigma'(z^L)", "l-layer", MATRIX_MAP)
    assert [link.verdict for link in all_links(report)] == [CORRECT, CORRECT], [describe(l) for l in all_links(report)]


# ----------------------------------------------------------------------------------------------
# Informal chain rules (either consistent layout), one-sample formulas in batch posts
# ----------------------------------------------------------------------------------------------

CHAIN = [
    ok("bias", r"$$\frac{\partial C}{\partial b^l} = \frac{\partial C}{\partial z^l}\frac{\partial z^l}{\partial b^l}$$"),
    ok("numerator-layout", r"$$\frac{\partial C}{\partial a^{l-1}} = \frac{\partial C}{\partial z^l}\frac{\partial z^l}{\partial a^{l-1}}$$"),
    ok("denominator-layout", r"$$\frac{\partial C}{\partial a^{l-1}} = \frac{\partial z^l}{\partial a^{l-1}}\frac{\partial C}{\partial z^l}$$"),
    ok("through-the-activation", r"$$\frac{\partial C}{\partial z^{l}} = \frac{\partial C}{\partial a^{l}}\frac{\partial a^{l}}{\partial z^{l}}$$"),
    ok("numerator-layout-error", r"$$\delta^l = \frac{\partial C}{\partial z^{l+1}}\frac{\partial z^{l+1}}{\partial z^l}$$"),
    ok("denominator-layout-error", r"$$\delta^l = \frac{\partial z^{l+1}}{\partial z^l}\frac{\partial C}{\partial z^{l+1}}$$"),
    ok("three-factors", r"$$\frac{\partial C}{\partial b^L} = \frac{\partial C}{\partial a^L}\frac{\partial a^L}{\partial z^L}"
       r"\frac{\partial z^L}{\partial b^L} = (a^L - y) \odot \sigma'(z^L)$$", r"\frac{\partial z^L}{\partial b^L}"),
    bad("missing-activation-factor", r"$$\frac{\partial C}{\partial a^{l-1}} = \frac{\partial C}{\partial a^{l}}"
        r"\frac{\partial z^{l}}{\partial a^{l-1}}$$"),
    bad("missing-activation-factor-denominator", r"$$\frac{\partial C}{\partial a^{l-1}} = \frac{\partial z^{l}}"
        r"{\partial a^{l-1}}\frac{\partial C}{\partial a^{l}}$$"),
    bad("jacobian-sigma-for-sigma-prime", r"$$\frac{\partial z^{l+1}}{\partial z^l} = W^{l+1} \operatorname{diag}(\sigma(z^l))$$"),
    ok("jacobian-numerator", r"$$\frac{\partial z^{l+1}}{\partial z^l} = W^{l+1} \operatorname{diag}(\sigma'(z^l))$$"),
    ok("jacobian-denominator", r"$$\frac{\partial z^{l+1}}{\partial z^l} = \operatorname{diag}(\sigma'(z^l)) (W^{l+1})^T$$"),
    safe("matrix-by-matrix", r"$$\frac{\partial C}{\partial W^l} = \frac{\partial C}{\partial z^l}\frac{\partial z^l}{\partial W^l}$$"),
]

#: The post states its layout: a product that only holds in the other one is wrong.
DENOMINATOR_MAP = 'derivative_layout = "denominator"\n'
CHAIN_STATED = [
    ok("stated-denominator", r"$$\frac{\partial C}{\partial a^{l-1}} = \frac{\partial z^l}{\partial a^{l-1}}\frac{\partial C}{\partial z^l}$$"),
    bad("stated-denominator-numerator-order",
        r"$$\frac{\partial C}{\partial a^{l-1}} = \frac{\partial C}{\partial z^l}\frac{\partial z^l}{\partial a^{l-1}}$$"),
    ok("stated-denominator-jacobian", r"$$\frac{\partial z^l}{\partial a^{l-1}} = (W^l)^T$$"),
    bad("stated-denominator-jacobian-numerator", r"$$\frac{\partial z^l}{\partial a^{l-1}} = W^l$$", kinds=("transpos",)),
]

BATCH_MAP = """
[symbols]
X = "input"
Z = "preactivation"
A = "activation"
Y = "target"
x = { role = "input", one_sample = true }
z = { role = "preactivation", one_sample = true }
a = { role = "activation", one_sample = true }
y = { role = "target", one_sample = true }
h = { role = "activation", layer = 1, one_sample = true }
"""

ONE_SAMPLE = [
    ok("batch-forward", r"$$Z^1 = W^1 X + b^1$$"),
    ok("one-sample-forward", "For one example $x$ (a column of $X$),\n$$z^1 = W^1 x + b^1$$", r"W^1 x + b^1"),
    bad("one-sample-forward-transposed", r"$$z^1 = (W^1)^T x + b^1$$", kinds=("transpos",)),
    ok("one-sample-hidden-letter", r"$$h = \sigma(W^1 x + b^1)$$"),
    ok("one-sample-error", r"$$\frac{\partial C}{\partial z^2} = (a^2 - y) \odot a^2 \odot (1 - a^2)$$"),
    bad("one-sample-error-z-for-a", r"$$\frac{\partial C}{\partial z^2} = (a^2 - y) \odot z^2 \odot (1 - z^2)$$",
        kinds=("z-for-a",)),
]

BCE_MAP = """
[symbols]
L = "cost"
a = { role = "activation", layer = 2, one_sample = true }     # the output unit, one example
z = { role = "preactivation", layer = 2, one_sample = true }
y = { role = "target", one_sample = true }
"""

ONE_SAMPLE_LOSS = [
    ok("loss", r"令 $$L = -\left(y \log a + (1 - y)\log(1 - a)\right)$$", r"-\left(y \log a"),
    ok("loss-derivative", r"$$\frac{\partial L}{\partial a} = -\frac{y}{a} + \frac{1-y}{1-a}$$"),
    bad("loss-derivative-sign-in-one-term", r"$$\frac{\partial L}{\partial a} = -\frac{y}{a} - \frac{1-y}{1-a}$$",
        kinds=("sign",)),
    ok("chain", r"$$\frac{\partial L}{\partial z} = \frac{\partial L}{\partial a}\frac{\partial a}{\partial z} = a - y$$",
       r"a - y"),
    ok("sigmoid-derivative", r"$$\frac{\partial a}{\partial z} = \frac{e^{-z}}{(1+e^{-z})^{2}}$$"),
    bad("sigmoid-derivative-without-square", r"$$\frac{\partial a}{\partial z} = \frac{e^{-z}}{1+e^{-z}}$$"),
]


@pytest.mark.parametrize("case", family("l-layer", None, CHAIN) + family("l-layer", DENOMINATOR_MAP, CHAIN_STATED)
                         + family("batch", BATCH_MAP, ONE_SAMPLE) + family("bce", BCE_MAP, ONE_SAMPLE_LOSS))
def test_chain_rules_and_single_samples(case: Case) -> None:
    judge(case)


# ----------------------------------------------------------------------------------------------
# Neuron-numbered scalars (two-two-two): a chain through a neuron the weight does not feed
# ----------------------------------------------------------------------------------------------

HIDDEN_WEIGHT = (r"$$\frac{\partial C}{\partial w_{14}} = \left[(\hat y_1 - y_1)\hat y_1(1-\hat y_1)%s + "
                 r"(\hat y_2 - y_2)\hat y_2(1-\hat y_2)%s\right] %s\, x_1$$")

NEURONS = [
    ok("hidden-weight", HIDDEN_WEIGHT % ("w_{45}", "w_{46}", "a_4(1-a_4)")),
    bad("hidden-weight-through-the-other-neuron", HIDDEN_WEIGHT % ("w_{35}", "w_{36}", "a_3(1-a_3)"),
        kinds=("neuron", "feed", "formula of")),
    bad("hidden-weight-sign-in-one-term", HIDDEN_WEIGHT.replace(" + ", " - ", 1)
        % ("w_{45}", "w_{46}", "a_4(1-a_4)"), kinds=("sign",)),
    ok("scalar-chain", r"$$\frac{\partial C}{\partial w_{46}} = \frac{\partial C}{\partial \hat y_2}"
       r"\frac{\partial \hat y_2}{\partial z_6}\frac{\partial z_6}{\partial w_{46}}$$"),
    bad("scalar-chain-through-the-other-neuron", r"$$\frac{\partial C}{\partial w_{13}} = \frac{\partial C}{\partial z_4}"
        r"\frac{\partial z_4}{\partial w_{13}}$$"),
]


@pytest.mark.parametrize("case", family("two-two-two", None, NEURONS))
def test_neuron_numbered_scalars(case: Case) -> None:
    judge(case)


# ----------------------------------------------------------------------------------------------
# Red-team round 3: tanh², sech², the indicator's other spellings, ‖W‖_F²
# ----------------------------------------------------------------------------------------------

TANH_MAP = '[symbols]\ndelta = "error"\n'
TANH = [
    ok("tanh-squared", r"$$\delta^1 = (W^2)^T \delta^2 \odot (1 - \tanh^2(z^1))$$"),
    ok("tanh-squared-without-parentheses", r"$$\delta^1 = (W^2)^T \delta^2 \odot (1 - \tanh^2 z^1)$$"),
    ok("tanh-without-parentheses", r"$$a^1 = \tanh z^1$$"),
    ok("sech-squared", r"$$\delta^1 = (W^2)^T \delta^2 \odot \operatorname{sech}^2(z^1)$$"),
    ok("sech-squared-is-one-minus-tanh-squared", r"$$\operatorname{sech}^2(z^1) = 1 - a^1 \odot a^1$$"),
    bad("tanh-squared-of-the-activation", r"$$\delta^1 = (W^2)^T \delta^2 \odot (1 - \tanh^2(a^1))$$",
        kinds=("prime-argument",)),
    bad("sech-squared-of-the-activation", r"$$\delta^1 = (W^2)^T \delta^2 \odot \operatorname{sech}^2(a^1)$$",
        kinds=("prime-argument",)),
    bad("tanh-cubed", r"$$\delta^1 = (W^2)^T \delta^2 \odot (1 - \tanh^3(z^1))$$"),
]

INDICATOR_MAP = """
layer_index = "sub"
[symbols]
W = "weight"
Z = "preactivation"
H = { role = "activation", layer = 1 }
P = "output"
X = "input"
Y = "target"
J = "cost"
N = "batch"
"""
RELU_GATE = r"$$\frac{\partial J}{\partial Z_1} = \frac{\partial J}{\partial H} \odot %s$$"
INDICATOR = [
    ok("indicator-in-parentheses", RELU_GATE % r"\mathbb{1}(Z_1 > 0)"),
    ok("indicator-in-braces", RELU_GATE % r"\mathbf{1}\{Z_1 > 0\}"),
    ok("indicator-with-a-subscript", RELU_GATE % r"\mathbf{1}_{Z_1 > 0}"),
    ok("indicator-with-a-set-subscript", RELU_GATE % r"\mathbb{1}_{\{Z_1 > 0\}}"),
    ok("indicator-double-struck-i", RELU_GATE % r"\mathbb{I}[Z_1 > 0]"),
    ok("iverson-bracket", RELU_GATE % r"[Z_1 > 0]"),
    ok("numpy-comparison", RELU_GATE % r"(Z_1 > 0)"),
    ok("indicator-of-the-activation", RELU_GATE % r"\mathbf{1}\{H > 0\}"),
    bad("indicator-of-the-wrong-layer", RELU_GATE % r"\mathbf{1}\{Z_2 > 0\}"),
    bad("iverson-bracket-of-the-wrong-layer", RELU_GATE % r"(Z_2 > 0)"),
    abstains("indicator-past-one", RELU_GATE % r"\mathbb{1}\{Z_1 > 1\}"),
    ok("ones-vector-before-a-group", r"$$\frac{\partial J}{\partial b_2} = \mathbf{1}_N^\top (P - Y)$$"),
]

FROBENIUS_MAP = 'layer_index = "sub"\n[symbols]\nW = "weight"\nlambda = "weight-decay"\nJ = "cost"\n'
FROBENIUS = [
    ok("frobenius-penalty-gradient", r"$$\frac{\partial}{\partial W_2} \left( \frac{\lambda}{2} \|W_2\|_F^2 \right) "
       r"= \lambda W_2$$"),
    bad("frobenius-penalty-gradient-without-lambda", r"$$\frac{\partial}{\partial W_2} \left( \frac{\lambda}{2} "
        r"\|W_2\|_F^2 \right) = W_2$$"),
]


@pytest.mark.parametrize("case", family("tanh-mse", TANH_MAP, TANH)
                         + family("cs231n", INDICATOR_MAP, INDICATOR)
                         + family(resolve_network("mlp:3-4-2", l2=0.1), FROBENIUS_MAP, FROBENIUS))
def test_round_3_notations(case: Case) -> None:
    judge(case)


# ----------------------------------------------------------------------------------------------
# Red-team round 4: ℓ a symbol of its own, sech and cosh, \mathrel{-}= updates
# ----------------------------------------------------------------------------------------------

ELL_LOSS_MAP = TANH_MAP + 'ell = "cost"\n'
ELL = [
    ok("ell-as-the-loss", r"$$\frac{\partial \ell}{\partial a^2} = a^2 - y$$"),
    ok("unicode-ell-as-the-loss", "$$\\frac{\\partial ℓ}{\\partial a^2} = a^2 - y$$"),
    bad("ell-as-the-loss-wrong-sign", r"$$\frac{\partial \ell}{\partial a^2} = y - a^2$$", kinds=("sign",)),
    abstains("ell-bound-to-the-cost-is-no-layer", r"$$\frac{\partial \ell}{\partial W^{\ell}} = \delta^{\ell} (a^{\ell-1})^T$$"),
    ok("ell-as-a-sum-index", r"$$\ell = \frac{1}{2} \sum_{k} (a^2_k - y_k)^2$$"),
]
ELL_UNBOUND = [
    # without a key ℓ is no letter l: the loss ℓ is unbound, the layer ℓ of a script still reads as l
    abstains("ell-unbound", r"$$\frac{\partial \ell}{\partial W^l} = \delta^l (a^{l-1})^T$$"),
    abstains("calligraphic-l-unbound", r"$$\frac{\partial \mathcal{l}}{\partial W^l} = \delta^l (a^{l-1})^T$$"),
    ok("ell-as-the-layer", r"$$\delta^{\ell} = ((W^{\ell+1})^T \delta^{\ell+1}) \odot \sigma'(z^{\ell})$$"),
    bad("ell-as-the-layer-untransposed", r"$$\delta^{\ell} = (W^{\ell+1} \delta^{\ell+1}) \odot \sigma'(z^{\ell})$$",
        kinds=("transposed",)),
]
HYPERBOLIC = [
    ok("sech-in-text-squared", r"$$\delta^1 = (W^2)^T \delta^2 \odot \text{sech}^2(z^1)$$"),
    ok("sech-of-z-squared", r"$$\delta^1 = (W^2)^T \delta^2 \odot \operatorname{sech}(z^1)^2$$"),
    ok("one-over-cosh-squared", r"$$\delta^1 = (W^2)^T \delta^2 \odot \frac{1}{\cosh^2(z^1)}$$"),
    ok("one-over-cosh-squared-without-parentheses", r"$$\delta^1 = (W^2)^T \delta^2 \odot \frac{1}{\cosh^2 z^1}$$"),
    ok("sech-is-one-over-cosh", r"$$\operatorname{sech}(z^1) = \frac{1}{\cosh(z^1)}$$"),
    bad("sech-not-squared", r"$$\delta^1 = (W^2)^T \delta^2 \odot \operatorname{sech}(z^1)$$"),
    bad("one-over-cosh-squared-of-the-activation", r"$$\delta^1 = (W^2)^T \delta^2 \odot \frac{1}{\cosh^2(a^1)}$$"),
]
MATHREL_UPDATES = [
    ok("mathrel-minus-equals", r"$$W^2 \mathrel{-}= \eta \delta^2 (a^1)^T$$"),
    ok("mathrel-plus-equals-minus", r"$$W^2 \mathrel{+}= -\eta \delta^2 (a^1)^T$$"),
    ok("mathbin-minus-equals", r"$$b^2 \mathbin{-}= \eta \delta^2$$"),
    bad("mathrel-plus-equals-uphill", r"$$W^2 \mathrel{+}= \eta \delta^2 (a^1)^T$$", kinds=("direction", "up")),
    bad("mathrel-minus-equals-other-layer", r"$$W^2 \mathrel{-}= \eta \delta^1 (a^1)^T$$"),
]


#: Nielsen's Σ′(z^l), the diagonal matrix of the σ′(z^l_j) (his BP1a and BP2 in matrix form).
SIGMA_PRIME = [
    ok("sigma-prime-matrix-output", r"$$\delta^L = \Sigma'(z^L) (a^L - y)$$"),
    ok("sigma-prime-matrix-hidden", r"$$\delta^l = \Sigma'(z^l) (W^{l+1})^T \delta^{l+1}$$"),
    bad("sigma-prime-matrix-untransposed", r"$$\delta^l = \Sigma'(z^l) W^{l+1} \delta^{l+1}$$", kinds=("transposed",)),
    bad("sigma-prime-matrix-of-the-activation", r"$$\delta^l = \Sigma'(a^l) (W^{l+1})^T \delta^{l+1}$$",
        kinds=("prime-argument",)),
    bad("sigma-prime-matrix-after-the-vector", r"$$\delta^L = (a^L - y) \Sigma'(z^L)$$"),
    abstains("sigma-without-prime-is-no-matrix", r"$$\delta^L = \Sigma(z^L) (a^L - y)$$"),
    # a post that writes Σ without the prime has a Σ of its own: its Σ′ is not Nielsen's
    abstains("sigma-prime-of-the-posts-own-sigma", r"Let $\Sigma(z^L) = \sum_j e^{z^L_j}$. $$\Sigma'(z^L) = e^{z^L}$$",
             r"e^{z^L}"),
    abstains("sigma-prime-of-something-else", r"$$\Sigma'(W^L) = W^L$$"),
]


#: A decimal comma written the TeX way, 0{,}5, in the worked examples of Spanish, German, French posts.
DECIMAL_COMMA_GIVENS = (r"$x_1 = 1$, $x_2 = 0{,}5$, $y = 1$, $w^{(1)}_{11} = 0{,}1$, $w^{(1)}_{12} = 0{,}2$, "
                        r"$w^{(1)}_{21} = 0{,}3$, $w^{(1)}_{22} = -0{,}1$, $b^{(1)}_1 = 0$, $b^{(1)}_2 = 0{,}1$, "
                        r"$w^{(2)}_{11} = 0{,}5$, $w^{(2)}_{12} = -0{,}4$, $b^{(2)}_1 = 0{,}2$." "\n\n")
DECIMAL_COMMA = [
    ok("decimal-comma", DECIMAL_COMMA_GIVENS + r"$$z^{(1)}_2 = 0{,}35$$", "0{,}35"),
    bad("decimal-comma-wrong-number", DECIMAL_COMMA_GIVENS + r"$$z^{(1)}_2 = 0{,}53$$", "0{,}53", kinds=("number",)),
    abstains("bare-comma-is-no-decimal", DECIMAL_COMMA_GIVENS + r"$$z^{(1)}_2 = 0,35$$", "0,35"),
]


@pytest.mark.parametrize("case", family("tanh-mse", ELL_LOSS_MAP, ELL) + family("l-layer", None, ELL_UNBOUND + SIGMA_PRIME)
                         + family("tanh-mse", TANH_MAP, HYPERBOLIC + MATHREL_UPDATES)
                         + family(resolve_network("mlp:2-2-1"), '[symbols]\nw = "weight"\n', DECIMAL_COMMA))
def test_round_4_notations(case: Case) -> None:
    judge(case)


# ----------------------------------------------------------------------------------------------
# §1: the sources of false verdicts on real posts: never wrong
# ----------------------------------------------------------------------------------------------

EINSTEIN_MAP = "einstein = true\n"
EINSTEIN_IGNORED = "not checked: the map key einstein = true is accepted but an implied sum is still not read"

EINSTEIN = [
    safe("implied-sum", r"$$\delta^l_j = W^{l+1}_{kj} \delta^{l+1}_k \sigma'(z^l_j)$$"),
    safe("implied-sum-forward", r"$$z^l_j = W^l_{jk} a^{l-1}_k + b^l_j$$"),
    safe("implied-sum-swapped", r"$$z^l_j = W^l_{kj} a^{l-1}_k + b^l_j$$"),
]

EINSTEIN_STATED = [
    ok("implied-sum-read", r"$$\delta^1_j = W^{2}_{kj} \delta^{2}_k \sigma'(z^1_j)$$"),
    bad("implied-sum-read-swapped", r"$$\delta^1_j = W^{2}_{jk} \delta^{2}_k \sigma'(z^1_j)$$"),
    ok("implied-sum-read-forward", r"$$z^1_j = W^1_{jk} x_k + b^1_j$$"),
]

#: Outputs numbered as neurons (y_5, y_6), targets t; the post also writes a glued y1.
GLUED_MAP = """
[symbols]
y = { role = "activation", index = "neuron" }   # y_3 … y_6: the output of neuron 3 … 6
t = "target"
E = "cost"
f = "sigmoid"
"""
GLUED = "the glued y1 is read as y_1, neuron 1's output, the input x_1 (%s), although the map binds no 'y1'"

GLUED_Y1 = [
    ok("node-numbered", r"$$\frac{\partial E}{\partial y_5} = y_5 - t_1$$"),
    safe("glued-beside-node-numbered", r"$$E = \frac{1}{2}(y_5 - t_1)^2 + \frac{1}{2}(y_6 - t_2)^2$$" "\n\n"
         r"$$\frac{\partial E}{\partial y_5} = y_5 - y1$$", r"y_5 - y1"),
    abstains("glued-not-read-as-input", r"$$z_3 = w_{13} y1 + w_{23} y2$$"),
]

#: ŷ bound as an activation without a layer, on a network whose layers are subscripts (W_1, a_2).
SUM_INDEX_MAP = '[symbols]\nyhat = "activation"\ny = "target"\n'

SUM_INDEX_AS_LAYER = [
    abstains("sum-index-as-layer", r"$$C = - \sum_{j=1}^{3} y_{j} \log\left(\hat{y}_{j}\right)$$"),
    abstains("sum-index-as-layer-no-limits", r"$$C = - \sum_{j} y_{j} \log\left(\hat{y}_{j}\right)$$"),
]

WORKED_MAP = '[symbols]\nt = "target"\n'


def _worked_example() -> tuple[str, float, float]:
    """The givens of a 2-2-2 worked example in scalars (as Mazur's post writes them), the cost and
    ∂C/∂w_35 from plain NumPy (w_ab from neuron a to neuron b; inputs 1, 2, hidden 3, 4, outputs 5, 6)."""
    x, t = np.array([0.05, 0.10]), np.array([0.01, 0.99])
    w1 = np.array([[0.15, 0.25], [0.20, 0.30]])  # rows: neurons 3, 4; columns: inputs 1, 2
    w2 = np.array([[0.40, 0.50], [0.45, 0.55]])  # rows: neurons 5, 6; columns: hidden 3, 4
    sigmoid = lambda v: 1 / (1 + np.exp(-v))
    hidden = sigmoid(w1 @ x)
    out = sigmoid(w2 @ hidden)
    cost = 0.5 * float(np.sum((out - t) ** 2))
    grad_w35 = float((out[0] - t[0]) * out[0] * (1 - out[0]) * hidden[0])
    givens = (r"The inputs are $x_1 = 0.05$, $x_2 = 0.10$, the targets $t_1 = 0.01$, $t_2 = 0.99$, and the weights "
              r"$w_{13} = 0.15$, $w_{23} = 0.25$, $w_{14} = 0.20$, $w_{24} = 0.30$, $w_{35} = 0.40$, $w_{45} = 0.50$, "
              r"$w_{36} = 0.45$, $w_{46} = 0.55$." "\n\n")
    return givens, cost, grad_w35


GIVENS, WORKED_COST, WORKED_GRAD = _worked_example()
SCALAR_GIVENS = "not checked: 'numbers of a worked example before its givens': givens written one scalar at a time are not read"

WORKED = [
    safe("numbers-without-givens", r"$$\frac{\partial C}{\partial w_{35}} = %.6f$$" % (WORKED_GRAD * 1.1)),
    safe("numbers-with-some-givens", r"The inputs are $x_1 = 0.05$, $x_2 = 0.10$." "\n\n"
         r"$$\frac{\partial C}{\partial w_{35}} = %.6f$$" % (WORKED_GRAD * 1.1), r"\frac{\partial C}{\partial w_{35}}"),
    ok("scalar-givens-cost", GIVENS + "$$C = %.6f$$" % WORKED_COST, "%.6f" % WORKED_COST),
    ok("scalar-givens-gradient", GIVENS + r"$$\frac{\partial C}{\partial w_{35}} = %.6f$$" % WORKED_GRAD,
       "%.6f" % WORKED_GRAD),
    bad("scalar-givens-gradient-wrong-number", GIVENS + r"$$\frac{\partial C}{\partial w_{35}} = %.6f$$"
        % (WORKED_GRAD * 1.1), "%.6f" % (WORKED_GRAD * 1.1)),
]

#: A worked example in matrices (Mazur's numbers with biases, rows = destination) that updates W_2 and
#: then goes on with gradients at the ORIGINAL weights, as Mazur's post does.
MATRIX_WORKED_MAP = """
layer_index = "sub"
[symbols]
y = "activation"
t = "target"
E = "cost"
f = "sigmoid"
W = "weight"
b = "bias"
eta = "learning-rate"
"""
MATRIX_GIVENS = (r"$$x = \begin{bmatrix} 0.05 \\ 0.10 \end{bmatrix}, \quad t = \begin{bmatrix} 0.01 \\ 0.99 \end{bmatrix}, "
                 r"\quad W_1 = \begin{bmatrix} 0.15 & 0.20 \\ 0.25 & 0.30 \end{bmatrix}, \quad W_2 = \begin{bmatrix} 0.40 & 0.45 "
                 r"\\ 0.50 & 0.55 \end{bmatrix}$$" "\n\n" r"$$b_1 = \begin{bmatrix} 0.35 \\ 0.35 \end{bmatrix}, \quad "
                 r"b_2 = \begin{bmatrix} 0.60 \\ 0.60 \end{bmatrix}$$" "\n\n" r"The learning rate is $\eta = 0.5$." "\n\n")
MATRIX_UPDATE = (r"$$W_2 \leftarrow W_2 - \eta \frac{\partial E}{\partial W_2} = \begin{bmatrix} %s & 0.408666 \\ "
                 r"0.511301 & 0.561370 \end{bmatrix}$$" "\n\n")
B2_GRADIENT = r"$$\frac{\partial E}{\partial b_2} = \begin{bmatrix} 0.138499 \\ -0.038098 \end{bmatrix}$$"

WORKED_UPDATES = [
    # the number after an update rule is the updated weight: judged as W_2 − η ∂E/∂W_2, never recorded
    # as a new given W_2 that later numbers are computed from
    ok("updated-weight", MATRIX_GIVENS + MATRIX_UPDATE % "0.358916", "0.358916"),
    bad("updated-weight-wrong-number", MATRIX_GIVENS + MATRIX_UPDATE % "0.368916", "0.368916"),
    ok("gradient-after-an-update", MATRIX_GIVENS + MATRIX_UPDATE % "0.358916" + B2_GRADIENT, "0.138499"),
    # W_2 given a second time with other numbers (the next iteration, or another example): which values
    # the later numbers use is not said
    safe("gradient-after-a-restated-given", MATRIX_GIVENS + r"$$W_2 = \begin{bmatrix} 0.358916 & 0.408666 \\ "
         r"0.511301 & 0.561370 \end{bmatrix}$$" "\n\n" + B2_GRADIENT, "0.138499"),
]

#: d2l.ai: sizes written as letters the post defines in prose (x ∈ ℝ^d, W^{(1)} ∈ ℝ^{h×d}); h is also
#: the hidden activation.
SPACE_LETTERS_MAP = """
[symbols]
x = "input"
W = "weight"
h = { role = "activation", layer = 1 }
"""
SPACE_LETTERS = [
    abstains("unbound-size-letter", r"The input is $$x \in \mathbb{R}^d$$"),
    abstains("size-letter-that-is-an-activation", r"$$W^{(1)} \in \mathbb{R}^{h \times 3}$$"),
    ok("size-letter-bound-to-a-layer", r"$$x \in \mathbb{R}^d$$"),
    bad("size-letter-bound-to-a-layer-wrong", r"$$W^{(1)} \in \mathbb{R}^{d \times 4}$$"),
]

#: A post that states numerator layout: ∂C/∂W is strictly laid out as Wᵀ (Magnus), though most such
#: posts keep it W-shaped; ∇ is always the column gradient.
NUMERATOR_MAP = 'derivative_layout = "numerator"\n'
NUMERATOR_MATRIX = [
    ok("strict-numerator-weight-gradient", r"$$\frac{\partial C}{\partial W^l} = a^{l-1} \frac{\partial C}{\partial z^l}$$"),
    ok("mixed-numerator-weight-gradient", r"$$\frac{\partial C}{\partial W^l} = \left(\frac{\partial C}{\partial z^l}\right)^T (a^{l-1})^T$$"),
    bad("numerator-weight-gradient-wrong-layer", r"$$\frac{\partial C}{\partial W^l} = a^{l} \frac{\partial C}{\partial z^l}$$"),
    # C (a)^T after ∇_z: the cost applied to (a), or ∇C times (a)ᵀ
    abstains("cost-before-a-transposed-group", r"$$\nabla_{W^l} C = \nabla_{z^l} C \, (a^{l-1})^T$$"),
    ok("cost-gradient-in-parentheses", r"$$\nabla_{W^l} C = (\nabla_{z^l} C) (a^{l-1})^T$$"),
]

#: Round 2: a post that binds m to the batch and writes the input width as n (X ∈ ℝ^{n×m}): n is not
#: derive's default batch letter once the map names another.
BATCH_LETTER_MAP = """
[symbols]
X = "input"
W = "weight"
m = "batch"
"""
BATCH_LETTER = [
    abstains("unbound-n-beside-a-bound-batch", r"$$X \in \mathbb{R}^{n \times m}$$"),
    ok("bound-batch-size", r"$$X \in \mathbb{R}^{3 \times m}$$"),
]

#: Round 2: one sigmoid neuron with a column of weights (z = w^T x + b): (a − y) is 1 × 1, a number
#: times the column x.
ONE_NEURON_MAP = """
layout = "source"
[symbols]
w = { role = "weight", layer = 1 }
b = { role = "bias", layer = 1 }
x = "input"
y = "target"
z = { role = "preactivation", layer = 1 }
a = { role = "activation", layer = 1 }
L = "cost"
"""
ONE_NEURON = [
    ok("one-by-one-times-a-column", r"$$\frac{\partial L}{\partial w} = (a - y) x$$"),
    ok("column-times-one-by-one", r"$$\frac{\partial L}{\partial w} = x (a - y)$$"),
    bad("one-by-one-times-a-column-wrong", r"$$\frac{\partial L}{\partial w} = (a - y) a x$$"),
]

#: Round 2: biases folded into the weights (a^{l-1}_0 = 1, w^l_{j0} = b^l_j): a sum from k = 0 runs
#: over an entry the network does not have.
FOLDED_MAP = """
[symbols]
w = "weight"
b = "bias"
z = "preactivation"
a = "activation"
n = "width"
"""
FOLDED_BIAS = [
    abstains("sum-from-zero-over-neurons", r"$$z^l_j = \sum_{k=0}^{n_{l-1}} w^l_{jk} a^{l-1}_k$$"),
    abstains("sum-past-the-last-neuron", r"$$z^2_j = \sum_{k=1}^{4} w^2_{jk} a^{1}_k + b^2_j$$"),
    ok("sum-over-the-neurons", r"$$z^l_j = \sum_{k=1}^{n_{l-1}} w^l_{jk} a^{l-1}_k + b^l_j$$"),
]

#: Round 2: a post's own cost without the ½ (L = mean squared error), or a definition that is not read:
#: whether the post's gradients carry the 2 of its definition or follow the usual ½ is open (real posts
#: slip on either side), so a link that depends on it is not checked; one that does not is judged.
OWN_COST_MAP = """
[symbols]
X = "input"
W = "weight"
b = "bias"
H = { role = "activation", layer = 1 }
P = { role = "preactivation", layer = 1 }
Yhat = "output"
Y = "target"
L = { role = "cost", reduction = "mean" }
N = "batch"
"""
MSE_DEFINED = r"$$L = \frac{1}{N} \sum_{n=1}^{N} \sum_{k=1}^{2} (\hat{Y}_{nk} - Y_{nk})^2$$" "\n\n"
MSE_UNREAD = r"$$L = \frac{1}{N} \sum_{n=1}^{N} \| \hat{y}_n - y_n \|^2$$" "\n\n"
OWN_COST = [
    abstains("own-cost-definition-without-half", MSE_DEFINED, "Y_{nk})^2"),
    abstains("own-cost-gradient-with-the-2", MSE_DEFINED + r"$$\frac{\partial L}{\partial \hat{Y}} = \frac{2}{N} (\hat{Y} - Y)$$",
       r"\frac{2}{N}"),
    abstains("own-cost-gradient-without-the-2", MSE_DEFINED + r"$$\frac{\partial L}{\partial \hat{Y}} = \frac{1}{N} (\hat{Y} - Y)$$",
        r"\frac{1}{N} (\hat{Y} - Y)"),
    abstains("unread-cost-gradient-with-the-2", MSE_UNREAD + r"$$\frac{\partial L}{\partial \hat{Y}} = \frac{2}{N} (\hat{Y} - Y)$$",
             r"\frac{2}{N}"),
    abstains("unread-cost-gradient-without-the-2", MSE_UNREAD + r"$$\frac{\partial L}{\partial \hat{Y}} = \frac{1}{N} (\hat{Y} - Y)$$",
             r"\frac{1}{N} (\hat{Y} - Y)"),
    ok("unread-cost-scale-free-link", MSE_UNREAD + r"$$\frac{\partial L}{\partial W_2} = H^T \frac{\partial L}{\partial \hat{Y}}$$",
       r"H^T"),
    ok("own-cost-scale-free-link", MSE_DEFINED + r"$$\frac{\partial L}{\partial P} = \frac{\partial L}{\partial H} \odot (1 - H \odot H)$$",
       r"(1 - H \odot H)"),
    bad("own-cost-scale-free-link-wrong", MSE_DEFINED + r"$$\frac{\partial L}{\partial P} = \frac{\partial L}{\partial H} \odot (1 - P \odot P)$$",
        r"(1 - P \odot P)"),
    abstains("error-of-own-cost", r"$$C = \sum_j (y_j - a^L_j)^2$$" "\n\n" r"$$\delta^L = 2 (a^L - y) \odot \sigma'(z^L)$$",
       r"2 (a^L - y)"),
    abstains("error-of-own-cost-without-the-2", r"$$C = \sum_j (y_j - a^L_j)^2$$" "\n\n"
        r"$$\delta^L = (a^L - y) \odot \sigma'(z^L)$$", r"(a^L - y) \odot"),
    # Nielsen's C = 1/2n Σ_x ||y(x) − a^L(x)||², not read, shows its ½
    ok("unread-cost-with-its-half", r"The cost is $C = \frac{1}{2n} \sum_x \|y(x) - a^L(x)\|^2$." "\n\n"
       r"$$\delta^L = (a^L - y) \odot \sigma'(z^L)$$", r"(a^L - y) \odot"),
    bad("cost-restated-without-its-half", r"$$C = \frac{1}{2} \sum_j (y_j - a^L_j)^2$$" "\n\n" r"$$C = \sum_j (y_j - a^L_j)^2$$" "\n\n"
         r"$$\delta^L = 2 (a^L - y) \odot \sigma'(z^L)$$", r"\sum_j (y_j - a^L_j)^2", kinds=("factor",)),
    ok("cost-with-its-half", r"$$L = \frac{1}{2N} \sum_{n=1}^{N} \sum_{k=1}^{2} (\hat{Y}_{nk} - Y_{nk})^2$$" "\n\n"
       r"$$\frac{\partial L}{\partial \hat{Y}} = \frac{1}{N} (\hat{Y} - Y)$$", r"\frac{1}{N} (\hat{Y} - Y)"),
]

#: Round 2: math exported HTML-escaped (`&amp;` in an aligned block): `amp` is no product of a, m, p.
HTML_ESCAPED = [
    ok("html-escaped-ampersand", "\\[\n\\begin{aligned}\nz^{[l]} &amp;= W^{[l]} a^{[l-1]} + b^{[l]}\n\\end{aligned}\n\\]\n"),
    # a script on a braced symbol: {\mathbf{W}^{(2)}}^\top, read as (W^{(2)})^T
    ok("braced-symbol-transposed", r"$$\delta^{(1)} = {\mathbf{W}^{(2)}}^\top \delta^{(2)} \odot \sigma'(z^{(1)})$$"),
    bad("braced-symbol-untransposed", r"$$\delta^{(1)} = {\mathbf{W}^{(1)}}^\top \delta^{(2)} \odot \sigma'(z^{(1)})$$"),
    bad("html-escaped-ampersand-wrong", "\\[\n\\begin{aligned}\nz^{[l]} &amp;= W^{[l]} a^{[l]} + b^{[l]}\n\\end{aligned}\n\\]\n"),
]

LAYER_OFFSET = [
    safe("output-layer-with-offset", r"$$\delta^L = (a^L - y) \odot \sigma'(z^L)$$"),
    safe("input-with-offset", r"$$a^1 = x$$"),
    safe("first-gradient-with-offset", r"$$\frac{\partial C}{\partial w^2} = \delta^2 x^T$$"),
]

INFORMAL = [
    # (the chain rules of either layout are judged correct in test_chain_rules_and_single_samples)
    safe("chain-matrix", r"$$\frac{\partial C}{\partial W^l} = \frac{\partial C}{\partial z^l}\frac{\partial z^l}{\partial W^l} = \delta^l (a^{l-1})^T$$",
         r"\frac{\partial z^l}{\partial W^l}"),
    safe("chain-after-delta", r"$$\delta^l = \delta^{l+1}\frac{\partial z^{l+1}}{\partial z^l}$$"),
]

SINGLE_SAMPLE = [
    safe("one-sample-in-batch-post", r"$$\frac{\partial L}{\partial z} = a - y$$"),
    safe("one-sample-forward-in-batch-post", r"$$z = w a^{[1]} + b$$"),
]
SINGLE_SAMPLE_MAP = BCE_MAP + 'w = { role = "weight", layer = 2 }\nb = { role = "bias", layer = 2 }\n'

#: Round 3: an equality annotated with its reason (\overset{\text{chain rule}}{=}, \stackrel{\text{def}}{=})
#: is a relation: a display block whose only relation it is starts a chain of its own, never continues
#: the chain of the block before it.
ANNOTATED_RELATION = [
    safe("annotated-equality-block-after-a-chain",
         r"$$\frac{\partial C}{\partial b^l} \overset{\text{chain rule}}{=} \frac{\partial C}{\partial z^l} "
         r"\frac{\partial z^l}{\partial b^l} = \delta^l$$" "\n"
         r"$$\delta^L \stackrel{\text{def}}{=} \frac{\partial C}{\partial z^L}$$", r"\delta^L"),
    ok("annotated-equality-block-judged-alone",
       r"$$\frac{\partial C}{\partial b^l} = \delta^l$$" "\n"
       r"$$\delta^L \overset{(a)}{=} \frac{\partial C}{\partial z^L}$$", r"\frac{\partial C}{\partial z^L}"),
    bad("annotated-equality-block-wrong",
        r"$$\frac{\partial C}{\partial b^l} = \delta^l$$" "\n"
        r"$$\delta^L \overset{(a)}{=} \frac{\partial C}{\partial z^l}$$", r"\frac{\partial C}{\partial z^l}"),
]

#: Round 3: a post's squared error averaged over the K outputs (Keras' and PyTorch's MSE), on a network
#: whose cost is ½ Σ (ŷ − y)²: the definition is the post's own notation (2/K times the network's cost),
#: and a link whose verdict changes with that scale is not checked, as for a cost without its ½.
MEAN_OVER_OUTPUTS_MAP = """
layer_index = "sub"
[symbols]
W = "weight"
b = "bias"
h = { role = "activation", layer = 1 }
yhat = "output"
y = "target"
L = "cost"
"""
MSE_OVER_OUTPUTS = r"$$L = \frac{1}{3} \sum_{k=1}^{3} (\hat{y}_k - y_k)^2$$" "\n\n"
MEAN_OVER_OUTPUTS = [
    abstains("mean-over-outputs-definition", MSE_OVER_OUTPUTS, "y_k)^2"),
    abstains("mean-over-outputs-gradient-with-its-factor",
             MSE_OVER_OUTPUTS + r"$$\frac{\partial L}{\partial \hat{y}} = \frac{2}{3} (\hat{y} - y)$$", r"\frac{2}{3}"),
    abstains("mean-over-outputs-gradient-of-the-half-cost",
             MSE_OVER_OUTPUTS + r"$$\frac{\partial L}{\partial W_2} = (\hat{y} - y) h^T$$", r"(\hat{y} - y) h^T"),
    bad("mean-over-outputs-gradient-wrong-either-way",
        MSE_OVER_OUTPUTS + r"$$\frac{\partial L}{\partial b_2} = \frac{1}{3} (\hat{y} - y)$$", r"\frac{1}{3} (\hat{y} - y)"),
    ok("mean-over-outputs-scale-free-link",
       MSE_OVER_OUTPUTS + r"$$\frac{\partial L}{\partial W_2} = \frac{\partial L}{\partial \hat{y}} h^T$$", r"h^T"),
]

#: Round 3: a conditional statement asserts neither its hypothesis ("if a^L = y", "a^L = y ⇒ …", either
#: side of ⇔, "when $a^L = y$") nor, unless the hypothesis holds in general, what follows from it; a
#: formula said to hold under a condition in words ("with the cross-entropy cost") is not judged on the
#: network alone. A hypothesis that holds, and a condition that names the slip it shows, leave the
#: verdicts as judged.
CONDITIONAL = [
    safe("hypothesis-before-implies", r"$$a^L = y \implies \delta^L = 0$$", r"a^L = y"),
    safe("consequent-after-implies", r"$$a^L = y \implies \delta^L = 0$$", r"\delta^L = 0"),
    safe("either-side-of-iff", r"$$\delta^L = 0 \iff a^L = y$$", r"\delta^L = 0"),
    safe("text-if-then", r"$$\text{if } a^L = y \text{ then } \delta^L = 0$$", r"\delta^L = 0"),
    safe("text-when-after", r"$$\frac{\partial C}{\partial W^l} = 0 \quad \text{when } \delta^l = 0$$",
         r"\frac{\partial C}{\partial W^l} = 0"),
    safe("prose-when-after", r"Note that $\delta^L = 0$ when $a^L = y$, so a perfect output stops learning.",
         r"\delta^L = 0"),
    safe("prose-if-then", r"If $a^L = y$, then $\delta^L = 0$.", r"\delta^L = 0"),
    safe("prose-if-before-a-display", "If $a^L = y$, the error vanishes:\n\n$$\\delta^L = 0$$", r"\delta^L = 0"),
    safe("worded-cost-before", r"With the cross-entropy cost, $\delta^L = a^L - y$.", r"a^L - y"),
    safe("worded-cost-after", "$$\\delta^L = a^L - y$$ when the cost is cross-entropy.", r"a^L - y"),
    ok("consequent-of-a-hypothesis-that-holds", r"$$\delta^L = (a^L - y) \odot \sigma'(z^L) \implies "
       r"\frac{\partial C}{\partial b^L} = \delta^L$$", r"\frac{\partial C}{\partial b^L}"),
    bad("consequent-of-a-hypothesis-that-holds-wrong", r"$$\delta^L = (a^L - y) \odot \sigma'(z^L) \implies "
        r"\frac{\partial C}{\partial W^L} = (a^{L-1})^T \delta^L$$", r"(a^{L-1})^T \delta^L"),
    bad("for-the-output-layer", r"For the output layer, $\delta^L = (y - a^L) \odot \sigma'(z^L)$.", r"(y - a^L)"),
    bad("condition-naming-a-slip", r"If one forgets the derivative, one gets $\delta^L = a^L - y$.", r"a^L - y"),
    bad("hypothesis-picking-the-output-layer", r"When $l = L$, $\delta^l = (y - a^l) \odot \sigma'(z^l)$.", r"(y - a^l)"),
    bad("procedural-when", r"When training, we use $\delta^l = (W^{l+1} \delta^{l+1}) \odot \sigma'(z^l)$.",
        r"W^{l+1} \delta^{l+1}"),
    safe("when-using-a-cost", r"When using the cross-entropy cost, $\delta^L = a^L - y$.", r"a^L - y"),
    safe("worded-condition-after-bold", r"**The fix: another cost.** With the cross-entropy cost, the error becomes "
         r"$\delta^L = a^L - y$.", r"a^L - y"),
    safe("worded-condition-for-its-sentence", "With the cross-entropy cost, $C = -\\sum_j y_j \\ln a^L_j$, the "
         "error becomes\n\n$$\\delta^L = a^L - y$$", r"a^L - y"),
    # ≈ a whole number says what a quantity nearly is (saturation), not a worked example's rounded value
    safe("approximately-zero", r"When $z^L_j$ is large, $\sigma'(z^L_j) \approx 0$.", r"\sigma'(z^L_j)"),
    safe("approximately-zero-vector", r"$$\delta^L \approx 0$$"),
    # round 4: a hypothesis on a symbol nothing binds is no definition of it, and picks no layer
    safe("hypothesis-on-an-unbound-letter", r"When $E = 0$, $a^L = y$.", r"y"),
    safe("hypothesis-on-the-loss-ell", "The loss is $\\ell = \\frac{1}{2}\\|a^L - y\\|^2$. When $\\ell = 0$, $a^L = y$.",
         r"y"),
    bad("hypothesis-picking-the-layer-ell", r"When $\ell = L$, $\delta^\ell = (y - a^\ell) \odot \sigma'(z^\ell)$.",
        r"(y - a^\ell)"),
    ok("hypothesis-picking-a-layer-again", r"When $l = L$, $\delta^l = (a^l - y) \odot \sigma'(z^l)$. When $l = L - 1$, "
       r"$\delta^l = ((W^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)$.", r"((W^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)"),
    # 0 for the zero vector, as posts write it, is not a shape mistake
    safe("zero-for-the-zero-vector", r"$$\delta^L = 0$$"),
]


#: One output unit: the target y is 1 × 1 and a^{(2)}_1 an entry; their difference is a number.
ONE_OUTPUT_MAP = '[symbols]\nE = "cost"\ndelta = "error"\nw = "weight"\n'
ONE_OUTPUT_ENTRY = [
    # the 1 × 2 weight matrix of the single output unit keeps its two indices
    ok("weight-entry-of-a-single-output", r"$$\frac{\partial E}{\partial w^{(2)}_{12}} = \delta^{(2)}_1 a^{(1)}_2$$"),
    bad("weight-entry-of-a-single-output-wrong-unit", r"$$\frac{\partial E}{\partial w^{(2)}_{12}} = \delta^{(2)}_1 a^{(1)}_1$$"),
    ok("entry-minus-one-by-one-target", r"$$E = \frac{1}{2}(a^{(2)}_1 - y)^2$$"),
    ok("entry-error-with-one-by-one-target", r"$$\delta^{(2)}_1 = (a^{(2)}_1 - y)\, a^{(2)}_1 (1 - a^{(2)}_1)$$"),
    bad("entry-error-with-one-by-one-target-wrong-sign", r"$$\delta^{(2)}_1 = (y - a^{(2)}_1)\, a^{(2)}_1 (1 - a^{(2)}_1)$$"),
]


@pytest.mark.parametrize("case", family("l-layer", None, EINSTEIN) + family("mlp-3-3-3", EINSTEIN_MAP, EINSTEIN_STATED)
                         + family("two-two-two", GLUED_MAP, GLUED_Y1) + family("two-two-two", WORKED_MAP, WORKED)
                         + family("l-layer", NIELSEN_MAP, LAYER_OFFSET) + family("l-layer", None, INFORMAL)
                         + family("bce", SINGLE_SAMPLE_MAP, SINGLE_SAMPLE)
                         + family("softmax-classifier", SUM_INDEX_MAP, SUM_INDEX_AS_LAYER)
                         + family("zh", MATRIX_WORKED_MAP, WORKED_UPDATES)
                         + family("mlp:3-4-2", SPACE_LETTERS_MAP, SPACE_LETTERS[:2])
                         + family("mlp:3-4-2", SPACE_LETTERS_MAP + 'd = { role = "width", layer = 0 }\n',
                                  SPACE_LETTERS[2:])
                         + family("l-layer", NUMERATOR_MAP, NUMERATOR_MATRIX)
                         + family("batch", BATCH_LETTER_MAP, BATCH_LETTER)
                         + family("one-neuron", ONE_NEURON_MAP, ONE_NEURON)
                         + family("mlp-3-3-3", FOLDED_MAP, FOLDED_BIAS)
                         + family("row-mse", OWN_COST_MAP, OWN_COST[:8] + OWN_COST[-1:])
                         + family("l-layer", None, OWN_COST[8:-1])
                         + family("l-layer", None, HTML_ESCAPED)
                         + family("l-layer", None, ANNOTATED_RELATION)
                         + family("tanh-mse", MEAN_OVER_OUTPUTS_MAP, MEAN_OVER_OUTPUTS)
                         + family("l-layer", None, CONDITIONAL)
                         + family(resolve_network("mlp:2-2-1"), ONE_OUTPUT_MAP, ONE_OUTPUT_ENTRY))
def test_never_wrong(case: Case) -> None:
    judge(case)


# ----------------------------------------------------------------------------------------------
# The correct formula a wrong link prints holds in the post's own notation
# ----------------------------------------------------------------------------------------------


#: The families whose wrong cases print a correct formula: (network, map, cases, notation foreign to
#: the family's posts: (pattern, what it is)). A foreign pattern never occurs in the family's posts.
PRINTING_FAMILIES = [
    ("ng", NG_MAP, NG, [(r"\^\{\((?:\d|l)", "a layer in parentheses, (1) for the post's [1]"),
                        (r"\\partial C\b", "C, a cost the map does not bind (the post writes dZ, J)")]),
    ("cs231n", CS_MAP, CS, [(r"\b[HPS]_\{\d\}", "a layer subscript on a letter of a fixed layer (H_1 for H)"),
                            (r"\\right\)_\{", "subscript entries where the post writes brackets H[i,p]")]),
    ("l-layer", NIELSEN_MAP, NIELSEN, []),
    ("zh", ZH_MAP, ZH, [(r"\ba_\{", "derive's a where the post writes y"),
                        (r"\\left\(y_\{\d\}\\right\)_", "(y_2)_1 where the post writes y_{21}")]),
    ("zh", ZH_VECTOR_MAP, ZH_VECTORS, [(r"\ba_\{", "derive's a where the post writes y")]),
    ("letters", LETTERS_MAP, LETTERS, [(r"\^\{\d\}", "a layer superscript on a letter that names one layer (h^{2} reads "
                                                     "as h squared, \\hat{y}^{1} as the output)"),
                                       (r"\\delta", "δ, which the post never writes"),
                                       (r"\ba\^", "derive's a where the post writes h or ŷ")]),
    ("l-layer", MATRIX_MAP, MATRIX, []),
    ("batch", BATCH_MAP, ONE_SAMPLE, []),
    ("bce", BCE_MAP, ONE_SAMPLE_LOSS, [(r"\^\{2\}", "a^{2} for the post's a, which names the output layer (reads as a squared)"),
                                       (r"\\oslash", "⊘ where the post writes a fraction")]),
]


def _printed_corrections(what: dict[str, str], with_rules: bool) -> list[Any]:
    """Every wrong case of the families above (not itself marked xfail), with its family's foreign
    notation; `what`: id -> what the printed formula gets wrong today."""
    params = []
    for net, notation, specs, foreign in PRINTING_FAMILIES:
        if with_rules and not foreign:
            continue
        for spec in specs:
            if spec.case.verdict == WRONG and not spec.xfail:
                case = replace(spec.case, net=net, notation=notation, kinds=())
                reason = what.get(spec.id)
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                params.append(pytest.param(case, foreign, id=spec.id, marks=marks))
    return params


CASE_CONDITION = re.compile(r",?\s*&")

NOT_THE_POSTS = "the printed correct formula is not in the post's notation (the checker cannot read it back): "
FALSE_FORMULA = ("the printed correct formula is FALSE: layer_offset is applied to L, so the output layer L is "
                 "printed as L − 1: ")
#: id -> what the printed correct formula gets wrong today, read back into the post.
PRINTED_WRONG: dict[str, str] = {
}


def _printed(case: Case) -> LinkResult:
    link = find_link(case)
    assert link.verdict == WRONG, describe(link)
    if link.correct is None:
        pytest.skip("no correct formula printed for this mistake")  # printing none is allowed; a wrong one is not
    return link


@pytest.mark.parametrize("case, foreign", _printed_corrections(PRINTED_WRONG, with_rules=False))
def test_printed_correction_holds_in_the_posts_notation(case: Case, foreign: list) -> None:
    """The correct formula a wrong link prints, put in place of the wrong side, is judged correct."""
    link = _printed(case)
    written = CASE_CONDITION.split(link.text, maxsplit=1)[0]  # a case row: the formula before ", & \text{if …}"
    assert written in case.doc, (written, case.doc)
    fixed = replace(case, doc=case.doc.replace(written, link.correct, 1), needle=link.correct, verdict=CORRECT)
    again = find_link(fixed)
    assert again.verdict == CORRECT, f"printed {link.correct!r} for {link.text!r}; read back: {describe(again)}"


FOREIGN = "the printed correct formula is not in the post's notation: "
#: id -> what the printed correct formula writes in a notation that is not the post's.
PRINTED_FOREIGN: dict[str, str] = {
}


@pytest.mark.parametrize("case, foreign", _printed_corrections(PRINTED_FOREIGN, with_rules=True))
def test_printed_correction_uses_the_posts_letters(case: Case, foreign: list) -> None:
    """The correct formula a wrong link prints writes the post's letters and index style, never
    derive's defaults where the post has its own (issue 11 §3)."""
    for pattern, _ in foreign:
        assert not re.search(pattern, case.doc), f"the rule {pattern!r} matches the post itself"
    link = _printed(case)
    found = [what for pattern, what in foreign if re.search(pattern, link.correct)]
    assert not found, f"printed {link.correct!r} for {link.text!r}: {'; '.join(found)}"
