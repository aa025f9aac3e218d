"""The exported module: header, parameters, forward pass, cost, gradients and a self-test.

Both forms share this skeleton and its interface:

    PARAMS                          name -> shape, in order (W1, b1, W2, …)
    init_params(seed=0) -> dict
    forward(params, x) -> output
    cost(params, x, y) -> float     summed over the batch (REDUCTION "sum") or averaged ("mean")
    gradients(params, x, y) -> dict same keys and shapes as the parameters
    cost_and_gradients(params, x, y) one forward pass for both

and `python FILE.py` checks `gradients` against central differences on random data, exiting
non-zero on a mismatch. Everything printed here comes from the plan (the verified steps) and the
registry; the helper bodies below are fixed text with no user input in them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


from .. import __version__, rules
from ..errors import DeriveError
from ..quantities import MEAN, STD
from ..files import Marker
from ..textprint import DeriveTextPrinter
from .backends import BACKEND_TABLE, NUMPY, Backend
from .emitter import Emitter
from .plan import Plan
from .printers import MatrixCodePrinter, ScalarCodePrinter, helper_name, inplace_chain, print_registry

FORMS = ("auto", "matrix", "scalar")
DTYPES = ("float64", "float32")
REDUCTIONS = ("sum", "mean")
BACKENDS = tuple(BACKEND_TABLE)
#: `--form auto` writes the scalar form up to this many parameters (NumPy's per-call overhead
#: dominates tiny networks; beyond this the matrix form wins).
SCALAR_MAX_PARAMETERS = 32
#: `--form scalar` is refused beyond this many parameters: it takes seconds per thousand.
SCALAR_FORM_MAX_PARAMETERS = 1_000


@dataclass(frozen=True)
class Options:
    form: str = "auto"
    dtype: str = "float64"
    reduction: str = "sum"
    backend: str = "numpy"
    source: str = ""  # the command that made the file, for its marker


def chosen_form(plan: Plan, options: Options) -> str:
    if options.form != "auto":
        if options.form == "scalar" and options.backend != "numpy":
            raise DeriveError(f"the scalar form is plain Python; the {options.backend} backend writes --form matrix")
        if options.form == "scalar" and options.dtype != "float64":
            raise DeriveError(f"the scalar form computes in Python floats (float64); --dtype {options.dtype} "
                              "needs --form matrix")
        count = plan.spec.parameter_count()
        if options.form == "scalar" and count > SCALAR_FORM_MAX_PARAMETERS:
            raise DeriveError(f"the scalar form writes a line per weight: at most {SCALAR_FORM_MAX_PARAMETERS:,} "
                              f"parameters, and this network has {count:,} (use --form matrix)")
        return options.form
    small = plan.spec.parameter_count() <= SCALAR_MAX_PARAMETERS
    return "scalar" if small and options.dtype == "float64" and options.backend == "numpy" else "matrix"


def backend_of(options: Options) -> Backend:
    return BACKEND_TABLE[options.backend]


def quote(plan: Plan, step: Any) -> str:
    """The step as the comment above the line implementing it: δ² = (ŷ − y) ⊙ …  [delta_2]."""
    printer = DeriveTextPrinter(plan.derivation.printer_settings("text"))
    forms = step.printed(printer.doprint)
    return f"{forms[0]} = {forms[-1]}  [{step.key}]"


def build_module(plan: Plan, options: Options) -> str:
    form = chosen_form(plan, options)
    e = Emitter()
    _header(e, plan, options, form)
    if form == "matrix":
        from .matrixform import emit_matrix_body

        emit_matrix_body(e, plan, options)
    else:
        from .scalarform import emit_scalar_body

        emit_scalar_body(e, plan, options)
    _self_test(e, plan, options)
    marker = Marker.for_command(__version__, options.source or f"derive export {plan.spec.name}")
    return marker.stamp(e.source().replace("@@MARKER@@", marker.text))


# ----------------------------------------------------------------------------------------------


def _header(e: Emitter, plan: Plan, options: Options, form: str) -> None:
    spec = plan.spec
    n0, nL = spec.widths[0], spec.widths[-1]
    if plan.row:
        layout = (f"row convention: x is (B, {n0}), one sample per row; y is (B, {nL}); "
                  "W<l> is (n_(l-1), n_l), W<l>[k, j] the weight from neuron k of layer l-1 to neuron j of layer l; "
                  "b<l> is (1, n_l).")
    else:
        layout = (f"column convention: x is ({n0}, B), one sample per column; y is ({nL}, B); "
                  "W<l> is (n_l, n_(l-1)), W<l>[j, k] the weight from neuron k of layer l-1 to neuron j of layer l; "
                  "b<l> is (n_l, 1).")
    e.line(f'"""Gradients of {spec.name}: {spec.describe()}.')
    e.line("")
    e.line("@@MARKER@@")
    e.line("")
    for chunk in _wrap(f"Layout ({layout})", 96):
        e.line(chunk)
    e.line(f"Parameters: {', '.join(f'{n} {s}' for n, s in plan.parameters)}.")
    e.line(f"cost() {'sums' if options.reduction == 'sum' else 'averages'} over the batch; gradients() returns "
           "dC/dparam with the parameters' keys and shapes.")
    e.line(f"Form: {form} ({'NumPy matrix code' if form == 'matrix' else 'straight-line Python on floats'}), "
           f"dtype {options.dtype}. Every statement implements one verified step of the derivation,")
    e.line("quoted in the comment above it. Run this file to check gradients() against central differences.")
    e.line('"""')
    e.blank()
    backend = backend_of(options)
    e.line("import math")
    e.line("import sys")
    e.blank()
    for text in backend.imports:
        e.line(text)
    e.blank()
    if backend.name == "jax" and options.dtype == "float64":
        e.line('jax.config.update("jax_enable_x64", True)  # JAX computes in float32 unless told otherwise')
    e.line(f"DTYPE = {backend.prefix}.{options.dtype}")
    e.line(f"FLOAT64 = {backend.prefix}.float64")
    e.line(f'REDUCTION = "{options.reduction}"')
    e.line("PARAMS = {")
    with e.indented():
        for name, shape in plan.parameters:
            e.line(f'"{name}": {shape},')
    e.line("}")
    e.line(f"SAMPLE_AXIS = {plan.sample_axis}  # the axis of x and y that holds the samples")
    e.line(f"N_INPUTS, N_OUTPUTS = {n0}, {nL}")
    targets = "one-hot" if plan.cost.one_hot_target else "real"
    e.line(f'TARGETS = "{targets}"  # what y holds: one-hot labels (cross-entropy) or real values')
    e.blank(2)
    e.line("def init_params(seed=0):")
    with e.indented():
        e.line('"""Weights drawn from N(0, 1/fan_in), biases zero, in DTYPE."""')
        e.line("rng = np.random.default_rng(seed)")
        e.line("return {")
        with e.indented():
            for name, q, _ in plan.gradients:
                shape = plan.shape(q)
                if q.kind == "W":
                    fan_in = plan.spec.widths[int(q.layer) - 1]
                    value = f"rng.standard_normal({shape}) / math.sqrt({fan_in})"
                else:
                    value = f"np.zeros({shape})"
                e.line(f'"{name}": {backend.convert.format(x=value)},')
        e.line("}")
    e.blank(2)


