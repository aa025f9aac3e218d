"""Matrix-level statements of a derivation, and the two evaluators that verify them.

Statements are SymPy matrix expressions (`MatMul`, `MatAdd`, `Transpose`, `HadamardProduct`,
`OneMatrix`) plus the few nodes below that SymPy lacks. Every node has a shape, so a product of
mismatched shapes fails when it is built. Two evaluators give a statement a value:

- `NumericEvaluator`: NumPy arrays, for finite-difference checks at any width;
- `SymbolicEvaluator`: explicit `sp.Matrix` of scalar symbols, for entry-by-entry proofs
  against `sp.diff` on small instances.

Both walk the tree by class name (`_eval_<Class>`, the printer's dispatch scheme), so a new node
is one class here plus one method per evaluator and printer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import numpy as np
import sympy as sp
from sympy.core.basic import Basic
from sympy.core.symbol import Str
from sympy.matrices.expressions import MatrixExpr

from .safe import as_expr
from . import rules
from .calculus import shared_transform, shared_xreplace


def _str(value: str | Str) -> Str:
    return value if isinstance(value, Str) else Str(value)


# ----------------------------------------------------------------------------------------------
# Nodes
# ----------------------------------------------------------------------------------------------

#: Kinds of network quantity that carry a layer index.
LAYERED_KINDS = ("W", "b", "z", "a", "delta", "m",  # m^l: a layer's dropout mask, an input
                 # a normalisation layer's mean, variance, normalised z, output, scale and shift
                 "mu", "var", "zhat", "u", "gamma", "beta")
#: Kinds without one: the raw input, the normalised input and the target.
UNLAYERED_KINDS = ("x", "xhat", "y")


class _Inert(MatrixExpr):
    """A statement node that stays as written: `doit` never rewrites it (evaluators give it values)."""

    def doit(self, **hints: Any) -> "_Inert":
        return self


class _Applied(_Inert):
    """A named function applied to a matrix, entry by entry; args[0] is the name, args[1] the matrix."""

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def arg(self) -> MatrixExpr:
        return self.args[1]

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.arg.shape


class NetQuantity(_Inert):
    """A named quantity of the network: W, b, z, a, δ of a layer, or the input x, x̂, target y.

    `layer` is an integer for a concrete network and an expression such as l+1 in the general
    derivation. How it is written (z^l, Z_1, ŷ, H) is the printer's business (see notation.py).
    """

    def __new__(cls, kind: str | Str, layer: Any, rows: Any, cols: Any) -> "NetQuantity":
        kind = _str(kind)
        if kind.name not in LAYERED_KINDS + UNLAYERED_KINDS:
            raise ValueError(f"unknown quantity kind {kind.name!r}")
        return Basic.__new__(cls, kind, as_expr(layer), as_expr(rows), as_expr(cols))

    @property
    def kind(self) -> str:
        return self.args[0].name

    @property
    def layer(self) -> sp.Expr:
        return self.args[1]

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return (self.args[2], self.args[3])

    @property
    def free_symbols(self) -> set:
        return {self}


    @property
    def ident(self) -> str:
        """The identifier used in generated code: W2, b1, z3, a1, delta2, x, xhat, y."""
        if self.kind in UNLAYERED_KINDS:
            return self.kind
        if not self.layer.is_Integer:
            raise ValueError(f"{self.kind}^{self.layer} has a symbolic layer and no identifier")
        return f"{self.kind}{int(self.layer)}"


class Grad(_Inert):
    """∂C/∂Q for a scalar C and a matrix quantity Q, laid out like Q (denominator layout)."""

    def __new__(cls, cost: sp.Symbol, wrt: MatrixExpr) -> "Grad":
        return Basic.__new__(cls, cost, wrt)

    @property
    def cost(self) -> sp.Symbol:
        return self.args[0]

    @property
    def wrt(self) -> MatrixExpr:
        return self.args[1]

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.wrt.shape



class Jacobian(_Inert):
    """∂a/∂z for vectors a, z of one sample: entry (k, j) is ∂a_k/∂z_j."""

    def __new__(cls, of: MatrixExpr, wrt: MatrixExpr) -> "Jacobian":
        return Basic.__new__(cls, of, wrt)

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return (_vector_length(self.args[0]), _vector_length(self.args[1]))



def _vector_length(v: MatrixExpr) -> sp.Expr:
    rows, cols = v.shape
    return cols if rows == 1 else rows


class Apply(_Applied):
    """An activation applied to a matrix: elementwise, or softmax along the class `axis`."""

    def __new__(cls, name: str | Str, arg: MatrixExpr, axis: int = 0) -> "Apply":
        return Basic.__new__(cls, _str(name), arg, sp.Integer(axis))

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def arg(self) -> MatrixExpr:
        return self.args[1]

    @property
    def axis(self) -> int:
        return int(self.args[2])

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.arg.shape



class ApplyPrime(_Applied):
    """f'(Z): the derivative of an elementwise activation, applied entry by entry."""

    def __new__(cls, name: str | Str, arg: MatrixExpr) -> "ApplyPrime":
        return Basic.__new__(cls, _str(name), arg)



