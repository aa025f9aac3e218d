"""Fuzz: mutated and random LaTeX never crash the checker (only "not checked" with a reason)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.backprop import build_concrete
from derive.check import check_text
from derive.check.parser import ParseError, parse_chain
from derive.examples import EXAMPLES
from derive.latex import DeriveLatexPrinter

FRAGMENTS = [
    "\\frac", "{", "}", "\\partial", "C", "W", "w", "a", "z", "x", "y", "b", "\\delta", "^", "_", "l", "L", "j", "k",
    "+", "-", "1", "2", "35", "(", ")", "[", "]", "|", "\\left(", "\\right)", "\\left\\{", "\\right.", "\\odot",
    "\\circ", "\\otimes", "\\sigma", "'", "’", "=", "&", "&=", "\\\\", "\\\\\\\\", "\\begin{bmatrix}", "\\end{bmatrix}",
    "\\begin{aligned}", "\\end{aligned}", "\\pmatrix{", "$", "$$", "`", "\\(", "\\)", "\\[", "\\]", "\\sum",
    "\\limits", "\\hat", "\\boldsymbol", "\\mathbf", "\\bm", "T", "\\top", "^{\\mathrm{T}}", "\\cdot", "\\times", "*",
    "/", ",", ".", "\\in", "\\mathbb{R}", "\\text{where}", "\\quad", "\n", "\n\n", " ", "σ", "δ", "∂", "⊙", "\\log",
    "log", "\\exp", "e", "\\operatorname{diag}", "\\nabla", "\\dots", "\\vdots", "\\tag{1}", "\\equiv", "\\leftarrow",
    "{% raw %}", "{% endraw %}", "```math\n", "```\n", "\\mathcal{D}", "\\ln", "f", "\\phi", "0.5", "\\hat{y}",
    "\\hat y_1", "w_{35}", "W^{(2)T}_{bc}", "\\begin{eqnarray}", "&=&", "\\end{eqnarray}", "\\prime", "\\sqrt",
    "\\mu", "\\sigma_x", "\\operatorname{softmax}", "\\oslash", "\\bf", "n_{l}", "\\lvert", "\\rvert", "\\|",
]

NETS = sorted(EXAMPLES)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40), st.sampled_from(NETS), st.sampled_from(["markdown", "latex"]))
def test_random_latex_never_crashes(fragments: list[str], net: str, kind: str) -> None:
    text = "".join(fragments)
    report = check_text(f"$${text}$$\n\n${text}$\n\n{text}", net, kind=kind)
    for statement in report.statements:
        for link in statement.links:
            assert link.verdict in ("correct", "wrong", "not checked")
            if link.verdict == "not checked":
                assert link.reason
            assert "internal error" not in link.reason


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_parser_only_raises_parse_errors(text: str) -> None:
    try:
        parse_chain(text, frozenset({"sigma", "f"}))
    except ParseError as exc:
        assert exc.message and isinstance(exc.pos, int)


def _printed(name: str) -> list[str]:
    d = build_concrete(EXAMPLES[name].with_widths(EXAMPLES[name].widths), components=True) \
        if EXAMPLES[name].general else build_concrete(EXAMPLES[name], components=True)
    printer = DeriveLatexPrinter(d.printer_settings("latex"))
    return [" = ".join(step.printed(printer.doprint)) for step in d.steps]


CHAINS = {name: _printed(name) for name in NETS}


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(NETS))
    text = draw(st.sampled_from(CHAINS[name]))
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        i = draw(st.integers(0, len(text) - 1))
        op = draw(st.sampled_from(["delete", "insert", "swap", "duplicate"]))
        if op == "delete":
            text = text[:i] + text[i + 1:]
        elif op == "insert":
            text = text[:i] + draw(st.sampled_from(FRAGMENTS)) + text[i:]
        elif op == "swap" and i + 1 < len(text):
            text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
        else:
            text = text[:i] + text[i:i + 5] + text[i:]
    return name, text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_formulas_never_crash(case: tuple[str, str]) -> None:
    name, text = case
    report = check_text(f"$$\n{text}\n$$\n", name)
    for statement in report.statements:
        for link in statement.links:
            assert link.verdict in ("correct", "wrong", "not checked")
            assert "internal error" not in link.reason, (text, link.reason)
            if link.verdict != "correct":
                assert link.reason


ATOMS = {
    "two-two-two": [r"\boldsymbol{\delta}^{2}", r"W^{2}", r"W^{1}", r"\boldsymbol{a}^{1}", r"\boldsymbol{x}",
                    r"\hat{\boldsymbol{y}}", r"\boldsymbol{y}", r"\boldsymbol{z}^{1}", "w_{35}", "a_3", r"\hat y_1",
                    "C", "2", r"\frac{\partial C}{\partial W^{2}}", r"\frac{\partial C}{\partial w_{13}}",
                    r"\delta^{2}_{j}", r"W^{2}_{jk}"],
    "l-layer": [r"\delta^{l}", r"\delta^{l+1}", r"W^{l+1}", r"a^{l-1}", r"z^{l}", r"z^{L}", "y", "C", "1",
                r"\frac{\partial C}{\partial W^{l}}", r"\delta^{l}_{j}", r"W^{l}_{jk}", r"a^{l-1}_{k}", r"b^{l}"],
    "batched-mlp": [r"\boldsymbol{X}", r"\boldsymbol{W}_{1}", r"\boldsymbol{W}_{2}", r"\boldsymbol{H}_{1}",
                    r"\boldsymbol{Z}_{1}", r"\boldsymbol{T}", "L", r"\boldsymbol{1}_{n}",
                    r"\frac{\partial L}{\partial \boldsymbol{Z}_{2}}", r"\left(H_{2}\right)_{ij}", "T_{ij}"],
    "softmax-classifier": [r"\boldsymbol{\hat{y}}", r"\boldsymbol{y}", r"\boldsymbol{a}_{1}", r"\boldsymbol{z}_{2}",
                           r"\boldsymbol{W}_{2}", r"\hat{\boldsymbol{x}}", "C",
                           r"\operatorname{diag}\left(\boldsymbol{\hat{y}}\right)",
                           r"\frac{\partial \boldsymbol{\hat{y}}}{\partial \boldsymbol{z}_{2}}", r"\hat{y}_{j}"],
}
OPERATORS = [" ", r" \odot ", " + ", " - ", r" \cdot ", " * ", r" \oslash ", r" \otimes ", "/"]
FUNCTIONS = [r"\sigma", r"\sigma'", r"\log", r"\exp", r"\operatorname{softmax}"]


@st.composite
def formulas(draw: st.DrawFn, net: str, depth: int = 0) -> str:
    """Well-formed formulas over a network's quantities: shapes and values of every kind."""
    kind = draw(st.integers(0, 5)) if depth < 3 else 0
    if kind <= 1:
        return draw(st.sampled_from(ATOMS[net])) + draw(st.sampled_from(["", "", "^{T}"]))
    if kind == 2:
        return draw(st.sampled_from(FUNCTIONS)) + r"\left(" + draw(formulas(net, depth + 1)) + r"\right)"
    if kind == 3:
        return (r"\left(" + draw(formulas(net, depth + 1)) + r"\right)"
                + draw(st.sampled_from(["", "^{T}", "^2", "_{j}", "_{11}"])))
    if kind == 4:
        return (r"\sum_{" + draw(st.sampled_from("jki")) + "=1}^{" + draw(st.sampled_from(["2", "n", "n_{l}"]))
                + "} " + draw(formulas(net, depth + 1)))
    return draw(formulas(net, depth + 1)) + draw(st.sampled_from(OPERATORS)) + draw(formulas(net, depth + 1))


@st.composite
def equations(draw: st.DrawFn) -> tuple[str, str]:
    net = draw(st.sampled_from(NETS))
    sides = [draw(formulas(net)) for _ in range(draw(st.integers(2, 3)))]
    return net, " = ".join(sides)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(equations())
def test_well_formed_formulas_get_a_verdict(case: tuple[str, str]) -> None:
    """Deeper than random text: formulas that parse, build and evaluate, right or wrong."""
    net, text = case
    report = check_text(f"$$\n{text}\n$$\n", net)
    for statement in report.statements:
        for link in statement.links:
            assert link.verdict in ("correct", "wrong", "not checked")
            assert "internal error" not in link.reason, (text, link.reason)
            if link.verdict == "wrong":
                assert link.reason
