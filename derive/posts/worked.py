"""The worked numeric example of a post: every number a reader can reproduce, each one checked.

Inputs, targets and parameters are drawn with a seeded generator and rounded to two decimals
*before* anything is computed, so the printed values are exactly the values used. The engine's
`NumericVerifier` then runs every check of the derivation at these values (the δ recursion is
evaluated from its own formulas, step by step, and each δ is compared with central differences),
and each parameter's gradient from the formulas is compared with central differences of the cost.

The same numbers are then computed by the gradient module `derive export` writes for the network
(the code the post shows): its cost and gradients must agree with the engine's, and so must the
cost after one step of gradient descent, which must be lower. Any disagreement raises
VerificationError: a post never prints numbers that do not check out.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import sympy as sp

from .. import rules
from ..algebra import NetQuantity, Standardize
from ..derivation import Derivation, Step
from ..errors import VerificationError
from ..gradcheck import EPS, FULL_MAX_ENTRIES, RTOL, relative_error
from ..quantities import EPSILON, LAMBDA
from ..verify import DROPOUT_KEEP_SCALE, NumericVerifier

#: Printed values: the givens are exact at two decimals; results get six; the standardisation
#: constants of an input, computed from it, get up to ten (enough to recompute the rest exactly).
GIVEN_PLACES = 2
RESULT_PLACES = 6
CONSTANT_PLACES = 10
#: The step of the central differences that confirm the gradients, for the post to state.
DIFFERENCE_STEP = EPS
#: Gradient descent starts from this learning rate and halves it until the cost falls.
LEARNING_RATE = 0.5
MAX_HALVINGS = 20
#: How closely the exported code must reproduce the engine's numbers (relative).
CODE_AGREEMENT = 1e-10


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
class StepValue:
    step: Step  # a definition of the forward pass (z, a, x̂) or an error step (δ)
    value: np.ndarray


@dataclass(frozen=True, eq=False)
class Descent:
    """One step of gradient descent: θ − rate · ∂C/∂θ for every parameter, and the new cost."""

    rate: float
    updated: tuple[tuple[GradientValue, np.ndarray], ...]
    cost: float


@dataclass(frozen=True, eq=False)
class WorkedExample:
    derivation: Derivation  # the concrete network the numbers belong to
    seed: int
    batch: tuple[sp.Symbol, int] | None  # the batch size symbol and its value
    givens: tuple[tuple[Any, Any], ...]  # (quantity, value): inputs, parameters, targets, as drawn
    constants: tuple[tuple[sp.Symbol, float], ...]  # standardisation constants computed from the input
    forward: tuple[StepValue, ...]  # x̂, z and a of every layer, in the order of the forward pass
    cost: float
    errors: tuple[StepValue, ...]  # δ of every layer, from the output back
    gradients: tuple[GradientValue, ...]
    scalars: tuple[ScalarValue, ...]
    descent: Descent
    reproduced: bool  # whether the exported code was run at these values and agreed

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


def standardisation_constants(x: np.ndarray) -> tuple[float, float]:
    """The mean and (population) standard deviation of one sample, as the exported module
    computes them; a constant sample has standard deviation 1 there (it standardises to 0)."""
    std = float(np.std(x))
    return float(np.mean(x)), (std if std != 0.0 else 1.0)


def reproducible(d: Derivation) -> bool:
    """Whether the exported module computes exactly the derivation's numbers: not for a batch
    whose input is standardised, since the module standardises each sample with its own mean
    and standard deviation while the derivation takes one mean and one deviation of the data."""
    _, _, constants = _quantities(d)
    return not constants or d.symbols.get("batch") is None


def draw_values(d: Derivation, seed: int) -> tuple[dict[Any, Any], dict]:
    """Seeded, rounded inputs, targets and parameters, keyed like the verifier's base values.
    Standardisation constants are those of the input itself where it is one sample (what the
    exported module computes), else drawn like the input."""
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
        if batch is None:
            base[mean], base[std] = standardisation_constants(base[x])
        else:
            base[mean] = float(rounded(rng.uniform(-0.5, 0.5)))
            base[std] = float(rounded(rng.uniform(0.5, 1.5)))
    for _, q, _ in d.parameters:
        rows, cols = shape(q)
        if q.kind == "W":
            fan_in = rows if d.spec.convention == "row" else cols
            base[q] = rounded(rng.standard_normal((rows, cols)) / np.sqrt(fan_in))
        elif q.kind == "gamma":  # a normalisation's scale: near 1, as trained from its start at 1
            base[q] = rounded(rng.uniform(0.5, 1.5, (rows, cols)))
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
    if d.spec.l2:
        base[LAMBDA] = d.spec.l2  # given by the network, not drawn
    if d.spec.norm:
        base[EPSILON] = d.spec.norm_epsilon  # given by the network, not drawn
    for l in d.spec.dropout:  # a given mask: each unit kept (scaled by 1/(1 − p) = 2) or dropped
        m = next(q for q in _masks(d) if int(q.layer) == l)
        base[m] = DROPOUT_KEEP_SCALE * rng.integers(0, 2, shape(m)) + 0.0
    return base, dims


def _masks(d: Derivation) -> list[NetQuantity]:
    """The dropout masks m^l the forward steps read."""
    found = {q for s in d.steps if s.section == "forward" for q in sp.preorder_traversal(s.rhs)
             if isinstance(q, NetQuantity) and q.kind == "m"}
    return sorted(found, key=lambda q: int(q.layer))


def _gradient_values(d: Derivation, verifier: NumericVerifier, seed: int) -> tuple[GradientValue, ...]:
    """Each parameter's gradient from the formulas, compared with central differences."""
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
    return tuple(gradients)