class Elementwise(_Applied):
    """An elementary function applied entry by entry: exp, log, or the step 1[x > 0]."""

    FUNCTIONS = ("exp", "log", "step")

    def __new__(cls, name: str | Str, arg: MatrixExpr) -> "Elementwise":
        name = _str(name)
        if name.name not in cls.FUNCTIONS:
            raise ValueError(f"unknown elementwise function {name.name!r}")
        return Basic.__new__(cls, name, arg)



class Quotient(_Inert):
    """Elementwise division num ⊘ den (SymPy has Hadamard products but no Hadamard quotient)."""

    def __new__(cls, num: MatrixExpr, den: MatrixExpr) -> "Quotient":
        if num.shape != den.shape:
            raise sp.ShapeError(f"elementwise quotient of shapes {num.shape} and {den.shape}")
        return Basic.__new__(cls, num, den)

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.args[0].shape



class Broadcast(_Inert):
    """A bias vector repeated over the batch: b 1ᵀ (column convention) or 1 b (row convention).

    Written as plain b in posts ("broadcast over the batch"); the node keeps the shape honest.
    `axis` is the axis the copies run along: 1 repeats a column vector over columns, 0 a row
    vector over rows (explicit, because a 1 × 1 bias fits both).
    """

    def __new__(cls, vector: MatrixExpr, count: Any, axis: int) -> "Broadcast":
        return Basic.__new__(cls, vector, as_expr(count), sp.Integer(axis))

    @property
    def vector(self) -> MatrixExpr:
        return self.args[0]

    @property
    def axis(self) -> int:
        return int(self.args[2])

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        rows, cols = self.vector.shape
        return (rows, self.args[1]) if self.axis == 1 else (self.args[1], cols)



class Diag(_Inert):
    """diag(v): the square matrix with the vector v (row or column) on its diagonal."""

    def __new__(cls, vector: MatrixExpr) -> "Diag":
        return Basic.__new__(cls, vector)

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        n = _vector_length(self.args[0])
        return (n, n)



class Standardize(_Inert):
    """x̂ = (x − μ)/σ_x with the data's mean μ and standard deviation σ_x held constant."""

    def __new__(cls, x: MatrixExpr, mean: sp.Symbol, std: sp.Symbol) -> "Standardize":
        return Basic.__new__(cls, x, mean, std)

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.args[0].shape



class VariancePower(_Inert):
    """(σ² + ε)^p entry by entry, for a normalisation layer's variance σ² and its ε: p = ½ is the
    deviation √(σ² + ε) that divides z − μ, and p = −3/2 enters the variance's gradient."""

    def __new__(cls, var: MatrixExpr, eps: sp.Symbol, power: Any) -> "VariancePower":
        return Basic.__new__(cls, var, eps, sp.Rational(power))

    @property
    def var(self) -> MatrixExpr:
        return self.args[0]

    @property
    def eps(self) -> sp.Symbol:
        return self.args[1]

    @property
    def power(self) -> sp.Rational:
        return self.args[2]

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.var.shape


# Scalar nodes ---------------------------------------------------------------------------------


