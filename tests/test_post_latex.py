"""Golden strings of the LaTeX printers on small expressions, one assert per line (SymPy style),
and golden files of a tiny post, reviewed as diffs (rewrite with --update-golden)."""

from __future__ import annotations

import sympy as sp

from derive.algebra import ApplyPrime, Entry, Grad, Jacobian, NetQuantity
from derive.latex import FLAVORS, latex
from derive.notation import ROW, Notation
from derive.posts.printing import FixedDecimal, IndexRange, Membership, PostLatexPrinter, PowerOfTen

C = sp.Symbol("C")
x, j, l = sp.symbols("x j l")
n = sp.IndexedBase("n")
W2 = NetQuantity("W", 2, 2, 2)
a1 = NetQuantity("a", 1, 2, 1)
delta2 = NetQuantity("delta", 2, 2, 1)
z2 = NetQuantity("z", 2, 2, 1)
Z2 = NetQuantity("z", 2, sp.Symbol("n"), 3)
yhat_row = NetQuantity("a", 2, 1, 3)
z2_row = NetQuantity("z", 2, 1, 3)


def test_engine_printer_on_small_expressions() -> None:
    assert latex(sp.MatMul(delta2, sp.Transpose(a1))) == r"\boldsymbol{\delta}^{2} \left(\boldsymbol{a}^{1}\right)^{\top}"
    assert latex(Grad(C, W2)) == r"\frac{\partial C}{\partial \boldsymbol{W}^{2}}"
    assert latex(sp.HadamardProduct(Grad(C, a1), ApplyPrime("sigmoid", z2))) == (
        r"\frac{\partial C}{\partial \boldsymbol{a}^{1}} \odot \sigma'\left(\boldsymbol{z}^{2}\right)")
    assert latex(Entry(W2, j, 1)) == r"W^{2}_{j1}"
    assert latex(Grad(C, Z2), notation=Notation(delta=None, cost="L", preact="Z", layer_index="sub")) == (
        r"\frac{\partial L}{\partial \boldsymbol{Z}_{2}}")
    assert latex(Jacobian(yhat_row, z2_row), notation=ROW) == (
        r"\frac{\partial \boldsymbol{a}_{2}}{\partial \boldsymbol{z}_{2}}")


def test_bars_follow_the_flavor() -> None:
    assert latex(sp.Abs(x)) == r"\left|{x}\right|"
    assert latex(sp.Abs(x), **FLAVORS["jekyll"].printer_settings()) == r"\left\lvert{x}\right\rvert"
    assert latex(sp.Abs(x) ** 2, **FLAVORS["jekyll"].printer_settings()) == r"\left\lvert{x}\right\rvert^{2}"
    assert latex(sp.Abs(x), **FLAVORS["hugo"].printer_settings()) == r"\left|{x}\right|"


def test_post_printer_nodes() -> None:
    p = PostLatexPrinter()
    assert p.doprint(Membership(delta2, 2, 1)) == r"\boldsymbol{\delta}^{2} \in \mathbb{R}^{2 \times 1}"
    assert p.doprint(Membership(Grad(C, W2), 2, 2)) == r"\frac{\partial C}{\partial \boldsymbol{W}^{2}} \in \mathbb{R}^{2 \times 2}"
    assert p.doprint(IndexRange(j, 1, n[l])) == r"j = 1, \ldots, n_{l}"
    assert p.doprint(IndexRange(j, 1, n[l - 1])) == r"j = 1, \ldots, n_{l - 1}"
    assert p.doprint(FixedDecimal(-1.234567, 4)) == "-1.2346"
    assert p.doprint(FixedDecimal(-0.00001, 4)) == "0.0000"
    assert p.doprint(FixedDecimal(2, 2)) == "2.00"
    assert p.doprint(PowerOfTen(-6)) == "10^{-6}"
    assert p.doprint(sp.ImmutableMatrix([[FixedDecimal(0.5, 2), FixedDecimal(-1, 2)]])) == r"\begin{bmatrix}0.50 & -1.00\end{bmatrix}"
    assert p.doprint(sp.ImmutableMatrix([[FixedDecimal(0.5, 1)], [FixedDecimal(1, 1)]])) == r"\begin{bmatrix}0.5\\1.0\end{bmatrix}"


def test_tiny_post_goldens(golden) -> None:
    """A one-neuron network, as Hexo Markdown (every formula in raw tags) and as Chinese LaTeX."""
    from derive.posts.command import derivation_for_post
    from derive.posts.render import PostSource, render_post

    source = PostSource(derivation_for_post("mlp:1-1", 0))
    hexo = render_post(source, "hexo", "en")
    golden("posts/mlp-1-1.hexo.en.md", hexo["mlp-1-1.hexo.en.md"])
    golden("posts/mlp-1-1.svg", hexo["mlp-1-1.svg"])
    golden("posts/mlp-1-1.latex.zh.tex", render_post(source, "latex", "zh")["mlp-1-1.latex.zh.tex"])
