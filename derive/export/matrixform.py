"""The matrix form: whole-layer NumPy statements, one per verified step."""

from __future__ import annotations

import sympy as sp

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
            for text in assignment_lines(printer, a.name, a.expr):
                e.line(text)
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
            for text in assignment_lines(printer, a.name, a.expr):
                e.line(text)
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


def _product(expr: object) -> bool:
    """A true matrix product: NumPy returns a new array of the full result shape."""
    return (isinstance(expr, sp.MatMul) and not expr.args[0].is_Number
            and not any(isinstance(a, sp.OneMatrix) for a in expr.args))


def assignment_lines(printer: MatrixCodePrinter, name: str, expr: object) -> list[str]:
    """`name = expr`, as in-place updates where the first operand is a fresh array:
    z1 = W1 @ x; z1 += b1 and delta2 = a2 - y; delta2 *= a2; … (one temporary fewer per operator)."""
    if isinstance(expr, sp.HadamardProduct) and (_product(expr.args[0]) or isinstance(expr.args[0], sp.MatAdd)):
        lines = [f"{name} = {printer.doprint(expr.args[0])}"]
        return lines + [f"{name} *= {printer._wrap(f)}" for f in expr.args[1:]]
    if isinstance(expr, sp.MatAdd):
        terms = list(expr.args)
        first = next((t for t in terms if _product(t)), None)
        if first is not None and all(not isinstance(t, sp.OneMatrix) for t in terms):
            lines = [f"{name} = {printer.doprint(first)}"]
            for t in terms:
                if t is first:
                    continue
                if isinstance(t, sp.MatMul) and t.args[0].is_Number and t.args[0] < 0:
                    lines.append(f"{name} -= {printer._wrap(sp.MatMul(-t.args[0], *t.args[1:]) if t.args[0] != -1 else (t.args[1] if len(t.args) == 2 else sp.MatMul(*t.args[1:])))}")
                else:
                    lines.append(f"{name} += {printer._wrap(t)}")
            return lines
    return [f"{name} = {printer.doprint(expr)}"]
