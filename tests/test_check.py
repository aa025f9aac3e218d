"""derive check, piece by piece: the parser, the notation map, the extractor, verdicts, the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from derive.check import check_text
from derive.check.extract import read_document, statements
from derive.check.parser import ParseError, Sym, parse_chain, parse_expression
from derive.errors import DeriveError

ROOT = Path(__file__).resolve().parent.parent


def verdicts(text: str, net: str, kind: str = "markdown", **kw) -> list[tuple[int, str, str | None]]:
    report = check_text(text, net, kind=kind, **kw)
    return [(l.line, l.verdict, l.diagnosis.name if l.diagnosis else None)
            for st in report.statements for l in st.links]


def only(text: str, net: str, **kw) -> tuple[str, str | None]:
    found = verdicts(text, net, **kw)
    assert len(found) == 1, found
    return found[0][1], found[0][2]


# ----------------------------------------------------------------------------------------------
# Parser
# ----------------------------------------------------------------------------------------------


def sym(text: str) -> Sym:
    node = parse_expression(text)
    assert node.kind == "sym", node.kind
    return node.value


@pytest.mark.parametrize("text", [r"W^T", r"W^{T}", r"W^\top", r"W^{\top}", r"W^{\mathrm{T}}", r"W^\intercal",
                                  r"W^{\rm T}", r"W^{\mathsf{T}}"])
def test_transposes(text: str) -> None:
    s = sym(text)
    assert s.sup.transpose and s.sup.expr is None


def test_transpose_with_layer_and_indices() -> None:
    s = sym(r"W_{bc}^{(2)T}")
    assert s.sup.transpose and s.sup.paren and s.sup.expr.value == "2"
    assert s.sub.text == "bc"
    s = sym(r"y^{T}_{1}")
    assert s.sup.transpose and s.sub.expr.value == "1"


@pytest.mark.parametrize("text", [r"\sigma'(z)", r"\sigma' (z)", r"f^{'}(z)", r"f^{\prime}(z)", r"f^\prime(z)",
                                  "\\phi’(z)", r"f'(z)"])
def test_primes(text: str) -> None:
    node = parse_expression(text, frozenset({"sigma", "f", "phi"}))
    assert node.kind == "call" and node.value.primes == 1


@pytest.mark.parametrize("text, kind", [
    (r"\frac{\partial C}{\partial w_{35}}", "pd"), (r"\partial C/\partial a_j^L", "pd"),
    (r"\frac{\partial}{\partial w}\left(x\right)", "pdop"), (r"\nabla_{w^l} C", "nabla"),
    (r"\frac12", "frac"), (r"\sum\limits_{i=1}^{M} x_i", "sum"), (r"\sum_k{w_k}", "sum"),
    (r"\operatorname{diag}(v)", "call"), (r"\text{diag}(v)", "call"), (r"log(x)", "call"), (r"\ln x", "call"),
    (r"\exp(x)", "call"), (r"e^{-z}", "sym"), (r"\begin{bmatrix} a & b \\ c & d \end{bmatrix}", "matrix"),
    (r"\pmatrix{a & b \cr c & d}", "matrix"), (r"\left[\begin{matrix}a\\b\end{matrix}\right]", "matrix"),
    (r"\begin{pmatrix} a & \cdots \end{pmatrix}", "matrix"), (r"\dots", "dots"),
])
def test_constructs(text: str, kind: str) -> None:
    assert parse_expression(text).kind == kind


@pytest.mark.parametrize("text, name, bold", [
    (r"\hat y", "yhat", False), (r"\hat{y}", "yhat", False), (r"\boldsymbol{\hat{y}}", "yhat", True),
    (r"\hat{\boldsymbol{x}}", "xhat", True), (r"\mathbf{W}", "W", True), (r"\bm{h}", "h", True),
    (r"\bf{x}", "x", True), (r"\hat{w_1}", "what", False), (r"\hat{w}_1", "what", False), (r"\delta", "delta", False),
    (r"\mathcal{D}", "calD", False), (r"W0", "W", False),
])
def test_symbol_names(text: str, name: str, bold: bool) -> None:
    s = sym(text)
    assert (s.name, s.bold) == (name, bold)


def test_precedence() -> None:
    """+ loosest, then ⊙, then products: (Wᵀ δ) ⊙ σ′(z) needs no parentheses."""
    node = parse_expression(r"a + b \odot c d", frozenset())
    assert node.kind == "add"
    assert node.children[1].kind == "had"
    assert node.children[1].children[1].kind == "mul"


def test_chain_and_relations() -> None:
    chain = parse_chain(r"\delta &= a \equiv b := c \approx d \in e")
    assert [rel for rel, _ in chain] == [None, "=", "equiv", "def", "approx", "in"]
    assert [rel for rel, _ in parse_chain(r"w \leftarrow w - d")] == [None, "update"]
    assert [rel for rel, _ in parse_chain(r"x &=& y \tag{1.2}")] == [None, "="]


def test_expect_reports_position() -> None:
    with pytest.raises(ParseError) as exc:
        parse_expression(r"\left( a + b")
    assert "expected \\right to close \\left from col 1 at col" in exc.value.message
    assert "got the end of the formula" in exc.value.message
    with pytest.raises(ParseError) as exc:
        parse_expression(r"a + \foo")
    assert exc.value.message.startswith("unknown command \\foo at col 5")


def test_no_eval_on_user_text() -> None:
    """The check package never hands user text to eval, exec, sympify or parse_latex."""
    for path in (ROOT / "derive" / "check").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        for banned in (r"\beval\(", r"\bexec\(", r"\bparse_expr\(", r"parse_latex", r"sympify\((text|source|node\.value)"):
            assert not re.search(banned, source), (path.name, banned)


# ----------------------------------------------------------------------------------------------
# Verdicts on small snippets
# ----------------------------------------------------------------------------------------------


def test_juxtaposed_vectors_are_elementwise() -> None:
    assert only(r"$$\sigma'(z^l) = \sigma(z^l)(1 - \sigma(z^l))$$", "l-layer") == ("correct", None)


def test_ambiguous_cdot_between_vectors() -> None:
    assert only(r"$$\sigma'(z^l) = a^l \cdot (1 - a^l)$$", "l-layer")[0] == "not checked"
    doc = '```derive-notation\nproducts = "elementwise"\n```\n$$\\sigma\'(z^l) = a^l \\cdot (1 - a^l)$$'
    assert only(doc, "l-layer") == ("correct", None)


def test_kronecker_delta_beside_the_error() -> None:
    text = r"$$\frac{\partial z^{l+1}_k}{\partial a^l_j} = \sum_m W^{l+1}_{km} \delta_{mj}$$"
    assert only(text, "l-layer") == ("correct", None)


def test_unbound_symbol_is_reported() -> None:
    report = check_text(r"$$\frac{\partial C}{\partial u} = v$$", "l-layer")
    link = report.statements[0].links[0]
    assert link.verdict == "not checked" and "unbound symbol" in link.reason and "(line 1, col" in link.reason


def test_worked_example_numbers_are_not_checked() -> None:
    verdict, _ = only(r"$$\frac{\partial C}{\partial w_{35}} = 0.0123$$", "two-two-two")
    assert verdict == "not checked"


def test_einstein_sum_is_not_guessed() -> None:
    text = r"$$\delta^l_j = W^{l+1}_{kj} \delta^{l+1}_k \sigma'(z^l_j)$$"
    assert only(text, "l-layer")[0] == "not checked"


def test_update_rule_is_not_an_equation() -> None:
    assert only(r"$$w \leftarrow w - \eta \nabla C$$", "two-two-two")[0] == "not checked"


def test_operator_form() -> None:
    text = (r"$$\frac{\partial C}{\partial w_{36}} = \frac{\partial}{\partial w_{36}}\left(\frac{1}{2}(\hat y_1 - y_1)^2"
            r" + \frac{1}{2}(\hat y_2 - y_2)^2\right)$$")
    assert only(text, "two-two-two") == ("correct", None)


def test_shapes_first_with_both_shapes() -> None:
    report = check_text(r"$$\frac{\partial C}{\partial W^l} = \delta^l a^{l-1}$$", "l-layer")
    link = report.statements[0].links[0]
    assert link.verdict == "wrong" and link.method == "shapes"
    assert link.shapes == ("n_l × 1", "n_(l − 1) × 1")
    assert link.diagnosis.name == "transposed-factor"
    assert link.correct == r"\delta^{l} \left(a^{l - 1}\right)^{\top}"


def test_exact_proof_when_correct() -> None:
    report = check_text(r"$$\frac{\partial C}{\partial W^l} = \delta^l (a^{l-1})^T$$", "l-layer")
    assert report.statements[0].links[0].method == "exact"


def test_each_link_of_a_chain() -> None:
    text = r"$$\delta^L = (a^L - y) \odot \sigma'(z^L) = (a^L - y) \odot \sigma'(a^L) = (a^L - y) \odot a^L \odot (1 - a^L)$$"
    assert [v for _, v, _ in verdicts(text, "l-layer")] == ["correct", "wrong", "correct"]


# ----------------------------------------------------------------------------------------------
# Notation maps
# ----------------------------------------------------------------------------------------------

TARGET_HAT = r"$$\frac{\partial E}{\partial o_1} = o_1 - \hat y_1$$"


def test_notation_from_front_matter_yaml() -> None:
    doc = "---\ntitle: x\nderive-notation:\n  symbols:\n    o: output\n    yhat: target\n    E: cost\n---\n" + TARGET_HAT
    assert only(doc, "two-two-two") == ("correct", None)


def test_notation_from_front_matter_toml() -> None:
    doc = '+++\ntitle = "x"\n[derive-notation.symbols]\no = "output"\nyhat = "target"\nE = "cost"\n+++\n' + TARGET_HAT
    assert only(doc, "two-two-two") == ("correct", None)


def test_notation_from_html_comment_and_latex_comment() -> None:
    block = '[symbols]\no = "output"\nyhat = "target"\nE = "cost"\n'
    assert only(f"<!-- derive-notation\n{block}-->\n{TARGET_HAT}", "two-two-two") == ("correct", None)
    latex = "".join(f"% {line}\n" for line in block.splitlines())
    doc = f"% derive-notation\n{latex}\\[ {TARGET_HAT.strip('$')} \\]\n"
    assert only(doc, "two-two-two", kind="latex") == ("correct", None)


def test_notation_file(tmp_path: Path) -> None:
    path = tmp_path / "map.toml"
    path.write_text('[symbols]\no = "output"\nyhat = "target"\nE = "cost"\n', encoding="utf-8")
    from derive.check import check_file

    post = tmp_path / "post.md"
    post.write_text(TARGET_HAT, encoding="utf-8")
    report = check_file(post, "two-two-two", notation=path)
    assert report.counts == {"correct": 1, "wrong": 0, "not checked": 0}


def test_layer_offset_and_layer_neuron_index() -> None:
    doc = ('```derive-notation\nlayer_index = "sub"\nlayer_offset = -1\n[symbols]\n'
           'y = { role = "activation", index = "layer-neuron", layer_offset = 0 }\nt = "target"\n```\n'
           r"$$z_1 = W_1 a_0$$" "\n\n" r"$$\frac{\partial C}{\partial y_{21}} = y_{21} - t_1$$")
    assert [v for _, v, _ in verdicts(doc, "two-two-two")] == ["correct", "correct"]


def test_source_layout() -> None:
    doc = '```derive-notation\nlayout = "source"\n```\n$$z^2 = (W^2)^T a^1$$\n\n$$\\frac{\\partial C}{\\partial W^2} = a^1 (\\delta^2)^T$$'
    assert [v for _, v, _ in verdicts(doc, "two-two-two")] == ["correct", "correct"]


@pytest.mark.parametrize("block, message", [
    ('[symbols]\nW = "weights"', "unknown role of W"),
    ('[symbols]\n"1x" = "weight"', "must match [A-Za-z][A-Za-z0-9_]*"),
    ('layout = "columns"', "unknown layout"),
    ('colour = "red"', "unknown notation map key"),
    ('layer_offset = 100', "layer_offset"),
])
def test_bad_maps_are_usage_errors(block: str, message: str) -> None:
    with pytest.raises(DeriveError) as exc:
        check_text(f"```derive-notation\n{block}\n```\n$$C = 1$$", "two-two-two")
    assert message in str(exc.value)


# ----------------------------------------------------------------------------------------------
# Finding formulas: every delimiter, the right lines
# ----------------------------------------------------------------------------------------------

DELIMITERS = r"""Inline $z^1 = W^1 x$ and kramdown $$a^1 = \sigma(z^1)$$ in a sentence.
Two on a line: $$z^2 = W^2 a^1$$ and $$\hat{y} = \sigma(z^2)$$.
Hugo \(z^1 = W^1 x\) and
\[
a^1 = \sigma(z^1)
\]
Backticks `$z^2 = W^2 a^1$` and
`$$
\hat{y} = \sigma(z^2)
$$`
GitHub $`z^1 = W^1 x`$ and
```math
a^1 = \sigma(z^1)
```
An inline formula broken $z^2 =
W^2 a^1$ across lines.
$$
\delta^2 = (\hat{y} - y) \odot \hat{y} \odot (1 - \hat{y})

