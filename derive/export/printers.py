"""Code printers for exported gradients: one `_print_<Class>` method per statement node.

`MatrixCodePrinter` writes NumPy (`@`, `.T`, `*`, keepdims sums) for whole matrices;
`ScalarCodePrinter` writes plain Python floats (`math`) for the straight-line scalar form.
Registry formulas (stable activations, costs from logits) are printed by the same printers,
so the generated code computes exactly what the registry verified.
"""

from __future__ import annotations

import re

from typing import Any

import sympy as sp
from sympy.codegen.numpy_nodes import logaddexp, maximum, minimum
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import precedence
from sympy.printing.pycode import PythonCodePrinter

from .. import rules
from ..algebra import (
    Apply,
    ApplyPrime,
    Broadcast,
    Elementwise,
    Grad,
    NetQuantity,
    Quotient,
    SquaredNorm,
    Standardize,
    VariancePower,
)
from ..errors import DeriveError
from .backends import NUMPY, Backend
from .plan import variable_name


def helper_name(activation: str) -> str:
    """_leaky_relu for leaky-relu, _leaky_relu_0_2 for leaky-relu:0.2: an identifier."""
    return "_" + re.sub(r"[^a-z0-9_]", "_", activation)


def _is_atom(expr: Any) -> bool:
    return isinstance(expr, (NetQuantity, Grad, sp.MatrixSymbol, Apply, ApplyPrime, Elementwise, Broadcast,
                             sp.OneMatrix)) or (
        isinstance(expr, sp.Transpose) and _is_atom(expr.arg)
    )


