"""Prove every built statement before it may be printed or exported.

Two independent verifiers run over a concrete `Derivation`:

- `SymbolicVerifier` (small instances): every quantity becomes an explicit matrix of scalar
  symbols, the scalar cost is expanded fully, and each entry of each right-hand side is proved
  equal to `sp.diff` of that cost (the meaning of δ, ∂C/∂W, ∂C/∂b, ∂C/∂a, Jacobians and
  chain-rule factors), with `is_identically_zero` deciding equality exactly.
- `NumericVerifier` (every instance, any width): random float64 values; each right-hand side
  is compared with Richardson central differences of the cost, entry by entry for small
  quantities and along random directions for large ones (relative error < 1e-6).

The general derivation (symbolic L) is verified through concrete instances built by the same
code. A failure raises `VerificationError`: an unproved formula is never returned.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp

from .safe import as_expr
from . import rules
from .algebra import (
    Entry,
    EvaluationError,
    Evaluator,
    Grad,
    Jacobian,
    NetQuantity,
    NumericEvaluator,
    Partial,
    SymbolicEvaluator,
    first_nonzero,
    scalar_derivative,
    shared_xreplace,
)
from .backprop import build_concrete
from .derivation import Check, Derivation, Step
from .errors import VerificationError
from .gradcheck import EPS, FULL_MAX_ENTRIES, directional_derivative, random_directions
from .quantities import COST, MEAN, STD, Frame
from .spec import NetworkSpec

RTOL = 1e-6
SYMBOLIC_MAX_WIDTH = 4
SYMBOLIC_MAX_BATCH = 2
SYMBOLIC_MAX_PARAMETERS = 64
SYMBOLIC_MAX_DEPTH = 4
COMPONENT_SAMPLES = 4


def symbolic_possible(spec: NetworkSpec) -> bool:
    """Small enough to expand every entry into scalars and prove it against sp.diff."""
    return (
        max(spec.widths) <= SYMBOLIC_MAX_WIDTH
        and spec.depth <= SYMBOLIC_MAX_DEPTH
        and spec.parameter_count() <= SYMBOLIC_MAX_PARAMETERS
    )


def verify(derivation: Derivation, *, seed: int = 0, symbolic: bool | None = None) -> Derivation:
    """Return the derivation with its verification records, or raise VerificationError."""
    if derivation.general:
        return _verify_general(derivation, seed)
    checks = NumericVerifier(derivation, seed).run()
    if symbolic is None:
        symbolic = symbolic_possible(derivation.spec)
    if symbolic:
        checks += SymbolicVerifier(derivation).run()
    return derivation.with_checks(tuple(checks))


def _verify_general(derivation: Derivation, seed: int) -> Derivation:
    spec = derivation.spec
    instances = []
    for widths in (spec.widths, *spec.instances):
        name = f"{spec.name}-{'-'.join(map(str, widths))}"
        instance = build_concrete(spec.with_widths(tuple(widths), name=name), components=True)
        instances.append(verify(instance, seed=seed))
    checks = []
    for step in derivation.steps:
        if step.kind == "definition":
            continue
        witnesses = []
        for inst in instances:
            matching = [s.key for s in inst.steps if s.what == step.what and s.rule == step.rule]
            if not matching:
                raise VerificationError(
                    f"general step {step.key} ({step.what}) has no counterpart in instance {inst.spec.name}"
                )
            methods = sorted({c.method for c in inst.checks if c.step in matching})
            witnesses.append(f"{'-'.join(map(str, inst.spec.widths))} ({', '.join(methods)})")
        checks.append(Check(step.key, "instance", "checked at widths " + "; ".join(witnesses), len(instances)))
    return derivation.with_checks(tuple(checks), tuple(instances))


# ----------------------------------------------------------------------------------------------
# What a left-hand side means
# ----------------------------------------------------------------------------------------------


def preactivation_of(delta: NetQuantity) -> NetQuantity:
    return NetQuantity("z", delta.layer, *delta.shape)


def gradient_subject(lhs: Any) -> tuple[NetQuantity, bool] | None:
    """For δ^l or ∂C/∂Q (or ∂C/∂Qᵀ): the quantity Q differentiated, and whether transposed."""
    if isinstance(lhs, NetQuantity) and lhs.kind == "delta":
        return preactivation_of(lhs), False
    if isinstance(lhs, Grad):
        wrt = lhs.wrt
        if isinstance(wrt, sp.Transpose) and isinstance(wrt.arg, NetQuantity):
            return wrt.arg, True
        if isinstance(wrt, NetQuantity):
            return (preactivation_of(wrt) if wrt.kind == "delta" else wrt), False
    return None


class _Verifier:
    method = ""

    def __init__(self, derivation: Derivation) -> None:
        self.derivation = derivation
        self.spec = derivation.spec
        self.frame = Frame(self.spec)
        self.forward_steps = [s for s in derivation.steps if s.kind == "definition" and s.section == "forward"]
        self.bindings = {b.symbol: b.entry for b in derivation.scalar_bindings}

    # -- to be provided ------------------------------------------------------------------------
    evaluator: type = Evaluator  # NumericEvaluator or SymbolicEvaluator
    dims: dict

    def evaluate(self, expr: Any) -> Any:
        raise NotImplementedError

    def check_matrix(self, step: Step) -> tuple[int, float]:
        raise NotImplementedError

    def check_scalar(self, step: Step, assignments: list[dict]) -> tuple[int, float]:
        raise NotImplementedError

    def component_assignments(self, step: Step) -> list[dict]:
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------------
    def forward_from(self, base: dict[Any, Any], overrides: dict[Any, Any]) -> dict[Any, Any]:
        """The forward pass from `base` values; an overridden quantity keeps the given value and
        everything downstream of it is recomputed from that value."""
        env = {**base, **{k: v for k, v in overrides.items() if k in base}}
        for step in self.forward_steps:
            q = step.lhs
            if q in overrides:
                env[q] = overrides[q]
                continue
            env[q] = self.evaluator(env, self.dims)(step.rhs)
        return env

    def entry_of(self, node: Any) -> Entry:
        """A scalar-view symbol (w35) or an Entry, as an Entry of a matrix quantity."""
        if isinstance(node, Entry):
            return node
        if node in self.bindings:
            return self.bindings[node]
        raise EvaluationError(f"{node} names no entry of the network")

    def index_ranges(self, step: Step, dims: dict) -> list[tuple[sp.Symbol, list[int]]]:
        out = []
        for symbol, lo, hi in step.indices:
            lo_v, hi_v = (int(as_expr(v).xreplace(dims)) for v in (lo, hi))
            out.append((symbol, list(range(lo_v, hi_v + 1))))
        return out

    def run(self) -> list[Check]:
        checks = []
        claims = [s for s in self.derivation.steps if s.kind != "definition"]
        # Matrix statements first (in order, so later steps may use earlier values), then the
        # component and scalar statements, which read those values.
        ordered = [s for s in claims if s.is_matrix] + [s for s in claims if not s.is_matrix]
        for step in ordered:
            try:
                if step.is_matrix:
                    count, error = self.check_matrix(step)
                else:
                    count, error = self.check_scalar(step, self.component_assignments(step))
            except VerificationError:
                raise
            except (EvaluationError, sp.ShapeError, ValueError, TypeError, KeyError) as exc:
                raise VerificationError(f"step {step.key} ({step.what}) could not be verified: {exc}") from exc
            checks.append(Check(step.key, self.method, self.describe(step, count), count, error))
        return checks

    def describe(self, step: Step, count: int) -> str:
        raise NotImplementedError


# ----------------------------------------------------------------------------------------------
# Numeric verification
# ----------------------------------------------------------------------------------------------


class NumericVerifier(_Verifier):
    method = "numeric"
    evaluator = NumericEvaluator

    def __init__(self, derivation: Derivation, seed: int = 0, base: dict[Any, Any] | None = None) -> None:
        """`base`: inputs, targets and parameters to verify at (a post's worked example prints
        them), instead of a seeded random draw."""
        super().__init__(derivation)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.dims = {self.frame.batch: self.spec.batch} if self.frame.batched else {}
        self.base = self._draw_base() if base is None else dict(base)
        self.env = self.forward({})
        self.cost_value = float(self.env[COST])
        # Errors are relative to max(|value|, |truth|, floor). Central differences of a cost C are
        # only accurate to about 1e-12·|C| in float64, so a gradient far smaller than C (the first
        # layers of a deep sigmoid network) is checked to an absolute 1e-10·max(1, |C|) instead.
        self.floor = 1e-4 * max(1.0, abs(self.cost_value))
        self.computed: dict[Any, np.ndarray] = {}
        self._fd_full: dict[Any, np.ndarray] = {}
        self._fd_directions: dict[Any, list[tuple[np.ndarray, float]]] = {}
        self._partials: dict[Partial, float] = {}
        for binding in derivation.scalar_bindings:
            if not self._is_derived(binding.entry.of):
                self.env[binding.symbol] = self._entry_value(binding.entry)

    # -- data --------------------------------------------------------------------------------------
    def _size(self, dim: Any) -> int:
        return int(as_expr(dim).xreplace(self.dims))

    def _shape(self, q: Any) -> tuple[int, int]:
        return (self._size(q.shape[0]), self._size(q.shape[1]))

    def _draw_base(self) -> dict[Any, Any]:
        """Random inputs, targets and parameters where differences are well conditioned:
        pre-activations away from kinks (relu at 0) and outputs away from the edge of the cost's
        domain (log a with a near 0 or 1). The best of a few seeded draws is kept."""
        best, best_margin = None, -1.0
        for _ in range(20):
            base = self._draw_once()
            margin = self._margin(base)
            if margin > best_margin:
                best, best_margin = base, margin
            if margin > 1e-2:
                break
        return best

    def _margin(self, base: dict[Any, Any]) -> float:
        env = self.forward_from(base, {})
        margin = np.inf
        for l in range(1, self.spec.depth + 1):
            act = self.frame.activation(sp.Integer(l))
            for kink in act.kinks:
                margin = min(margin, float(np.min(np.abs(env[self.frame.z(sp.Integer(l))] - kink))))
        lo, hi = rules.cost(self.spec.cost).input_range
        out = np.asarray(env[self.frame.a(self.frame.L)], dtype=float)
        if np.isfinite(lo):
            margin = min(margin, float(np.min(out - lo)))
        if np.isfinite(hi):
            margin = min(margin, float(np.min(hi - out)))
        return margin

    def _draw_once(self) -> dict[Any, Any]:
        f, rng, spec = self.frame, self.rng, self.spec
        base: dict[Any, Any] = {}
        x = rng.uniform(-1.5, 1.5, self._shape(f.x))
        base[f.x] = x
        if spec.normalize_input:
            # The data's mean and standard deviation are constants to the gradient: drawn, not
            # computed from this x (a one-feature x would standardise to exactly 0).
            base[MEAN] = float(rng.uniform(-0.5, 0.5))
            base[STD] = float(rng.uniform(0.5, 1.5))
        for l in range(1, spec.depth + 1):
            W = f.W(sp.Integer(l))
            fan_in = spec.widths[l - 1]
            base[W] = rng.standard_normal(self._shape(W)) * (1.0 / np.sqrt(fan_in))
            if f.has_bias(sp.Integer(l)):
                base[f.b(sp.Integer(l))] = rng.uniform(-0.5, 0.5, self._shape(f.b(sp.Integer(l))))
        base[f.y] = self._draw_targets(self._shape(f.y))
        return base

    def _draw_targets(self, shape: tuple[int, int]) -> np.ndarray:
        cost = rules.cost(self.spec.cost)
        axis = self.frame.class_axis
        if cost.one_hot_target:
            classes = shape[axis]
            samples = shape[1 - axis]
            hot = np.eye(classes)[self.rng.integers(0, classes, samples)]  # samples × classes
            return hot if axis == 1 else hot.T
        return self.rng.uniform(0.05, 0.95, shape)

    # -- forward pass ----------------------------------------------------------------------------------
    def forward(self, overrides: dict[Any, Any]) -> dict[Any, Any]:
        return self.forward_from(self.base, overrides)

    def cost_at(self, q: Any) -> Callable[[np.ndarray], float]:
        return lambda value: float(self.forward({q: value})[COST])

    # -- truths by finite differences -------------------------------------------------------------------
    def _value_of(self, q: Any) -> np.ndarray:
        return np.asarray(self.env[q], dtype=float)

    def _eps(self, q: Any) -> float:
        """Difference step for q: smaller near the edge of the cost's domain (log a near 0 or 1)."""
        if q != self.frame.a(self.frame.L):
            return EPS
        lo, hi = rules.cost(self.spec.cost).input_range
        x = self._value_of(q)
        gaps = [np.min(x - lo)] if np.isfinite(lo) else []
        gaps += [np.min(hi - x)] if np.isfinite(hi) else []
        return min([EPS] + [0.1 * float(g) for g in gaps])

    def fd_gradient(self, q: NetQuantity) -> np.ndarray:
        if q not in self._fd_full:
            x = self._value_of(q)
            f = self.cost_at(q)
            grad = np.zeros_like(x)
            for index in np.ndindex(x.shape):
                v = np.zeros_like(x)
                v[index] = 1.0
                grad[index] = directional_derivative(f, x, v, self._eps(q))
            self._fd_full[q] = grad
        return self._fd_full[q]

    def fd_directions(self, q: NetQuantity) -> list[tuple[np.ndarray, float]]:
        if q not in self._fd_directions:
            x = self._value_of(q)
            rng = np.random.default_rng([self.seed, len(self._fd_directions)])
            f = self.cost_at(q)
            self._fd_directions[q] = [
                (v, directional_derivative(f, x, v, self._eps(q))) for v in random_directions(x.shape, 3, rng)
            ]
        return self._fd_directions[q]

    def fd_partial(self, num: Any, den: Entry) -> float:
        """∂num/∂den for one entry den of a quantity, num the cost or an entry downstream."""
        q = den.of
        row, col = den.position()
        x = self._value_of(q)
        v = np.zeros_like(x)
        v[row, col] = 1.0

        def f(value: np.ndarray) -> float:
            env = self.forward({q: value})
            if num == COST:
                return float(env[COST])
            entry = self.entry_of(num)
            r, c = entry.position()
            return float(np.asarray(env[entry.of])[r, c])

        return directional_derivative(f, x, v, self._eps(q))

    def fd_jacobian(self, of: NetQuantity, wrt: NetQuantity) -> np.ndarray:
        x = self._value_of(wrt)
        n_out = self._size(of.shape[0]) * self._size(of.shape[1])
        jac = np.zeros((n_out, x.size))
        for col, index in enumerate(np.ndindex(x.shape)):
            v = np.zeros_like(x)
            v[index] = 1.0
            for row in range(n_out):
                jac[row, col] = directional_derivative(
                    lambda value, row=row: float(np.ravel(self.forward({wrt: value})[of])[row]), x, v
                )
        return jac

    def _is_derived(self, q: Any) -> bool:
        return isinstance(q, (Grad, Jacobian)) or (isinstance(q, NetQuantity) and q.kind == "delta")

    # -- evaluation ---------------------------------------------------------------------------------------
    def resolve(self, node: Any) -> Any:
        if isinstance(node, Partial):
            if node not in self._partials:
                self._partials[node] = self.fd_partial(node.num, self.entry_of(node.den))
            return self._partials[node]
        subject = gradient_subject(node)
        if subject is not None:
            q, transposed = subject
            if q in self.computed:
                value = self.computed[q]
            elif self._size_of(q) <= FULL_MAX_ENTRIES:
                value = self.fd_gradient(q)
            else:
                raise EvaluationError(f"{node} is used before it is computed")
            return value.T if transposed else value
        if isinstance(node, Jacobian):
            key = ("jacobian", node)
            if key not in self.computed:
                self.computed[key] = self.fd_jacobian(node.args[0], node.args[1])
            return self.computed[key]
        if node in self.env:
            return self.env[node]
        raise EvaluationError(f"no value for {node}")

    def _size_of(self, q: Any) -> int:
        rows, cols = self._shape(q)
        return rows * cols

    def evaluate(self, expr: Any) -> Any:
        return NumericEvaluator(self.env, self.dims, self.resolve)(expr)

    def _entry_value(self, entry: Entry) -> float:
        value = self.evaluate(entry.of)
        r, c = entry.position()
        return float(np.asarray(value)[r, c])

    # -- checks ----------------------------------------------------------------------------------------------
    def _error(self, value: np.ndarray, truth: np.ndarray) -> float:
        value, truth = np.asarray(value, dtype=float), np.asarray(truth, dtype=float)
        scale = max(float(np.linalg.norm(value)), float(np.linalg.norm(truth)), self.floor)
        return float(np.linalg.norm(value - truth)) / scale

    def check_matrix(self, step: Step) -> tuple[int, float]:
        lhs = step.lhs
        subject = gradient_subject(lhs)
        worst, compared = 0.0, 0
        values = []
        for form in step.forms[1:]:
            if subject is not None and gradient_subject(form) == subject:
                continue  # δ^l = ∂C/∂z^l is the meaning itself, not a claim about it
            value = np.asarray(self.evaluate(form), dtype=float)
            expected = self._shape(lhs)
            if value.shape != expected:
                raise VerificationError(f"step {step.key}: a form has shape {value.shape}, expected {expected}")
            values.append((form, value))
        if not values:
            raise VerificationError(f"step {step.key} states nothing to verify")
        for form, value in values:
            error = self._compare(step, lhs, subject, value)
            worst = max(worst, error)
            compared += value.size
            if not error < RTOL:
                raise VerificationError(
                    f"step {step.key} ({step.what}) disagrees with central differences: relative error "
                    f"{error:.3g} for the form {form} (seed {self.seed})"
                )
        final = values[-1][1]
        if subject is not None:
            q, transposed = subject
            if not transposed:
                self.computed[q] = final
        elif isinstance(lhs, Jacobian):
            self.computed[("jacobian", lhs)] = final
        return compared, worst

    def _compare(self, step: Step, lhs: Any, subject: Any, value: np.ndarray) -> float:
        if subject is None:
            if isinstance(lhs, Jacobian):
                truth = self.resolve(lhs)
                return self._error(value, truth)
            return self._error(value, self.evaluate(lhs))
        q, transposed = subject
        if transposed:
            value = value.T
        if self._size_of(q) <= FULL_MAX_ENTRIES:
            return self._error(value, self.fd_gradient(q))
        scale = max(float(np.linalg.norm(value)), self.floor)
        worst = 0.0
        for v, numeric in self.fd_directions(q):
            analytic = float(np.sum(value * v))
            worst = max(worst, abs(analytic - numeric) / max(scale, abs(numeric)))
        return worst

    def component_assignments(self, step: Step) -> list[dict]:
        ranges = self.index_ranges(step, self.dims)
        if not ranges:
            return [{}]
        symbols = [s for s, _ in ranges]
        corners = [dict(zip(symbols, [r[0] for _, r in ranges])), dict(zip(symbols, [r[-1] for _, r in ranges]))]
        rng = np.random.default_rng([self.seed, 7])
        picks = [dict(zip(symbols, [int(rng.choice(r)) for _, r in ranges])) for _ in range(COMPONENT_SAMPLES - 2)]
        out: list[dict] = []
        for a in corners + picks:
            if a not in out:
                out.append(a)
        return out

    def scalar_truth(self, lhs: Any) -> float:
        if isinstance(lhs, Partial):
            return float(self.resolve(lhs))
        if lhs in self.bindings:
            return self._entry_value(self.bindings[lhs])
        if isinstance(lhs, Entry):
            of = lhs.of
            subject = gradient_subject(of)
            if subject is not None and not subject[1]:
                q = subject[0]
                r, c = lhs.position()
                x = self._value_of(q)
                v = np.zeros_like(x)
                v[r, c] = 1.0
                return directional_derivative(self.cost_at(q), x, v, self._eps(q))
            return self._entry_value(lhs)
        return float(self.evaluate(lhs))

    def check_scalar(self, step: Step, assignments: list[dict]) -> tuple[int, float]:
        worst, compared = 0.0, 0
        for assignment in assignments:
            lhs = step.lhs.xreplace(assignment)
            truth = self.scalar_truth(lhs)
            for form in step.forms[1:]:
                value = float(self.evaluate(form.xreplace(assignment)))
                error = abs(value - truth) / max(abs(value), abs(truth), self.floor)
                worst = max(worst, error)
                compared += 1
                if not error < RTOL:
                    raise VerificationError(
                        f"step {step.key} ({step.what}) disagrees with central differences at {assignment}: "
                        f"{value:.10g} against {truth:.10g} for the form {form} (seed {self.seed})"
                    )
        return compared, worst

    def describe(self, step: Step, count: int) -> str:
        return f"{count} values agree with central differences (seed {self.seed}, relative error < {RTOL:g})"


