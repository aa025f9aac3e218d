"""Unicode for the terminal: δ² = ((W³)ᵀ δ³) ⊙ σ′(z²), ∂C/∂W² = δ² (a¹)ᵀ.

The same statements as latex.py, printed by a `StrPrinter` subclass with one method per node.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.str import StrPrinter

from .safe import as_expr
from . import rules
from .algebra import (
    Apply,
    ApplyPrime,
    Broadcast,
    CostTotal,
    SquaredNorm,
    Diag,
    Elementwise,
    Entry,
    Grad,
    Jacobian,
    NetQuantity,
    Partial,
    Prime,
    Quotient,
    Standardize,
    VariancePower,
)
from .latex import _HADAMARD, _MATMUL, SignedTerms, _level, cost_as_sum
from .notation import COLUMN, Notation

_SUPER = str.maketrans("0123456789+-−()=lLnkji", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁽⁾⁼ˡᴸⁿᵏʲⁱ")
_SUB = str.maketrans("0123456789+-−()=jkilnmL", "₀₁₂₃₄₅₆₇₈₉₊₋₋₍₎₌ⱼₖᵢₗₙₘ_")


def superscript(text: str) -> str:
    plain = text.replace(" ", "")
    converted = plain.translate(_SUPER)
    return converted if all(ch not in plain for ch in converted if ch.isascii() and ch.isalnum()) else f"^({plain})"


def subscript(text: str) -> str:
    plain = text.replace(" ", "").replace(",", "")
    converted = plain.translate(_SUB)
    return converted if not any(ch.isascii() and ch.isalnum() for ch in converted) else f"_({text.replace(' ', '')})"


class DeriveTextPrinter(SignedTerms, StrPrinter):
    printmethod = "_derive_text"  # not "_sympystr": Indexed would print itself as n[l]
    _default_settings = {
        **StrPrinter._default_settings, "notation": COLUMN, "output_layer": None, "order": "none",
        "symbol_names": {},
    }

    def __init__(self, settings: dict | None = None) -> None:
        super().__init__(settings)
        self.notation: Notation = self._settings["notation"]
        layer = self._settings["output_layer"]
        self.output_layer = None if layer is None else as_expr(layer)

    def _quantity(self, q: NetQuantity, sub: str = "") -> str:
        n = self.notation
        if q.kind == "a" and n.output is not None and q.layer == self.output_layer:
            return n.text(n.output) + (subscript(sub) if sub else "")
        if q.kind in ("x", "y") or (q.kind == "a" and q.layer == 0):
            name = n.text(n.input if q.kind != "y" else n.target)
            return name + (subscript(sub) if sub else "")
        if q.kind == "xhat":
            return n.text(n.input) + "\u0302" + (subscript(sub) if sub else "")
        base = n.text(n.base(q.kind))
        layer = self._print(q.layer)
        if q.kind == "var":  # the variance of layer l: (σ^l)², σ_l²
            return ("(σ" + superscript(layer) + ")²" if n.layer_index == "super" else "σ" + subscript(layer) + "²") + (
                subscript(sub) if sub else "")
        if n.layer_index == "super":
            return base + superscript(layer) + (subscript(sub) if sub else "")
        if sub:
            return f"({base}{subscript(layer)}){subscript(sub)}"
        return base + subscript(layer)

    def _print_NetQuantity(self, q: NetQuantity) -> str:
        if q.kind == "delta" and self.notation.delta is None:
            return self._print(Grad(sp.Symbol(self.notation.cost), NetQuantity("z", q.layer, *q.shape)))
        return self._quantity(q)

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        if expr in self._settings["symbol_names"]:
            return self._settings["symbol_names"][expr]
        if expr.name == "C":
            return self.notation.text(self.notation.cost)
        return {"mu": "μ", "sigma_x": "σₓ", "lambda": "λ", "epsilon": "ε"}.get(expr.name, expr.name)

    def _print_Mul(self, expr: sp.Mul) -> str:
        num, den = sp.fraction(expr)
        if den.free_symbols and not num.is_Add and not den.is_Add:  # λ/n, λ/(2 n): one fraction
            den_text = self._print(den)
            return f"{self._print(num)}/{den_text if den.is_Symbol else f'({den_text})'}"
        factors = list(expr.args)
        sign = ""
        if factors and factors[0].is_Number and factors[0] < 0:
            sign, factors[0] = "−", -factors[0]
            if factors[0] == 1:
                factors.pop(0)
        parts = []
        for f in factors:
            text = self._print(f)
            parts.append(f"({text})" if isinstance(f, sp.Add) else text)
        return sign + " ".join(parts)

    def _print_Rational(self, expr: sp.Rational) -> str:
        return {(1, 2): "½", (-1, 2): "−½"}.get((expr.p, expr.q), super()._print_Rational(expr))

    def _print_ImmutableDenseMatrix(self, expr: sp.ImmutableMatrix) -> str:
        rows = ["[" + ", ".join(self._print(expr[r, c]) for c in range(expr.cols)) + "]" for r in range(expr.rows)]
        return "[" + ", ".join(rows) + "]"

    def _wrap(self, expr: Any, level: int) -> str:
        text = self._print(expr)
        return f"({text})" if _level(expr) <= level else text

    def _print_Transpose(self, expr: sp.Transpose) -> str:
        arg = expr.arg
        text = self._print(arg)
        simple = isinstance(arg, NetQuantity) and not (
            self.notation.layer_index == "super" and arg.kind in ("W", "b", "z", "a", "delta")
            and not (arg.kind == "a" and (arg.layer == 0 or (self.notation.output and arg.layer == self.output_layer)))
        )
        return f"{text}ᵀ" if simple else f"({text})ᵀ"

    def _print_HadamardProduct(self, expr: sp.HadamardProduct) -> str:
        return " ⊙ ".join(self._wrap(arg, _MATMUL) for arg in expr.args)

    def _print_Quotient(self, expr: Quotient) -> str:
        return " ⊘ ".join(self._wrap(arg, _HADAMARD) for arg in expr.args)

    def _print_OneMatrix(self, expr: sp.OneMatrix) -> str:
        return "𝟏"

    def _print_Identity(self, expr: sp.Identity) -> str:
        return "I"

    def _print_Broadcast(self, expr: Broadcast) -> str:
        return self._print(expr.vector)

    def _print_Diag(self, expr: Diag) -> str:
        return f"diag({self._print(expr.args[0])})"

    def _print_Standardize(self, expr: Standardize) -> str:
        x, mean, std = expr.args
        return f"({self._print(x)} − {self._print(mean)})/{self._print(std)}"

    def _print_Apply(self, expr: Apply) -> str:
        return f"{rules.lookup_activation(expr.name).text}({self._print(expr.arg)})"

    def _print_ApplyPrime(self, expr: ApplyPrime) -> str:
        return f"{rules.lookup_activation(expr.name).text}′({self._print(expr.arg)})"

    def _print_VariancePower(self, expr: VariancePower) -> str:
        inside = f"{self._print(expr.var)} + {self._print(expr.eps)}"
        if expr.power == sp.Rational(1, 2):
            return f"√({inside})"
        power = str(expr.power).replace("-", "−")
        return f"({inside})^({power})"

    def _print_Elementwise(self, expr: Elementwise) -> str:
        arg = self._print(expr.arg)
        return f"𝟏[{arg} > 0]" if expr.name == "step" else f"{expr.name}({arg})"

    def _print_Grad(self, expr: Grad) -> str:
        return f"∂{self._print(expr.cost)}/∂{self._print(expr.wrt)}"

    def _print_Jacobian(self, expr: Jacobian) -> str:
        return f"∂{self._print(expr.args[0])}/∂{self._print(expr.args[1])}"

    def _print_Entry(self, expr: Entry) -> str:
        of = expr.of
        indices = "".join(self._print(i) for i in expr.indices)
        if isinstance(of, NetQuantity) and not (of.kind == "delta" and self.notation.delta is None):
            return self._quantity(of, sub=indices)
        return f"({self._print(of)}){subscript(indices)}"

    def _print_Partial(self, expr: Partial) -> str:
        return f"∂{self._print(expr.num)}/∂{self._print(expr.den)}"

    def _print_Prime(self, expr: Prime) -> str:
        return f"{rules.lookup_activation(expr.name).text}′({self._print(expr.arg)})"

    def _print_ActivationBase(self, expr: sp.Function) -> str:
        return f"{rules.lookup_activation(expr.activation_name).text}({self._print(expr.args[0])})"

    def _print_SoftmaxEntry(self, expr: sp.Function) -> str:
        args = ", ".join(self._print(a) for a in expr.args[1:])
        return f"softmax{subscript(self._print(expr.args[0]))}({args})"

    def _print_Abs(self, expr: sp.Abs) -> str:
        return f"|{self._print(expr.args[0])}|"

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        return f"𝟏[{self._print(expr.args[0])} > 0]"

    def _print_SquaredNorm(self, expr: SquaredNorm) -> str:
        return f"‖{self._print(expr.of)}‖²"

    def _print_CostTotal(self, expr: CostTotal) -> str:
        total = cost_as_sum(expr)
        if isinstance(total, sp.Mul):
            coeff, summed = total.args
            return self._coefficient(coeff) + self._print(summed)
        return self._print(total)

    def _coefficient(self, coeff: sp.Expr) -> str:
        """A cost's leading factor: −, ½, 1/n, 1/(2 n), −1/n."""
        if coeff == -1:
            return "−"
        if coeff == sp.Rational(1, 2):
            return "½ "
        num, den = sp.fraction(coeff)
        if den.is_Number:
            return self._print(coeff) + " "
        den_text = self._print(den)
        return f"{self._print(num)}/{den_text if den.is_Symbol else f'({den_text})'} "

    def _print_Sum(self, expr: sp.Sum) -> str:
        signs = [f"Σ{subscript(self._print(v))}" if len(self._print(v)) == 1 else f"Σ_{self._print(v)}"
                 for v, _, _ in reversed(expr.limits)]
        body = self._print(expr.function)
        if isinstance(expr.function, sp.Add):
            body = f"({body})"
        return " ".join(signs) + " " + body

    minus_infix = " − "
    minus_prefix = "−"

    def _paren(self, text: str) -> str:
        return f"({text})"

    def _ones_vector(self, size: str, transposed: bool) -> str:
        return "𝟏" + subscript(size) + ("ᵀ" if transposed else "")

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        return self._print(expr.base.label) + subscript(",".join(self._print(i) for i in expr.indices))

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        if expr.exp == 2:
            base = self._print(expr.base)
            return (f"({base})" if isinstance(expr.base, (sp.Add, sp.Mul)) else base) + "²"
        return super()._print_Pow(expr, rational)


def text(expr: Any, **settings: Any) -> str:
    return DeriveTextPrinter(settings).doprint(expr)


def text_shape(shape: tuple) -> str:
    rows, cols = (as_expr(d) for d in shape)
    printer = DeriveTextPrinter()
    return f"ℝ^({printer._print(rows)}×{printer._print(cols)})"