= \frac{\partial C}{\partial z^2}
$$
\begin{equation}
\delta^1 = ((W^2)^T \delta^2) \odot \sigma'(z^1) \tag{2}\end{equation}
$$
\begin{aligned}
\frac{\partial C}{\partial W^2} &= \delta^2 (a^1)^T \\\\
\frac{\partial C}{\partial W^1} &= \delta^1 x^T
\end{aligned}
$$
\begin{eqnarray}
z^1 &=& W^1 x \nonumber \\
a^1 &=& \sigma(z^1) \tag{3}\end{eqnarray}
$$\left\{ \begin{align*} z^2 &= W^2 a^1 \\ \hat y &= \sigma(z^2) \end{align*} \right.$$
$$\frac{\partial C}{\partial \hat y} = \hat y - y$$
$$= \hat{y} - y$$
$$
&= \hat y - y
$$
$$\hat y - y$$
`code $x = 1$ stays code`
```python
y = 2 * x  # $not = math$
```
"""


def test_every_delimiter_and_its_line() -> None:
    found = verdicts(DELIMITERS, "two-two-two")
    assert all(v == "correct" for _, v, _ in found), found
    # One link per formula, at the line its right-hand side starts; lines 34-39 are one chain over
    # four display blocks (starting with =, with &=, and with no left-hand side at all).
    assert [line for line, _, _ in found] == [
        1, 1, 2, 2, 3, 5, 7, 9, 11, 13, 16, 18, 20, 23, 26, 27, 31, 32, 33, 33, 34, 35, 37, 39]


def test_chain_continued_across_blocks() -> None:
    doc = read_document(DELIMITERS, "markdown")
    found, _ = statements(doc)
    chains = [st.src.text for st in found if st.src.text.count("=") == 4 and "hat" in st.src.text]
    assert chains and "\\frac{\\partial C}{\\partial \\hat y}" in chains[0]


def test_latex_document_skips_preamble_and_comments() -> None:
    doc = ("\\documentclass{article}\n\\newcommand{\\R}{$x = 1$}\n\\begin{document}\n% $a = b$\n"
           "$z^1 = W^1 x$ and \\(a^1 = \\sigma(z^1)\\)\n\\begin{verbatim}$q = 1$\\end{verbatim}\n\\end{document}\n")
    assert verdicts(doc, "two-two-two", kind="latex") == [(5, "correct", None), (5, "correct", None)]


MYST = r"""Inline role {math}`z^1 = W^1 x` in a sentence.
```{math}
:label: eq-hidden
a^1 = \sigma(z^1)
```
```{admonition} A transpose too many
:class: warning
A frequent mistake:

$$
\frac{\partial C}{\partial W^2} = (a^1)^T \delta^2
$$
```
````{note}
```python
y = 2 * x  # $not = math$
```
Still in the note: $z^2 = W^2 a^1$
````
```{code-cell} python
# $code = cell$
```
After the directives: $$\hat{y} = \sigma(z^2)$$
"""


def test_myst_math_and_directive_bodies() -> None:
    # the math role and directive (its :label: option left out), the Markdown inside an admonition
    # and a note (a code block inside it stays code), never a code cell
    assert verdicts(MYST, "two-two-two") == [(1, "correct", None), (4, "correct", None), (11, "wrong", "product-order"),
                                             (18, "correct", None), (23, "correct", None)]


RST = r"""Sphinx notes.

.. note::

   Inline, :math:`\hat{y} = \sigma(z^2)` inside a note.

.. math::
   :label: eq-grad

   \frac{\partial C}{\partial W^2} = (a^1)^T \delta^2

   \frac{\partial C}{\partial W^2} = \delta^2 (a^1)^T

.. math:: \frac{\partial C}{\partial W^2} = \delta^2 (a^1)^T

A literal block::

    :math:`\delta^2 = 0` is code here

.. code-block:: python

   # :math:`\delta^2 = 0`

.. derive-notation

   [symbols]
   E = "cost"

..
   a comment :math:`\delta^2 = 0`

Done (E read by the map's block, a role over two lines): :math:`\frac{\partial E}{\partial W^1}
= \delta^1 x^T`.
"""


def test_rst_math_directive_and_role() -> None:
    # every paragraph of a `.. math::` directive (its :label: left out) and its argument, the role in
    # prose (over two lines) and inside a note; never a literal block, a code block or a comment; the
    # map in a comment
    assert verdicts(RST, "two-two-two", kind="rst") == [(5, "correct", None), (10, "wrong", "product-order"),
                                                        (12, "correct", None), (14, "correct", None),
                                                        (33, "correct", None)]


# ----------------------------------------------------------------------------------------------
# The command line
# ----------------------------------------------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DERIVE_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "derive", "check", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_cli_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text("$$\\frac{\\partial C}{\\partial W^2} = \\delta^2 (a^1)^T$$\n", encoding="utf-8")
    bad = tmp_path / "bad.md"
    bad.write_text("$$\\frac{\\partial C}{\\partial W^2} = (a^1)^T \\delta^2$$\n", encoding="utf-8")
    ok = run(str(good), "--net", "two-two-two")
    assert ok.returncode == 0 and "1 correct, 0 wrong" in ok.stdout
    wrong = run(str(bad), "--net", "two-two-two")
    assert wrong.returncode == 1 and "WRONG" in wrong.stdout and "product-order" in wrong.stdout
    data = json.loads(run(str(bad), "--net", "two-two-two", "--json").stdout)
    link = data["statements"][0]["links"][0]
    assert link["verdict"] == "wrong" and link["diagnosis"]["name"] == "product-order" and link["line"] == 1
    assert link["correct"] == r"\boldsymbol{\delta}^{2} \left(\boldsymbol{a}^{1}\right)^{\top}" or link["correct"]


@pytest.mark.parametrize("args, message", [
    (("missing.md", "--net", "two-two-two"), "no such file or folder: missing.md"),
    (("{post}", "--net", "nope"), "unknown network"),
    (("{post}",), "--net"),
    (("{post}", "--net", "two-two-two", "--notation", "missing.toml"), "notation map 'missing.toml' does not exist"),
])
def test_cli_usage_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    post = tmp_path / "post.md"
    post.write_text("$$C = 1$$\n", encoding="utf-8")
    result = run(*[a.format(post=post) for a in args])
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr and "Traceback" not in result.stderr


# ----------------------------------------------------------------------------------------------
# Worked examples: givens, then numbers checked at them to the digits printed
# ----------------------------------------------------------------------------------------------


def _bmatrix(a) -> str:
    import numpy as np

    a = np.atleast_2d(a)
    return r"\begin{bmatrix}" + r"\\".join(" & ".join(f"{v:.6f}" for v in row) for row in a) + r"\end{bmatrix}"


def _two_two_two_numbers():
    """The cost and ∂C/∂W of the 2-2-2 network by plain NumPy central differences (an oracle
    independent of derive)."""
    import numpy as np

    x, y = np.array([[0.27], [-0.46]]), np.array([[0.64], [0.67]])
    W1, W2 = np.array([[0.06, -0.31], [0.75, 0.55]]), np.array([[0.52, -0.06], [0.18, 0.45]])
    sig = lambda z: 1 / (1 + np.exp(-z))
    cost = lambda W1, W2: 0.5 * float(np.sum((sig(W2 @ sig(W1 @ x)) - y) ** 2))
    grads = []
    for k in range(2):
        g = np.zeros((2, 2))
        for i in range(2):
            for j in range(2):
                h = np.zeros((2, 2))
                h[i, j] = 1e-6
                args_p = [W1 + h, W2] if k == 0 else [W1, W2 + h]
                args_m = [W1 - h, W2] if k == 0 else [W1, W2 - h]
                g[i, j] = (cost(*args_p) - cost(*args_m)) / 2e-6
        grads.append(g)
    return x, y, W1, W2, cost(W1, W2), grads


def test_worked_example() -> None:
    x, y, W1, W2, c, (g1, g2) = _two_two_two_numbers()
    wrong = g2.copy()
    wrong[1, 0] += 0.01
    doc = (
        "Givens:\n\n$$\n\\begin{aligned}\n"
        f"\\boldsymbol{{x}} &= \\begin{{bmatrix}}0.27\\\\-0.46\\end{{bmatrix}} \\\\\n"
        f"\\boldsymbol{{W}}^{{1}} &= \\begin{{bmatrix}}0.06 & -0.31\\\\0.75 & 0.55\\end{{bmatrix}} \\\\\n"
        f"\\boldsymbol{{W}}^{{2}} &= \\begin{{bmatrix}}0.52 & -0.06\\\\0.18 & 0.45\\end{{bmatrix}} \\\\\n"
        f"\\boldsymbol{{y}} &= \\begin{{bmatrix}}0.64\\\\0.67\\end{{bmatrix}}\n\\end{{aligned}}\n$$\n\n"
        f"$$C = {c:.6f}$$\n\n"
        f"$$\\frac{{\\partial C}}{{\\partial \\boldsymbol{{W}}^{{1}}}} = \\boldsymbol{{\\delta}}^{{1}} \\boldsymbol{{x}}^{{\\top}} = {_bmatrix(g1)}$$\n\n"
        f"$$\\frac{{\\partial C}}{{\\partial \\boldsymbol{{W}}^{{2}}}} = {_bmatrix(wrong)}$$\n\n"
        f"$$\\frac{{\\partial C}}{{\\partial w_{{46}}}} \\approx {g2[1, 1]:.6f}$$\n"
    )
    report = check_text(doc, "two-two-two")
    found = [(l.line, l.verdict, l.method) for st in report.statements for l in st.links]
    assert [v for _, v, _ in found] == ["correct"] * 4 + ["correct", "correct", "correct", "wrong", "correct"], found
    assert all(m == "a given of the worked example" for _, _, m in found[:4])
    bad = [l for st in report.statements for l in st.links if l.verdict == "wrong"][0]
    assert bad.line == 16 and bad.counterexample.entry == "(2, 1)" and bad.diagnosis.name == "wrong-number"
    assert bad.correct == _bmatrix(g2)


def test_worked_example_numbers_need_their_givens() -> None:
    link = check_text("$$C = 0.046946$$", "two-two-two").statements[0].links[0]
    assert link.verdict == "not checked" and "before its givens" in link.reason


def test_batch_size_of_an_example() -> None:
    assert only("$$n = 3$$", "batched-mlp") == ("correct", None)
    assert only("$$n = 4$$", "batched-mlp")[0] == "wrong"


def test_jupyter_notebook(tmp_path: Path) -> None:
    from derive.check import check_file

    cells = [{"cell_type": "markdown", "source": ["# Title\n", "$$z^1 = W^1 x$$\n"]},
             {"cell_type": "code", "source": ["x = 1  # $a = b$"]},
             {"cell_type": "markdown", "source": "$$\\frac{\\partial C}{\\partial W^2} = (a^1)^T \\delta^2$$"}]
    path = tmp_path / "post.ipynb"
    path.write_text(json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5, "metadata": {}}), encoding="utf-8")
    report = check_file(path, "two-two-two")
    assert [(l.line, l.verdict) for st in report.statements for l in st.links] == [(2, "correct"), (5, "wrong")]


def test_readme_example_is_what_check_prints(tmp_path: Path) -> None:
    """The README's report of a short wrong derivation is the real output, byte for byte."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Check a hand-written derivation", 1)[1]
    post = section.split("```markdown\n", 1)[1].split("```\n", 1)[0]
    shown = section.split("```console\n", 1)[1].split("```\n", 1)[0]
    command, expected = shown.split("\n", 1)
    assert command == "$ derive check post.md --net l-layer"
    (tmp_path / "post.md").write_text(post, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "derive", "check", "post.md", "--net", "l-layer"], cwd=tmp_path,
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 1
    assert result.stdout == expected


def test_norms_and_bracketed_layers() -> None:
    text = (r"$$C = \frac{1}{2}\|a^L - y\|^2 = \frac{1}{2}\left\lVert a^L - y \right\rVert^2"
            r" = \frac12 (a^L - y)^T (a^L - y)$$" "\n\n" r"$$C = \|a^L - y\|^2$$")
    assert [(v, d) for _, v, d in verdicts(text, "l-layer")] == [
        ("correct", None), ("correct", None), ("correct", None), ("wrong", "factor")]
    doc = '```derive-notation\n[symbols]\nA = "activation"\nZ = "preactivation"\n```\n$$Z^{[2]} = W^{[2]} A^{[1]} + b^{[2]}$$'
    assert only(doc, "l-layer") == ("correct", None)