class Entry(sp.Expr):
    """One entry of a matrix quantity, 1-based as in the posts: W^l_{jk}, δ^l_j, H_{1,ij}.

    A quantity that is a vector (one sample) takes one index.
    """

    is_commutative = True

    def __new__(cls, of: MatrixExpr, *indices: Any) -> "Entry":
        return sp.Expr.__new__(cls, of, *[as_expr(i) for i in indices])

    @property
    def of(self) -> MatrixExpr:
        return self.args[0]

    @property
    def indices(self) -> tuple[sp.Expr, ...]:
        return self.args[1:]

    def position(self) -> tuple[int, int]:
        """0-based (row, col) of a concrete entry."""
        return entry_position(self.of, [int(i) for i in self.indices])


def entry_position(of: MatrixExpr, indices: list[int]) -> tuple[int, int]:
    """0-based (row, col) of the 1-based entry `indices` of `of` (one index for a vector)."""
    if len(indices) == 2:
        return indices[0] - 1, indices[1] - 1
    rows, cols = of.shape
    return (0, indices[0] - 1) if rows == 1 and cols != 1 else (indices[0] - 1, 0)


class Partial(sp.Expr):
    """∂num/∂den for scalars (a chain-rule factor such as ∂C/∂z^{l+1}_k or ∂z^{l+1}_k/∂z^l_j)."""

    is_commutative = True

    def __new__(cls, num: sp.Expr, den: sp.Expr) -> "Partial":
        return sp.Expr.__new__(cls, num, den)

    @property
    def num(self) -> sp.Expr:
        return self.args[0]

    @property
    def den(self) -> sp.Expr:
        return self.args[1]


class Prime(sp.Expr):
    """f'(x) for a scalar x and an elementwise activation f."""

    is_commutative = True

    def __new__(cls, name: str | Str, arg: sp.Expr) -> "Prime":
        return sp.Expr.__new__(cls, _str(name), as_expr(arg))

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def arg(self) -> sp.Expr:
        return self.args[1]


class CostTotal(sp.Expr):
    """C = scale · Σ over outputs and samples of the cost entry c(a, y); `axis` is the class axis.

    `scale` is 1 for a cost summed over the batch and 1/n for its mean.
    """

    is_commutative = True

    def __new__(cls, name: str | Str, output: MatrixExpr, target: MatrixExpr, axis: int = 0,
                scale: Any = 1) -> "CostTotal":
        return sp.Expr.__new__(cls, _str(name), output, target, sp.Integer(axis), as_expr(scale))

    @property
    def scale(self) -> sp.Expr:
        return self.args[4]

    @property
    def axis(self) -> int:
        return int(self.args[3])

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def output(self) -> MatrixExpr:
        return self.args[1]

    @property
    def target(self) -> MatrixExpr:
        return self.args[2]


# ----------------------------------------------------------------------------------------------
# Lifting a registry formula (in the scalars A, Y) to a matrix statement
# ----------------------------------------------------------------------------------------------


class SquaredNorm(sp.Expr):
    """‖Q‖², the sum of the squares of every entry of a matrix quantity (the Frobenius norm
    squared): the L2 penalty of a weight matrix."""

    is_commutative = True

    def __new__(cls, of: MatrixExpr) -> "SquaredNorm":
        return sp.Expr.__new__(cls, of)

    @property
    def of(self) -> MatrixExpr:
        return self.args[0]


def lift(expr: sp.Expr, mapping: Mapping[sp.Symbol, MatrixExpr]) -> MatrixExpr:
    """Turn a scalar registry formula into the same formula applied entry by entry.

    A·(1−A) with A ↦ a becomes a ⊙ (1 − a); −Y/A becomes −y ⊘ a; 1 becomes the all-ones matrix.
    """
    shape = next(iter(mapping.values())).shape
    return _lift(as_expr(expr), mapping, shape)


