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
registry; the helper bodies are fixed text with no user input in them.
"""

from __future__ import annotations

from .. import __version__
from ..files import Marker
from .emitter import Emitter
from .matrixform import emit_matrix_body
from .options import Options, chosen_form
from .plan import Plan
from .scalarform import emit_scalar_body
from .selftest import emit_self_test


def build_module(plan: Plan, options: Options) -> str:
    form = chosen_form(plan, options)
    e = Emitter()
    _header(e, plan, options, form)
    if form == "matrix":
        emit_matrix_body(e, plan, options)
    else:
        emit_scalar_body(e, plan, options)
    emit_self_test(e, options)
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
    backend = options.array_backend
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