class MatrixCodePrinter(NumPyPrinter):
    """Array code for matrix statements in the chosen backend (np., torch., jnp. prefixes)."""

    printmethod = "_derive_numpy"
    _default_settings = {**NumPyPrinter._default_settings, "strict": True, "fully_qualified_modules": True,
                         "backend": NUMPY, "batch": None}

    def __init__(self, settings: dict | None = None) -> None:
        super().__init__(settings)
        self.backend: Backend = self._settings["backend"]

    def _module_format(self, fqn: str, register: bool = True) -> str:
        if register:
            self.module_imports.setdefault("numpy", set()).add(fqn.split(".")[-1])
        return f"{self.backend.prefix}." + fqn.split(".")[-1] if fqn.startswith("numpy.") else fqn

    def _wrap(self, expr: Any) -> str:
        text = self._print(expr)
        return text if _is_atom(expr) or isinstance(expr, (sp.Symbol, sp.Number)) else f"({text})"

    # Names
    def _print_NetQuantity(self, expr: NetQuantity) -> str:
        return expr.ident

    def _print_Grad(self, expr: Grad) -> str:
        return variable_name(expr)

    def _print_MatrixSymbol(self, expr: sp.MatrixSymbol) -> str:
        return expr.name

    # Matrix algebra
    def _print_Transpose(self, expr: sp.Transpose) -> str:
        return f"{self._wrap(expr.arg)}.T"

    def _print_MatMul(self, expr: sp.MatMul) -> str:
        args = list(expr.args)
        coeff = None
        if not isinstance(args[0], sp.MatrixExpr):  # a number, or 1/n of a mean over the batch
            coeff = args.pop(0)
        if coeff is not None and len(args) == 1 and isinstance(args[0], sp.OneMatrix):
            return self._print(coeff)  # c 𝟏: the number itself, broadcast
        text = self._product(args)
        if coeff is None:
            return text
        if coeff == -1:
            return f"-{text}" if len(args) == 1 and _is_atom(args[0]) else f"-({text})"
        atom = len(args) == 1 and _is_atom(args[0])
        if coeff.is_Pow and coeff.exp == -1:
            return f"{text if atom else f'({text})'} / {self._print(coeff.base)}"
        return f"{self._print(coeff)} * {text if atom else f'({text})'}"

    def _product(self, args: list[Any]) -> str:
        # A product with all-ones vectors is a sum: δ 1_n sums over columns, 1_nᵀ δ over rows,
        # 1 1ᵀ H and H 1 1ᵀ sum and broadcast back (NumPy broadcasting keeps the shape).
        ones = [isinstance(a, sp.OneMatrix) for a in args]
        if ones == [False, True] and self.ones_vector(args[1]) == "ones_n":  # δ 𝟏ₙ: a sum over the samples
            return f"{self._wrap(args[0])} @ ones_n"
        if ones == [True, False] and self.ones_vector(args[0]) == "ones_n_T":  # 𝟏ₙᵀ Δ: the same in rows
            return f"ones_n_T @ {self._wrap(args[1])}"
        if ones == [False, True]:
            return self.backend.sum(self._wrap(args[0]), 1)
        if ones == [True, False]:
            return self.backend.sum(self._wrap(args[1]), 0)
        if ones == [True, True, False]:
            return self.backend.sum(self._wrap(args[2]), 0)
        if ones == [False, True, True]:
            return self.backend.sum(self._wrap(args[0]), 1)
        if any(ones):
            raise DeriveError(f"no code for the product {sp.srepr(sp.MatMul(*args))}")
        return " @ ".join(self._wrap(a) for a in args)

    def ones_vector(self, one: Any) -> str | None:
        """The name of the all-ones vector 𝟏ₙ (ones_n) or 𝟏ₙᵀ (ones_n_T) over the samples, where
        the backend multiplies by one (made as matrixform.ONES_VECTORS says), else None."""
        batch = self._settings["batch"]
        if not self.backend.ones_vector or batch is None or not isinstance(one, sp.OneMatrix):
            return None
        return {(batch, 1): "ones_n", (1, batch): "ones_n_T"}.get(tuple(one.shape))

    def _print_MatAdd(self, expr: sp.MatAdd) -> str:
        terms = list(expr.args)
        positive = [t for t in terms if not _negated(t)]
        negative = [t for t in terms if _negated(t)]
        out = " + ".join(self._term(t) for t in positive) if positive else ""
        for t in negative:
            out += (" - " if out else "-") + self._term(_negate(t))
        return out

    def _term(self, term: Any) -> str:
        if isinstance(term, sp.OneMatrix):
            return "1"
        return self._wrap(term) if isinstance(term, sp.MatAdd) else self._print(term)

    def _print_HadamardProduct(self, expr: sp.HadamardProduct) -> str:
        return " * ".join(self._wrap(a) for a in expr.args)

    def _print_Quotient(self, expr: Quotient) -> str:
        num, den = expr.args
        return f"{'1' if isinstance(num, sp.OneMatrix) else self._wrap(num)} / {self._wrap(den)}"

    def _print_OneMatrix(self, expr: sp.OneMatrix) -> str:
        return "1"

    def _print_Broadcast(self, expr: Broadcast) -> str:
        return self._wrap(expr.vector)  # NumPy broadcasting repeats it over the samples

    def _print_SquaredNorm(self, expr: SquaredNorm) -> str:
        return f"{self.backend.prefix}.sum({self._print(expr.of)} ** 2)"

    def _print_Standardize(self, expr: Standardize) -> str:
        x, mean, std = expr.args
        return f"({self._print(x)} - {self._print(mean)}) / {self._print(std)}"

    def _print_VariancePower(self, expr: VariancePower) -> str:
        # ε > 0 keeps σ² + ε positive: the power is finite even where a statistic's values are equal
        return f"({self._print(expr.var)} + {self._print(expr.eps)}) ** {float(expr.power)!r}"

    def _print_Apply(self, expr: Apply) -> str:
        if expr.name == "softmax":
            return f"_softmax({self._print(expr.arg)}, axis={expr.axis})"
        return f"{helper_name(expr.name)}({self._print(expr.arg)})"

    def _print_ApplyPrime(self, expr: ApplyPrime) -> str:
        # an activation without a derivative in its output (GELU): its helper of z
        return f"{helper_name(expr.name)}_prime({self._print(expr.arg)})"

    def _print_Elementwise(self, expr: Elementwise) -> str:
        if expr.name == "step":
            return self.backend.step.format(x=self._print(expr.arg))
        return f"{self._module_format('numpy.' + expr.name)}({self._print(expr.arg)})"

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        return self.backend.step.format(x=self._print(expr.args[0]))

    def _print_erf(self, expr: sp.erf) -> str:
        return self.backend.erf.format(x=self._print(expr.args[0]))

    # Scalars inside registry formulas
    def _print_Rational(self, expr: sp.Rational) -> str:
        return repr(float(expr))

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        if expr.is_number:  # √2, 1/√π: a Python float (torch.sqrt takes tensors only)
            return repr(float(expr))
        if expr.exp == -1:  # 1/(1 + np.exp(-z)), as written, rather than (…)**(-1.0)
            return f"1/{self.parenthesize(expr.base, precedence(expr))}"
        return super()._print_Pow(expr, rational)

    def _print_NumberSymbol(self, expr: sp.NumberSymbol) -> str:
        return repr(float(expr))

    def _print_Half(self, expr: sp.Rational) -> str:
        return "0.5"

    def _print_logaddexp(self, expr: Any) -> str:
        args = [self._print(a) for a in expr.args]
        if self.backend.name == "torch":  # torch.logaddexp takes tensors only
            args = [f"torch.as_tensor({text}, dtype=DTYPE)" if a.is_Number else text for a, text in zip(expr.args, args)]
        return f"{self._module_format('numpy.logaddexp')}({', '.join(args)})"

    def _print_maximum(self, expr: Any) -> str:
        return self._bound(expr, "maximum", "min")

    def _print_minimum(self, expr: Any) -> str:
        return self._bound(expr, "minimum", "max")

    def _bound(self, expr: Any, name: str, clamp: str) -> str:
        value, bound = expr.args
        if self.backend.name == "torch" and bound.is_Number:  # torch.maximum takes two tensors; clamp a number
            return f"torch.clamp({self._print(value)}, {clamp}={self._print(bound)})"
        return f"{self._module_format('numpy.' + name)}({', '.join(self._print(a) for a in expr.args)})"


