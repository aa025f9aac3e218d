"""The matrix form: whole-layer NumPy statements, one per verified step."""

from __future__ import annotations

import sympy as sp

from .. import rules
from ..algebra import Apply, NetQuantity
from .emitter import Emitter
from .options import Options
from .plan import Plan
from .printers import MatrixCodePrinter, helper_name, inplace_chain
from .statements import activation_helpers, cost_expression, cost_from_logits, normalisation_lines, quote


def emit_matrix_body(e: Emitter, plan: Plan, options: Options) -> None:
    backend = options.array_backend
    printer = MatrixCodePrinter({"backend": backend})
    activation_helpers(e, plan, scalar=False, backend=backend)
    if any(layer.activation == "softmax" for layer in plan.spec.layers):
        e.lines(backend.softmax)
        e.blank(2)
    if plan.output_activation.name == "softmax" and plan.cost.name == "cross-entropy":
        e.lines(backend.log_softmax)
        e.blank(2)
    kept = _read_after_forward(plan)
    values = ["x"] + [a.name for a in plan.forward if a.name in kept]
    params = [name for name, _, _ in plan.gradients]
    convert = backend.convert.format

    def unpack_params() -> None:
        for name in params:
            # NumPy takes the caller's arrays as they are (no copy); other backends convert.
            e.line(f'{name} = params["{name}"]' if backend.name == "numpy" else f'{name} = {convert(x=f"params[{name!r}]")}')

    def statements(assignments: tuple) -> None:
        for a in assignments:
            if a.name == "xhat":
                normalisation_lines(e, plan, feature_axis=plan.class_axis, backend=backend)
            e.comment(quote(plan, a.step))
            if _overwrites_its_input(a, kept, backend):
                # The pre-activation is read by nothing after this line: reuse its array.
                e.line(f"{a.name} = {helper_name(a.expr.name)}_inplace({printer.doprint(a.expr.arg)})")
                continue
            for text in assignment_lines(printer, a.name, a.expr, inplace=backend.inplace):
                e.line(text)

    e.line("def _forward(params, x):")
    with e.indented():
        unpack_params()
        e.line(f"x = {convert(x='x')}")
        statements(plan.forward)
        e.line(f"return {', '.join(values)}")
    e.blank(2)
    e.line("def _cost(values, y):")
    with e.indented():
        e.line(f"{', '.join(values)} = values")
        stable = "  (computed from the logits: stable)" if cost_from_logits(plan) else ""
        e.comment(quote(plan, plan.derivation.step("cost")) + stable)
        total = cost_expression(plan, printer, logits=plan.logits.ident, output=plan.output.ident, target="y")
        e.line(f"return ({total}) / y.shape[SAMPLE_AXIS]" if options.reduction == "mean" else f"return {total}")
    e.blank(2)
    e.line("def _gradients(params, values, y):")
    with e.indented():
        unpack_params()
        e.line(f"{', '.join(values)} = values")
        statements(plan.backward)
        if options.reduction == "mean":
            e.line("scale = 1.0 / y.shape[SAMPLE_AXIS]")
            e.line("return {" + ", ".join(f'"{n}": scale * {v}' for n, _, v in plan.gradients) + "}")
        else:
            e.line("return {" + ", ".join(f'"{n}": {v}' for n, _, v in plan.gradients) + "}")
    e.blank(2)
    e.line("def _cost_from_inputs(params, x, y):")
    with e.indented():
        e.line(f"return _cost(_forward(params, x), {convert(x='y')})")
    e.blank(2)
    e.line("def _gradients_from_inputs(params, x, y):")
    with e.indented():
        e.line(f"return _gradients(params, _forward(params, x), {convert(x='y')})")
    e.blank(2)
    e.line("def _both_from_inputs(params, x, y):")
    with e.indented():
        e.line("values = _forward(params, x)")
        e.line(f"y = {convert(x='y')}")
        e.line("return _cost(values, y), _gradients(params, values, y)")
    e.blank(2)
    if backend.name == "jax":
        e.comment("Compiled once per input shape and dtype by XLA.")
        for name in ("_cost_from_inputs", "_gradients_from_inputs", "_both_from_inputs"):
            e.line(f"{name} = jax.jit({name})")
        e.blank(2)
    e.line("def forward(params, x):")
    with e.indented():
        e.line('"""The network\'s output for the inputs x."""')
        e.line("return _forward(params, x)[-1]")
    e.blank(2)
    e.line("def cost(params, x, y):")
    with e.indented():
        e.line("return float(_cost_from_inputs(params, x, y))")
    e.blank(2)
    e.line("def gradients(params, x, y):")
    with e.indented():
        e.line('"""dC/dparam for every parameter, with the parameters\' keys and shapes."""')
        e.line("return _gradients_from_inputs(params, x, y)")
    e.blank(2)
    e.line("def cost_and_gradients(params, x, y):")
    with e.indented():
        e.line('"""(cost, gradients) from one forward pass."""')
        e.line("total, grads = _both_from_inputs(params, x, y)")
        e.line("return float(total), grads")


def _product(expr: object) -> bool:
    """A true matrix product: NumPy returns a new array of the full result shape."""
    return (isinstance(expr, sp.MatMul) and not expr.args[0].is_Number
            and not any(isinstance(a, sp.OneMatrix) for a in expr.args))


def assignment_lines(printer: MatrixCodePrinter, name: str, expr: object, inplace: bool = True) -> list[str]:
    """`name = expr`, as in-place updates where the first operand is a fresh array:
    z1 = W1 @ x; z1 += b1 and delta2 = a2 - y; delta2 *= a2; … (one temporary fewer per operator).
    Backends whose arrays are immutable (JAX) get the plain expression."""
    if not inplace:
        return [f"{name} = {printer.doprint(expr)}"]
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


def _read_after_forward(plan: Plan) -> set[str]:
    """The forward values something reads after the forward pass: the gradient formulas, the cost
    (from the logits or from the output) and forward() (the output)."""
    names = {plan.output.ident, "x"}
    if cost_from_logits(plan):
        names.add(plan.logits.ident)  # the cost is computed from the logits
    if plan.spec.normalize_input:
        names.add("xhat")
    for a in plan.backward:
        names |= {q.ident for q in sp.preorder_traversal(a.expr) if isinstance(q, NetQuantity) and q.kind != "delta"}
    return names


def _overwrites_its_input(a: object, kept: set[str], backend: object) -> bool:
    expr = a.expr
    if not (backend.inplace and isinstance(expr, Apply) and isinstance(expr.arg, NetQuantity)):
        return False
    if expr.arg.ident in kept or expr.name == "softmax":
        return False
    entry = rules.activation(expr.name)
    return inplace_chain(MatrixCodePrinter(), entry.numpy, "z", "z", overwrite=True) is not None
