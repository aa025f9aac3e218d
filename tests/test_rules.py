"""Every registry entry, tested by parametrisation: a new entry is tested with no edits here."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp

from derive import rules
from derive.errors import DeriveError, UnknownName
from derive.gradcheck import directional_derivative

ELEMENTWISE = [a for a in rules.ACTIVATIONS.values() if a.elementwise]


def _points(entry: rules.Activation) -> np.ndarray:
    lo, hi = entry.domain
    pts = np.linspace(lo, hi, 23)
    return np.array([p for p in pts if all(abs(p - k) > 1e-2 for k in entry.kinks)])


def _explicit(expr: sp.Expr, z: np.ndarray) -> np.ndarray:
    # The explicit formula, evaluated point by point with SymPy: an oracle independent of the
    # NumPy forms under test.
    return np.array([float(expr.xreplace({rules.Z: sp.Float(p)}).evalf(30)) for p in z])


@pytest.mark.parametrize("entry", ELEMENTWISE, ids=lambda e: e.name)
def test_numpy_form_computes_f(entry: rules.Activation) -> None:
    z = _points(entry)
    got = rules.evaluate_numpy(entry.numpy, {rules.Z: z})
    np.testing.assert_allclose(np.broadcast_to(got, z.shape), _explicit(entry.f, z), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("entry", ELEMENTWISE, ids=lambda e: e.name)
def test_numpy_form_is_finite_at_extreme_inputs(entry: rules.Activation) -> None:
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        got = rules.evaluate_numpy(entry.numpy, {rules.Z: np.array([-1000.0, -40.0, 40.0, 1000.0])})
    assert np.all(np.isfinite(got))


@pytest.mark.parametrize("entry", ELEMENTWISE, ids=lambda e: e.name)
def test_derivative_matches_central_differences(entry: rules.Activation) -> None:
    f = lambda x: float(rules.evaluate_numpy(entry.numpy, {rules.Z: x}))  # noqa: E731
    for p in _points(entry):
        numeric = directional_derivative(f, np.array(p), np.array(1.0), eps=1e-4)
        analytic = float(entry.df_dz.xreplace({rules.Z: sp.Float(p)}).evalf(30))
        assert abs(numeric - analytic) <= 1e-8 * max(1.0, abs(analytic))


@pytest.mark.parametrize("entry", [e for e in ELEMENTWISE if e.df_da is not None], ids=lambda e: e.name)
def test_derivative_in_terms_of_the_output_equals_derivative_in_z(entry: rules.Activation) -> None:
    z = _points(entry)
    a = np.broadcast_to(rules.evaluate_numpy(entry.numpy, {rules.Z: z}), z.shape)
    from_a = np.broadcast_to(rules.evaluate_numpy(entry.df_da, {rules.A: a}), z.shape)
    np.testing.assert_allclose(from_a, _explicit(entry.df_dz, z), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("entry", ELEMENTWISE, ids=lambda e: e.name)
def test_scalar_function_differentiates_with_the_entry_rule(entry: rules.Activation) -> None:
    fn = rules.scalar_function(entry.name)
    x = sp.Symbol("x", real=True)
    derivative = sp.diff(fn(2 * x), x)
    point = {x: sp.Rational(3, 10)}
    expected = 2 * entry.df_dz.xreplace({rules.Z: 2 * x})
    assert abs(float(derivative.subs(point).evalf()) - float(expected.subs(point).evalf())) < 1e-12


def test_softmax_jacobian_is_full_not_diagonal() -> None:
    logits = np.array([0.3, -1.2, 2.0])
    s = rules.softmax_numpy(logits, axis=0)
    jac = np.diag(s) - np.outer(s, s)
    for j in range(3):
        v = np.zeros(3)
        v[j] = 1.0
        for k in range(3):
            numeric = directional_derivative(lambda z, k=k: float(rules.softmax_numpy(z, 0)[k]), logits, v)
            assert abs(numeric - jac[k, j]) < 1e-10
    assert np.count_nonzero(np.abs(jac - np.diag(np.diag(jac))) > 1e-3) == 6


def test_softmax_is_stable_at_extreme_logits() -> None:
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        s = rules.softmax_numpy(np.array([[1000.0], [-1000.0], [0.0]]), axis=0)
    np.testing.assert_allclose(s.ravel(), [1.0, 0.0, 0.0])


@pytest.mark.parametrize("entry", list(rules.COSTS.values()), ids=lambda e: e.name)
def test_cost_derivative_matches_central_differences(entry: rules.Cost) -> None:
    for a in (0.2, 0.45, 0.8):
        for y in (0.0, 0.3, 1.0):
            f = lambda x: float(rules.evaluate_numpy(entry.c, {rules.A: x, rules.Y: y}))  # noqa: E731
            numeric = directional_derivative(f, np.array(a), np.array(1.0), eps=1e-4)
            analytic = float(rules.evaluate_numpy(entry.dc_da, {rules.A: a, rules.Y: y}))
            assert abs(numeric - analytic) <= 1e-8 * max(1.0, abs(analytic))


@pytest.mark.parametrize("entry", list(rules.COSTS.values()), ids=lambda e: e.name)
def test_registry_verification_passes(entry: rules.Cost) -> None:
    assert rules.verify_cost(entry.name)


def test_a_wrong_activation_entry_is_caught() -> None:
    bad = rules.Activation(
        name="bad-sigmoid", latex=r"\sigma", text="σ", f=1 / (1 + sp.exp(-rules.Z)),
        df_dz=sp.exp(-rules.Z) / (1 + sp.exp(-rules.Z)) ** 2, df_da=rules.A * (1 + rules.A),  # sign slip
        numpy=1 / (1 + sp.exp(-rules.Z)), output_range=(0.0, 1.0),
    )
    rules.ACTIVATIONS[bad.name] = bad
    try:
        with pytest.raises(AssertionError, match="df_da"):
            rules.verify_activation.__wrapped__(bad.name)
    finally:
        del rules.ACTIVATIONS[bad.name]


@pytest.mark.parametrize("change, problem", [
    # σ′ as e^{−z}/(1 + e^{−z})²: inf/inf = NaN below z = −355 in exported code (a stable form is needed)
    ({"numpy_prime": None}, "the NumPy form of f' overflows"),
    ({"numpy": 1 / (1 + sp.exp(-rules.Z))}, "the NumPy form overflows"),  # math.exp raises below −709
    ({"numpy_prime": (1 - sp.tanh(rules.Z / 2) ** 2) / 2}, "f' does not compute df_dz"),
    ({"numpy_fast": 1 / (1 + sp.exp(rules.Z))}, "the fast NumPy form does not compute f"),
])
def test_an_activation_entry_with_an_unstable_or_wrong_numpy_form_is_caught(change: dict, problem: str) -> None:
    bad = dataclasses.replace(rules.activation("sigmoid"), name="bad-sigmoid", **change)
    rules.ACTIVATIONS[bad.name] = bad
    try:
        with pytest.raises(AssertionError, match=problem):
            rules.verify_activation.__wrapped__(bad.name)
    finally:
        del rules.ACTIVATIONS[bad.name]


@pytest.mark.parametrize("entry", [e for e in ELEMENTWISE if e.numpy_fast is not None], ids=lambda e: e.name)
def test_fast_numpy_form_computes_f_and_reaches_its_limits(entry: rules.Activation) -> None:
    z = _points(entry)
    got = rules.evaluate_numpy(entry.numpy_fast, {rules.Z: z})
    np.testing.assert_allclose(np.broadcast_to(got, z.shape), _explicit(entry.f, z), rtol=1e-13, atol=1e-15)
    extremes = np.array([-1000.0, -740.0, 740.0, 1000.0])
    with np.errstate(over="ignore"):  # as exported code computes it
        got = rules.evaluate_numpy(entry.numpy_fast, {rules.Z: extremes})
    np.testing.assert_array_equal(got, rules.evaluate_numpy(entry.numpy, {rules.Z: extremes}))


def test_a_wrong_cost_derivative_is_caught() -> None:
    bad = rules.Cost(name="bad-quadratic", latex="", text="", c=(rules.A - rules.Y) ** 2 / 2,
                     dc_da=rules.Y - rules.A, input_range=(-np.inf, np.inf))
    rules.COSTS[bad.name] = bad
    try:
        with pytest.raises(AssertionError, match="dc_da"):
            rules.verify_cost.__wrapped__(bad.name)
    finally:
        del rules.COSTS[bad.name]


def test_unknown_names_list_the_valid_choices() -> None:
    with pytest.raises(UnknownName, match="unknown activation 'mish'; valid choices: sigmoid, tanh, relu"):
        rules.activation("mish")
    with pytest.raises(UnknownName, match="unknown cost 'hinge'; valid choices: quadratic, cross-entropy"):
        rules.cost("hinge")


def test_cost_aliases_resolve() -> None:
    assert rules.cost("mse").name == "quadratic"
    assert rules.cost("ce").name == "cross-entropy"
    assert rules.cost("bce").name == "binary-cross-entropy"


@pytest.mark.parametrize(
    ("act", "cst"),
    [("tanh", "cross-entropy"), ("identity", "cross-entropy"), ("relu", "cross-entropy"),
     ("softplus", "binary-cross-entropy"), ("tanh", "binary-cross-entropy")],
)
def test_costs_refuse_outputs_outside_their_domain(act: str, cst: str) -> None:
    with pytest.raises(DeriveError, match=f"cost '{cst}' needs outputs in"):
        rules.check_pair(rules.activation(act), rules.cost(cst))


def test_registry_names_are_identifiers_and_unique() -> None:
    with pytest.raises(ValueError, match="already taken"):
        rules.register_activation(rules.ACTIVATIONS["tanh"])
    with pytest.raises(ValueError, match="identifiers"):
        rules._check_name("Bad Name")