# ----------------------------------------------------------------------------------------------
# Symbolic verification
# ----------------------------------------------------------------------------------------------


class SymbolicVerifier(_Verifier):
    method = "symbolic"
    evaluator = SymbolicEvaluator
    #: Samples of a batch expanded exactly (derive check takes three, so that 1/n is not ½).
    max_batch = SYMBOLIC_MAX_BATCH

    def __init__(self, derivation: Derivation) -> None:
        super().__init__(derivation)
        f = self.frame
        self.dims = {f.batch: min(self.spec.batch, self.max_batch)} if f.batched else {}
        named = {}
        for binding in derivation.scalar_bindings:
            named[(binding.entry.of, binding.entry.position())] = binding.symbol
        self.base: dict[Any, Any] = {}
        quantities = [f.x, f.y] + [f.W(sp.Integer(l)) for l in range(1, self.spec.depth + 1)]
        quantities += [f.b(sp.Integer(l)) for l in range(1, self.spec.depth + 1) if f.has_bias(sp.Integer(l))]
        for q in quantities:
            self.base[q] = self._symbols(q, named)
        if rules.cost(self.spec.cost).one_hot_target and self.spec.layers[-1].activation == "softmax":
            self.base[f.y] = self._simplex(self.base[f.y])
        if self.spec.normalize_input:
            self.base[MEAN], self.base[STD] = MEAN, STD
        self.env = self.forward({})
        self._grad_cache: dict[Any, sp.Matrix] = {}
        self._free_cache: dict[Any, tuple] = {}
        self._partial_cache: dict[Any, sp.Expr] = {}
        for binding in derivation.scalar_bindings:
            if not isinstance(binding.entry.of, (Grad, Jacobian)) and binding.entry.of.kind != "delta":
                r, c = binding.entry.position()
                self.env[binding.symbol] = self.env[binding.entry.of][r, c]

    def _size(self, dim: Any) -> int:
        return int(as_expr(dim).xreplace(self.dims))

    def _symbols(self, q: NetQuantity, named: dict) -> sp.Matrix:
        rows, cols = self._size(q.shape[0]), self._size(q.shape[1])

        def symbol(r: int, c: int) -> sp.Symbol:
            if (q, (r, c)) in named:
                return named[(q, (r, c))]
            if rows == 1 or cols == 1:
                return sp.Symbol(f"{q.ident}_{max(r, c) + 1}", real=True)
            return sp.Symbol(f"{q.ident}_{r + 1}_{c + 1}", real=True)

        return sp.Matrix(rows, cols, symbol)

    def _simplex(self, y: sp.Matrix) -> sp.Matrix:
        """One-hot targets sum to 1 over the classes: the last class is 1 minus the others."""
        y = y.copy()
        if self.frame.class_axis == 0:
            for c in range(y.cols):
                y[y.rows - 1, c] = 1 - sum(y[r, c] for r in range(y.rows - 1))
        else:
            for r in range(y.rows):
                y[r, y.cols - 1] = 1 - sum(y[r, c] for c in range(y.cols - 1))
        return y

    # -- forward with some quantity replaced by fresh symbols ---------------------------------------
    def forward(self, overrides: dict[Any, Any]) -> dict[Any, Any]:
        return self.forward_from(self.base, overrides)

    def _fresh(self, q: NetQuantity) -> sp.Matrix:
        rows, cols = self._size(q.shape[0]), self._size(q.shape[1])
        return sp.Matrix(rows, cols, lambda r, c: sp.Dummy(f"v{r}{c}", real=True))

    def _free(self, q: NetQuantity) -> tuple[sp.Matrix, dict[Any, Any], dict]:
        """Symbols standing for q's entries, the forward pass in terms of them, and their values.

        Upstream quantities do not depend on q, so they stay as they are; everything downstream
        is recomputed from the fresh symbols.
        """
        if q in self.base:
            return self.base[q], self.env, {}
        if q not in self._free_cache:
            fresh = self._fresh(q)
            env = self.forward({q: fresh})
            back = {fresh[i]: self.env[q][i] for i in range(len(fresh))}
            self._free_cache[q] = (fresh, env, back)
        return self._free_cache[q]

    def gradient(self, q: NetQuantity) -> sp.Matrix:
        if q not in self._grad_cache:
            symbols, env, back = self._free(q)
            cost = env[COST]
            grad = sp.Matrix(symbols.rows, symbols.cols, lambda r, c: shared_xreplace(scalar_derivative(cost, symbols[r, c]), back))
            self._grad_cache[q] = grad
        return self._grad_cache[q]

    def jacobian(self, of: NetQuantity, wrt: NetQuantity) -> sp.Matrix:
        symbols, env, back = self._free(wrt)
        outputs = list(env[of])
        inputs = list(symbols)
        return sp.Matrix(len(outputs), len(inputs), lambda r, c: shared_xreplace(scalar_derivative(outputs[r], inputs[c]), back))

    def partial(self, num: Any, den: Any) -> sp.Expr:
        key = (num, den)
        if key not in self._partial_cache:
            self._partial_cache[key] = self._partial(num, den)
        return self._partial_cache[key]

    def _partial(self, num: Any, den: Any) -> sp.Expr:
        den = self.entry_of(den)
        symbols, env, back = self._free(den.of)
        r, c = den.position()
        if num == COST:
            value = env[COST]
        else:
            entry = self.entry_of(num)
            rr, cc = entry.position()
            value = env[entry.of][rr, cc]
        return shared_xreplace(scalar_derivative(value, symbols[r, c]), back)

    def resolve(self, node: Any) -> Any:
        if isinstance(node, Partial):
            return self.partial(node.num, node.den)
        subject = gradient_subject(node)
        if subject is not None:
            q, transposed = subject
            grad = self.gradient(q)
            return grad.T if transposed else grad
        if isinstance(node, Jacobian):
            return self.jacobian(node.args[0], node.args[1])
        if node in self.env:
            return self.env[node]
        raise EvaluationError(f"no value for {node}")

    def evaluate(self, expr: Any) -> Any:
        return SymbolicEvaluator(self.env, self.dims, self.resolve)(expr)

    def truth(self, lhs: Any) -> Any:
        if isinstance(lhs, (Partial, Grad, Jacobian)) or gradient_subject(lhs) is not None:
            return self.resolve(lhs)
        return self.evaluate(lhs)

    def check_matrix(self, step: Step) -> tuple[int, float]:
        subject = gradient_subject(step.lhs)
        truth = self.truth(step.lhs)
        proved = 0
        for form in step.forms[1:]:
            if subject is not None and gradient_subject(form) == subject:
                continue
            value = self.evaluate(form)
            if value.shape != truth.shape:
                raise VerificationError(f"step {step.key}: a form has shape {value.shape}, expected {truth.shape}")
            cells = [(r, c) for r in range(truth.rows) for c in range(truth.cols)]
            failed = first_nonzero([value[r, c] - truth[r, c] for r, c in cells])
            if failed is not None:
                r, c = cells[failed]
                raise VerificationError(
                    f"step {step.key} ({step.what}) is not equal to the derivative of the expanded cost at "
                    f"entry ({r + 1}, {c + 1}) for the form {form}"
                )
            proved += len(cells)
        return proved, 0.0

    def component_assignments(self, step: Step) -> list[dict]:
        ranges = self.index_ranges(step, self.dims)
        if not ranges:
            return [{}]
        symbols = [s for s, _ in ranges]
        return [dict(zip(symbols, values)) for values in itertools.product(*[r for _, r in ranges])]

    def scalar_truth(self, lhs: Any) -> sp.Expr:
        if isinstance(lhs, Partial):
            return self.resolve(lhs)
        if isinstance(lhs, Entry):
            r, c = lhs.position()
            return self.truth(lhs.of)[r, c]
        if lhs in self.env:
            return self.env[lhs]
        return self.evaluate(lhs)

    def check_scalar(self, step: Step, assignments: list[dict]) -> tuple[int, float]:
        obligations, where = [], []
        for assignment in assignments:
            lhs = step.lhs.xreplace(assignment)
            truth = self.scalar_truth(lhs)
            for form in step.forms[1:]:
                obligations.append(self.evaluate(form.xreplace(assignment)) - truth)
                where.append((assignment, form))
        failed = first_nonzero(obligations)
        if failed is not None:
            assignment, form = where[failed]
            raise VerificationError(
                f"step {step.key} ({step.what}) is not equal to the derivative of the expanded cost at "
                f"{assignment} for the form {form}"
            )
        return len(obligations), 0.0

    def describe(self, step: Step, count: int) -> str:
        return f"{count} entries proved equal to sp.diff of the fully expanded scalar cost"

    def explicit(self, expr: Any) -> Any:
        """A statement expanded in the input, target and parameter symbols."""
        return self.evaluate(expr)