def _lift(expr: sp.Expr, mapping: Mapping[sp.Symbol, MatrixExpr], shape: tuple) -> MatrixExpr:
    if expr in mapping:
        return mapping[expr]
    if expr.is_Number:
        ones = sp.OneMatrix(*shape)
        return ones if expr == 1 else sp.MatMul(expr, ones)
    if expr.is_Add:
        return sp.MatAdd(*[_lift(t, mapping, shape) for t in expr.as_ordered_terms()], evaluate=False)
    if expr.is_Mul:
        coeff, factors = expr.as_coeff_mul()
        numer = [f for f in factors if not (f.is_Pow and f.exp.is_negative)]
        denom = [f.base ** (-f.exp) for f in factors if f.is_Pow and f.exp.is_negative]
        num = _hadamard([_lift(f, mapping, shape) for f in numer]) if numer else sp.OneMatrix(*shape)
        body = Quotient(num, _hadamard([_lift(f, mapping, shape) for f in denom])) if denom else num
        return body if coeff == 1 else sp.MatMul(coeff, body)
    if expr.is_Pow and expr.exp.is_Integer and expr.exp > 1:
        base = _lift(expr.base, mapping, shape)
        return _hadamard([base] * int(expr.exp))
    if expr.is_Pow and expr.exp == -1:
        return Quotient(sp.OneMatrix(*shape), _lift(expr.base, mapping, shape))
    if isinstance(expr, sp.exp):
        return Elementwise("exp", _lift(expr.args[0], mapping, shape))
    if isinstance(expr, sp.log):
        return Elementwise("log", _lift(expr.args[0], mapping, shape))
    if isinstance(expr, sp.Heaviside):
        return Elementwise("step", _lift(expr.args[0], mapping, shape))
    raise ValueError(f"cannot lift {expr} to a matrix statement")


def _hadamard(factors: list[MatrixExpr]) -> MatrixExpr:
    return factors[0] if len(factors) == 1 else sp.HadamardProduct(*factors, evaluate=False)


# ----------------------------------------------------------------------------------------------
# Evaluators
# ----------------------------------------------------------------------------------------------


class EvaluationError(Exception):
    """An internal failure to give a statement a value (a bug, never user input)."""


class Evaluator:
    """Walks a statement by class name, like SymPy's printers.

    `env` binds the quantities with values (inputs, parameters, the forward pass); `resolve`
    supplies the others on demand: δ, ∂C/∂Q, Jacobians and chain-rule factors ∂u/∂v.
    """

    def __init__(
        self,
        env: Mapping[Basic, Any],
        dims: Mapping[sp.Symbol, int] | None = None,
        resolve: Callable[[Basic], Any] | None = None,
    ) -> None:
        self.env = env
        self.dims = {k: sp.Integer(v) for k, v in (dims or {}).items()}
        self.resolve = resolve

    def __call__(self, expr: Basic) -> Any:
        if expr in self.env:
            return self.env[expr]
        for cls in type(expr).__mro__:
            method = getattr(self, "_eval_" + cls.__name__, None)
            if method is not None:
                return method(expr)
        raise EvaluationError(f"{type(self).__name__} cannot evaluate {type(expr).__name__}: {expr}")

    def size(self, dim: sp.Expr) -> int:
        value = as_expr(dim).xreplace(self.dims)
        if not value.is_Integer:
            raise EvaluationError(f"dimension {dim} has no concrete value")
        return int(value)

    def _eval_NetQuantity(self, expr: Basic) -> Any:
        if self.resolve is not None:
            return self.resolve(expr)
        raise EvaluationError(f"no value bound to {expr}")

    _eval_Grad = _eval_NetQuantity
    _eval_Jacobian = _eval_NetQuantity


