"""The matrix form: whole-layer NumPy statements, one per verified step."""

from __future__ import annotations

from .emitter import Emitter
from .module import Options, SOFTMAX_HELPERS, activation_helpers, cost_expression, normalisation_lines, quote
from .plan import Plan
from .printers import MatrixCodePrinter


def emit_matrix_body(e: Emitter, plan: Plan, options: Options) -> None:
    printer = MatrixCodePrinter()
    activation_helpers(e, plan, scalar=False)
    if any(layer.activation == "softmax" for layer in plan.spec.layers) or plan.cost.name == "cross-entropy":
        e.lines(SOFTMAX_HELPERS)
        e.blank(2)
    values = ["x"] + [a.name for a in plan.forward]
    params = [name for name, _, _ in plan.gradients]

    e.line("def _forward(params, x):")
    with e.indented():
        for name in params:
            e.line(f'{name} = params["{name}"]')
        e.line("x = np.asarray(x, dtype=DTYPE)")
        for a in plan.forward:
            if a.name == "xhat":
                normalisation_lines(e, plan, feature_axis=plan.class_axis)
            e.comment(quote(plan, a.step))
            e.line(f"{a.name} = {printer.doprint(a.expr)}")
        e.line(f"return {', '.join(values)}")
    e.blank(2)
    e.line("def forward(params, x):")
    with e.indented():
        e.line('"""The network\'s output for the inputs x."""')
        e.line("return _forward(params, x)[-1]")
    e.blank(2)
    e.line("def _cost(values, y):")
    with e.indented():
        e.line(f"{', '.join(values)} = values")
        e.comment(quote(plan, plan.derivation.step("cost")) + " (computed from the logits where that is stabler)")
        e.line("return " + cost_expression(plan, printer, logits=plan.logits.ident, output=plan.output.ident,
                                            target="y"))
    e.blank(2)
    e.line("def cost(params, x, y):")
    with e.indented():
        e.line("total = _cost(_forward(params, x), np.asarray(y, dtype=DTYPE))")
        e.line("return float(total / np.shape(y)[SAMPLE_AXIS])" if options.reduction == "mean" else "return float(total)")
    e.blank(2)
    e.line("def _gradients(params, values, y):")
    with e.indented():
        for name in params:
            e.line(f'{name} = params["{name}"]')
        e.line(f"{', '.join(values)} = values")
        for a in plan.backward:
            e.comment(quote(plan, a.step))
            e.line(f"{a.name} = {printer.doprint(a.expr)}")
        if options.reduction == "mean":
            e.line("scale = 1.0 / y.shape[SAMPLE_AXIS]")
            e.line("return {" + ", ".join(f'"{n}": scale * {v}' for n, _, v in plan.gradients) + "}")
        else:
            e.line("return {" + ", ".join(f'"{n}": {v}' for n, _, v in plan.gradients) + "}")
    e.blank(2)
    e.line("def gradients(params, x, y):")
    with e.indented():
        e.line('"""dC/dparam for every parameter, with the parameters\' keys and shapes."""')
        e.line("return _gradients(params, _forward(params, x), np.asarray(y, dtype=DTYPE))")
    e.blank(2)
    e.line("def cost_and_gradients(params, x, y):")
    with e.indented():
        e.line('"""(cost, gradients) from one forward pass."""')
        e.line("values = _forward(params, x)")
        e.line("y = np.asarray(y, dtype=DTYPE)")
        e.line("total = _cost(values, y)")
        if options.reduction == "mean":
            e.line("total = total / y.shape[SAMPLE_AXIS]")
        e.line("return float(total), _gradients(params, values, y)")
