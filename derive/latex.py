r"""LaTeX for derivation statements: `\odot`, `^{\top}`, `\boldsymbol{}`, `\sigma'`, KaTeX-strict.

`DeriveLatexPrinter` is a SymPy `LatexPrinter` with one `_print_<Class>` method per construct we
print differently; sub-expressions always go back through `self._print`. Notation (z^l or Z_1,
δ or ∂C/∂Z, ŷ for the output) is a printer setting, never string surgery on the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter

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
from .notation import COLUMN, Notation


@dataclass(frozen=True)
class Flavor:
    """How one publishing platform wants its maths, as settings (never `if platform == …`).

    The printer reads `bars`; the post renderer reads the rest. Each platform's values follow the
    measured table in ../shared/README.md (what its engine breaks, what survives).
    """

    name: str
    display: tuple[str, str]  # delimiters of a display formula, each on a line of its own
    inline: tuple[str, str]  # delimiters of a formula inside a sentence
    #: An = chain over several lines: an environment inside the display delimiters, or (LaTeX)
    #: one that replaces them.
    multiline: tuple[str, str] = (r"\begin{aligned}", r"\end{aligned}")
    multiline_replaces_display: bool = False
    #: Template-engine tags that pass a formula through verbatim (Liquid, Nunjucks), and whether
    #: every formula needs them (Hexo) or only one holding a tag opener (`raw_triggers`).
    raw: tuple[str, str] | None = None
    raw_every_formula: bool = False
    raw_triggers: tuple[str, ...] = ()
    #: |x| as written: kramdown turns a bare | on a paragraph line into a table.
    bars: tuple[str, str] = (r"\left|", r"\right|")
    #: Markdown reads a line starting "+ ", "- " or "* " as a list item, even inside display maths
    #: (Hugo): such a line is joined to the one before.
    guard_line_starts: bool = False
    prose: str = "markdown"  # how the words around formulas are escaped: "markdown", "python-markdown", "latex"

    def printer_settings(self) -> dict[str, Any]:
        """The part of the flavor that changes printed formulas (the rest only places them)."""
        return {"bars": self.bars}


_LIQUID_RAW = ("{% raw %}", "{% endraw %}")
FLAVORS: dict[str, Flavor] = {
    "jekyll": Flavor("jekyll", ("$$", "$$"), ("$$", "$$"), raw=_LIQUID_RAW, raw_triggers=("{{", "{%"),
                     bars=(r"\left\lvert", r"\right\rvert"), guard_line_starts=True),
    "hugo": Flavor("hugo", ("$$", "$$"), (r"\(", r"\)"), guard_line_starts=True),
    "hexo": Flavor("hexo", ("$$", "$$"), ("$", "$"), raw=_LIQUID_RAW, raw_every_formula=True,
                   guard_line_starts=True),
    "github": Flavor("github", ("```math", "```"), ("$`", "`$"), guard_line_starts=True),
    "jupyter": Flavor("jupyter", ("$$", "$$"), ("$", "$"), guard_line_starts=True),
    "mkdocs": Flavor("mkdocs", ("$$", "$$"), (r"\(", r"\)"), guard_line_starts=True, prose="python-markdown"),
    "latex": Flavor("latex", (r"\[", r"\]"), (r"\(", r"\)"), multiline=(r"\begin{align*}", r"\end{align*}"),
                    multiline_replaces_display=True, prose="latex"),
}


# Matrix operators bind like this (tightest last): + and −, then ⊙ and ⊘, then the matrix product.
_ADD, _HADAMARD, _MATMUL = 1, 2, 3


def _level(expr: Any) -> int:
    if isinstance(expr, Broadcast):  # printed as the vector it spreads
        return _level(expr.vector)
    if isinstance(expr, sp.MatAdd):
        return _ADD
    if isinstance(expr, (sp.HadamardProduct, Quotient)):
        return _HADAMARD
    if isinstance(expr, sp.MatMul):
        return _ADD if _is_negated(expr) else _MATMUL
    return 4


def _is_negated(expr: Any) -> bool:
    return isinstance(expr, sp.MatMul) and expr.args[0].is_Number and expr.args[0] < 0


class SignedTerms:
    """Sums and products laid out the way the posts write them, for both printers: positive terms
    first, then subtracted ones (a − y, not −y + a), constants last except in 1 − a, a product's
    numeric coefficient in front, and all-ones vectors as 1_n. Subclasses give the tokens."""

    minus_infix = " - "
    minus_prefix = "- "

    def _paren(self, text: str) -> str:
        raise NotImplementedError

    def _ones_vector(self, size: str, transposed: bool) -> str:
        raise NotImplementedError

    def _print_MatMul(self, expr: sp.MatMul) -> str:
        args = list(expr.args)
        sign = ""
        if args[0].is_Number:
            coeff = args.pop(0)
            if coeff == -1:
                sign = self.minus_prefix
            elif coeff < 0:
                sign = f"{self.minus_prefix}{self._print(-coeff)} "
            else:
                sign = f"{self._print(coeff)} "
        elif isinstance(args[0], sp.Expr) and not isinstance(args[0], sp.MatrixExpr):
            sign = self._print(args.pop(0)) + " "
        if sign == self.minus_prefix and len(args) == 1:
            return sign + self._wrap(args[0], _ADD)
        parts = []
        for arg in args:
            if isinstance(arg, sp.OneMatrix):
                rows, cols = arg.shape
                parts.append(self._ones_vector(self._print(cols if rows == 1 else rows), rows == 1))
            else:
                parts.append(self._wrap(arg, _HADAMARD))
        return sign + " ".join(parts)

    def _print_MatAdd(self, expr: sp.MatAdd) -> str:
        terms = list(expr.args)
        # Positive terms first, then subtracted ones, each group in the order built: z = W a + b, a − y.
        ordered = [t for t in terms if not _is_negated(t)] + [t for t in terms if _is_negated(t)]
        out = ""
        for i, term in enumerate(ordered):
            if _is_negated(term):
                positive = sp.MatMul(-term.args[0], *term.args[1:]) if term.args[0] != -1 else _unnegate(term)
                out += self.minus_infix + self._wrap(positive, _ADD)
            else:
                out += ("" if i == 0 else " + ") + self._print(term)
        return out

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        terms = list(expr.args)
        numbers = [t for t in terms if t.is_Number]
        others = [t for t in terms if not t.is_Number]
        positive = [t for t in others if not _negative(t)]
        negative = [t for t in others if _negative(t)]
        # 1 − a stays as written; otherwise constants go last: l + 1, n_{l−1}.
        if numbers and not positive and all(n > 0 for n in numbers):
            ordered = numbers + negative
        else:
            ordered = positive + negative + numbers
        out = ""
        for i, term in enumerate(ordered):
            if _negative(term):
                out += (self.minus_infix if i else self.minus_prefix) + self._print_term(-term)
            else:
                out += (" + " if i else "") + self._print_term(term)
        return out

    def _print_term(self, term: sp.Expr) -> str:
        text = self._print(term)
        return self._paren(text) if isinstance(term, sp.Add) else text


class DeriveLatexPrinter(SignedTerms, LatexPrinter):
    printmethod = "_derive_latex"
    _default_settings = {
        **LatexPrinter._default_settings,
        "notation": COLUMN,
        "output_layer": None,  # layer whose activation is written with notation.output (ŷ)
        "order": "none",  # keep the order the engine built: (ŷ − y) ⊙ ŷ, not alphabetical
        "symbol_names": {},
        "bars": (r"\left|", r"\right|"),  # |x|; a Flavor may ask for \lvert … \rvert
    }

    def __init__(self, settings: dict | None = None) -> None:
        super().__init__(settings)
        self.notation: Notation = self._settings["notation"]
        layer = self._settings["output_layer"]
        self.output_layer = None if layer is None else as_expr(layer)

    # -- names ------------------------------------------------------------------------------
    def _base_name(self, q: NetQuantity) -> str:
        n = self.notation
        if q.kind == "a" and n.output is not None and q.layer == self.output_layer:
            return n.latex(n.output)
        if q.kind == "a" and q.layer == 0:
            return n.latex(n.input)
        return n.latex(n.base(q.kind))

    def _layer_suffix(self, q: NetQuantity) -> tuple[str, str]:
        """(superscript, subscript) carrying the layer index, if the quantity has one."""
        if q.kind in ("x", "xhat", "y"):
            return "", ""
        if q.kind == "a" and (q.layer == 0 or (self.notation.output and q.layer == self.output_layer)):
            return "", ""
        layer = self._print(q.layer)
        return (layer, "") if self.notation.layer_index == "super" else ("", layer)

    def _quantity(self, q: NetQuantity, bold: bool = True, sub: str = "") -> str:
        base = self._base_name(q)
        body = rf"\boldsymbol{{{base}}}" if bold else base
        if q.kind == "xhat":
            body = rf"\hat{{\boldsymbol{{{self.notation.latex(self.notation.input)}}}}}" if bold else rf"\hat{{{base}}}"
        sup, layer_sub = self._layer_suffix(q)
        if q.kind == "var":  # the variance of layer l: (σ^l)², σ_l²
            sigma = r"\boldsymbol{\sigma}" if bold else r"\sigma"
            subs = ",".join(s for s in (layer_sub, sub) if s)
            body = rf"\left({sigma}^{{{sup}}}\right)" if sup else sigma + (f"_{{{subs}}}" if subs else "")
            return body + "^{2}" + (f"_{{{sub}}}" if sup and sub else "")
        subs = ",".join(s for s in (layer_sub, sub) if s)
        if not bold and layer_sub and sub:
            return rf"\left({body}_{{{layer_sub}}}\right)_{{{sub}}}" + (f"^{{{sup}}}" if sup else "")
        return body + (f"^{{{sup}}}" if sup else "") + (f"_{{{subs}}}" if subs else "")

    def _print_NetQuantity(self, q: NetQuantity) -> str:
        if q.kind == "delta" and self.notation.delta is None:
            return self._print(Grad(sp.Symbol(self.notation.cost), NetQuantity("z", q.layer, *q.shape)))
        return self._quantity(q)

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        if expr.name == "C":
            return self.notation.latex(self.notation.cost)
        return super()._print_Symbol(expr, style)

    # -- matrix algebra -----------------------------------------------------------------------
    def _wrap(self, expr: Any, level: int) -> str:
        text = self._print(expr)
        return rf"\left({text}\right)" if _level(expr) <= level else text

    def _print_Transpose(self, expr: sp.Transpose) -> str:
        arg = expr.arg
        if isinstance(arg, NetQuantity):
            sup, _ = self._layer_suffix(arg)
            if not sup:
                return f"{self._print(arg)}^{{\\top}}"
        elif isinstance(arg, (Grad, Jacobian)) or _level(arg) < 4:
            return rf"\left({self._print(arg)}\right)^{{\top}}"
        elif not isinstance(arg, NetQuantity):
            return f"{self._print(arg)}^{{\\top}}"
        return rf"\left({self._print(arg)}\right)^{{\top}}"

    def _print_HadamardProduct(self, expr: sp.HadamardProduct) -> str:
        # Products inside ⊙ get parentheses, as in ((W^{l+1})^T δ^{l+1}) ⊙ σ'(z^l).
        return r" \odot ".join(self._wrap(arg, _MATMUL) for arg in expr.args)

    def _print_Quotient(self, expr: Quotient) -> str:
        return r" \oslash ".join(self._wrap(arg, _HADAMARD) for arg in expr.args)

    def _print_OneMatrix(self, expr: sp.OneMatrix) -> str:
        return r"\boldsymbol{1}"

    def _paren(self, text: str) -> str:
        return rf"\left({text}\right)"

    def _ones_vector(self, size: str, transposed: bool) -> str:
        return rf"\boldsymbol{{1}}_{{{size}}}" + (r"^{\top}" if transposed else "")

    def _print_Identity(self, expr: sp.Identity) -> str:
        return r"\boldsymbol{I}"

    def _print_Broadcast(self, expr: Broadcast) -> str:
        return self._print(expr.vector)

    def _print_Diag(self, expr: Diag) -> str:
        return rf"\operatorname{{diag}}\left({self._print(expr.args[0])}\right)"

    def _print_Standardize(self, expr: Standardize) -> str:
        x, mean, std = expr.args
        return rf"\frac{{{self._print(x)} - {self._print(mean)}}}{{{self._print(std)}}}"

    def _print_Apply(self, expr: Apply) -> str:
        return rf"{rules.lookup_activation(expr.name).latex}\left({self._print(expr.arg)}\right)"

    def _print_ApplyPrime(self, expr: ApplyPrime) -> str:
        return rf"{rules.lookup_activation(expr.name).latex}'\left({self._print(expr.arg)}\right)"

    def _print_VariancePower(self, expr: VariancePower) -> str:
        inside = f"{self._print(expr.var)} + {self._print(expr.eps)}"
        if expr.power == sp.Rational(1, 2):
            return rf"\sqrt{{{inside}}}"
        return rf"\left({inside}\right)^{{{self._print(expr.power)}}}"

    def _print_Elementwise(self, expr: Elementwise) -> str:
        arg = self._print(expr.arg)
        if expr.name == "step":
            return rf"\mathbf{{1}}\left[{arg} > 0\right]"
        return rf"\{expr.name}\left({arg}\right)"

    def _print_Grad(self, expr: Grad) -> str:
        return rf"\frac{{\partial {self._print(expr.cost)}}}{{\partial {self._print(expr.wrt)}}}"

    def _print_Jacobian(self, expr: Jacobian) -> str:
        return rf"\frac{{\partial {self._print(expr.args[0])}}}{{\partial {self._print(expr.args[1])}}}"

    # -- scalars -------------------------------------------------------------------------------
    def _indices(self, indices: tuple) -> str:
        printed = [self._print(i) for i in indices]
        glue = "" if all(len(p) == 1 for p in printed) else ","
        return glue.join(printed)

    def _print_Entry(self, expr: Entry) -> str:
        of = expr.of
        if isinstance(of, NetQuantity):
            if of.kind == "delta" and self.notation.delta is None:
                return self._print(Entry(Grad(sp.Symbol(self.notation.cost), NetQuantity("z", of.layer, *of.shape)), *expr.indices))
            return self._quantity(of, bold=False, sub=self._indices(expr.indices))
        return rf"\left({self._print(of)}\right)_{{{self._indices(expr.indices)}}}"

    def _print_Partial(self, expr: Partial) -> str:
        return rf"\frac{{\partial {self._print(expr.num)}}}{{\partial {self._print(expr.den)}}}"

    def _print_Prime(self, expr: Prime) -> str:
        return rf"{rules.lookup_activation(expr.name).latex}'\left({self._print(expr.arg)}\right)"

    def _print_ActivationBase(self, expr: sp.Function, exp: str | None = None) -> str:
        name = rules.lookup_activation(expr.activation_name).latex
        text = rf"{name}\left({self._print(expr.args[0])}\right)"
        return rf"{text}^{{{exp}}}" if exp else text

    def _print_SoftmaxEntry(self, expr: sp.Function, exp: str | None = None) -> str:
        args = ", ".join(self._print(a) for a in expr.args[1:])
        text = rf"\operatorname{{softmax}}_{{{self._print(expr.args[0])}}}\left({args}\right)"
        return rf"{text}^{{{exp}}}" if exp else text

    def _print_SquaredNorm(self, expr: SquaredNorm) -> str:
        return rf"\left\lVert {self._print(expr.of)} \right\rVert^{{2}}"

    def _print_CostTotal(self, expr: CostTotal) -> str:
        total = cost_as_sum(expr)
        if isinstance(total, sp.Mul):  # ½ Σ …, − Σ …: the coefficient stays in front
            coeff, summed = total.args
            lead = "- " if coeff == -1 else self._print(coeff) + " "
            return lead + self._print(summed)
        return self._print(total)

    def _print_Sum(self, expr: sp.Sum) -> str:
        # Nested sums are written one sign each, outermost first: Σ_i Σ_j, never \substack.
        signs = []
        for var, lo, hi in reversed(expr.limits):
            signs.append(rf"\sum_{{{self._print(var)}={self._print(lo)}}}^{{{self._print(hi)}}}")
        body = expr.function
        text = self._print(body)
        if isinstance(body, sp.Add):
            text = rf"\left({text}\right)"
        return " ".join(signs) + " " + text

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        indices = ",".join(self._print(i) for i in expr.indices)
        return f"{self._print(expr.base.label)}_{{{indices}}}"

    def _print_Heaviside(self, expr: sp.Heaviside, exp: str | None = None) -> str:
        text = rf"\mathbf{{1}}\left[{self._print(expr.args[0])} > 0\right]"
        return rf"{text}^{{{exp}}}" if exp else text

    def _print_Abs(self, expr: sp.Abs, exp: str | None = None) -> str:
        left, right = self._settings["bars"]
        text = f"{left}{{{self._print(expr.args[0])}}}{right}"
        return rf"{text}^{{{exp}}}" if exp else text

    def _print_log(self, expr: sp.log, exp: str | None = None) -> str:
        text = rf"\log\left({self._print(expr.args[0])}\right)"
        return rf"\left({text}\right)^{{{exp}}}" if exp else text


def _negative(term: sp.Expr) -> bool:
    return term.could_extract_minus_sign()


def _unnegate(term: sp.MatMul) -> Any:
    rest = term.args[1:]
    return rest[0] if len(rest) == 1 else sp.MatMul(*rest)


INDEX_OUTPUT, INDEX_SAMPLE = sp.symbols("j i", integer=True, positive=True)


def cost_as_sum(expr: CostTotal) -> sp.Expr:
    """C written out: ½ Σ_j (a_j − y_j)², inside a sum over the samples i when batched."""
    entry = rules.cost(expr.name)
    out, target = expr.output, expr.target
    rows, cols = out.shape
    j, i = INDEX_OUTPUT, INDEX_SAMPLE
    n_classes, n_samples = (rows, cols) if expr.axis == 0 else (cols, rows)
    if n_samples == 1:  # one sample: a vector, one index
        idx, limits = (j,), [(j, 1, n_classes)]
    else:
        idx = (j, i) if expr.axis == 0 else (i, j)
        limits = [(j, 1, n_classes), (i, 1, n_samples)]
    body = entry.c.xreplace({rules.A: Entry(out, *idx), rules.Y: Entry(target, *idx)})
    coeff, rest = body.as_coeff_Mul()
    coeff = coeff * expr.scale  # ½ · 1/n = 1/(2n) for the mean of a quadratic cost
    total = sp.Sum(rest, *limits)
    return total if coeff == 1 else sp.Mul(coeff, total, evaluate=False)


def latex(expr: Any, **settings: Any) -> str:
    return DeriveLatexPrinter(settings).doprint(expr)


def latex_shape(shape: tuple) -> str:
    rows, cols = (as_expr(d) for d in shape)
    printer = DeriveLatexPrinter()
    return rf"\mathbb{{R}}^{{{printer._print(rows)} \times {printer._print(cols)}}}"