class NumericEvaluator(Evaluator):
    """Evaluates statements on float64 NumPy arrays (scalars are Python floats).

    A matrix value may carry leading axes (a stack of points at which finite differences
    evaluate the forward pass at once): every method indexes the matrix axes from the end
    (-2 rows, -1 columns), and a cost is summed over those two axes only.

    `partial`, when given, values a chain-rule factor ∂u/∂v whose indices may be arrays (a sum
    over the samples evaluated at all of them at once): partial(node, value_of), value_of giving
    the value of an index expression; without it each factor goes to `resolve` with its indices
    put in.
    """

    def __init__(self, env: Mapping[Basic, Any], dims: Mapping[sp.Symbol, int] | None = None,
                 resolve: Callable[[Basic], Any] | None = None,
                 partial: Callable[[Any, Callable[[sp.Basic], Any]], Any] | None = None) -> None:
        super().__init__(env, dims, resolve)
        self.partial = partial

    def _eval_MatMul(self, expr: sp.MatMul) -> np.ndarray:
        result: Any = 1.0
        for arg in expr.args:
            value = self(arg)
            if isinstance(result, np.ndarray) and isinstance(value, np.ndarray):
                result = result @ value
            else:
                result = result * value
        return result

    def _eval_MatAdd(self, expr: sp.MatAdd) -> np.ndarray:
        return sum((self(arg) for arg in expr.args[1:]), self(expr.args[0]))

    def _eval_HadamardProduct(self, expr: sp.HadamardProduct) -> np.ndarray:
        result = self(expr.args[0])
        for arg in expr.args[1:]:
            result = result * self(arg)
        return result

    def _eval_Transpose(self, expr: sp.Transpose) -> np.ndarray:
        return np.swapaxes(np.asarray(self(expr.arg)), -1, -2)

    def _eval_OneMatrix(self, expr: sp.OneMatrix) -> np.ndarray:
        return np.ones((self.size(expr.shape[0]), self.size(expr.shape[1])))

    def _eval_Identity(self, expr: sp.Identity) -> np.ndarray:
        return np.eye(self.size(expr.shape[0]))

    def _eval_ZeroMatrix(self, expr: sp.ZeroMatrix) -> np.ndarray:
        return np.zeros((self.size(expr.shape[0]), self.size(expr.shape[1])))

    def _eval_Quotient(self, expr: Quotient) -> np.ndarray:
        return self(expr.args[0]) / self(expr.args[1])

    def _eval_Apply(self, expr: Apply) -> np.ndarray:
        z = self(expr.arg)
        if expr.name == "softmax":
            return rules.softmax_numpy(z, axis=expr.axis - 2)
        entry = rules.activation(expr.name)
        return np.broadcast_to(rules.numpy_function(entry.numpy, rules.Z)(z), z.shape).astype(float)

    def _eval_ApplyPrime(self, expr: ApplyPrime) -> np.ndarray:
        z = self(expr.arg)
        entry = rules.activation(expr.name)
        return np.broadcast_to(rules.numpy_function(entry.stable_prime, rules.Z)(z), z.shape).astype(float)

    def _eval_Elementwise(self, expr: Elementwise) -> np.ndarray:
        x = self(expr.arg)
        if expr.name == "exp":
            return np.exp(x)
        if expr.name == "log":
            return np.log(x)
        return (x > 0).astype(float)

    def _eval_Broadcast(self, expr: Broadcast) -> np.ndarray:
        v = np.asarray(self(expr.vector))
        rows, cols = (self.size(d) for d in expr.shape)
        return np.broadcast_to(v, v.shape[:-2] + (rows, cols)).copy()

    def _eval_Diag(self, expr: Diag) -> np.ndarray:
        v = np.asarray(self(expr.args[0]))
        flat = v.reshape(v.shape[:-2] + (-1,))
        return flat[..., :, None] * np.eye(flat.shape[-1])

    def _eval_Standardize(self, expr: Standardize) -> np.ndarray:
        return (self(expr.args[0]) - self(expr.args[1])) / self(expr.args[2])

    def _eval_VariancePower(self, expr: VariancePower) -> np.ndarray:
        return (self(expr.var) + self(expr.eps)) ** float(expr.power)

    def _eval_CostTotal(self, expr: CostTotal) -> float:
        entry = rules.cost(expr.name)
        values = np.asarray(rules.numpy_function(entry.c, rules.A, rules.Y)(self(expr.output), self(expr.target)))
        total = np.sum(values, axis=(-2, -1))
        scale = self.scalar_value(expr.scale, {})
        return scale * float(total) if total.ndim == 0 else scale * total

    def _eval_SquaredNorm(self, expr: SquaredNorm) -> Any:
        total = np.sum(np.square(np.asarray(self(expr.of), dtype=float)), axis=(-2, -1))
        return float(total) if total.ndim == 0 else total

    # Scalars: component statements, walked directly in floats. A sum whose body holds no
    # chain-rule factor is evaluated at every index at once (index arrays, fancy indexing), so a
    # sum over 784 inputs costs one walk of its body, not 784.
    def _eval_Expr(self, expr: sp.Expr) -> float:
        return self.scalar_value(expr, {})

    def scalar_value(self, node: sp.Basic, bound: dict[sp.Symbol, Any]) -> Any:
        if node in bound:
            return _float(bound[node])
        if node.is_Number:
            return float(node)
        if node in self.dims:
            return float(self.dims[node])
        if node.is_Symbol:
            if node in self.env:
                return float(self.env[node])
            raise EvaluationError(f"no value for the symbol {node}")
        if node.is_Add:
            return sum(self.scalar_value(a, bound) for a in node.args)
        if node.is_Mul:
            result = 1.0
            for a in node.args:
                result = result * self.scalar_value(a, bound)
            return result
        if node.is_Pow:
            return self.scalar_value(node.base, bound) ** self.scalar_value(node.exp, bound)
        if isinstance(node, sp.Sum):
            return self._sum_value(node.function, list(node.limits), bound)
        if isinstance(node, (CostTotal, SquaredNorm)):  # the terms of a regularised cost
            return self(node)
        if isinstance(node, Entry):
            indices = [_index(self.scalar_value(i, bound)) for i in node.indices]
            row, col = entry_position(node.of, indices)
            return _float(np.asarray(self(node.of))[row, col])
        if isinstance(node, Partial):
            if self.partial is not None:
                return _float(self.partial(node, lambda index: self.scalar_value(index, bound)))
            concrete = node.xreplace({k: sp.Integer(v) for k, v in bound.items()})
            if self.resolve is None:
                raise EvaluationError("a chain-rule factor ∂u/∂v has no value here")
            return float(self.resolve(concrete))
        if isinstance(node, Prime):
            z = self.scalar_value(node.arg, bound)
            return _float(rules.numpy_function(rules.activation(node.name).df_dz, rules.Z)(z))
        if isinstance(node, rules.ActivationBase):
            z = self.scalar_value(node.args[0], bound)
            return _float(rules.numpy_function(rules.activation(node.activation_name).numpy, rules.Z)(z))
        if isinstance(node, rules.SoftmaxEntry):
            k = int(node.args[0])
            logits = np.array([self.scalar_value(a, bound) for a in node.args[1:]])
            return float(rules.softmax_numpy(logits, axis=0)[k - 1])
        if isinstance(node, (sp.exp, sp.log)):
            x = self.scalar_value(node.args[0], bound)
            return _float(np.exp(x) if isinstance(node, sp.exp) else np.log(x))
        raise EvaluationError(f"cannot evaluate {type(node).__name__} numerically: {node}")

    def _sum_value(self, body: sp.Basic, limits: list, bound: dict[sp.Symbol, Any]) -> float:
        if not limits:
            return self.scalar_value(body, bound)
        (var, lo, hi), rest = limits[0], limits[1:]
        lo_v, hi_v = int(self.scalar_value(lo, bound)), int(self.scalar_value(hi, bound))
        if not rest and _elementwise_in_indices(body, self.partial is not None):
            return float(np.sum(self.scalar_value(body, {**bound, var: np.arange(lo_v, hi_v + 1)})))
        return sum(self._sum_value(body, rest, {**bound, var: v}) for v in range(lo_v, hi_v + 1))

    def _eval_ImmutableDenseMatrix(self, expr: sp.ImmutableMatrix) -> np.ndarray:
        return np.array([[self(expr[r, c]) for c in range(expr.cols)] for r in range(expr.rows)], dtype=float)


