"""The matrix form: whole-layer NumPy statements, one per verified step."""

from __future__ import annotations

import sympy as sp

from .emitter import Emitter
from .module import Options, activation_helpers, backend_of, cost_expression, normalisation_lines, quote
from .plan import Plan
from ..algebra import Apply, NetQuantity
from .printers import MatrixCodePrinter, helper_name, inplace_chain


def emit_matrix_body(e: Emitter, plan: Plan, options: Options) -> None:
    backend = backend_of(options)
    printer = MatrixCodePrinter({"backend": backend})
    activation_helpers(e, plan, scalar=False, options=options)
    if any(layer.activation == "softmax" for layer in plan.spec.layers):
        e.lines(backend.softmax)
        e.blank(2)
    if plan.output_activation.name == "softmax" and plan.cost.name == "cross-entropy":
        e.lines(backend.log_softmax)
        e.blank(2)
    kept = _read_after_forward(plan)
    masks = [m.ident for m in plan.masks]
    values = ["x"] + [m for m in masks if m in kept] + [a.name for a in plan.forward if a.name in kept]
    M = plan.masks_arg
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

    e.line(f"def _forward(params, x{M}):")
    with e.indented():
        unpack_params()
        e.line(f"x = {convert(x='x')}")
        for m in masks:
            given = convert(x=f'masks["{m}"]')
            e.line(f"{m} = {given}  # the dropout mask, given")
        statements(plan.forward)
        e.line(f"return {', '.join(values)}")
    e.blank(2)
    e.line("def _cost(values, y):")
    with e.indented():
        e.line(f"{', '.join(values)} = values")
        from_logits = plan.output_activation.name in plan.cost.from_logits or (
            plan.output_activation.name == "softmax" and plan.cost.name == "cross-entropy")
        e.comment(quote(plan, plan.derivation.step("cost")) + ("  (computed from the logits: stable)" if from_logits else ""))
        total = cost_expression(plan, printer, logits=plan.logits.ident, output=plan.output.ident, target="y")
        e.line(f"return ({total}) / y.shape[SAMPLE_AXIS]" if plan.mean else f"return {total}")
    e.blank(2)
    if plan.penalty is not None:
        e.line("def _penalty(params, y):")
        with e.indented():
            unpack_params()
            if plan.penalty.has(plan.frame.batch):
                e.line(f"{printer.doprint(plan.frame.batch)} = y.shape[SAMPLE_AXIS]  # the number of samples")
            e.comment("the L2 penalty of the cost (its data term is _cost)")
            e.line(f"return {printer.doprint(plan.penalty)}")
        e.blank(2)
    e.line("def _gradients(params, values, y):")
    with e.indented():
        unpack_params()
        e.line(f"{', '.join(values)} = values")
        if plan.uses_batch_size:
            e.line(f"{printer.doprint(plan.frame.batch)} = y.shape[SAMPLE_AXIS]  # the number of samples")
        statements(plan.backward)
        e.line("return {" + ", ".join(f'"{n}": {v}' for n, _, v in plan.gradients) + "}")
    e.blank(2)
    e.line(f"def _cost_from_inputs(params, x, y{M}):")
    with e.indented():
        if plan.penalty is None:
            e.line(f"return _cost(_forward(params, x{M}), {convert(x='y')})")
        else:
            e.line(f"y = {convert(x='y')}")
            e.line(f"return _cost(_forward(params, x{M}), y) + _penalty(params, y)")
    e.blank(2)
    e.line(f"def _gradients_from_inputs(params, x, y{M}):")
    with e.indented():
        e.line(f"return _gradients(params, _forward(params, x{M}), {convert(x='y')})")
    e.blank(2)
    e.line(f"def _both_from_inputs(params, x, y{M}):")
    with e.indented():
        e.line(f"values = _forward(params, x{M})")
        e.line(f"y = {convert(x='y')}")
        total = "_cost(values, y)" + (" + _penalty(params, y)" if plan.penalty is not None else "")
        e.line(f"return {total}, _gradients(params, values, y)")
    e.blank(2)
    if backend.name == "jax":
        e.comment("Compiled once per input shape and dtype by XLA.")
        for name in ("_cost_from_inputs", "_gradients_from_inputs", "_both_from_inputs"):
            e.line(f"{name} = jax.jit({name})")
        e.blank(2)
    e.line(f"def forward(params, x{M}):")
    with e.indented():
        e.line('"""The network\'s output for the inputs x."""' if not M else
               '"""The network\'s output for the inputs x and the dropout masks {\"m1\": array, …}."""')
        e.line(f"return _forward(params, x{M})[-1]")
    e.blank(2)
    e.line(f"def cost(params, x, y{M}):")
    with e.indented():
        e.line(f"return float(_cost_from_inputs(params, x, y{M}))")
    e.blank(2)
    e.line(f"def gradients(params, x, y{M}):")
    with e.indented():
        e.line('"""dC/dparam for every parameter, with the parameters\' keys and shapes."""')
        e.line(f"return _gradients_from_inputs(params, x, y{M})")
    e.blank(2)
    e.line(f"def cost_and_gradients(params, x, y{M}):")
    with e.indented():
        e.line('"""(cost, gradients) from one forward pass."""')
        e.line(f"total, grads = _both_from_inputs(params, x, y{M})")
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
    if isinstance(expr, sp.MatMul) and len(expr.args) == 2 and not isinstance(expr.args[0], sp.MatrixExpr):
        coeff, inner = expr.args  # (1/n) X of a mean: X in place, then one division
        lines = assignment_lines(printer, name, inner, inplace)
        if coeff.is_Pow and coeff.exp == -1:
            return lines + [f"{name} /= {printer.doprint(coeff.base)}"]
        return lines + [f"{name} *= {printer.doprint(coeff)}"]
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
    cost, act = plan.cost, plan.output_activation
    if act.name in cost.from_logits or (act.name == "softmax" and cost.name == "cross-entropy"):
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
    from .. import rules

    entry = rules.activation(expr.name)
    return inplace_chain(MatrixCodePrinter(), entry.numpy, "z", "z", overwrite=True) is not None
