r"""Stage 4, build: the quantities hand-written posts name that the engine's statements do not.

Each is a SymPy node with a shape (so shapes are checked in the symbolic frame like any other)
and one `_eval_` method of `CheckEvaluator`, the engine's `SymbolicEvaluator` extended:

- `SampleOf(Q, i)`: example i of a batch quantity (Ng's A^{[l](i)}, x^{(i)}): column i in the
  column convention, row i in the row convention;
- `SampleCost(i)`: the cost of example i alone (CS231n's L_i, Ng's L^{(i)});
- `Vec(M)`: M's columns stacked (column-major), and `VecJacobian(z, W)` = ∂z/∂vec(W);
- `MatSum(body, i, lo, hi)`: a sum of vectors or matrices (Σ_i dz^{(i)});
- `Family(body, i, n)`: the column (e_1 … e_n) of a scalar family, (∂a_i/∂z_i)_{n×1};
- `OperatorDerivative(body, v)`: ∂/∂v (body), for a scalar body and a scalar v.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.matrices.expressions import MatrixExpr

from .. import rules
from ..algebra import Entry, NetQuantity, SymbolicEvaluator
from ..calculus import scalar_derivative, shared_transform, shared_xreplace
from ..algebra import _expand_sum as expand_sum
from ..safe import as_expr


class _Node(MatrixExpr):
    def doit(self, **hints: Any) -> "_Node":
        return self


class SampleOf(_Node):
    """Example i of a batch quantity: column i (axis 0 is the class axis) or row i."""

    def __new__(cls, of: MatrixExpr, index: Any, axis: int) -> "SampleOf":
        return MatrixExpr.__new__(cls, of, as_expr(index), sp.Integer(axis))

    @property
    def of(self) -> MatrixExpr:
        return self.args[0]

    @property
    def index(self) -> sp.Expr:
        return self.args[1]

    @property
    def axis(self) -> int:
        return int(self.args[2])

    @property
    def shape(self) -> tuple[Any, Any]:
        rows, cols = self.of.shape
        return (rows, sp.Integer(1)) if self.axis == 0 else (sp.Integer(1), cols)


class Vec(_Node):
    """vec(M): the columns of M stacked."""

    def __new__(cls, of: MatrixExpr) -> "Vec":
        return MatrixExpr.__new__(cls, of)

    @property
    def of(self) -> MatrixExpr:
        return self.args[0]

    @property
    def shape(self) -> tuple[Any, Any]:
        rows, cols = self.of.shape
        return (rows * cols, sp.Integer(1))


class VecJacobian(_Node):
    """∂z/∂vec(W): rows = entries of z, columns = entries of vec(W)."""

    def __new__(cls, of: MatrixExpr, wrt: MatrixExpr) -> "VecJacobian":
        return MatrixExpr.__new__(cls, of, wrt)

    @property
    def shape(self) -> tuple[Any, Any]:
        of, wrt = self.args
        return (of.shape[0] * of.shape[1], wrt.shape[0] * wrt.shape[1])


class MatSum(_Node):
    """Σ_{i=lo}^{hi} body, for a vector or matrix body."""

    def __new__(cls, body: MatrixExpr, var: sp.Symbol, lo: Any, hi: Any) -> "MatSum":
        return MatrixExpr.__new__(cls, body, var, as_expr(lo), as_expr(hi))

    @property
    def shape(self) -> tuple[Any, Any]:
        return self.args[0].shape


class Family(_Node):
    """The column vector of a scalar family: entry k is the body at var = k, for k = 1 … size."""

    def __new__(cls, body: Any, var: sp.Symbol, size: Any) -> "Family":
        return MatrixExpr.__new__(cls, as_expr(body), var, as_expr(size))

    @property
    def shape(self) -> tuple[Any, Any]:
        return (self.args[2], sp.Integer(1))


class SampleCost(sp.Expr):
    """The cost of example i alone (c summed over the classes of that example)."""

    is_commutative = True

    def __new__(cls, index: Any) -> "SampleCost":
        return sp.Expr.__new__(cls, as_expr(index))

    @property
    def index(self) -> sp.Expr:
        return self.args[0]


class OperatorDerivative(sp.Expr):
    """∂/∂v (body): the body's quantities are functions of v through the forward pass."""

    is_commutative = True

    def __new__(cls, body: Any, wrt: Any) -> "OperatorDerivative":
        return sp.Expr.__new__(cls, as_expr(body), as_expr(wrt))

    @property
    def body(self) -> Any:
        return self.args[0]

    @property
    def wrt(self) -> Any:
        return self.args[1]


class GradOf(_Node):
    """∂/∂W (body) of a scalar body by a matrix or vector W: the gradient, in W's shape."""

    def __new__(cls, body: Any, wrt: MatrixExpr) -> "GradOf":
        return MatrixExpr.__new__(cls, as_expr(body), wrt)

    @property
    def shape(self) -> tuple[Any, Any]:
        return self.args[1].shape