def _wrap(text: str, width: int) -> list[str]:
    words, lines, current = text.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    return lines + ([current] if current else [])


def activation_helpers(e: Emitter, plan: Plan, scalar: bool, options: Options | None = None) -> None:
    """One helper per activation the network uses, printed from its registry NumPy form."""
    used = sorted({layer.activation for layer in plan.spec.layers})
    backend = backend_of(options) if options is not None else NUMPY
    printer: Any = ScalarCodePrinter() if scalar else MatrixCodePrinter({"backend": backend})
    for name in used:
        entry = rules.activation(name)
        if not entry.elementwise:
            continue
        e.line(f"def {helper_name(name)}(z):")
        with e.indented():
            e.line(f"# {entry.text}(z) = {print_registry(printer, entry.numpy, z='z')}, the registry's stable form")
            chain = None if scalar or not backend.inplace else inplace_chain(printer, entry.numpy, "z", "t")
            if chain:
                for text in chain:
                    e.line(text)
                e.line("return t")
            else:
                e.line(f"return {print_registry(printer, entry.numpy, z='z')}")
        e.blank(2)
        overwrite = None if scalar or not backend.inplace else inplace_chain(
            printer, entry.numpy, "z", "z", overwrite=True)
        if overwrite is not None:
            e.line(f"def {helper_name(name)}_inplace(z):")
            with e.indented():
                e.line(f"# {entry.text}(z), computed in z's own array (z is not needed afterwards)")
                for text in overwrite:
                    e.line(text)
                e.line("return z")
            e.blank(2)


