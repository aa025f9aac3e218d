"""The worked numeric example at the end of a post: numbers a reader can reproduce.

Inputs, targets and parameters are drawn with a seeded generator and rounded to two decimals
*before* anything is computed, so the printed values are exactly the values used. The engine's
`NumericVerifier` then runs every check of the derivation at these values (the δ recursion is
evaluated from its own formulas, step by step), and each parameter's gradient from the formulas
is compared with central differences of the cost. A disagreement raises VerificationError: a
post never prints numbers that do not check out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from .. import rules
from ..algebra import NetQuantity, Standardize
from ..derivation import Derivation, Step
from ..errors import VerificationError
from ..gradcheck import EPS, FULL_MAX_ENTRIES, RTOL, relative_error
from ..verify import NumericVerifier

#: Printed values: the givens are exact at two decimals; results get six.
GIVEN_PLACES = 2
RESULT_PLACES = 6
#: The step of the central differences that confirm the gradients, for the post to state.
DIFFERENCE_STEP = EPS


@dataclass(frozen=True, eq=False)
class GradientValue:
    name: str  # W2
    quantity: NetQuantity
    step: Step  # the verified gradient step whose formula gives `value`
    value: np.ndarray
    differences: np.ndarray | None  # central differences, entry by entry; None when too large to print
    directions: int  # random directions checked instead, when `differences` is None
    checked: int  # values compared with differences


@dataclass(frozen=True, eq=False)
class ScalarValue:
    step: Step  # a neuron-by-neuron gradient step: ∂C/∂w35 = … (closed form)
    value: float


@dataclass(frozen=True, eq=False)
class WorkedExample:
    derivation: Derivation  # the concrete network the numbers belong to
    seed: int
    batch: tuple[sp.Symbol, int] | None  # the batch size symbol and its value
    givens: tuple[tuple[Any, Any], ...]  # (quantity or constant, value), in the order of the forward pass
    cost: float
    gradients: tuple[GradientValue, ...]
    scalars: tuple[ScalarValue, ...]

    @property
    def checked(self) -> int:
        return sum(g.checked for g in self.gradients)


def _quantities(d: Derivation) -> tuple[NetQuantity, NetQuantity, tuple[sp.Symbol, ...]]:
    """The raw input x, the target y and the normalisation constants (μ, σ) of a derivation."""
    found: dict[str, NetQuantity] = {}
    constants: tuple[sp.Symbol, ...] = ()
    for step in d.steps:
        if step.section != "forward":
            continue
        for q in step.quantities():
            if q.kind in ("x", "y"):
                found.setdefault(q.kind, q)
        for node in sp.preorder_traversal(step.rhs):
            if isinstance(node, Standardize):
                constants = (node.args[1], node.args[2])
    return found["x"], found["y"], constants


def _size(dim: Any, dims: dict) -> int:
    return int(dim.xreplace(dims)) if isinstance(dim, sp.Basic) else int(dim)


def draw_values(d: Derivation, seed: int) -> tuple[dict[Any, Any], dict]:
    """Seeded, rounded inputs, targets and parameters, keyed like the verifier's base values."""
    rng = np.random.default_rng(seed)
    batch = d.symbols.get("batch")
    dims = {batch: d.spec.batch} if batch is not None else {}
    x, y, constants = _quantities(d)

    def shape(q: NetQuantity) -> tuple[int, int]:
        return (_size(q.shape[0], dims), _size(q.shape[1], dims))

    def rounded(values: np.ndarray) -> np.ndarray:
        return np.round(values, GIVEN_PLACES) + 0.0  # + 0.0 turns −0.0 into 0.0

    base: dict[Any, Any] = {x: rounded(rng.uniform(-1.0, 1.0, shape(x)))}
    if constants:
        mean, std = constants
        base[mean] = float(rounded(rng.uniform(-0.5, 0.5)))
        base[std] = float(rounded(rng.uniform(0.5, 1.5)))
    for _, q, _ in d.parameters:
        rows, cols = shape(q)
        if q.kind == "W":
            fan_in = rows if d.spec.convention == "row" else cols
            base[q] = rounded(rng.standard_normal((rows, cols)) / np.sqrt(fan_in))
        else:
            base[q] = rounded(rng.uniform(-0.5, 0.5, (rows, cols)))
    cost = rules.cost(d.spec.cost)
    rows, cols = shape(y)
    if cost.one_hot_target:
        class_axis = 1 if d.spec.convention == "row" else 0
        classes, samples = (cols, rows) if class_axis == 1 else (rows, cols)
        hot = np.eye(classes)[rng.integers(0, classes, samples)]
        base[y] = hot if class_axis == 1 else hot.T
    else:
        base[y] = rounded(rng.uniform(0.05, 0.95, (rows, cols)))
    return base, dims


def worked_example(d: Derivation, seed: int = 0) -> WorkedExample:
    """The numbers of a concrete derivation at seeded, rounded values, every one checked."""
    if d.general:
        raise ValueError("a worked example needs concrete widths: use one of the derivation's instances")
    base, dims = draw_values(d, seed)
    verifier = NumericVerifier(d, seed, base=base)
    # Every claim of the derivation, checked again at exactly these values; this also evaluates
    # each δ from its own formula, so the gradients below come from the formulas alone.
    verifier.run()
    gradients = []
    for name, q, key in d.parameters:
        step = d.step(key)
        value = np.asarray(verifier.computed[q], dtype=float)
        if value.size <= FULL_MAX_ENTRIES:
            differences = np.asarray(verifier.fd_gradient(q), dtype=float)
            error = relative_error(value, differences, verifier.floor)
            gradients.append(GradientValue(name, q, step, value, differences, 0, value.size))
        else:
            directions = verifier.fd_directions(q)
            scale = max(float(np.linalg.norm(value)), verifier.floor)
            error = max(abs(float(np.sum(value * v)) - numeric) / max(scale, abs(numeric)) for v, numeric in directions)
            gradients.append(GradientValue(name, q, step, value, None, len(directions), len(directions)))
        if not error < RTOL:
            raise VerificationError(
                f"worked example of {d.spec.name}: the gradient of {name} disagrees with central differences "
                f"(relative error {error:.3g}, seed {seed})"
            )
    scalars = tuple(
        ScalarValue(step, float(verifier.evaluate(step.forms[2])))
        for step in d.steps
        if step.what == "scalar-weight-gradient"
    )
    x, y, constants = _quantities(d)
    givens = [(x, base[x])] + [(c, base[c]) for c in constants]
    givens += [(q, base[q]) for _, q, _ in d.parameters] + [(y, base[y])]
    batch = d.symbols.get("batch")
    return WorkedExample(
        derivation=d,
        seed=seed,
        batch=(batch, d.spec.batch) if batch is not None else None,
        givens=tuple(givens),
        cost=verifier.cost_value,
        gradients=tuple(gradients),
        scalars=scalars,
    )