class CheckEvaluator(SymbolicEvaluator):
    """The engine's exact evaluator on the small instance, for the nodes above too."""

    def __init__(self, world: Any, env: Any = None) -> None:
        verifier = world.verifier
        super().__init__(verifier.env if env is None else env, verifier.dims, verifier.resolve)
        self.world = world

    def _concrete(self, value: Any) -> int:
        number = as_expr(value).xreplace(self.dims)
        if not number.is_Integer:
            raise ValueError(f"no value for the index {value}")
        return int(number)

    def _eval_SampleOf(self, expr: SampleOf) -> sp.Matrix:
        m = self(expr.of)
        k = self._concrete(expr.index) - 1
        if expr.axis == 0:
            if not 0 <= k < m.cols:
                raise IndexError(f"there is no example {k + 1}")
            return m[:, k]
        if not 0 <= k < m.rows:
            raise IndexError(f"there is no example {k + 1}")
        return m[k, :]

    def _eval_HadamardPower(self, expr: sp.HadamardPower) -> sp.Matrix:
        exponent = self(expr.exp)
        return self(expr.base).applyfunc(lambda e: e ** exponent)

    def _eval_GradOf(self, expr: GradOf) -> sp.Matrix:
        body, wrt = expr.args
        rows, cols = (self._concrete(d) for d in wrt.shape)

        def entry(r: int, c: int) -> Any:
            indices = (r + 1,) if cols == 1 else (c + 1,) if rows == 1 else (r + 1, c + 1)
            return self.operator_derivative(OperatorDerivative(body, Entry(wrt, *indices)))
        return sp.Matrix(rows, cols, entry)

    def _eval_Vec(self, expr: Vec) -> sp.Matrix:
        m = self(expr.of)
        return sp.Matrix([m[r, c] for c in range(m.cols) for r in range(m.rows)])

    def _eval_KroneckerProduct(self, expr: Any) -> sp.Matrix:
        return sp.kronecker_product(*[sp.Matrix(self(a)) for a in expr.args])

    def _eval_MatSum(self, expr: MatSum) -> sp.Matrix:
        body, var, lo, hi = expr.args
        total = None
        for k in range(self._concrete(lo), self._concrete(hi) + 1):
            term = self(body.xreplace({var: sp.Integer(k)}))
            total = term if total is None else total + term
        if total is None:
            raise ValueError("an empty sum")
        return total

    def _eval_Family(self, expr: Family) -> sp.Matrix:
        body, var, size = expr.args
        return sp.Matrix([self(body.xreplace({var: sp.Integer(k)})) for k in range(1, self._concrete(size) + 1)])

    def _eval_VecJacobian(self, expr: VecJacobian) -> sp.Matrix:
        of, wrt = expr.args
        if not isinstance(wrt, NetQuantity) or not isinstance(of, NetQuantity):
            raise ValueError("∂/∂vec(·) of something that is not a network quantity")
        jac = self.world.verifier.jacobian(of, wrt)  # columns in row-major order of wrt
        rows, cols = (self._concrete(d) for d in wrt.shape)
        order = [r * cols + c for c in range(cols) for r in range(rows)]
        return jac[:, order]

    def sample_cost(self, index: Any, env: Any) -> sp.Expr:
        world = self.world
        frame = world.frame
        entry = rules.cost(world.instance_spec.cost)
        out = env[frame.a(sp.Integer(world.depth))]
        target = env[frame.y]
        k = self._concrete(index) - 1
        samples = out.cols if frame.class_axis == 0 else out.rows
        if not 0 <= k < samples:
            raise IndexError(f"there is no example {k + 1}")
        if frame.class_axis == 0:
            pairs = [(out[r, k], target[r, k]) for r in range(out.rows)]
        else:
            pairs = [(out[k, c], target[k, c]) for c in range(out.cols)]
        return sp.Add(*[entry.c.xreplace({rules.A: o, rules.Y: t}) for o, t in pairs])

    def operator_derivative(self, node: OperatorDerivative) -> sp.Expr:
        """∂/∂v (body): the body evaluated with v's quantity free, differentiated, v put back."""
        verifier = self.world.verifier
        den = verifier.entry_of(node.wrt)
        symbols, env, back = verifier._free(den.of)
        env = dict(env)
        for binding in self.world.scalar_symbols.values():
            q = binding.entry.of
            if q in env and not isinstance(env[q], (int, float)):
                r, c = binding.entry.position()
                env[binding.symbol] = env[q][r, c]
        value = CheckEvaluator(self.world, env)(node.body)
        r, c = den.position()
        return shared_xreplace(scalar_derivative(as_expr(value), symbols[r, c]), back)

    def _eval_Expr(self, expr: sp.Expr) -> sp.Expr:
        if expr.has(sp.Sum):
            expr = shared_transform(expr, lambda e: expand_sum(e, self.dims) if isinstance(e, sp.Sum) else None)
        if expr.has(SampleCost, OperatorDerivative):
            def value(node: sp.Basic) -> sp.Basic | None:
                if isinstance(node, OperatorDerivative):
                    return self.operator_derivative(node)
                if isinstance(node, SampleCost):
                    return self.sample_cost(node.index, self.env)
                return None
            expr = shared_transform(expr, value)
        return self.scalar(self, expr)

    def _eval_SampleCost(self, expr: SampleCost) -> sp.Expr:
        return self.sample_cost(expr.index, self.env)

    def _eval_OperatorDerivative(self, expr: OperatorDerivative) -> sp.Expr:
        return self.operator_derivative(expr)


def entry_of_sample(value: Any) -> Any:
    """Entry(SampleOf(Q, i), k) as the plain entry of Q (the verifier's chain-rule factors read those)."""
    if isinstance(value, Entry) and isinstance(value.of, SampleOf):
        sample = value.of
        k = value.indices[0]
        return Entry(sample.of, k, sample.index) if sample.axis == 0 else Entry(sample.of, sample.index, k)
    return value
