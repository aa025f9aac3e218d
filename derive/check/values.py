"""Deciding whether two explicit values are equal: exactly when possible, else at random points.

Values are what the engine's `SymbolicEvaluator` gives on the small instance: SymPy scalars or
matrices in the instance's input, parameter and target symbols (x_1, W^1_{1,2}, w35, y_1, …) and
the activation functions of them. Equality is decided

- exactly with the engine's `first_nonzero` (every applied function an independent variable: a
  zero there is a proof);
- otherwise at a few seeded random points, by a memoised float evaluation. Points use short
  decimals so a counterexample is easy to retype.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from .. import rules
from ..exact import first_nonzero
from ..quantities import EPSILON, LAMBDA, MEAN, STD
from ..safe import as_expr

POINTS = 3
TOLERANCE = 1e-9


class NotNumeric(Exception):
    """A value that has no float (an unresolved symbol, an unknown function)."""


@dataclass(frozen=True)
class Point:
    """Values of the instance's free symbols, and the same grouped by quantity for reports."""

    values: dict[sp.Symbol, float]
    quantities: tuple[tuple[Any, np.ndarray], ...]


def make_points(world: Any, count: int = POINTS, seed: int = 0) -> list[Point]:
    verifier = world.verifier
    rng = np.random.default_rng(seed)
    frame = verifier.frame
    one_hot = rules.cost(world.instance_spec.cost).one_hot_target
    points = []
    for _ in range(count):
        values: dict[sp.Symbol, float] = {}
        shown = []
        for q, matrix in verifier.base.items():
            if not isinstance(matrix, sp.MatrixBase):
                continue
            rows, cols = matrix.shape
            if q == frame.y:
                numbers = _targets(rng, rows, cols, one_hot, frame.class_axis)
            elif q.kind == "W":
                numbers = np.round(rng.normal(0, 1, (rows, cols)), 1)
            elif q.kind == "b":
                numbers = np.round(rng.uniform(-0.5, 0.5, (rows, cols)), 1)
            else:
                numbers = np.round(rng.uniform(-1.5, 1.5, (rows, cols)), 1)
            for r in range(rows):
                for c in range(cols):
                    entry = matrix[r, c]
                    if entry.is_Symbol:
                        values[entry] = float(numbers[r, c])
            shown.append((q, numbers))
        if LAMBDA in verifier.base:  # the network's own weight decay
            values[LAMBDA] = float(verifier.spec.l2)
            shown.append((LAMBDA, np.array([[verifier.spec.l2]])))
        if EPSILON in verifier.base:  # the network's own ε (the formulas hold for every ε > 0)
            values[EPSILON] = float(verifier.spec.norm_epsilon)
            shown.append((EPSILON, np.array([[verifier.spec.norm_epsilon]])))
        if MEAN in verifier.base:
            values[MEAN] = 0.2
            values[STD] = 1.3
            shown.append((MEAN, np.array([[0.2]])))
            shown.append((STD, np.array([[1.3]])))
        points.append(Point(values, tuple(shown)))
    return points


def _targets(rng: np.random.Generator, rows: int, cols: int, one_hot: bool, axis: int) -> np.ndarray:
    if not one_hot:
        return np.round(rng.uniform(0.1, 0.9, (rows, cols)), 1)
    classes = rows if axis == 0 else cols
    samples = cols if axis == 0 else rows
    hot = np.eye(classes)[rng.integers(0, classes, samples)]
    return hot.T if axis == 0 else hot


class FloatEvaluator:
    """Float value of an explicit expression at one point; shared subtrees are evaluated once."""

    def __init__(self, point: Point) -> None:
        self.point = point.values
        # Keyed by identity (the object is kept, so its id stays its own): comparing SymPy trees
        # for equality walks them without memory, exponential in the depth of a deep network's
        # shared subtrees (a 29-layer instance took minutes); each object is evaluated once.
        self.memo: dict[int, tuple[sp.Basic, float]] = {}

    def __call__(self, expr: Any) -> float:
        expr = as_expr(expr)
        known = self.memo.get(id(expr))
        if known is not None:
            return known[1]
        value = self._value(expr)
        self.memo[id(expr)] = (expr, value)
        return value

    def _value(self, e: sp.Basic) -> float:
        if e.is_number and not e.has(sp.Function):  # 3, ½, √2/√π
            return float(e)
        if e.is_Symbol:
            if e in self.point:
                return self.point[e]
            raise NotNumeric(f"no value for {e}")
        if e.is_Add:
            return math.fsum(self(a) for a in e.args)
        if e.is_Mul:
            out = 1.0
            for a in e.args:
                out *= self(a)
            return out
        if e.is_Pow:
            base, exp = self(e.base), self(e.exp)
            try:
                return float(base ** exp)
            except (ZeroDivisionError, OverflowError):
                return math.inf
        if isinstance(e, rules.ActivationBase):
            entry = rules.lookup_activation(e.activation_name)
            return float(rules.evaluate_numpy(entry.numpy, {rules.Z: np.float64(self(e.args[0]))}))
        if isinstance(e, rules.CostEntryBase):
            return self(e.explicit())
        if isinstance(e, rules.SoftmaxEntry):
            k = int(e.args[0])
            logits = np.array([self(a) for a in e.args[1:]])
            return float(rules.softmax_numpy(logits, axis=0)[k - 1])
        if isinstance(e, sp.exp):
            return math.exp(min(self(e.args[0]), 700.0))
        if isinstance(e, sp.log):
            x = self(e.args[0])
            return math.log(x) if x > 0 else math.nan
        if isinstance(e, sp.Abs):
            return abs(self(e.args[0]))
        if isinstance(e, sp.Heaviside):
            x = self(e.args[0])
            return 1.0 if x > 0 else 0.0
        if isinstance(e, sp.Max):
            return max(self(a) for a in e.args)
        if isinstance(e, sp.Min):
            return min(self(a) for a in e.args)
        if isinstance(e, sp.erf):
            return math.erf(self(e.args[0]))
        if isinstance(e, sp.sign):
            return math.copysign(1.0, self(e.args[0])) if self(e.args[0]) != 0 else 0.0
        if isinstance(e, sp.tanh):
            return math.tanh(self(e.args[0]))
        if isinstance(e, sp.KroneckerDelta):
            return 1.0 if self(e.args[0]) == self(e.args[1]) else 0.0
        raise NotNumeric(f"cannot evaluate {type(e).__name__}")


def entries(value: Any) -> list[Any]:
    if isinstance(value, sp.MatrixBase):
        return list(value)
    return [value]


def close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return False
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))


def exactly_equal(pairs: list[tuple[Any, Any]], converters: dict | None = None) -> bool | None:
    """True when every pair is proved equal; None when the exact test cannot decide. `converters`:
    kept by the caller for one network, shared by its checks (see `first_nonzero`)."""
    diffs = [as_expr(a) - as_expr(b) for a, b in pairs]
    try:
        return first_nonzero(diffs, converters) is None or None
    except (ValueError, TypeError, ZeroDivisionError, sp.PolynomialError):
        return None
