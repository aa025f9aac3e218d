"""Prove every built statement before it may be printed or exported.

Two independent verifiers run over a concrete `Derivation`:

- `SymbolicVerifier` (small instances): every quantity becomes an explicit matrix of scalar
  symbols, the scalar cost is expanded fully, and each entry of each right-hand side is proved
  equal to the derivative of that cost by SymPy's rules (the meaning of δ, ∂C/∂W, ∂C/∂b, ∂C/∂a,
  Jacobians and chain-rule factors; every input's and parameter's from one backward sweep, an
  intermediate quantity's from fresh symbols standing for it), with exact arithmetic deciding
  equality (exact.py).
- `NumericVerifier` (every instance, any width): random float64 values; each right-hand side
  is compared with Richardson central differences, entry by entry for small quantities and
  along random directions for large ones (relative error < 1e-6). Steps are checked output
  layer first, each gradient against differences of the steps that read its quantity weighted
  by their gradients checked before (the chain rule), so the work is linear in depth; all the
  points of a difference are evaluated in one stacked NumPy evaluation.

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
    entry_position,
)
from .backprop import build_concrete
from .calculus import scalar_derivative, scalar_gradient, shared_xreplace
from .derivation import Check, Derivation, Step
from .errors import VerificationError
from .exact import ZeroTest
from .gradcheck import EPS, FULL_MAX_ENTRIES, directional_derivatives, norm, random_directions
from .quantities import COST, EPSILON, LAMBDA, MEAN, STD, Frame
from .spec import NetworkSpec

RTOL = 1e-6
#: The scale 1/(1 − p) of a kept unit in the masks the numeric checks draw (p = ½).
DROPOUT_KEEP_SCALE = 2.0
#: A batched derivation is checked numerically on at most this many samples.
NUMERIC_MAX_BATCH = 8
#: At most this many numbers in one stacked evaluation of finite differences (16 MB).
PROBE_ENTRIES = 2_000_000
SYMBOLIC_MAX_WIDTH = 4
SYMBOLIC_MAX_BATCH = 2
SYMBOLIC_MAX_PARAMETERS = 64
SYMBOLIC_MAX_DEPTH = 4
SYMBOLIC_MAX_NORM_LAYERS = 1
COMPONENT_SAMPLES = 4


def symbolic_possible(spec: NetworkSpec) -> bool:
    """Small enough to expand every entry into scalars and prove it against sp.diff. At most one
    normalisation layer: each one's statements are proved where it is the only one (every rule a
    normalisation layer states, in either position); a second one nests square roots into the
    polynomials of the first and the exact arithmetic takes minutes, so two are checked numerically."""
    return (
        len(spec.norm) <= SYMBOLIC_MAX_NORM_LAYERS
        and max(spec.widths) <= SYMBOLIC_MAX_WIDTH
        and spec.depth <= SYMBOLIC_MAX_DEPTH
        and spec.parameter_count() <= SYMBOLIC_MAX_PARAMETERS
    )


def verify(derivation: Derivation, *, seed: int = 0, symbolic: bool | None = None) -> Derivation:
    """Return the derivation with its verification records, or raise VerificationError."""
    if derivation.general:
        return _verify_general(derivation, seed)
    checks = NumericVerifier(derivation, seed, max_batch=NUMERIC_MAX_BATCH).run()
    if symbolic is None:
        symbolic = symbolic_possible(derivation.spec)
    if symbolic:
        checks += SymbolicVerifier(derivation).run()
    return derivation.with_checks(tuple(checks))


def _verify_general(derivation: Derivation, seed: int) -> Derivation:
    """Every instance is checked numerically; one is proved: the deepest that is small enough
    (fewest parameters among those), whose hidden layers feed both a hidden layer and the output
    layer, so that its steps use every rule the general steps state."""
    spec = derivation.spec
    built = []
    for widths in (spec.widths, *spec.instances):
        name = f"{spec.name}-{'-'.join(map(str, widths))}"
        built.append(build_concrete(spec.with_widths(tuple(widths), name=name), components=True))
    provable = [d for d in built if symbolic_possible(d.spec)]
    proved = max(provable, key=lambda d: (d.spec.depth, -d.spec.parameter_count()), default=None)
    instances = [verify(d, seed=seed, symbolic=d is proved) for d in built]
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


def _unit(shape: tuple[int, ...], position: tuple[int, ...]) -> np.ndarray:
    """The direction of one entry."""
    v = np.zeros(shape)
    v[position] = 1.0
    return v


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
        # The forward pass as a graph: what each step reads, and which steps read a quantity.
        self.definitions = {s.lhs: s.rhs for s in self.forward_steps}
        self.reads: dict[Any, frozenset] = {}
        self.readers: dict[Any, tuple] = {}
        for step in self.forward_steps:
            self.reads[step.lhs] = frozenset(
                node for node in sp.preorder_traversal(step.rhs) if isinstance(node, NetQuantity) or node.is_Symbol)
            for q in self.reads[step.lhs]:
                self.readers[q] = self.readers.get(q, ()) + (step.lhs,)

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

    def propagate(self, q: Any, value: Any, targets: set[Any] | None = None) -> dict[Any, Any]:
        """The forward pass (self.env) with q set to `value`: only the steps downstream of q are
        evaluated again, and only until every target has a value (all of them without targets).
        A numeric value may be a stack of points (a leading axis)."""
        env = dict(self.env)
        env[q] = value
        changed = {q}
        pending = None if targets is None else set(targets) - {q}
        for step in self.forward_steps:
            if pending is not None and not pending:
                break
            if self.reads[step.lhs] & changed:
                env[step.lhs] = self.evaluator(env, self.dims)(step.rhs)
                changed.add(step.lhs)
                if pending is not None:
                    pending.discard(step.lhs)
        return env

    def evaluate_at(self, form: Any, assignment: dict) -> Any:
        """A component form at index values (j = 2), as `evaluate` of the form with them put in."""
        return self.evaluator(self.env, self.dims, self.resolve).scalar_value(form, assignment)

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

    def __init__(self, derivation: Derivation, seed: int = 0, base: dict[Any, Any] | None = None, *,
                 chain: bool = True, max_batch: int | None = None) -> None:
        """`base`: inputs, targets and parameters to verify at (a post's worked example prints
        them), instead of a seeded random draw. `chain` (the default): difference each quantity
        through the steps that read it, against their verified gradients (see `cost_along`), so
        that the work grows linearly with depth and batch; without it, through the rest of the
        network. `max_batch`: check a batched derivation on at most this many samples (its
        statements hold for any number n; every sample enters them the same way)."""
        super().__init__(derivation)
        self.seed = seed
        self.chain = chain
        self.rng = np.random.default_rng(seed)
        batch = self.spec.batch if max_batch is None or self.spec.batch is None else min(self.spec.batch, max_batch)
        self.dims = {self.frame.batch: batch} if self.frame.batched else {}
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
        self._cost_partials: dict[tuple, float] = {}
        self._fd_quantity: dict[tuple, np.ndarray] = {}
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
            if margin > 1:
                break
        return best

    def _margin(self, base: dict[Any, Any]) -> float:
        """How far the draw keeps from trouble, as a multiple of the distance wanted: 1e-2, or a
        tenth of the spacing expected between N values (0.1/N: among thousands of pre-activations
        some lie near a kink, and a softmax over K classes puts its outputs near 1/K)."""
        env = self.forward_from(base, {})
        margin = np.inf
        for l in range(1, self.spec.depth + 1):
            layer = sp.Integer(l)
            act = self.frame.activation(layer)
            # the activation's argument: u^l after a normalisation, z^l otherwise
            z = np.asarray(env[self.frame.u(layer) if self.frame.norm(layer) else self.frame.z(layer)], dtype=float)
            for kink in act.kinks:
                margin = min(margin, float(np.min(np.abs(z - kink))) / min(1e-2, 0.1 / z.size))
            if self.frame.norm(layer):  # a variance near 0: ẑ steep in z, its differences ill conditioned
                margin = min(margin, float(np.min(env[self.frame.var(layer)])) / 1e-3)
        cost = rules.cost(self.spec.cost)
        lo, hi = cost.input_range
        out = np.asarray(env[self.frame.a(self.frame.L)], dtype=float)
        wanted = min(1e-2, 0.1 / out.size)
        for kink in cost.kinks:  # |a − y| at 0, Huber at ±δ
            margin = min(margin, float(np.min(np.abs(out - np.asarray(base[self.frame.y]) - kink))) / wanted)
        if np.isfinite(lo):
            margin = min(margin, float(np.min(out - lo)) / wanted)
        if np.isfinite(hi):
            margin = min(margin, float(np.min(hi - out)) / wanted)
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
        if spec.l2:
            base[LAMBDA] = spec.l2
        for m in f.masks():  # inverted dropout at p = ½: each unit kept (×2) or dropped (0)
            base[m] = DROPOUT_KEEP_SCALE * rng.integers(0, 2, self._shape(m))
        for _, gamma, beta in f.norm_parameters():  # a scale near 1 and a shift near 0, as trained
            base[gamma] = rng.uniform(0.5, 1.5, self._shape(gamma))
            base[beta] = rng.uniform(-0.5, 0.5, self._shape(beta))
        if spec.norm:
            base[EPSILON] = spec.norm_epsilon
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

    # -- truths by finite differences -------------------------------------------------------------------
    def _value_of(self, q: Any) -> np.ndarray:
        return np.asarray(self.env[q], dtype=float)

    def _eps(self, q: Any) -> float:
        """Difference step for q: smaller near the edge of the cost's domain (log a near 0 or 1),
        and for a variance σ² a hundredth of the smallest σ² + ε (the curvature of 1/√(σ² + ε))."""
        if isinstance(q, NetQuantity) and q.kind == "var":
            return min(EPS, 0.01 * float(np.min(self._value_of(q))) + 0.01 * self.spec.norm_epsilon)
        if q != self.frame.a(self.frame.L):
            return EPS
        lo, hi = rules.cost(self.spec.cost).input_range
        x = self._value_of(q)
        gaps = [np.min(x - lo)] if np.isfinite(lo) else []
        gaps += [np.min(hi - x)] if np.isfinite(hi) else []
        return min([EPS] + [0.1 * float(g) for g in gaps])

    def cost_along(self, q: Any, directions: list[np.ndarray]) -> np.ndarray:
        """The derivative of the cost along each direction of q, by central differences.

        With `chain`, and once the gradient of every step that reads q is verified, only those
        steps are differenced and each is weighted by its verified gradient (the chain rule: the
        work per quantity no longer grows with the layers after it); otherwise the differences
        run through the rest of the network to the cost."""
        readers = self.readers.get(q, ())
        if self.chain and readers and all(r == COST or r in self.computed for r in readers):
            def local(points: np.ndarray) -> np.ndarray:
                env = {**self.env, q: points}
                total = 0.0
                for r in readers:
                    value = self.evaluator(env, self.dims)(self.definitions[r])
                    total = total + (value if r == COST else np.sum(value * self.computed[r], axis=(-2, -1)))
                return total

            return directional_derivatives(local, self._value_of(q), directions, self._eps(q))
        return directional_derivatives(lambda points: self.propagate(q, points, {COST})[COST],
                                       self._value_of(q), directions, self._eps(q))

    def _unit_directions(self, shape: tuple[int, ...]) -> list[np.ndarray]:
        return [_unit(shape, index) for index in np.ndindex(shape)]

    def fd_gradient(self, q: NetQuantity) -> np.ndarray:
        if q not in self._fd_full:
            x = self._value_of(q)
            self._fd_full[q] = self.cost_along(q, self._unit_directions(x.shape)).reshape(x.shape)
        return self._fd_full[q]

    def fd_directions(self, q: NetQuantity) -> list[tuple[np.ndarray, float]]:
        if q not in self._fd_directions:
            x = self._value_of(q)
            rng = np.random.default_rng([self.seed, len(self._fd_directions)])
            directions = random_directions(x.shape, 3, rng)
            self._fd_directions[q] = list(zip(directions, map(float, self.cost_along(q, directions))))
        return self._fd_directions[q]

    def cost_partial(self, den: Entry) -> float:
        return self.cost_partials(den.of, *den.position())

    def cost_partials(self, q: Any, rows: Any, cols: Any) -> Any:
        """∂C/∂q at the positions (rows, cols), numbers or arrays of them (one per sample): with
        `chain`, entries of the gradient verified by q's own step (a component statement restates
        that step entry by entry); otherwise by central differences, as many positions per
        stacked evaluation as fit in PROBE_ENTRIES."""
        if self.chain and q in self.computed:
            value = np.asarray(self.computed[q])[rows, cols]
            return float(value) if np.ndim(value) == 0 else value
        rows, cols = np.broadcast_arrays(rows, cols)
        positions = [(int(r), int(c)) for r, c in zip(rows.flat, cols.flat)]
        missing = sorted({p for p in positions if (q, p) not in self._cost_partials})
        shape = self._shape(q)
        per_call = max(1, PROBE_ENTRIES // (4 * shape[0] * shape[1]))
        for start in range(0, len(missing), per_call):
            batch = missing[start:start + per_call]
            for position, value in zip(batch, self.cost_along(q, [_unit(shape, p) for p in batch])):
                self._cost_partials[(q, position)] = float(value)
        values = np.array([self._cost_partials[(q, p)] for p in positions]).reshape(rows.shape)
        return float(values) if values.ndim == 0 else values

    def partial(self, num: Any, den: Entry) -> float:
        """∂num/∂den for one entry den of a quantity, num the cost or an entry downstream."""
        if num == COST:
            return self.cost_partial(den)
        entry = self.entry_of(num)
        return float(self.quantity_partial(entry.of, den.of, *den.position())[entry.position()])

    def quantity_partial(self, of: Any, q: Any, row: int, col: int) -> np.ndarray:
        """∂(every entry of `of`)/∂q[row, col] by central differences, kept: the factors of a sum
        over the samples ask for one entry of it each."""
        key = (of, q, row, col)
        if key not in self._fd_quantity:
            self._fd_quantity[key] = directional_derivatives(lambda points: self.propagate(q, points, {of})[of],
                                                             self._value_of(q), [_unit(self._shape(q), (row, col))],
                                                             self._eps(q))[0]
        return self._fd_quantity[key]

    def fd_jacobian(self, of: NetQuantity, wrt: NetQuantity) -> np.ndarray:
        x = self._value_of(wrt)
        n_out = self._size(of.shape[0]) * self._size(of.shape[1])
        columns = directional_derivatives(
            lambda points: np.asarray(self.propagate(wrt, points, {of})[of]).reshape(len(points), n_out),
            x, self._unit_directions(x.shape), EPS)
        return columns.T

    def _is_derived(self, q: Any) -> bool:
        return isinstance(q, (Grad, Jacobian)) or (isinstance(q, NetQuantity) and q.kind == "delta")

    # -- evaluation ---------------------------------------------------------------------------------------
    def resolve(self, node: Any) -> Any:
        if isinstance(node, Partial):
            return self.partial(node.num, self.entry_of(node.den))
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
        return NumericEvaluator(self.env, self.dims, self.resolve, self.partial_at)(expr)

    def evaluate_at(self, form: Any, assignment: dict) -> Any:
        return NumericEvaluator(self.env, self.dims, self.resolve, self.partial_at).scalar_value(form, assignment)

    def partial_at(self, node: Partial, value_of: Callable[[sp.Basic], Any]) -> Any:
        """The chain-rule factor ∂u/∂v at index values that may be arrays (one per sample): a
        difference of v's quantity gives the derivative of all of u's quantity at once."""
        den_of, rows, cols = self._position(node.den, value_of)
        if node.num == COST:
            return self.cost_partials(den_of, rows, cols)
        num_of, num_rows, num_cols = self._position(node.num, value_of)
        if np.ndim(rows) == np.ndim(cols) == 0:
            return self.quantity_partial(num_of, den_of, rows, cols)[num_rows, num_cols]
        positions = np.broadcast_arrays(rows, cols, num_rows, num_cols)
        values = [self.quantity_partial(num_of, den_of, int(r), int(c))[nr, nc] for r, c, nr, nc in zip(*(a.flat for a in positions))]
        return np.array(values).reshape(positions[0].shape)

    def _position(self, node: Any, value_of: Callable[[sp.Basic], Any]) -> tuple[Any, Any, Any]:
        """(quantity, rows, cols) of an entry whose indices may be arrays, 0-based."""
        if not isinstance(node, Entry):
            entry = self.entry_of(node)
            return (entry.of, *entry.position())
        indices = [value_of(i) for i in node.indices]
        indices = [int(i) if np.ndim(i) == 0 else np.asarray(i).astype(int) for i in indices]
        return (node.of, *entry_position(node.of, indices))

    def _entry_value(self, entry: Entry) -> float:
        value = self.evaluate(entry.of)
        r, c = entry.position()
        return float(np.asarray(value)[r, c])

    # -- checks ----------------------------------------------------------------------------------------------
    def _error(self, value: np.ndarray, truth: np.ndarray) -> float:
        value, truth = np.asarray(value, dtype=float), np.asarray(truth, dtype=float)
        scale = max(norm(value), norm(truth), self.floor)
        return norm(value - truth) / scale

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
        scale = max(norm(value), self.floor)
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
                return self.cost_partial(Entry(subject[0], *(i + 1 for i in lhs.position())))
            return self._entry_value(lhs)
        return float(self.evaluate(lhs))

    def check_scalar(self, step: Step, assignments: list[dict]) -> tuple[int, float]:
        worst, compared = 0.0, 0
        for assignment in assignments:
            lhs = step.lhs.xreplace(assignment)
            truth = self.scalar_truth(lhs)
            for form in step.forms[1:]:
                value = float(self.evaluate_at(form, assignment))
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
        quantities += [q for _, gamma, beta in f.norm_parameters() for q in (gamma, beta)]
        for q in quantities:
            self.base[q] = self._symbols(q, named)
        if rules.cost(self.spec.cost).one_hot_target and self.spec.layers[-1].activation == "softmax":
            self.base[f.y] = self._simplex(self.base[f.y])
        if self.spec.normalize_input:
            self.base[MEAN], self.base[STD] = MEAN, STD
        if self.spec.l2:
            self.base[LAMBDA] = LAMBDA  # proved for every λ
        for m in f.masks():  # proved for every mask, not only masks of 0 and 1/(1 − p)
            self.base[m] = self._symbols(m, named)
        if self.spec.norm:
            self.base[EPSILON] = EPSILON  # proved for every ε > 0
        if any(kind == "batch" for _, kind in self.spec.norm):
            # A batch mean is over the samples there are: n takes its value, since Σ_i (z_i − μ) = 0,
            # which the statements use, holds only for μ = (1/n) Σ_i z_i with n the number of terms.
            self.base[f.batch] = sp.Integer(self.dims[f.batch])
        self.env = self.forward({})
        # One ring for every proof obligation, its generators those of the forward pass.
        self.zero = ZeroTest(self._forward_entries)
        self._grad_cache: dict[Any, sp.Matrix] = {}
        self._free_cache: dict[Any, tuple] = {}
        self._partial_cache: dict[Any, sp.Expr] = {}
        for binding in derivation.scalar_bindings:
            if not isinstance(binding.entry.of, (Grad, Jacobian)) and binding.entry.of.kind != "delta":
                r, c = binding.entry.position()
                self.env[binding.symbol] = self.env[binding.entry.of][r, c]

    def _size(self, dim: Any) -> int:
        return int(as_expr(dim).xreplace(self.dims))

    def _forward_entries(self) -> list[sp.Basic]:
        entries: list[sp.Basic] = []
        for value in self.env.values():
            entries.extend(value if isinstance(value, sp.MatrixBase) else [value])
        return entries

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

        Upstream quantities do not depend on q, so they keep their values; everything downstream
        is recomputed from the fresh symbols.
        """
        if q in self.base:
            return self.base[q], self.env, {}
        if q not in self._free_cache:
            fresh = self._fresh(q)
            env = self.propagate(q, fresh)
            back = {fresh[i]: self.env[q][i] for i in range(len(fresh))}
            self._free_cache[q] = (fresh, env, back)
        return self._free_cache[q]

    def gradient(self, q: NetQuantity) -> sp.Matrix:
        if q not in self._grad_cache:
            source = self._sole_source(q)
            if q in self.base:
                self._base_gradients()
            elif source is not None and source not in self._grad_cache:
                self._gradients_from(source)
            if q not in self._grad_cache:
                self._gradients_from(q)
        return self._grad_cache[q]

    def _sole_source(self, q: Any) -> Any:
        """The quantity q is computed from when nothing else reads it (z for a = σ(z)): then
        both gradients come from one sweep."""
        sources = [r for r in self.reads.get(q, ()) if isinstance(r, NetQuantity) and r not in self.base]
        if len(sources) == 1 and self.readers.get(sources[0]) == (q,):
            return sources[0]
        return None

    def _gradients_from(self, p: Any) -> None:
        """∂C/∂p from fresh symbols standing for p, and with it ∂C/∂r for r the one quantity
        computed from p, where every entry of r is a function of those symbols (σ(v)) or one of
        them: such a node stands for r's entry and nothing else can produce it."""
        symbols, env, back = self._free(p)
        variables = list(symbols)
        readers = self.readers.get(p, ())
        reader = readers[0] if len(readers) == 1 and readers[0] not in self._grad_cache else None
        # a quantity read only by the cost (a^L with a skip into it) has no matrix reader to share the sweep
        if reader is not None and isinstance(env[reader], sp.MatrixBase) and all(isinstance(e, sp.Function) or e in variables for e in env[reader]):
            variables += list(env[reader])
        else:
            reader = None
        grads = scalar_gradient(env[COST], variables)
        memo: dict[sp.Basic, sp.Basic] = {}
        self._grad_cache[p] = sp.Matrix(symbols.rows, symbols.cols,
                                        [shared_xreplace(g, back, memo) for g in grads[:len(symbols)]])
        if reader is not None:
            shape = env[reader].shape
            self._grad_cache[reader] = sp.Matrix(*shape, [shared_xreplace(g, back, memo) for g in grads[len(symbols):]])

    def _base_gradients(self) -> None:
        """The gradient of every input, target and parameter, from one backward sweep of the cost."""
        quantities = [q for q, value in self.base.items()
                      if isinstance(value, sp.MatrixBase) and all(e.is_Symbol for e in value)]
        symbols = [s for q in quantities for s in self.base[q]]
        grads = iter(scalar_gradient(self.env[COST], symbols))
        for q in quantities:
            rows, cols = self.base[q].shape
            self._grad_cache[q] = sp.Matrix(rows, cols, [next(grads) for _ in range(rows * cols)])

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
        r, c = den.position()
        if num == COST:
            return self.gradient(den.of)[r, c]  # every entry's derivative in one sweep, shared with the matrix steps
        symbols, env, back = self._free(den.of)
        entry = self.entry_of(num)
        rr, cc = entry.position()
        return shared_xreplace(scalar_derivative(env[entry.of][rr, cc], symbols[r, c]), back)

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
            failed = self.zero.first_nonzero([value[r, c] - truth[r, c] for r, c in cells])
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
                obligations.append(self.evaluate_at(form, assignment) - truth)
                where.append((assignment, form))
        failed = self.zero.first_nonzero(obligations)
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
