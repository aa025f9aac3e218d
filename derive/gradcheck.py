"""Central finite differences and gradient checks, for users as much as for derive itself.

Modelled on autograd's `check_grads`: compare an analytic gradient with a central difference,
entry by entry for small arguments and along random directions (projections) for large ones, and
fail loudly with the function, the seed, the analytic and the numeric value.

Differences are Richardson-extrapolated central differences, (4 D(h/2) − D(h)) / 3 with
D(h) = (f(x + h v) − f(x − h v)) / 2h, whose error is O(h⁴): relative errors of 1e-9 are typical
in float64, far inside the 1e-6 tolerance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

EPS = 1e-3
RTOL = 1e-6
#: Arguments with at most this many entries are differenced entry by entry; larger ones along
#: random unit directions.
FULL_MAX_ENTRIES = 64
DIRECTIONS = 3
#: The most entries all the points of one `directional_derivatives` call may hold to be evaluated
#: stacked; beyond, each point is evaluated on its own (12 stacked copies of a 4470 × 4470 weight
#: matrix are 2 GB of fresh memory: their page faults took most of `derive show`'s time).
STACK_MAX_ENTRIES = 4_000_000


class GradientMismatch(AssertionError):
    """An analytic gradient disagrees with finite differences."""


@dataclass(frozen=True)
class GradCheck:
    name: str
    method: str  # "entries" or "projections"
    count: int
    max_error: float


def directional_derivative(f: Callable[[np.ndarray], float], x: np.ndarray, v: np.ndarray, eps: float = EPS) -> float:
    """d/dt f(x + t v) at t = 0, by Richardson-extrapolated central differences."""

    def central(h: float) -> float:
        return (f(x + h * v) - f(x - h * v)) / (2 * h)

    return (4 * central(eps / 2) - central(eps)) / 3


def directional_derivatives(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, directions: list[np.ndarray],
                            eps: float = EPS) -> np.ndarray:
    """d/dt f(x + t v) at t = 0 for every v at once, as `directional_derivative` computes each.

    `f` takes a stack of points (a leading axis over the points) and returns one value, or one
    array, per point: all 4 × len(directions) evaluations go in one call, so a function written
    with NumPy broadcasting pays its Python overhead once, not once per point.
    """
    steps = np.array([eps, -eps, eps / 2, -eps / 2])
    if len(steps) * len(directions) * x.size <= STACK_MAX_ENTRIES:
        v = np.stack([np.asarray(d, dtype=float) for d in directions])
        points = (x + steps.reshape((4, 1) + (1,) * x.ndim) * v).reshape((-1,) + x.shape)
        values = np.asarray(f(points), dtype=float)
    else:  # one point at a time, in one buffer: the same points, without gigabytes of fresh memory
        point = np.empty((1,) + x.shape)
        rows = []
        for h in steps:
            for d in directions:
                np.multiply(h, d, out=point[0])
                point[0] += x
                rows.append(np.array(f(point), dtype=float)[0])
        values = np.stack(rows)
    values = values.reshape((4, len(directions)) + values.shape[1:])
    central_h = (values[0] - values[1]) / (2 * eps)
    central_half = (values[2] - values[3]) / eps
    return (4 * central_half - central_h) / 3


def numeric_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = EPS) -> np.ndarray:
    """The full gradient of a scalar function, one entry at a time."""
    x = np.asarray(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        v = np.zeros_like(x)
        v[index] = 1.0
        grad[index] = directional_derivative(f, x, v, eps)
    return grad


def norm(x: np.ndarray) -> float:
    """The Euclidean (Frobenius) norm, summed without BLAS: a threaded BLAS call on a busy
    machine costs milliseconds even for small arrays."""
    x = np.asarray(x, dtype=float)
    if x.size > STACK_MAX_ENTRIES:  # large: one pass, no temporary copy as large as x
        flat = x.ravel()
        return float(np.sqrt(np.dot(flat, flat)))
    return float(np.sqrt(np.sum(x * x)))


def relative_error(analytic: np.ndarray, numeric: np.ndarray, floor: float = 1e-12) -> float:
    """‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖, floor): small entries cannot blow it up."""
    analytic, numeric = np.asarray(analytic, dtype=float), np.asarray(numeric, dtype=float)
    scale = max(norm(analytic), norm(numeric), floor)
    return norm(analytic - numeric) / scale


def random_directions(shape: tuple[int, ...], count: int, rng: np.random.Generator) -> list[np.ndarray]:
    out = []
    for _ in range(count):
        v = rng.standard_normal(shape)
        v /= norm(v)
        out.append(v)
    return out


def check_gradient(
    f: Callable[[np.ndarray], float],
    grad: np.ndarray,
    x: np.ndarray,
    *,
    name: str = "x",
    rtol: float = RTOL,
    seed: int = 0,
    floor: float = 1e-12,
) -> GradCheck:
    """Check `grad` = ∇f(x); raise GradientMismatch naming the argument, seed and both values."""
    x = np.asarray(x, dtype=float)
    grad = np.asarray(grad, dtype=float)
    if grad.shape != x.shape:
        raise GradientMismatch(f"gradient of {name} has shape {grad.shape}, expected {x.shape}")
    if x.size <= FULL_MAX_ENTRIES:
        numeric = numeric_gradient(f, x)
        error = relative_error(grad, numeric, floor)
        if not error < rtol:
            raise GradientMismatch(
                f"gradient of {name} disagrees with central differences (relative error {error:.3g}, seed {seed}): "
                f"analytic {np.array2string(grad.ravel()[:6], precision=8)} numeric "
                f"{np.array2string(numeric.ravel()[:6], precision=8)}"
            )
        return GradCheck(name, "entries", x.size, error)
    rng = np.random.default_rng(seed)
    worst = 0.0
    scale = max(norm(grad), floor)
    for v in random_directions(x.shape, DIRECTIONS, rng):
        analytic = float(np.sum(grad * v))
        numeric = directional_derivative(f, x, v)
        error = abs(analytic - numeric) / max(scale, abs(numeric))
        worst = max(worst, error)
        if not error < rtol:
            raise GradientMismatch(
                f"gradient of {name} disagrees with central differences along a random direction "
                f"(relative error {error:.3g}, seed {seed}): analytic {analytic:.10g}, numeric {numeric:.10g}"
            )
    return GradCheck(name, "projections", DIRECTIONS, worst)


def check_grads(
    cost: Callable[[dict[str, np.ndarray]], float],
    gradients: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]],
    params: dict[str, np.ndarray],
    *,
    rtol: float = RTOL,
    seed: int = 0,
) -> list[GradCheck]:
    """Check every entry of `gradients(params)` against differences of `cost(params)`.

    Works on any gradient function with that interface, e.g. one exported by `derive export`:

        check_grads(lambda p: m.cost(p, x, y), lambda p: m.gradients(p, x, y), params)
    """
    analytic = gradients(params)
    results = []
    for name in params:
        base = {k: np.asarray(v, dtype=float) for k, v in params.items()}

        def f(value: np.ndarray, name: str = name) -> float:
            return float(cost({**base, name: value}))

        results.append(check_gradient(f, analytic[name], base[name], name=name, rtol=rtol, seed=seed))
    return results
