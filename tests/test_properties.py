"""Property-based tests: random network specs are derived, proved and checked.

A small profile runs in CI. The larger one runs with DERIVE_SLOW=1:

    DERIVE_SLOW=1 python -m pytest tests/test_properties.py
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive import rules
from derive.backprop import build_concrete
from derive.calculus import scalar_derivative
from derive.errors import DeriveError
from derive.exact import first_nonzero
from derive.quantities import COST
from derive.spec import build
from derive.verify import NumericVerifier, SymbolicVerifier, symbolic_possible, verify

SLOW = os.environ.get("DERIVE_SLOW") == "1"
PROFILE = settings(
    max_examples=300 if SLOW else 25,
    deadline=None,
    derandomize=not SLOW,  # CI: the same examples every run; the slow profile explores
    suppress_health_check=[HealthCheck.too_slow],
)

ELEMENTWISE = sorted(name for name, a in rules.ACTIVATIONS.items() if a.elementwise)


def _valid_output(cost: str) -> list[str]:
    out = []
    for name, entry in rules.ACTIVATIONS.items():
        try:
            rules.check_pair(entry, rules.COSTS[cost])
        except DeriveError:
            continue
        out.append(name)
    return sorted(out)


@st.composite
def specs(draw: st.DrawFn, max_layers: int = 5, max_width: int = 6):
    depth = draw(st.integers(1, max_layers))
    widths = draw(st.lists(st.integers(1, max_width), min_size=depth + 1, max_size=depth + 1))
    cost = draw(st.sampled_from(sorted(rules.COSTS)))
    output = draw(st.sampled_from(_valid_output(cost)))
    if not rules.ACTIVATIONS[output].elementwise:
        widths[-1] = max(widths[-1], 2)  # softmax needs two classes
    hidden = draw(st.lists(st.sampled_from(ELEMENTWISE), min_size=depth - 1, max_size=depth - 1))
    bias = draw(st.lists(st.booleans(), min_size=depth, max_size=depth))
    batch = draw(st.one_of(st.none(), st.integers(1, 4)))
    return build(
        widths, activation=[*hidden, output], cost=cost, convention=draw(st.sampled_from(["column", "row"])),
        bias=bias, batch=batch, normalize_input=draw(st.booleans()),
    )


@PROFILE
@given(spec=specs(), seed=st.integers(0, 2**16))
def test_random_networks_agree_with_finite_differences(spec, seed: int) -> None:
    d = build_concrete(spec, components=True)
    checks = NumericVerifier(d, seed=seed).run()
    claims = {s.key for s in d.steps if s.kind != "definition"}
    assert {c.step for c in checks} == claims
    assert all(c.max_error < 1e-6 for c in checks)


@PROFILE
@given(spec=specs(max_layers=3, max_width=3))
def test_small_random_networks_are_proved_exactly(spec) -> None:
    if not symbolic_possible(spec):
        return
    d = verify(build_concrete(spec), symbolic=True)
    assert {c.method for c in d.checks} == {"numeric", "symbolic"}


@settings(max_examples=40 if SLOW else 8, deadline=None, derandomize=not SLOW)
@given(spec=specs(max_layers=2, max_width=2))
def test_the_proof_oracle_is_sp_diff(spec) -> None:
    """The memoised derivative behind every proof equals SymPy's own sp.diff, exactly."""
    v = SymbolicVerifier(build_concrete(spec))
    cost = v.env[COST]
    variables = sorted(cost.free_symbols - {sp.Symbol("mu", positive=True)}, key=str)
    differences = [scalar_derivative(cost, s) - sp.diff(cost, s) for s in variables]
    assert first_nonzero(differences) is None


def test_property_profile_is_documented() -> None:
    assert "DERIVE_SLOW=1" in (__doc__ or "")
    assert PROFILE.max_examples in (25, 300)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradients_do_not_depend_on_the_seed_of_the_check(seed: int) -> None:
    spec = build([3, 2, 2], activation="tanh", cost="quadratic", batch=2)
    d = build_concrete(spec)
    v = NumericVerifier(d, seed=seed)
    v.run()
    assert all(np.all(np.isfinite(value)) for value in v.computed.values() if isinstance(value, np.ndarray))


@settings(max_examples=30 if SLOW else 6, deadline=None)
@given(spec=specs(max_layers=3, max_width=4))
def test_exported_module_agrees_with_the_in_memory_one(tmp_path_factory, spec) -> None:
    import importlib.util

    from derive.export import compile_network, export_source

    path = tmp_path_factory.mktemp("export") / "exported.py"
    path.write_text(export_source(spec, form="matrix"), encoding="utf-8")
    loader = importlib.util.spec_from_file_location("exported", path)
    exported = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(exported)
    in_memory = compile_network(spec, form="matrix")
    rng = np.random.default_rng(0)
    params = exported.init_params(3)
    shape_x = (exported.N_INPUTS, 2) if exported.SAMPLE_AXIS == 1 else (2, exported.N_INPUTS)
    shape_y = (exported.N_OUTPUTS, 2) if exported.SAMPLE_AXIS == 1 else (2, exported.N_OUTPUTS)
    x, y = rng.uniform(-1, 1, shape_x), rng.uniform(0.1, 0.9, shape_y)
    for name, value in exported.gradients(params, x, y).items():
        np.testing.assert_array_equal(in_memory.gradients(params, x, y)[name], value)
