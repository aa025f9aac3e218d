"""The engine against its oracles: symbolic proofs (the derivative of the expanded scalar cost)
and central differences, over activations × costs × conventions × bias × batch; and the proof
that those oracles catch the mistakes hand-written derivations make."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
import sympy as sp

import derive
from derive import rules
from derive.algebra import ApplyPrime, Diag, Grad, NetQuantity, lift
from derive.backprop import build_concrete, build_general
from derive.calculus import scalar_derivative
from derive.derivation import Derivation
from derive.errors import VerificationError
from derive.quantities import COST, Frame
from derive.spec import build
from derive.verify import NumericVerifier, SymbolicVerifier, verify

ELEMENTWISE = [name for name, a in rules.ACTIVATIONS.items() if a.elementwise]


def _valid_pairs() -> list[tuple[str, str]]:
    pairs = []
    for act, cst in itertools.product(rules.ACTIVATIONS, rules.COSTS):
        try:
            rules.check_pair(rules.ACTIVATIONS[act], rules.COSTS[cst])
        except derive.DeriveError:
            continue
        pairs.append((act, cst))
    return pairs


PAIRS = _valid_pairs()
SETTINGS = list(itertools.product(("column", "row"), (True, False), (None, 2)))
# Every (output activation, cost) pair in two opposite settings (convention, bias and batch all
# differ), moving through the settings from pair to pair; the hidden activation cycles through
# the registry.
GRID = [
    (ELEMENTWISE[(2 * i + k) % len(ELEMENTWISE)], out, cst, *SETTINGS[abs(7 * k - i % 8)])
    for i, (out, cst) in enumerate(PAIRS)
    for k in (0, 1)
]


def test_grid_covers_every_activation_and_cost() -> None:
    assert {g[0] for g in GRID} == set(ELEMENTWISE)
    assert {g[1] for g in GRID} == set(rules.ACTIVATIONS)
    assert {g[2] for g in GRID} == set(rules.COSTS)
    assert ("softmax", "cross-entropy") in PAIRS and ("sigmoid", "binary-cross-entropy") in PAIRS


@pytest.mark.parametrize(("hidden", "out", "cst", "convention", "bias", "batch"), GRID,
                         ids=lambda v: str(v))
def test_engine_is_proved_and_checked(hidden, out, cst, convention, bias, batch) -> None:
    spec = build([3, 2, 3], activation=hidden, output_activation=out, cost=cst, convention=convention,
                 bias=bias, batch=batch)
    d = verify(build_concrete(spec, components=True), symbolic=True)
    methods = {c.method for c in d.checks}
    assert methods == {"numeric", "symbolic"}
    assert d.verified
    for name, _, key in d.parameters:
        assert {c.method for c in d.checks_for(key)} == {"numeric", "symbolic"}, name


@pytest.mark.parametrize("convention", ["column", "row"])
@pytest.mark.parametrize("batch", [None, 3])
def test_deeper_networks(convention: str, batch: int | None) -> None:
    spec = build([2, 3, 2, 2], activation=["tanh", "relu", "sigmoid"], convention=convention, batch=batch)
    d = verify(build_concrete(spec, components=True), symbolic=True)
    assert d.verified


@pytest.mark.parametrize("name", list(derive.EXAMPLES))
def test_builtin_examples_are_verified(name: str) -> None:
    d = derive.derive(name)
    assert d.verified
    if d.general:
        widths = [inst.spec.widths for inst in d.instances]
        assert (3, 4, 2) in widths and (784, 30, 10) in widths
        assert any(len(w) == 4 for w in widths), "an instance with two hidden layers exercises δ^l from δ^{l+1}"
        for inst in d.instances:
            assert inst.verified
        # One instance is proved: the one with two hidden layers, whose steps use every rule.
        proved = [inst.spec.widths for inst in d.instances if any(c.method == "symbolic" for c in inst.checks)]
        assert proved == [(2, 3, 2, 2)]


def test_general_derivation_states_the_four_equations() -> None:
    d = build_general(derive.example("l-layer"))
    keys = d.keys()
    for key in ("delta_L", "delta_l", "grad_W_l", "grad_b_l", "delta_l_entry", "grad_W_l_entry"):
        assert key in keys
    f = Frame(d.spec, general=True)
    l = sp.Symbol("l", integer=True, positive=True)
    delta_l = d.step("delta_l")
    expected = sp.HadamardProduct(sp.MatMul(sp.Transpose(f.W(l + 1)), f.delta(l + 1)), ApplyPrime("sigmoid", f.z(l)))
    assert expected in delta_l.forms
    assert sp.MatMul(f.delta(l), sp.Transpose(f.a(l - 1))) in d.step("grad_W_l").forms
    assert f.delta(l) in d.step("grad_b_l").forms


def test_batched_bias_gradient_sums_over_the_batch() -> None:
    d = derive.derive("batched-mlp")
    rhs = d.step("grad_b_2").rhs
    assert isinstance(rhs, sp.MatMul) and isinstance(rhs.args[0], sp.OneMatrix)
    assert rhs.shape == (1, 3)


def test_softmax_classifier_uses_the_full_jacobian_and_fuses_to_yhat_minus_y() -> None:
    d = derive.derive("softmax-classifier")
    jac = d.step("jacobian_2")
    assert any(isinstance(a, Diag) for a in sp.preorder_traversal(jac.rhs))
    assert any(isinstance(a, sp.MatMul) for a in jac.rhs.args), "diag(ŷ) − ŷᵀŷ keeps its outer product"
    f = Frame(d.spec)
    assert d.step("delta_2").rhs == sp.MatAdd(f.a(2), sp.MatMul(-1, f.y))
    assert "one-hot-target" in d.assumptions


# ---------------------------------------------------------------------------------------------
# The oracles catch the mistakes people make. Each mutation below plants one in a correct
# derivation; both verifiers must refuse it.
# ---------------------------------------------------------------------------------------------


def _mutate(d: Derivation, key: str, new_last_form) -> Derivation:
    steps = tuple(replace(s, forms=s.forms[:-1] + (new_last_form,)) if s.key == key else s for s in d.steps)
    return replace(d, steps=steps, checks=())


def _two_two_two_plain() -> tuple[Derivation, Frame]:
    spec = build([2, 3, 2], activation="sigmoid")
    return build_concrete(spec), Frame(spec)


def _cases():
    d, f = _two_two_two_plain()
    L = sp.Integer(2)
    cases = {
        "transposed factor (x δᵀ for δ xᵀ)": ("grad_W_1", sp.MatMul(f.a(0), sp.Transpose(f.delta(1)))),
        "sigma' of the activation instead of the pre-activation": (
            "delta_2",
            sp.HadamardProduct(Grad(COST, f.a(L)), ApplyPrime("sigmoid", f.a(L))),
        ),
        "a(1-a) written with z": (
            "delta_1",
            sp.HadamardProduct(f.back_through_weights(L), lift(rules.ACTIVATIONS["sigmoid"].df_da, {rules.A: f.z(1)})),
        ),
        "sign error in the cost gradient": ("grad_a_2", sp.MatAdd(f.y, sp.MatMul(-1, f.a(L)))),
        "missing factor 2 dropped twice": ("grad_a_2", sp.MatMul(sp.Rational(1, 2), sp.MatAdd(f.a(L), sp.MatMul(-1, f.y)))),
    }
    for name, (key, form) in cases.items():
        yield name, _mutate(d, key, form)
    # The square layer: a missing transpose keeps the shape and changes only the entries.
    sq = build([2, 2, 2], activation="sigmoid")
    dsq, fsq = build_concrete(sq), Frame(sq)
    yield "missing transpose (square W)", _mutate(dsq, "grad_a_1", sp.MatMul(fsq.W(sp.Integer(2)), fsq.delta(2)))
    # Softmax reduced to its diagonal.
    sm = build([3, 3], activation="softmax", cost="quadratic")
    dsm, fsm = build_concrete(sm), Frame(sm)
    s = fsm.a(1)
    yield "softmax Jacobian reduced to its diagonal", _mutate(
        dsm, "delta_1", sp.MatMul(Diag(s), Grad(COST, s)))
    # Batch: the bias gradient without the sum over the samples.
    bt = build([2, 3, 2], batch=3)
    dbt, fbt = build_concrete(bt), Frame(bt)
    yield "missing sum over the batch (shape)", _mutate(dbt, "grad_b_2", fbt.delta(2))
    yield "missing sum over the batch (first sample only)", _mutate(
        dbt, "grad_b_2", sp.MatMul(fbt.delta(2), sp.OneMatrix(fbt.batch, 1), sp.Rational(1, 3)))


    # A mean over the batch: the error of the output layer without its 1/n.
    mean = build([2, 3, 2], batch=3, reduction="mean")
    dmean, fmean = build_concrete(mean), Frame(mean)
    unscaled = dmean.step("delta_2").forms[-1].args[1]
    yield "mean over the batch without its 1/n", _mutate(dmean, "delta_2", unscaled)


CASES = list(_cases())


@pytest.mark.parametrize(("name", "d"), CASES, ids=[c[0] for c in CASES])
def test_numeric_verification_refuses_planted_mistakes(name: str, d: Derivation) -> None:
    with pytest.raises(VerificationError):
        NumericVerifier(d).run()


@pytest.mark.parametrize(("name", "d"), CASES, ids=[c[0] for c in CASES])
def test_symbolic_verification_refuses_planted_mistakes(name: str, d: Derivation) -> None:
    with pytest.raises(VerificationError):
        SymbolicVerifier(d).run()


def test_unmutated_derivations_pass_both_verifiers() -> None:
    d, _ = _two_two_two_plain()
    assert NumericVerifier(d).run() and SymbolicVerifier(d).run()


# ---------------------------------------------------------------------------------------------
# The memoised derivative used by proofs is sp.diff.
# ---------------------------------------------------------------------------------------------


def test_scalar_derivative_equals_sp_diff_on_expanded_costs() -> None:
    spec = build([2, 2, 2], activation=["tanh", "softmax"], cost="cross-entropy", bias=True)
    v = SymbolicVerifier(build_concrete(spec))
    cost = v.env[COST]
    for symbol in sorted(cost.free_symbols, key=str):
        mine = scalar_derivative(cost, symbol)
        theirs = sp.diff(cost, symbol)
        point = {s: sp.Rational(k + 2, 7) for k, s in enumerate(sorted(cost.free_symbols, key=str))}
        assert abs(float((mine - theirs).subs(point).evalf())) < 1e-12


def test_proof_obligations_decide_zero_exactly() -> None:
    from derive.exact import first_nonzero, is_identically_zero

    x, y = sp.symbols("x y")
    s = rules.scalar_function("sigmoid")
    assert is_identically_zero(s(x) * (1 - s(x)) - (s(x) - s(x) ** 2))
    assert not is_identically_zero(s(x) * (1 - s(x)) - (s(x) - s(x) ** 3))
    assert is_identically_zero(y / s(x) * s(x) - y)
    assert first_nonzero([sp.Integer(0), x - x, x * y - y * x, x + 1]) == 3


def test_numeric_and_exact_evaluators_agree(rng: np.random.Generator) -> None:
    spec = build([2, 3, 2], activation="tanh", output_activation="sigmoid", cost="binary-cross-entropy", batch=2)
    d = build_concrete(spec)
    numeric = NumericVerifier(d)
    numeric.run()
    exact = SymbolicVerifier(d)
    values = {sym: numeric.base[q][idx] for q in exact.base if isinstance(q, NetQuantity)
              for idx, sym in np.ndenumerate(np.array(exact.base[q].tolist(), dtype=object))}
    for name, quantity, key in d.parameters:
        expr = exact.explicit(d.step(key).rhs)
        got = np.array(expr.subs(values).evalf(), dtype=float)
        np.testing.assert_allclose(got, numeric.computed[quantity], rtol=1e-9, err_msg=name)


# ---------------------------------------------------------------------------------------------
# The cost averaged over the batch
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("out", "cst", "convention"), [("sigmoid", "quadratic", "column"),
                                                        ("softmax", "cross-entropy", "row"),
                                                        ("sigmoid", "binary-cross-entropy", "column")])
def test_mean_reduction_carries_one_over_n_and_is_proved(out: str, cst: str, convention: str) -> None:
    spec = build([3, 2, 3], activation="tanh", output_activation=out, cost=cst, convention=convention, batch=2,
                 reduction="mean")
    d = verify(build_concrete(spec, components=True), symbolic=True)
    assert d.verified and {c.method for c in d.checks} == {"numeric", "symbolic"}
    n = Frame(spec).batch
    assert d.step("cost").rhs.scale == 1 / n
    for key in ("grad_a_2", "delta_2"):
        last = d.step(key).forms[-1]
        assert isinstance(last, sp.MatMul) and last.args[0] == 1 / n, key
    # Every gradient is the summed network's divided by the batch size, at the same point.
    summed = build_concrete(replace(spec, reduction="sum"))
    mean_values, sum_values = NumericVerifier(d), NumericVerifier(summed)
    mean_values.run(), sum_values.run()
    for _, q, _ in d.parameters:
        np.testing.assert_allclose(mean_values.computed[q], sum_values.computed[q] / 2, rtol=1e-12)


def test_mean_reduction_needs_a_batch() -> None:
    with pytest.raises(derive.DeriveError, match="reduction 'mean' averages over a batch"):
        build([2, 2], reduction="mean")
