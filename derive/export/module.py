"""The exported module: header, parameters, forward pass, cost, gradients and a self-test.

Both forms share this skeleton and its interface:

    PARAMS                          name -> shape, in order (W1, b1, W2, …)
    init_params(seed=0) -> dict
    forward(params, x) -> output
    cost(params, x, y) -> float     summed over the batch (REDUCTION "sum") or averaged ("mean")
                                    (a network with dropout: every function takes `masks` after y)
    gradients(params, x, y) -> dict same keys and shapes as the parameters
    cost_and_gradients(params, x, y) one forward pass for both

and `python FILE.py` checks `gradients` against central differences on random data, exiting
non-zero on a mismatch. Everything printed here comes from the plan (the verified steps) and the
registry; the helper bodies are fixed text with no user input in them.
"""

from __future__ import annotations

from contextlib import nullcontext

from .. import __version__
from ..files import Marker
from ..quantities import EPSILON
from .boundary import accepted, emit_checks, emit_constants, emit_public
from .emitter import Emitter
from .matrixform import emit_matrix_body
from .options import Options, check_labels, chosen_form
from .plan import Plan
from .scalarform import emit_scalar_body
from .selftest import emit_self_test
from .statements import LAMBDA_NAME


def build_module(plan: Plan, options: Options) -> str:
    form = chosen_form(plan, options)
    check_labels(plan, options)
    e = Emitter()
    _docstring(e, plan, options, form)
    _constants(e, plan, options)
    if form == "matrix":
        emit_matrix_body(e, plan, options)
    else:
        emit_scalar_body(e, plan, options)
    emit_checks(e, plan, options, unpacked=form == "scalar")
    emit_public(e, plan, options, unpacked=form == "scalar")
    emit_self_test(e, options, masks=bool(plan.masks))
    marker = Marker.for_command(__version__, "the command line below")
    return marker.stamp(e.source().replace("@@MARKER@@", marker.text))


# ----------------------------------------------------------------------------------------------


def docstring_safe(text: str) -> bool:
    """Whether text can stand in a triple-quoted docstring as it is (no quote, backslash or
    control character can end it or change it)."""
    return text.isprintable() and '"' not in text and "\\" not in text


def _docstring(e: Emitter, plan: Plan, options: Options, form: str) -> None:
    spec = plan.spec
    if plan.row:
        layout = ("row convention: one sample per row of x and y; W<l> is (n_(l-1), n_l), W<l>[k, j] the weight from "
                  "neuron k of layer l-1 to neuron j of layer l; b<l> is (1, n_l).")
    else:
        layout = ("column convention: one sample per column of x and y; W<l> is (n_l, n_(l-1)), W<l>[j, k] the weight "
                  "from neuron k of layer l-1 to neuron j of layer l; b<l> is (n_l, 1).")
    backend = options.array_backend
    arrays = {
        "numpy": "NumPy arrays in and out (anything np.asarray takes goes in).",
        "torch": ("PyTorch tensors in and out. gradients() runs under torch.no_grad(); forward() and cost() keep "
                  "autograd's graph, so parameters may require grad and autograd agrees with gradients() on cost()."),
        "jax": ("JAX arrays in and out, every function jax.jit compiled."
                + (" float64 holds inside each call (jax.enable_x64 as a context): the process-wide jax_enable_x64 "
                   "flag is never changed." if options.dtype == "float64" else "")),
    }[backend.name]
    e.line(f'"""Gradients of {spec.name}: {plan.derivation.spec.describe()}.')
    e.line("")
    e.line("@@MARKER@@")
    e.line(f"Command line: {options.command if docstring_safe(options.command) else 'see COMMAND'}")
    e.line("")
    paragraph = (f"Layout ({layout}) Parameters: {', '.join(f'{n} {s}' for n, s in plan.parameters)}. "
                 f"cost() {'sums' if options.reduction == 'sum' else 'averages'} over the batch; gradients() returns "
                 f"dC/dparam with the parameters' keys and shapes. Computed in {options.dtype} whatever the inputs "
                 f"hold (they are converted on the way in). {arrays}")
    for chunk in _wrap(paragraph, 100):
        e.line(chunk)
    e.line("")
    e.line("Every public function takes")
    for text in accepted(plan, options, takes_y=True):
        e.line(f"    {text}")
    e.line("")
    code = f"{backend.title} matrix code" if form == "matrix" else "straight-line Python on floats"
    e.line(f"Form: {form} ({code}). Every statement implements one verified step of the derivation,")
    e.line("quoted in the comment above it. Run this file to check gradients() against central differences.")
    e.line('"""')
    e.blank()


def _constants(e: Emitter, plan: Plan, options: Options) -> None:
    backend = options.array_backend
    e.line("import math")
    e.line("import sys")
    e.blank()
    for text in backend.imports:
        e.line(text)
    e.blank()
    for text in backend.setup:
        e.line(text)
    if backend.setup:
        e.blank()
    e.line(f"COMMAND = {options.command!r}  # how this file was made")
    e.line(f"DTYPE = {backend.prefix}.{options.dtype}")
    e.line(f"FLOAT64 = {backend.prefix}.float64")
    e.line(f'REDUCTION = "{options.reduction}"')
    if plan.penalty is not None:
        e.line(f"{LAMBDA_NAME} = {plan.spec.l2!r}  # λ, the weight decay of the L2 penalty in the cost")
    if plan.spec.norm:
        e.line(f"{EPSILON} = {plan.spec.norm_epsilon!r}  # ε of the normalisation layers' √(σ² + ε)")
    e.line("PARAMS = {")
    with e.indented():
        for name, shape in plan.parameters:
            e.line(f'"{name}": {shape},')
    e.line("}")
    e.line(f"SAMPLE_AXIS = {plan.sample_axis}  # the axis of x and y that holds the samples")
    e.line(f"FEATURE_AXIS = {plan.class_axis}  # the axis of x and y that holds one sample's entries")
    n0, nL = plan.spec.widths[0], plan.spec.widths[-1]
    e.line(f"N_INPUTS, N_OUTPUTS = {n0}, {nL}")
    targets = "index" if options.labels == "index" else plan.targets
    e.line(f'TARGETS = "{targets}"  # what y holds: real values, one-hot targets or integer class labels (index)')
    if plan.masks:
        widths = ", ".join(f'"{m.ident}": {plan.spec.widths[int(m.layer)]}' for m in plan.masks)
        e.line(f"MASKS = {{{widths}}}  # dropout mask -> width: shaped like the layer's activations, "
               "entries 0 or 1/(1 - p)")
    emit_constants(e, plan, options)
    e.blank(2)
    e.line("def init_params(seed=0):")
    with e.indented():
        scales = ", normalisation scales γ one and shifts β zero" if plan.spec.norm else ""
        e.line(f'"""Weights drawn from N(0, 1/fan_in), biases zero{scales}, in DTYPE."""')
        e.line("rng = np.random.default_rng(seed)")
        float64 = backend.float64_scope if options.dtype == "float64" else ""
        if float64:
            e.line(f"with {float64}:")
        with e.indented() if float64 else nullcontext():
            e.line("return {")
            with e.indented():
                for name, q, _ in plan.gradients:
                    shape = plan.shape(q)
                    if q.kind == "W":
                        fan_in = plan.spec.widths[int(q.layer) - 1]
                        value = f"rng.standard_normal({shape}) / math.sqrt({fan_in})"
                    elif q.kind == "gamma":  # as torch initialises BatchNorm1d and LayerNorm
                        value = f"np.ones({shape})"
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
