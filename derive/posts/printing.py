r"""The printer of posts: the engine's `DeriveLatexPrinter` plus the few things a post states
besides step forms, each a node with one `_print_<Class>` method:

- `Membership`: a quantity and its shape, `\boldsymbol{\delta}^{2} \in \mathbb{R}^{2 \times 1}`;
- `Dimensions`: a shape alone, `2 \times 1` or `n_{l} \times n_{l - 1}` (the notation table);
- `IndexRange`: where a component statement holds, `j = 1, \ldots, n_{l}`;
- `FixedDecimal`: a number with a fixed count of decimals, so output is byte-stable;
- `PowerOfTen`: a tolerance or a difference step, `10^{-6}`;
- `Scientific`: a measured error in scientific notation, `3.5 \times 10^{-13}`;
- `Relation`: a chain of forms joined by = or ≈ (the worked example's differences).
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.core.basic import Basic
from sympy.core.symbol import Str

from ..latex import DeriveLatexPrinter

#: The relation signs a post uses between the forms of a chain.
RELATIONS = {"eq": "=", "approx": r"\approx"}


class Membership(Basic):
    """`quantity ∈ ℝ^{rows × cols}`."""

    def __new__(cls, quantity: Any, rows: Any, cols: Any) -> "Membership":
        return Basic.__new__(cls, quantity, sp.Integer(rows) if isinstance(rows, int) else rows,
                             sp.Integer(cols) if isinstance(cols, int) else cols)


class Dimensions(Basic):
    """`rows × cols`."""

    def __new__(cls, rows: Any, cols: Any) -> "Dimensions":
        return Basic.__new__(cls, sp.Integer(rows) if isinstance(rows, int) else rows,
                             sp.Integer(cols) if isinstance(cols, int) else cols)


class IndexRange(Basic):
    """`index = low, …, high`."""

    def __new__(cls, index: sp.Symbol, low: Any, high: Any) -> "IndexRange":
        return Basic.__new__(cls, index, sp.Integer(low) if isinstance(low, int) else low,
                             sp.Integer(high) if isinstance(high, int) else high)


class FixedDecimal(sp.Expr):
    """A value printed with a fixed number of decimals (no exponent, no negative zero)."""

    is_commutative = True

    def __new__(cls, value: float, places: int) -> "FixedDecimal":
        text = f"{float(value):.{places}f}"
        if float(text) == 0.0:
            text = text.lstrip("-")
        return sp.Expr.__new__(cls, Str(text))

    @property
    def text(self) -> str:
        return self.args[0].name


class PowerOfTen(Basic):
    """10^k written as such (a tolerance or a difference step), never as a fraction."""

    def __new__(cls, exponent: int) -> "PowerOfTen":
        return Basic.__new__(cls, sp.Integer(exponent))


class Scientific(Basic):
    """A non-negative value as `m × 10^e` with two significant digits (0 as 0)."""

    def __new__(cls, value: float) -> "Scientific":
        return Basic.__new__(cls, Str(f"{float(value):.1e}"))

    @property
    def mantissa_exponent(self) -> tuple[str, int] | None:
        text = self.args[0].name
        if float(text) == 0.0:
            return None
        mantissa, exponent = text.split("e")
        return mantissa, int(exponent)


class PostLatexPrinter(DeriveLatexPrinter):
    _default_settings = {**DeriveLatexPrinter._default_settings, "mat_str": "bmatrix", "mat_delim": ""}

    def __init__(self, settings: dict | None = None) -> None:
        super().__init__(settings)
        self._memo: dict[Any, str] = {}

    def doprint(self, expr: Any) -> str:
        # A post prints the same forms for every platform and both languages: print each once.
        if expr not in self._memo:
            self._memo[expr] = super().doprint(expr)
        return self._memo[expr]

    def _print_Membership(self, expr: Membership) -> str:
        quantity, rows, cols = expr.args
        return rf"{self._print(quantity)} \in \mathbb{{R}}^{{{self._print(Dimensions(rows, cols))}}}"

    def _print_Dimensions(self, expr: Dimensions) -> str:
        rows, cols = expr.args
        return rf"{self._print(rows)} \times {self._print(cols)}"

    def _print_IndexRange(self, expr: IndexRange) -> str:
        index, low, high = expr.args
        return rf"{self._print(index)} = {self._print(low)}, \ldots, {self._print(high)}"

    def _print_FixedDecimal(self, expr: FixedDecimal) -> str:
        return expr.text

    def _print_PowerOfTen(self, expr: PowerOfTen) -> str:
        return f"10^{{{self._print(expr.args[0])}}}"

    def _print_Scientific(self, expr: Scientific) -> str:
        parts = expr.mantissa_exponent
        if parts is None:
            return "0"
        mantissa, exponent = parts
        return rf"{mantissa} \times 10^{{{exponent}}}"