def _float(value: Any) -> Any:
    """A float, or the array of values when an index runs over a range at once."""
    return float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=float)


def _index(value: Any) -> Any:
    return int(value) if np.ndim(value) == 0 else np.asarray(value).astype(int)


@cache
def _elementwise_in_indices(body: sp.Basic, partials: bool) -> bool:
    """Whether a sum's body can be evaluated at all its indices at once: no softmax entry (its
    class index), no inner sum, and chain-rule factors only where `partials` values them so."""
    kinds = (sp.Sum, rules.SoftmaxEntry) if partials else (Partial, sp.Sum, rules.SoftmaxEntry)
    return not any(isinstance(node, kinds) for node in sp.preorder_traversal(body))


class SymbolicEvaluator(Evaluator):
    """Evaluates statements on explicit SymPy matrices of scalar expressions."""

    def _eval_ImmutableDenseMatrix(self, expr: sp.ImmutableMatrix) -> sp.Matrix:
        return sp.Matrix(expr.rows, expr.cols, lambda r, c: self(expr[r, c]))

    def _eval_MatMul(self, expr: sp.MatMul) -> sp.Matrix:
        result: Any = sp.Integer(1)
        for arg in expr.args:
            value = self(arg)
            if isinstance(result, sp.MatrixBase) and isinstance(value, sp.MatrixBase):
                result = _matrix_product(result, value)
            else:
                result = result * value
        return result

    def _eval_MatAdd(self, expr: sp.MatAdd) -> sp.Matrix:
        result = self(expr.args[0])
        for arg in expr.args[1:]:
            result = result + self(arg)
        return result

    def _eval_HadamardProduct(self, expr: sp.HadamardProduct) -> sp.Matrix:
        result = self(expr.args[0])
        for arg in expr.args[1:]:
            result = result.multiply_elementwise(self(arg))
        return result

    def _eval_Transpose(self, expr: sp.Transpose) -> sp.Matrix:
        return self(expr.arg).T

    def _eval_OneMatrix(self, expr: sp.OneMatrix) -> sp.Matrix:
        return sp.ones(self.size(expr.shape[0]), self.size(expr.shape[1]))

    def _eval_Identity(self, expr: sp.Identity) -> sp.Matrix:
        return sp.eye(self.size(expr.shape[0]))

    def _eval_ZeroMatrix(self, expr: sp.ZeroMatrix) -> sp.Matrix:
        return sp.zeros(self.size(expr.shape[0]), self.size(expr.shape[1]))

    def _eval_Quotient(self, expr: Quotient) -> sp.Matrix:
        num, den = self(expr.args[0]), self(expr.args[1])
        return num.multiply_elementwise(den.applyfunc(lambda e: 1 / e))

    def _eval_Apply(self, expr: Apply) -> sp.Matrix:
        z = self(expr.arg)
        if expr.name == "softmax":
            if expr.axis == 0:
                cols = [rules.softmax_vector(list(z[:, c])) for c in range(z.cols)]
                return sp.Matrix(z.rows, z.cols, lambda r, c: cols[c][r])
            rows = [rules.softmax_vector(list(z[r, :])) for r in range(z.rows)]
            return sp.Matrix(z.rows, z.cols, lambda r, c: rows[r][c])
        fn = rules.scalar_function(expr.name)
        return z.applyfunc(fn)

    def _eval_ApplyPrime(self, expr: ApplyPrime) -> sp.Matrix:
        fn = rules.scalar_function(expr.name)
        return self(expr.arg).applyfunc(lambda e: fn(e).fdiff())

    def _eval_Elementwise(self, expr: Elementwise) -> sp.Matrix:
        func = {"exp": sp.exp, "log": sp.log, "step": lambda e: sp.Heaviside(e, 0)}[expr.name]
        return self(expr.arg).applyfunc(func)

    def _eval_Broadcast(self, expr: Broadcast) -> sp.Matrix:
        v = self(expr.vector)
        rows, cols = (self.size(d) for d in expr.shape)
        if expr.axis == 1:
            return sp.Matrix(rows, cols, lambda r, c: v[r, 0])
        return sp.Matrix(rows, cols, lambda r, c: v[0, c])

    def _eval_Diag(self, expr: Diag) -> sp.Matrix:
        return sp.diag(*list(self(expr.args[0])))

    def _eval_Standardize(self, expr: Standardize) -> sp.Matrix:
        x = self(expr.args[0])
        mean, std = self(expr.args[1]), self(expr.args[2])
        return x.applyfunc(lambda e: (e - mean) / std)

    def _eval_VariancePower(self, expr: VariancePower) -> sp.Matrix:
        eps, power = self(expr.eps), expr.power  # ε positive: (σ² + ε)^p is real for every σ² ≥ 0
        return self(expr.var).applyfunc(lambda e: (e + eps) ** power)

    def _eval_CostTotal(self, expr: CostTotal) -> sp.Expr:
        entry = rules.cost(expr.name)
        out, target = self(expr.output), self(expr.target)
        total = sp.Add(*[rules.cost_entry(entry.name, o, t) for o, t in zip(out, target)])
        return self.scalar(self, expr.scale) * total  # 1/n with n's value where the env gives one

    def _eval_SquaredNorm(self, expr: SquaredNorm) -> sp.Expr:
        return sp.Add(*[e**2 for e in self(expr.of)])

    def _eval_Symbol(self, expr: sp.Symbol) -> sp.Expr:
        return self.env.get(expr, expr)

    def _eval_Expr(self, expr: sp.Expr) -> sp.Expr:
        return self.scalar(self, expr)

    def scalar_value(self, expr: sp.Expr, bound: Mapping[sp.Symbol, int]) -> sp.Expr:
        """A component statement at the index values `bound` (j = 2, k = 1), without rebuilding
        the statement with those values first."""
        return self.scalar(self, expr, bound)

    @staticmethod
    def scalar(evaluator: Evaluator, expr: sp.Expr, bound: Mapping[sp.Symbol, int] | None = None) -> sp.Expr:
        """A component statement with concrete indices (or the index values `bound`), every
        Entry replaced by its value."""
        indices = {k: sp.Integer(v) for k, v in (bound or {}).items()}
        if indices or expr.has(sp.Sum):
            expr = shared_transform(
                expr, lambda e: _expand_sum(e, evaluator.dims, indices) if isinstance(e, sp.Sum) else indices.get(e))
        scalar_env = {k: as_expr(v) for k, v in evaluator.env.items() if isinstance(k, sp.Symbol)}

        def value(node: sp.Basic) -> sp.Basic | None:
            if isinstance(node, Partial):
                if evaluator.resolve is None:
                    raise EvaluationError("a chain-rule factor ∂u/∂v has no value here")
                return as_expr(evaluator.resolve(node))
            if isinstance(node, Entry):
                row, col = node.position()
                return as_expr(evaluator(node.of)[row, col])
            if isinstance(node, Prime):
                return _prime_value(Prime(node.name, shared_transform(node.arg, value)))
            if isinstance(node, (CostTotal, SquaredNorm)):  # the terms of a regularised cost
                return evaluator(node)
            return scalar_env.get(node)

        return shared_transform(expr, value)