def _negated(term: Any) -> bool:
    return isinstance(term, sp.MatMul) and term.args[0].is_Number and term.args[0] < 0


def _negate(term: sp.MatMul) -> Any:
    coeff, rest = term.args[0], term.args[1:]
    if coeff == -1:
        return rest[0] if len(rest) == 1 else sp.MatMul(*rest)
    return sp.MatMul(-coeff, *rest)


class ScalarCodePrinter(PythonCodePrinter):
    """Plain Python on floats: `math` functions, stable helpers for the registry's NumPy nodes."""

    printmethod = "_derive_python"
    _default_settings = {**PythonCodePrinter._default_settings, "strict": True, "fully_qualified_modules": True}

    def _print_Rational(self, expr: sp.Rational) -> str:
        return repr(float(expr))

    def _print_Half(self, expr: sp.Rational) -> str:
        return "0.5"

    def _print_ActivationBase(self, expr: Any) -> str:
        # Inlined: a helper call per neuron would cost more than the arithmetic it wraps.
        entry = rules.lookup_activation(expr.activation_name)
        return f"({self._print(entry.numpy.xreplace({rules.Z: expr.args[0]}))})"

    def _print_logaddexp(self, expr: Any) -> str:
        return f"_logaddexp({', '.join(self._print(a) for a in expr.args)})"

    def _print_maximum(self, expr: Any) -> str:
        return f"max({', '.join(self._print(a) for a in expr.args)})"

    def _print_minimum(self, expr: Any) -> str:
        return f"min({', '.join(self._print(a) for a in expr.args)})"

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        return f"(1.0 if {self._print(expr.args[0])} > 0 else 0.0)"

    # math functions through module-level aliases (_tanh = math.tanh): one lookup per call
    # instead of two, which is measurable when a call is a couple of microseconds.
    def _print_tanh(self, expr: sp.tanh) -> str:
        return f"_tanh({self._print(expr.args[0])})"

    def _print_exp(self, expr: sp.exp) -> str:
        return f"_exp({self._print(expr.args[0])})"

    def _print_log(self, expr: sp.log) -> str:
        return f"_log({self._print(expr.args[0])})"


def inplace_chain(printer: "MatrixCodePrinter", expr: sp.Expr, argument: str, out: str,
                  overwrite: bool = False) -> list[str] | None:
    """A registry formula f(Z) that applies one operation after another to Z (σ: ×½, tanh, ×½, +½)
    as statements updating one array in place, or None when it is not such a chain. Fewer
    temporaries than the expression form, same arithmetic. With `overwrite`, the argument's own
    array is reused (for a pre-activation nothing reads afterwards)."""
    if overwrite:
        out = argument
    ops: list[tuple[str, Any]] = []
    node = expr
    while node != rules.Z:
        variable = [a for a in node.args if a.has(rules.Z)]
        constants = [a for a in node.args if not a.has(rules.Z)]
        if len(variable) != 1:
            return None
        ops.append((type(node).__name__, (node, constants)))
        node = variable[0]
    if not ops:
        return None
    lines: list[str] = []
    for i, (kind, (whole, constants)) in enumerate(reversed(ops)):
        source = argument if i == 0 else out
        i = i if not overwrite else 1  # every operation writes into the argument's array
        if kind == "Mul" and constants == [-1]:
            negative = printer._module_format("numpy.negative")
            lines.append(f"{out} = -{source}" if i == 0 else f"{negative}({out}, out={out})")
        elif kind in ("Add", "Mul") and len(constants) == 1:
            c = printer.doprint(constants[0])
            symbol = "+" if kind == "Add" else "*"
            lines.append(f"{out} = {c} {symbol} {source}" if i == 0 else f"{out} {symbol}= {c}")
        elif isinstance(whole, (sp.tanh, sp.exp, sp.log)) and not constants:
            func = printer._module_format("numpy." + type(whole).__name__)
            lines.append(f"{out} = {func}({source})" if i == 0 else f"{func}({out}, out={out})")
        elif kind == "Pow" and whole.exp == -1:  # the reciprocal
            divide = printer._module_format("numpy.divide")
            lines.append(f"{out} = 1.0 / {source}" if i == 0 else f"{divide}(1.0, {out}, out={out})")
        else:
            return None
    return lines


def print_registry(printer: Any, expr: sp.Expr, **names: str) -> str:
    """A registry formula in Z, A, Y printed with those symbols renamed (z -> z2, y -> y)."""
    symbols = {"z": rules.Z, "a": rules.A, "y": rules.Y}
    renamed = expr.xreplace({symbols[k]: sp.Symbol(v) for k, v in names.items()})
    return printer.doprint(renamed)


__all__ = ["MatrixCodePrinter", "ScalarCodePrinter", "helper_name", "print_registry", "logaddexp", "maximum",
           "minimum"]
