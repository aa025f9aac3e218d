"""The verifiers' shortcuts give what the long way gives.

Differences through one step against verified gradients (chain) against differences through the
whole network; a sum over the samples evaluated at all samples at once against one at a time;
the forward pass re-evaluated downstream only against a full one; every gradient in one
backward sweep against `sp.diff`; one ring for all obligations against a ring per obligation.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from derive.algebra import NumericEvaluator, Partial
from derive.backprop import build_concrete
from derive.calculus import scalar_gradient
from derive.exact import ZeroTest, first_nonzero
from derive.quantities import COST, Frame
from derive.spec import build
from derive.verify import NumericVerifier, SymbolicVerifier

SPECS = {
    "sigmoid, column": build([3, 4, 2], activation="sigmoid"),
    "tanh, softmax, row, batch": build([2, 3, 3], activation=["tanh", "softmax"], cost="ce", convention="row",
                                       batch=3),
    "relu, normalised, no bias": build([3, 3, 2, 2], activation="relu", cost="quadratic", bias=False,
                                       normalize_input=True),
}


@pytest.mark.parametrize("spec", SPECS.values(), ids=list(SPECS))
def test_differences_through_one_step_agree_with_differences_through_the_network(spec) -> None:
    d = build_concrete(spec)
    chained = NumericVerifier(d, chain=True)
    chained.run()
    whole = NumericVerifier(d, chain=False)
    whole.run()
    assert chained.computed.keys() == whole.computed.keys()
    rng = np.random.default_rng(1)
    for q in [q for q in chained.computed if not isinstance(q, tuple)]:
        directions = [rng.standard_normal(chained._shape(q)) for _ in range(3)]
        local, through = chained.cost_along(q, directions), whole.cost_along(q, directions)
        assert chained.readers.get(q), q  # a quantity the network reads: the chain applies to it
        np.testing.assert_allclose(local, through, rtol=1e-7, atol=1e-9 * max(1.0, abs(chained.cost_value)),
                                   err_msg=str(q))


@pytest.mark.parametrize("spec", SPECS.values(), ids=list(SPECS))
def test_downstream_forward_pass_is_the_full_one(spec) -> None:
    v = NumericVerifier(build_concrete(spec))
    for step in v.forward_steps:
        q = step.lhs
        value = np.asarray(v.env[q]) * 1.1 + 0.01
        full = v.forward_from(v.base, {q: value})
        downstream = v.propagate(q, value)
        for key in full:
            np.testing.assert_allclose(np.asarray(downstream[key], dtype=float), np.asarray(full[key], dtype=float),
                                       rtol=1e-14, err_msg=f"{key} after setting {q}")


def test_sums_over_samples_at_once_equal_one_sample_at_a_time() -> None:
    spec = build([2, 3, 2], activation="sigmoid", batch=5)
    d = build_concrete(spec, components=True)
    v = NumericVerifier(d, chain=False)
    v.run()
    sums = [s for s in d.steps if not s.is_matrix and any(isinstance(f, sp.Basic) and f.has(sp.Sum, Partial)
                                                          for f in s.forms[1:])]
    assert sums, "the batched derivation has component sums with chain-rule factors"
    for step in sums:
        for assignment in v.component_assignments(step):
            for form in step.forms[1:]:
                at_once = NumericEvaluator(v.env, v.dims, v.resolve, v.partial_at).scalar_value(form, assignment)
                one_by_one = NumericEvaluator(v.env, v.dims, v.resolve).scalar_value(form, assignment)
                assert at_once == pytest.approx(one_by_one, rel=1e-12, abs=1e-14), (step.key, assignment, form)


def test_one_backward_sweep_gives_sp_diff() -> None:
    spec = build([2, 2, 2], activation=["softplus", "softmax"], cost="ce")
    v = SymbolicVerifier(build_concrete(spec))
    cost = v.env[COST]
    symbols = sorted(cost.free_symbols, key=str)
    for symbol, derivative in zip(symbols, scalar_gradient(cost, symbols)):
        assert first_nonzero([derivative - sp.diff(cost, symbol)]) is None, symbol
    x, y = sp.symbols("x y", real=True)
    expr = x**y + sp.sin(x * y) ** 2 + x / (1 + y)
    assert [sp.simplify(g - sp.diff(expr, s)) for g, s in zip(scalar_gradient(expr, [x, y]), [x, y])] == [0, 0]


def test_a_node_as_variable_is_differentiated_as_what_it_stands_for() -> None:
    v = sp.Symbol("v", real=True)
    a = sp.tanh(v)  # a node only v can produce
    expr = (3 * a + 1) ** 2 + a * v
    d_v, d_a = scalar_gradient(expr, [v, a])
    u = sp.Symbol("u", real=True)
    assert sp.simplify(d_a - sp.diff(expr.xreplace({a: u}), u).xreplace({u: a})) == 0
    assert sp.simplify(d_v - sp.diff(expr, v)) == 0


def test_one_ring_for_all_obligations_decides_as_one_ring_each() -> None:
    f = Frame(build([2, 2], activation="sigmoid"))
    v = SymbolicVerifier(build_concrete(f.spec))
    a = v.env[f.a(sp.Integer(1))]
    z = sp.Symbol("z", real=True)
    s = sp.Function("s")(z)
    obligations = [a[0] * (1 - a[0]) - (a[0] - a[0] ** 2), a[0] - a[1], s / (1 - s) - s * (1 - s) ** -1,
                   sp.exp(z) * sp.exp(-z) - 1, sp.Integer(0), a[1] ** 2 - a[1] * a[1] + z]
    shared = ZeroTest(v._forward_entries)
    assert [shared.first_nonzero([o]) for o in obligations] == [first_nonzero([o]) for o in obligations]
    assert shared.first_nonzero(obligations) == first_nonzero(obligations) == 1


def test_converters_kept_across_calls_decide_as_a_fresh_ring_each(monkeypatch: pytest.MonkeyPatch) -> None:
    """derive check keeps one ring per set of generators for a network (first_nonzero's
    `converters`): a later call with the same generators reuses it, and decides as a fresh one."""
    import derive.exact

    x, y, eps = sp.symbols("x y epsilon", positive=True)
    root = (x**2 + y**2 + eps) ** sp.Rational(-1, 2)
    calls = [[x * root * (x + y) - x**2 * root - x * y * root, x * root - y * root],  # zero, then not zero
             [(x - y) * root - x * root + y * root],  # the same generators: zero
             [x / (x + y) + y / (x + y) - 1],  # generators of their own: zero
             [root * (x - y) - root * (x + y)]]  # the first generators again: not zero
    fresh = [first_nonzero(c) for c in calls]
    built = []
    original = derive.exact._fraction_converter
    monkeypatch.setattr(derive.exact, "_fraction_converter", lambda gens: built.append(gens) or original(gens))
    converters: dict = {}
    assert [first_nonzero(c, converters) for c in calls] == fresh == [1, None, None, 0]
    assert len(built) == len(converters) == 2
