"""Zero false alarms: every formula derive prints checks correct, on every platform.

Until `derive post` lands, the formulas are what `DeriveLatexPrinter` prints for every step of
every example (all forms of each `=` chain, with the example's printer settings), embedded the
way each platform's posts write maths: Jekyll's `$$` (display and kramdown inline), Hugo's
`\\[…\\]` and `\\(…\\)`, Hexo's `{% raw %}` wrapping, GitHub's ```` ```math ```` and `` $`…`$ ``,
Jupyter's `$`, an `aligned` chain, a chain split over display blocks, and a LaTeX document with
`align*`.
"""

from __future__ import annotations

import pytest

from derive.backprop import build_concrete, build_general
from derive.check import check_text
from derive.examples import EXAMPLES
from derive.latex import DeriveLatexPrinter


def chains(name: str) -> list[list[str]]:
    spec = EXAMPLES[name]
    d = build_general(spec) if spec.general else build_concrete(spec, components=True)
    printer = DeriveLatexPrinter(d.printer_settings("latex"))
    return [step.printed(printer.doprint) for step in d.steps]


def _display(open_: str, close: str):
    return lambda forms: f"Some prose.\n\n{open_}\n{' = '.join(forms)}\n{close}\n\nMore prose.\n"


def _inline(open_: str, close: str):
    return lambda forms: f"In a sentence, {open_}{' = '.join(forms)}{close}, as shown.\n\n"


def _aligned(forms: list[str]) -> str:
    rows = f"{forms[0]} &= {forms[1]}" + "".join(f" \\\\\n&= {f}" for f in forms[2:])
    return f"$$\n\\begin{{aligned}}\n{rows}\n\\end{{aligned}}\n$$\n\n"


def _split_blocks(forms: list[str]) -> str:
    return f"$$\n{forms[0]} = {forms[1]}\n$$\n" + "".join(f"$$\n= {f}\n$$\n" for f in forms[2:]) + "\n"


def _hexo(forms: list[str]) -> str:
    return "{% raw %}\n$$\n" + " = ".join(forms) + "\n$$\n{% endraw %}\n\n"


PLATFORMS = {
    "jekyll-display": _display("$$", "$$"),
    "jekyll-inline": _inline("$$", "$$"),
    "hugo-display": _display("\\[", "\\]"),
    "hugo-inline": _inline("\\(", "\\)"),
    "hexo": _hexo,
    "hexo-inline": _inline("{% raw %}$", "${% endraw %}"),
    "github-fence": _display("```math", "```"),
    "github-inline": _inline("$`", "`$"),
    "jupyter-inline": _inline("$", "$"),
    "aligned": _aligned,
    "split-blocks": _split_blocks,
}


def _latex_document(all_chains: list[list[str]]) -> str:
    body = []
    for forms in all_chains:
        rows = f"{forms[0]} &= {forms[1]}" + "".join(f" \\\\\n  &= {f}" for f in forms[2:])
        body.append(f"\\begin{{align*}}\n  {rows}\n\\end{{align*}}\nand inline \\({' = '.join(forms)}\\).\n")
    return "\\documentclass{article}\n\\begin{document}\n" + "\n".join(body) + "\\end{document}\n"


def _assert_all_correct(report, expected_links: int) -> None:
    bad = [(l.line, l.verdict, l.reason, l.text) for st in report.statements for l in st.links
           if l.verdict != "correct"]
    assert not bad, bad
    assert report.counts["correct"] == expected_links
    assert report.exit_code == 0


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_printed_formula_checks_correct(name: str, platform: str) -> None:
    all_chains = chains(name)
    text = "".join(PLATFORMS[platform](forms) for forms in all_chains)
    report = check_text(text, name)
    _assert_all_correct(report, sum(len(forms) - 1 for forms in all_chains))


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_latex_document(name: str) -> None:
    all_chains = chains(name)
    report = check_text(_latex_document(all_chains), name, kind="latex")
    _assert_all_correct(report, 2 * sum(len(forms) - 1 for forms in all_chains))


def _instance_chains(name: str) -> list[list[str]]:
    spec = EXAMPLES[name]
    out = []
    for widths in [spec.widths, *spec.instances]:
        if max(widths) > 10:
            continue
        d = build_concrete(spec.with_widths(tuple(widths)), components=True)
        printer = DeriveLatexPrinter(d.printer_settings("latex"))
        out += [step.printed(printer.doprint) for step in d.steps]
    return out


def test_general_post_with_its_instances() -> None:
    """The l-layer post also instantiates the result on concrete widths (3-4-2, 2-3-2-2): those
    formulas, with numbered layers, are checked on the instance they fit."""
    all_chains = _instance_chains("l-layer")
    text = "".join(_display("$$", "$$")(forms) for forms in all_chains)
    _assert_all_correct(check_text(text, "l-layer"), sum(len(forms) - 1 for forms in all_chains))


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_printed_shape_checks_correct(name: str) -> None:
    """`derive post` states every shape: W^1 ∈ ℝ^{4×3}, as latex_shape prints it."""
    from derive.latex import latex_shape

    spec = EXAMPLES[name]
    d = build_general(spec) if spec.general else build_concrete(spec, components=True)
    printer = DeriveLatexPrinter(d.printer_settings("latex"))
    shapes = {q: shape for step in d.steps for q, shape in step.shapes()}
    text = "".join(f"$${printer.doprint(q)} \\in {latex_shape(shape)}$$\n" for q, shape in shapes.items())
    if spec.general:  # and the big instance the post quotes: W^1 ∈ ℝ^{30×784}
        big = build_concrete(spec.with_widths(spec.instances[-1]))
        p2 = DeriveLatexPrinter(big.printer_settings("latex"))
        text += "".join(f"$${p2.doprint(q)} \\in {latex_shape(shape)}$$\n"
                        for q, shape in {q: s for step in big.steps for q, s in step.shapes()}.items())
    report = check_text(text, name)
    bad = [(l.line, l.verdict, l.reason) for st in report.statements for l in st.links if l.verdict != "correct"]
    assert not bad