def _descent(d: Derivation, verifier: NumericVerifier, gradients: tuple[GradientValue, ...]) -> Descent:
    """One step of gradient descent from the example's parameters: the largest rate of the form
    LEARNING_RATE / 2^k whose step lowers the cost (the cost cannot fall where every gradient
    vanishes: then the last rate tried is kept)."""
    cost = d.step("cost").lhs
    rate = LEARNING_RATE
    for _ in range(MAX_HALVINGS):
        updated = tuple((g, verifier.base[g.quantity] - rate * g.value) for g in gradients)
        after = float(verifier.forward({g.quantity: value for g, value in updated})[cost])
        if after < verifier.cost_value:
            break
        rate /= 2
    return Descent(rate, updated, after)


def _relative_difference(engine: Any, code: Any) -> float:
    engine, code = np.asarray(engine, dtype=float), np.asarray(code, dtype=float)
    if engine.shape != code.shape:
        return np.inf
    scale = max(float(np.max(np.abs(engine), initial=0.0)), 1e-12)
    return float(np.max(np.abs(engine - code), initial=0.0)) / scale


def mask_values(example: "WorkedExample") -> dict[str, np.ndarray]:
    """The example's dropout masks as exported code takes them: {"m1": values, …} (empty: none)."""
    return {q.ident: value for q, value in example.givens if isinstance(q, NetQuantity) and q.kind == "m"}


def reproduce_with_code(example: "WorkedExample", module: ModuleType) -> None:
    """Run the exported gradient module at the example's values: its cost, gradients and cost
    after the descent step must be the engine's, else VerificationError."""
    d = example.derivation
    x, y, _ = _quantities(d)
    givens = dict(example.givens)
    params = {g.name: givens[g.quantity] for g in example.gradients}
    masks = mask_values(example)
    extra = (masks,) if masks else ()
    cost, grads = module.cost_and_gradients(params, givens[x], givens[y], *extra)
    after = module.cost({g.name: value for g, value in example.descent.updated}, givens[x], givens[y], *extra)
    comparisons = [("the cost", example.cost, cost), ("the cost after the descent step", example.descent.cost, after)]
    comparisons += [(f"the gradient of {g.name}", g.value, grads[g.name]) for g in example.gradients]
    for what, engine, code in comparisons:
        error = _relative_difference(engine, code)
        if not error < CODE_AGREEMENT:
            raise VerificationError(f"worked example of {d.spec.name}: the exported code disagrees with the "
                                    f"derivation on {what} (relative difference {error:.3g})")


def worked_example(d: Derivation, seed: int = 0, module: ModuleType | None = None) -> WorkedExample:
    """The numbers of a concrete derivation at seeded, rounded values, every one checked; with the
    exported gradient `module` of the network, also reproduced by that code where it computes
    the same thing (see `reproducible`)."""
    if d.general:
        raise ValueError("a worked example needs concrete widths: use one of the derivation's instances")
    base, dims = draw_values(d, seed)
    verifier = NumericVerifier(d, seed, base=base)
    # Every claim of the derivation, checked again at exactly these values; this also evaluates
    # each δ from its own formula (and compares it with central differences), so the gradients
    # below come from the formulas alone.
    verifier.run()
    gradients = _gradient_values(d, verifier, seed)
    scalars = tuple(
        ScalarValue(step, float(verifier.evaluate(step.forms[2])))
        for step in d.steps
        if step.what == "scalar-weight-gradient"
    )
    forward = tuple(
        StepValue(step, np.asarray(verifier.env[step.lhs], dtype=float))
        for step in d.steps
        if step.section == "forward" and step.kind == "definition" and isinstance(step.lhs, NetQuantity)
    )
    errors = tuple(
        StepValue(step, np.asarray(verifier.computed[NetQuantity("z", step.lhs.layer, *step.lhs.shape)], dtype=float))
        for step in d.steps
        if isinstance(step.lhs, NetQuantity) and step.lhs.kind == "delta" and not step.indices
    )
    x, y, constants = _quantities(d)
    givens = [(x, base[x])] + [(m, base[m]) for m in _masks(d)] + [(q, base[q]) for _, q, _ in d.parameters]
    givens += [(y, base[y])]
    batch = d.symbols.get("batch")
    example = WorkedExample(
        derivation=d,
        seed=seed,
        batch=(batch, d.spec.batch) if batch is not None else None,
        givens=tuple(givens),
        constants=tuple((c, float(base[c])) for c in constants),
        forward=forward,
        cost=verifier.cost_value,
        errors=errors,
        gradients=gradients,
        scalars=scalars,
        descent=_descent(d, verifier, gradients),
        reproduced=module is not None and reproducible(d),
    )
    if example.reproduced:
        reproduce_with_code(example, module)
    return example