def _matrix_product(a: sp.Matrix, b: sp.Matrix) -> sp.Matrix:
    """a b entry by entry, leaving out products with a zero factor. SymPy's own product keeps
    them (0 · x is NaN for an infinite x) and asks each x whether it is finite, which costs more
    than the product; every entry here is a finite real."""
    if a.cols != b.rows:
        raise sp.ShapeError(f"Matrix size mismatch: {a.shape} * {b.shape}.")
    rows = [[a[i, k] for k in range(a.cols)] for i in range(a.rows)]
    cols = [[b[k, j] for k in range(b.rows)] for j in range(b.cols)]
    return sp.Matrix(a.rows, b.cols, [
        sp.Add(*[sp.Mul(x, y) for x, y in zip(row, col) if x != 0 and y != 0]) for row in rows for col in cols
    ])


def _prime_value(node: Prime) -> sp.Expr:
    """f'(x): in terms of f(x) for a symbolic x (as sp.diff writes it), numerically for a number."""
    if node.arg.is_number:
        return rules.activation(node.name).df_dz.xreplace({rules.Z: node.arg})
    return rules.scalar_function(node.name)(node.arg).fdiff()


def _expand_sum(total: sp.Sum, dims: Mapping[sp.Symbol, sp.Integer],
                indices: Mapping[sp.Symbol, sp.Integer] | None = None) -> sp.Expr:
    """A sum with concrete bounds written out term by term (Sum.doit goes through slow subs),
    its free indices set to `indices`."""
    body = total.function
    known = {**dims, **(indices or {})}
    for var, lo, hi in total.limits:
        lo, hi = as_expr(lo).xreplace(known), as_expr(hi).xreplace(known)
        if not (lo.is_Integer and hi.is_Integer):
            raise EvaluationError(f"sum over {var} has no concrete bounds")
        body = sp.Add(*[shared_xreplace(body, {**(indices or {}), var: sp.Integer(v)}) for v in range(int(lo), int(hi) + 1)])
    return body
