"""Hand-written posts with planted mistakes: every verdict, diagnosis and line number.

Each post under tests/check_posts/ is a derivation of one built-in example as people write them
(Markdown and LaTeX, English and Chinese, each in its own notation). Every planted mistake is
listed below by a piece of its formula: the test finds the line that piece is on, and asserts
that `derive check` reports that line with the verdict and the diagnosis. No other step may be
wrong: a checker that cries wolf on a correct step is as useless as one that misses a mistake.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from derive.check import check_file

POSTS = Path(__file__).parent / "check_posts"

#: post -> (network, [(piece of the formula, verdict, diagnosis or None)])
EXPECTED: dict[str, tuple[str, list[tuple[str, str, str | None]]]] = {
    "two_two_two_en.md": ("two-two-two", [
        (r"z_3 = w_{13} x_1 + w_{23} x_2", "correct", None),
        (r"C = -\sum_{k=1}^{2} y_k \log \hat y_k", "wrong", "wrong-cost"),
        (r"C = \frac12 \sum_{k} (\hat y_k - y_k)", "wrong", "cost-missing-square"),
        (r"C = -\frac{1}{2}\sum_{k=1}^{2} (\hat y_k - y_k)^2", "wrong", "sign"),
        (r"= (\hat y_1 - y_1)\,\hat y_1(1-\hat y_1)\,a_3", "correct", None),
        (r"= \frac{1}{2}(\hat y_1 - y_1)", "wrong", "factor"),
        (r"\sigma'(z_5)(1 - \sigma'(z_5))", "wrong", "f-prime-for-f"),
        (r"z_6(1 - z_6)", "wrong", "z-for-a"),
        (r"\sigma'(\hat y_2)", "wrong", "prime-argument"),
        (r"\frac{\partial C}{\partial w_{45}} = (\hat y_1 - y_1)", "wrong", "swapped-formulas"),
        (r"(y_2 - \hat y_2)\,\hat y_2(1-\hat y_2)\, a_3", "wrong", "sign"),
        (r"2(\hat y_2 - y_2)\,\hat y_2(1-\hat y_2)\, a_4", "wrong", "factor"),
        (r"\frac{\partial C}{\partial w_{64}}", "wrong", "convention-contradicted"),
        (r"\frac{\partial C}{\partial w_{13}} = \left[", "correct", None),
        (r"\boldsymbol\delta^1 = (W^2)^T \boldsymbol\delta^2 \odot \sigma'(\boldsymbol z^1)", "correct", None),
        (r"\odot \sigma'(\boldsymbol z^2)$$", "wrong", "wrong-layer"),
        (r"(W^2 \boldsymbol\delta^2)", "wrong", "transposed-factor"),
        (r"= \boldsymbol\delta^2 (\boldsymbol a^1)^T", "correct", None),
        (r"(\boldsymbol x)^T \boldsymbol\delta^1", "wrong", "product-order"),
        (r"\delta^2_k a^1_j", "wrong", "swapped-indices"),
        (r"= \begin{bmatrix} \frac{\partial C}{\partial w_{35}}", "correct", None),
    ]),
    "two_two_two_zh.md": ("two-two-two", [
        (r"z_3 &= w_{31} x_1 + w_{32} x_2", "correct", None),
        (r"E = \frac{1}{2}\sum_{k=1}^{2}(o_k - \hat y_k)^2", "correct", None),
        (r"= (o_1 - \hat y_1) \cdot o_1 (1 - o_1) \cdot h_3", "correct", None),
        (r"\frac{\partial E}{\partial w_{63}} = (o_1 - \hat y_1)", "wrong", "swapped-formulas"),
        (r"(\hat y_2 - o_2) \cdot o_2 (1 - o_2) \cdot h_4", "wrong", "sign"),
        (r"\frac{1}{2} (o_1 - \hat y_1)\, o_1(1-o_1)\, h_4", "wrong", "factor"),
        (r"\frac{\partial E}{\partial w_{31}} = \left[", "correct", None),
        (r"\frac{\partial E}{\partial w_{41}} = \left[", "wrong", "prime-argument"),
        (r"\frac{\partial E}{\partial w_{42}} = \left[", "wrong", "z-for-a"),
        (r"\frac{\partial E}{\partial w_{24}} = \left[", "wrong", "convention-contradicted"),
        (r"W^{2} = \begin{bmatrix} w_{53} & w_{54}", "correct", None),
        (r"\frac{\partial E}{\partial W^{2}} = \boldsymbol{\delta}^{2} (\boldsymbol{h}^{1})^{T}", "correct", None),
        (r"\left((W^{2})^{T} \boldsymbol\delta^{2}\right)", "correct", None),
        (r"\left(\boldsymbol\delta^{2} (W^{2})^{T}\right)", "wrong", "product-order"),
    ]),
    "l_layer_en.tex": ("l-layer", [
        (r"z^l = w^l a^{l-1} + b^l", "correct", None),
        (r"w^l \in \mathbb{R}^{n_{l-1} \times n_l}", "wrong", "wrong-shape"),
        (r"\frac{\partial C}{\partial z^l_j}. \tag{29}", "correct", None),
        (r"\frac{\partial C}{\partial a^L_j} \sigma'(z^L_j) \tag{BP1}", "correct", None),
        (r"\nabla_a C \odot \sigma'(z^L)", "not checked", None),
        (r"&= (y - a^L) \odot a^L \odot (1 - a^L)", "wrong", "sign"),
        (r"&= (a^L - y) \odot z^L \odot (1 - z^L)", "wrong", "z-for-a"),
        (r"2(a^L - y)", "wrong", "factor"),
        (r"C = \frac{1}{2}\sum_j (a^L_j - y_j)$", "wrong", "cost-missing-square"),
        (r"\delta^l &= ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l) \label", "correct", None),
        (r"\delta^l &= (w^{l+1} \delta^{l+1})", "wrong", "convention-contradicted"),
        (r"\odot \sigma'(a^l) \\", "wrong", "prime-argument"),
        ("\\odot \\sigma'(z^L)\n\\end{align}", "wrong", "wrong-layer"),
        (r"\delta^l_j = \sum_k w^{l+1}_{kj}", "correct", None),
        (r"= a^{l-1}_k \delta^l_j", "correct", None),
        (r"a^{l-1}_j \delta^l_k", "wrong", "convention-contradicted"),
        (r"= (a^{l-1})^T \delta^l$", "wrong", "product-order"),
        (r"\frac{\partial C}{\partial b^l} = \delta^l (a^{l-1})^T", "wrong", "swapped-formulas"),
        (r"1/(1+e^{-z})", "not checked", None),
        (r"= \sigma'(z^l) \odot (1 - \sigma'(z^l))", "wrong", "f-prime-for-f"),
        (r"\ln(1-a^L_j)", "wrong", "wrong-cost"),
        (r"\leftarrow w^l - \eta", "correct", None),  # an update rule, judged for its direction
    ]),
    "l_layer_zh.md": ("l-layer", [
        (r"\mathbf{z}^{(l)} &= \mathbf{W}^{(l)} \mathbf{a}^{(l-1)} + \mathbf{b}^{(l)}", "correct", None),
        (r"\sum\limits_{j=1}^{n_L}", "correct", None),
        (r"\frac{1}{2}(\mathbf{a}^{(L)} - \mathbf{y})", "wrong", "factor"),
        (r"= (\mathbf{a}^{(L)} - \mathbf{y}) \odot f'(\mathbf{z}^{(L)}) \odot", "wrong", "f-prime-for-f"),
        (r"= \left(\mathbf{W}^{(l+1)} \boldsymbol{\delta}^{(l+1)}\right)", "wrong", "transposed-factor"),
        (r"W^{(l+1)}_{jk}\, \delta^{(l+1)}_k", "wrong", "swapped-indices"),
        (r"= \delta^{(l)}_j \cdot a^{(l-1)}_k", "correct", None),
        (r"= \boldsymbol{\delta}^{(l)} \mathbf{a}^{(l-1)}$$", "wrong", "transposed-factor"),
        (r"= - \boldsymbol{\delta}^{(l)}", "wrong", "sign"),
        (r"= \nabla_{\mathbf{W}^{(l)}} J", "correct", None),
        (r"J = -\sum_{j} y_j \log a^{(L)}_j", "wrong", "wrong-cost"),
        (r"\begin{pmatrix} W^{(l)}_{11} & \cdots", "not checked", None),
    ]),
    "batched_mlp_en.md": ("batched-mlp", [
        (r"\boldsymbol{Z}_1 &= \boldsymbol{X} \boldsymbol{W}_1 + \boldsymbol{b}_1", "correct", None),
        (r"\boldsymbol{W}_2 \in \mathbb{R}^{3 \times 5}", "wrong", "wrong-shape"),
        (r"L = \sum_{i=1}^{n} \sum_{j=1}^{3}", "wrong", "factor"),
        (r"= \boldsymbol{T} - \boldsymbol{H}_2", "wrong", "sign"),
        (r"= \boldsymbol{Z}_2 \odot (1 - \boldsymbol{Z}_2)", "wrong", "z-for-a"),
        (r"= \frac{\partial L}{\partial \boldsymbol{Z}_2} \boldsymbol{H}_1^\top \]", "wrong", "product-order"),
        (r"= \boldsymbol{1}_n^\top", "correct", None),
        (r"\frac{\partial L}{\partial \boldsymbol{b}_1} = \frac{\partial L}{\partial \boldsymbol{Z}_1} \]", "wrong",
         "missing-batch-sum"),
        (r"\frac{\partial L}{\partial \boldsymbol{b}_2} = \boldsymbol{H}_1^\top", "wrong", "swapped-formulas"),
        (r"(H_1)_{ik} \left(", "correct", None),
        (r"(H_1)_{ki} \left(", "wrong", "swapped-indices"),
        (r"\frac{\partial L}{\partial (b_2)_j} = ", "wrong", "missing-batch-sum"),
        (r"\frac{\partial L}{\partial \boldsymbol{H}_1} = \frac{\partial L}{\partial \boldsymbol{Z}_2} \boldsymbol{W}_2 \]",
         "wrong", "transposed-factor"),
        (r"\odot \sigma'(\boldsymbol{H}_1) \]", "wrong", "prime-argument"),
        (r"\odot \sigma'(\boldsymbol{Z}_2) \]", "wrong", "wrong-layer"),
        (r"\odot (1 - \sigma'(\boldsymbol{Z}_1)) \]", "wrong", "f-prime-for-f"),
        (r"\left(\frac{\partial L}{\partial \boldsymbol{Z}_1}\right)^\top \boldsymbol{X}", "wrong", "transposed-factor"),
        (r"\frac{\partial L}{\partial \boldsymbol{W}_1} = \boldsymbol{X}^\top \left(", "correct", None),
        (r"T_{ij} \log (H_2)_{ij}", "wrong", "wrong-cost"),
    ]),
    "batched_mlp_zh.tex": ("batched-mlp", [
        (r"Z_0 &= X W_0 + b_0", "correct", None),
        (r"Z_1 &= A_0 \cdot W_1 + b_1", "correct", None),
        (r"- Y_{ij} \right)$（少了平方）", "wrong", "cost-missing-square"),
        (r"\frac{\partial \mathcal{L}}{\partial A_1} = \frac{1}{2}(A_1 - Y)", "wrong", "factor"),
        (r"&= (A_1 - Y) * A_1 * (1 - A_1)", "correct", None),
        (r"&= (A_1 - Y) * \sigma'(A_1)", "wrong", "prime-argument"),
        (r"= A_0^{T} \cdot \frac{\partial \mathcal{L}}{\partial Z_1}", "correct", None),
        (r"X_{ki} \left(", "wrong", "swapped-indices"),
        (r"&= \frac{\partial \mathcal{L}}{\partial Z_1} \cdot W_1 \\", "wrong", "transposed-factor"),
        (r"* A_0 * (1 - A_0)", "correct", None),
        (r"* \sigma'(Z_1) \\", "wrong", "wrong-layer"),
        (r"\cdot X^{T} \\", "wrong", "product-order"),
        (r"&= \bm{1}_m^{T} \frac{\partial \mathcal{L}}{\partial Z_0}", "correct", None),
        ("= \\frac{\\partial \\mathcal{L}}{\\partial Z_0}\n\\end{align*}", "wrong", "missing-batch-sum"),
        (r"dZ_1 = A_1 - Y", "not checked", None),
        (r"(1 - Y_{ij})\log(1 - (A_1)_{ij})", "wrong", "wrong-cost"),
    ]),
    "softmax_en.md": ("softmax-classifier", [
        (r"\hat{\boldsymbol{x}} = \frac{\boldsymbol{x} - \mu}{\sigma_x}", "correct", None),
        (r"\boldsymbol{\hat y} = \operatorname{softmax}(\boldsymbol{z}_2)", "correct", None),
        (r"C = - \sum_{k=1}^{3} y_k \log \hat y_k", "correct", None),
        (r"(not $`C = \sum_{k=1}^{3} y_k \log \hat y_k", "wrong", "sign"),
        (r"C = \frac{1}{2} \sum_{k=1}^{3} (\hat y_k - y_k)^2", "wrong", "wrong-cost"),
        (r"= \operatorname{diag}(\boldsymbol{\hat y}) - \boldsymbol{\hat y}^T \boldsymbol{\hat y}", "correct", None),
        (r"\operatorname{diag}(\boldsymbol{\hat y} \odot (1 - \boldsymbol{\hat y}))", "wrong", "softmax-diagonal"),
        (r"= \boldsymbol{\hat y} - \boldsymbol{y}", "correct", None),
        (r"\odot \boldsymbol{\hat y} \odot (1 - \boldsymbol{\hat y})", "wrong", "softmax-diagonal"),
        (r"2(\boldsymbol{\hat y} - \boldsymbol{y})", "wrong", "factor"),
        (r"= \boldsymbol{a}_1 \frac{\partial C}", "wrong", "transposed-factor"),
        (r"= \boldsymbol{a}_1^T \frac{\partial C}", "correct", None),
        (r"\boldsymbol{W}_2^T \frac{\partial C}{\partial \boldsymbol{z}_2}", "wrong", "product-order"),
        (r"\odot \sigma'(\boldsymbol{a}_1)", "wrong", "prime-argument"),
        (r"\odot \sigma'(\boldsymbol{z}_2)", "wrong", "wrong-layer"),
        (r"\hat x_j \left(", "wrong", "swapped-indices"),
        (r"\hat x_k \left(", "correct", None),
        (r"= -\frac{\partial C}{\partial \boldsymbol{z}_1}", "wrong", "sign"),
    ]),
    "softmax_zh.md": ("softmax-classifier", [
        (r"\bm{z}^{(2)} = \bm{h}^{(1)} \bm{W}^{(2)} + \bm{b}^{(2)}", "correct", None),
        (r"J = -\sum_{k=1}^{3} y_k \log p_k", "correct", None),
        (r"\left\{ \begin{aligned}", "not checked", None),
        (r"= \mathrm{diag}(\bm{p}) - \bm{p}^{\mathrm{T}} \bm{p}", "correct", None),
        (r"= \bm{p} - \bm{y}，", "correct", None),
        (r"-\bm{y} \oslash \bm{p} \odot \bm{p} \odot (1 - \bm{p})", "wrong", "softmax-diagonal"),
        (r"= (\bm{p} - \bm{y})^{\mathrm{T}} \bm{h}^{(1)}", "wrong", "transposed-factor"),
        (r"\odot \bm{z}^{(1)} \odot (1 - \bm{z}^{(1)})", "wrong", "z-for-a"),
        (r"\odot (1 - \sigma'(\bm{z}^{(1)}))", "wrong", "f-prime-for-f"),
        (r"\frac{1}{2} \frac{\partial J}{\partial \bm{z}^{(1)}}", "wrong", "factor"),
        (r"\frac{\partial J}{\partial \bm{b}^{(2)}} = (\bm{h}^{(1)})^{\mathrm{T}}", "wrong", "swapped-formulas"),
        (r"h^{(1)}_k (p_j - y_j)", "correct", None),
        (r"y_j - p_j", "wrong", "sign"),
    ]),
}


@pytest.fixture(scope="module")
def reports() -> dict:
    return {name: check_file(POSTS / name, net) for name, (net, _) in EXPECTED.items()}


def _line_of(text: str, piece: str) -> int:
    starts = [i for i in range(len(text)) if text.startswith(piece, i)]
    assert len(starts) == 1, f"{piece!r} occurs {len(starts)} times in the post"
    return text.count("\n", 0, starts[0]) + 1


def _squash(text: str) -> str:
    return "".join(text.split())


def _cases() -> list:
    return [pytest.param(name, piece, verdict, diagnosis, id=f"{name}:{piece[:40]}")
            for name, (_, rows) in EXPECTED.items() for piece, verdict, diagnosis in rows]


def _find(report, text: str, piece: str):
    """The link a piece of the post stands for: the one whose form starts inside the piece (or,
    for a piece from the middle of a form, the form the piece is in)."""
    starts = [i for i in range(len(text)) if text.startswith(piece, i)]
    assert len(starts) == 1, f"{piece!r} occurs {len(starts)} times in the post"
    offset = starts[0]
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    on_line = sorted((l for st in report.statements for l in st.links if l.line == line), key=lambda l: l.col)
    assert on_line, f"nothing reported at line {line} for {piece!r}"
    inside = [l for l in on_line if col <= l.col <= col + len(piece)]
    if inside:
        return line, inside[0]
    before = [l for l in on_line if l.col <= col]
    return line, (before[-1] if before else on_line[0])


@pytest.mark.parametrize("name, piece, verdict, diagnosis", _cases())
def test_planted(reports: dict, name: str, piece: str, verdict: str, diagnosis: str | None) -> None:
    text = (POSTS / name).read_text(encoding="utf-8")
    line, link = _find(reports[name], text, piece)
    assert link.line == line
    assert link.verdict == verdict, (link.verdict, link.reason, link.text)
    assert (link.diagnosis.name if link.diagnosis else None) == diagnosis, link.diagnosis
    if verdict == "wrong":
        assert link.reason
        assert link.correct, "a wrong step comes with the correct formula"
    if verdict == "not checked":
        assert link.reason


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_nothing_else_is_wrong(reports: dict, name: str) -> None:
    """Every wrong link is a planted one."""
    text = (POSTS / name).read_text(encoding="utf-8")
    planted = {_line_of(text, piece) for piece, verdict, _ in EXPECTED[name][1] if verdict == "wrong"}
    wrong = {(l.line, l.text) for st in reports[name].statements for l in st.links if l.verdict == "wrong"}
    assert {line for line, _ in wrong} <= planted, sorted(wrong)
    assert reports[name].exit_code == 1


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counterexamples(reports: dict, name: str) -> None:
    """A link wrong in its values (not in its shapes) comes with values where the sides differ."""
    for st in reports[name].statements:
        for link in st.links:
            if link.verdict == "wrong" and link.reason == "the two sides differ":
                cx = link.counterexample
                assert cx is not None and cx.point
                assert abs(cx.left - cx.right) > 1e-9


#: Every mistake of the issue and of the shared README, for each example it can occur in.
COMMON = {"transposed-factor", "product-order", "sign", "prime-argument", "z-for-a", "factor", "swapped-indices",
          "wrong-cost", "f-prime-for-f", "wrong-layer", "swapped-formulas"}
REQUIRED = {
    "two-two-two": COMMON | {"cost-missing-square", "convention-contradicted"},
    "l-layer": COMMON | {"cost-missing-square", "convention-contradicted"},
    "batched-mlp": COMMON | {"cost-missing-square", "missing-batch-sum"},
    "softmax-classifier": COMMON | {"softmax-diagonal"},  # cross-entropy: no square to lose; its sign is "sign"
}


@pytest.mark.parametrize("net", sorted(REQUIRED))
def test_every_kind_of_mistake_is_planted(net: str) -> None:
    planted = {d for name, (n, rows) in EXPECTED.items() if n == net for _, v, d in rows if v == "wrong"}
    assert REQUIRED[net] <= planted, sorted(REQUIRED[net] - planted)
    kinds = {name.rsplit(".", 1)[1] for name, (n, _) in EXPECTED.items() if n == net}
    languages = {name.split("_")[-1].split(".")[0] for name, (n, _) in EXPECTED.items() if n == net}
    assert languages == {"en", "zh"}
    assert kinds <= {"md", "tex"}