def normalisation_lines(e: Emitter, plan: Plan, feature_axis: int, backend: Backend = NUMPY) -> None:
    """x̂ = (x − μ)/σ_x with each sample's own mean and standard deviation (constants to C)."""
    e.comment("μ and σ_x: each sample's mean and standard deviation, constants to the gradient  [normalize]")
    mean = backend.reduce_sum.replace(".sum(", ".mean(").format(x="x", axis=feature_axis)
    e.line(f"{MEAN} = {mean}")
    e.line(f"{STD} = {backend.population_std.format(x='x', axis=feature_axis)}")
    if backend.inplace:
        e.line(f"{STD}[{STD} == 0] = 1.0  # a constant sample standardises to 0, not 0/0")
    else:
        e.line(f"{STD} = {backend.prefix}.where({STD} == 0, 1.0, {STD})  # a constant sample standardises to 0")


def cost_expression(plan: Plan, printer: Any, logits: str, output: str, target: str) -> str:
    """The cost summed over entries, computed from the logits where the registry knows how."""
    cost, act = plan.cost, plan.output_activation
    total = f"{printer.backend.prefix}.sum"
    if act.name == "softmax" and cost.name == "cross-entropy":
        return f"-{total}({target} * _log_softmax({logits}, axis={plan.class_axis}))"
    if act.name in cost.from_logits:
        return f"{total}({print_registry(printer, cost.from_logits[act.name], z=logits, y=target)})"
    return f"{total}({print_registry(printer, cost.c, a=output, y=target)})"


def _self_test(e: Emitter, plan: Plan, options: Options) -> None:
    e.blank(2)
    e.line("def _to_numpy(value):")
    with e.indented():
        e.line(f"return {backend_of(options).to_numpy.format(x='value')}")
    e.blank(2)
    e.line("def _allow_float64():")
    with e.indented():
        if backend_of(options).name == "jax":
            e.line('jax.config.update("jax_enable_x64", True)  # the check runs in float64')
        else:
            e.line("pass")
    e.blank(2)
    e.lines(SELF_TEST)
    e.blank(2)
    e.line('if __name__ == "__main__":')
    with e.indented():
        e.line("sys.exit(_self_test())")


SELF_TEST = '''
def _random_data(rng, batch):
    """Inputs and targets of the right shapes (targets valid for the cost)."""
    n_in, n_out = N_INPUTS, N_OUTPUTS
    x_shape = (n_in, batch) if SAMPLE_AXIS == 1 else (batch, n_in)
    y_shape = (n_out, batch) if SAMPLE_AXIS == 1 else (batch, n_out)
    x = rng.uniform(-1.0, 1.0, x_shape)
    if TARGETS == "one-hot":
        labels = rng.integers(0, n_out, batch)
        y = np.zeros(y_shape)
        if SAMPLE_AXIS == 1:
            y[labels, np.arange(batch)] = 1.0
        else:
            y[np.arange(batch), labels] = 1.0
    else:
        y = rng.uniform(0.05, 0.95, y_shape)
    return x, y


def _self_test(seed=0, rtol=1e-6):
    """Check gradients() against Richardson central differences of cost() in float64 (NumPy data)."""
    global DTYPE
    _allow_float64()
    chosen, DTYPE = DTYPE, FLOAT64
    try:
        rng = np.random.default_rng(seed)
        params = {k: _to_numpy(v).astype(np.float64) + rng.uniform(-0.1, 0.1, v.shape)
                  for k, v in init_params(seed).items()}
        x, y = _random_data(rng, 3)
        analytic = {k: _to_numpy(v) for k, v in gradients(params, x, y).items()}
        worst = 0.0
        for name, value in params.items():
            def f(v, name=name):
                return cost({**params, name: v}, x, y)
            directions = [np.eye(value.size)[i].reshape(value.shape) for i in range(value.size)]
            if value.size > 64:
                directions = [d / np.linalg.norm(d) for d in rng.standard_normal((3,) + value.shape)]
            for d in directions:
                def central(h):
                    return (f(value + h * d) - f(value - h * d)) / (2 * h)
                numeric = (4 * central(5e-4) - central(1e-3)) / 3
                exact = float(np.sum(analytic[name] * d))
                scale = max(np.linalg.norm(analytic[name]), abs(numeric), 1e-6)
                worst = max(worst, abs(exact - numeric) / scale)
        ok = worst < rtol
        if chosen != FLOAT64:
            DTYPE = chosen
            low = {k: _to_numpy(v) for k, v in gradients(params, x, y).items()}
            drift = max(float(np.max(np.abs(low[k] - analytic[k]))) / max(float(np.max(np.abs(analytic[k]))), 1e-6)
                        for k in params)
            ok = ok and drift < 1e-3
            print(f"float32 agrees with float64 to {drift:.1e}")
        print(f"gradients vs central differences: worst relative error {worst:.1e} ({'ok' if ok else 'MISMATCH'})")
        return 0 if ok else 1
    finally:
        DTYPE = chosen
'''
