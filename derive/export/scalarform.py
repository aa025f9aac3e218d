"""The scalar form: straight-line Python on floats, for networks so small that NumPy's per-call
overhead would dominate (the 2-2-2 network: ~1 µs against ~20 µs for NumPy backprop).

Each verified step is evaluated entry by entry with symbols for the entries of earlier results,
so the code is the matrix statements unrolled: `delta2_0 = (a2_0 - y_0)*a2_0*(1 - a2_0)` implements
δ² = (ŷ − y) ⊙ ŷ ⊙ (1 − ŷ), row 0. Samples are processed one at a time and the parameter
gradients summed over them (the cost is a sum over samples).
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from .. import rules
from ..algebra import Apply, NetQuantity, SymbolicEvaluator, Standardize
from ..backprop import MEAN, STD
from .emitter import Emitter
from .module import Options, activation_helpers, quote
from .plan import Plan
from .printers import ScalarCodePrinter, print_registry

SCALAR_HELPERS = '''
def _logaddexp(a, b):
    # log(e^a + e^b) without overflow
    m = max(a, b)
    return m + math.log1p(math.exp(-abs(a - b)))


def _softmax_list(zs):
    m = max(zs)
    e = [math.exp(z - m) for z in zs]
    s = sum(e)
    return [v / s for v in e]


def _log_softmax_list(zs):
    m = max(zs)
    lse = m + math.log(sum(math.exp(z - m) for z in zs))
    return [z - lse for z in zs]
'''


def _entry_symbols(name: str, rows: int, cols: int) -> sp.Matrix:
    """Symbols for a (rows × cols) value, named W1_0_1 (matrices) or z1_0 (one sample's vector)."""
    if rows == 1 or cols == 1:
        return sp.Matrix(rows, cols, lambda r, c: sp.Symbol(f"{name}_{max(r, c)}"))
    return sp.Matrix(rows, cols, lambda r, c: sp.Symbol(f"{name}_{r}_{c}"))


def emit_scalar_body(e: Emitter, plan: Plan, options: Options) -> None:
    printer = ScalarCodePrinter()
    activation_helpers(e, plan, scalar=True)
    e.lines(SCALAR_HELPERS)
    e.blank(2)

    dims = {plan.frame.batch: 1}  # one sample at a time
    env: dict[Any, Any] = {}
    shape = lambda q: (int(sp.sympify(q.shape[0]).xreplace(dims)), int(sp.sympify(q.shape[1]).xreplace(dims)))  # noqa: E731
    param_quantities = [(name, q) for name, q, _ in plan.gradients]
    for name, q in param_quantities:
        env[q] = _entry_symbols(name, *shape(q))
    x_q, y_q = plan.frame.x, plan.frame.y
    env[x_q] = _entry_symbols("x", *shape(x_q))
    env[y_q] = _entry_symbols("y", *shape(y_q))
    if plan.spec.normalize_input:
        env[MEAN], env[STD] = MEAN, STD

    e.line("def _run(params, x, y, want_cost, want_gradients):")
    with e.indented():
        for name, q in param_quantities:
            e.line(f"{_unpack(env[q])} = params[\"{name}\"].tolist()")
        e.line("samples = np.asarray(x, dtype=np.float64)")
        e.line("targets = np.zeros((0, 0)) if y is None else np.asarray(y, dtype=np.float64)")
        e.line("if SAMPLE_AXIS == 1:")
        with e.indented():
            e.line("samples, targets = samples.T, targets.T")
        e.line("cost = 0.0")
        e.line("outputs = []")
        grads = {name: _entry_symbols("d" + name, *shape(q)) for name, q in param_quantities}
        e.line("if want_gradients:")
        with e.indented():
            for name, matrix in grads.items():
                e.line(" = ".join(str(s) for s in matrix) + " = 0.0")
        x_row = list(env[x_q])
        y_row = list(env[y_q])
        e.line(f"for ({', '.join(map(str, x_row))},), target in zip(samples.tolist(), targets.tolist() or [None] * len(samples)):")
        with e.indented():
            for a in plan.forward:
                _forward_statement(e, plan, printer, env, dims, a, shape)
            out = env[plan.output]
            e.line(f"outputs.append([{', '.join(str(s) for s in out)}])")
            e.line("if target is None:")
            with e.indented():
                e.line("continue")
            e.line(f"{', '.join(map(str, y_row))}, = target")
            e.line("if want_cost:")
            with e.indented():
                e.comment(quote(plan, plan.derivation.step("cost")))
                for text in _cost_lines(plan, printer, env):
                    e.line(text)
            e.line("if want_gradients:")
            with e.indented():
                for a in plan.backward:
                    value = SymbolicEvaluator(env, dims)(a.expr)
                    e.comment(quote(plan, a.step))
                    parameter = a.name[1:] if a.name.startswith("d") and a.name[1:] in grads else None
                    if parameter is not None:  # a parameter gradient: summed over the samples
                        for symbol, expr in zip(grads[parameter], value):
                            e.line(f"{symbol} += {printer.doprint(expr)}")
                    else:
                        symbols = _entry_symbols(a.name, value.rows, value.cols)
                        for symbol, expr in zip(symbols, value):
                            e.line(f"{symbol} = {printer.doprint(expr)}")
                        env[a.step.lhs] = symbols
        e.line("result = {}")
        e.line("if want_gradients:")
        with e.indented():
            for name, matrix in grads.items():
                rows = [f"[{', '.join(str(matrix[r, c]) for c in range(matrix.cols))}]" for r in range(matrix.rows)]
                e.line(f'result["{name}"] = np.array([{", ".join(rows)}], dtype=DTYPE)')
        e.line("out = np.array(outputs, dtype=DTYPE)")
        e.line("return cost, result, (out.T if SAMPLE_AXIS == 1 else out)")
    e.blank(2)
    e.line("def forward(params, x):")
    with e.indented():
        e.line('"""The network\'s output for the inputs x."""')
        e.line("return _run(params, x, None, False, False)[2]")
    e.blank(2)
    _api(e, options)


def _unpack(matrix: sp.Matrix) -> str:
    rows = [", ".join(str(matrix[r, c]) for c in range(matrix.cols)) for r in range(matrix.rows)]
    return "(" + ", ".join(f"({row},)" if matrix.cols == 1 else f"({row})" for row in rows) + ",)"


def _forward_statement(e: Emitter, plan: Plan, printer: ScalarCodePrinter, env: dict, dims: dict, a: Any,
                       shape: Any) -> None:
    e.comment(quote(plan, a.step))
    symbols = _entry_symbols(a.name, *shape(a.step.lhs))
    if isinstance(a.expr, Standardize):
        xs = [str(s) for s in env[plan.frame.x]]
        n = len(xs)
        e.line(f"{MEAN} = ({' + '.join(xs)}) / {n}")
        e.line(f"{STD} = math.sqrt(({' + '.join(f'({v} - {MEAN})**2' for v in xs)}) / {n})")
    if isinstance(a.expr, Apply) and a.expr.name == "softmax":
        logits = ", ".join(str(s) for s in env[a.expr.arg])
        e.line(f"{', '.join(str(s) for s in symbols)} = _softmax_list([{logits}])")
    else:
        value = SymbolicEvaluator(env, dims)(a.expr)
        for symbol, expr in zip(symbols, value):
            e.line(f"{symbol} = {printer.doprint(expr)}")
    env[a.step.lhs] = symbols


def _cost_lines(plan: Plan, printer: ScalarCodePrinter, env: dict) -> list[str]:
    """This sample's cost, from the logits where the registry knows a stable form."""
    cost, act = plan.cost, plan.output_activation
    outputs, logits, targets = list(env[plan.output]), list(env[plan.logits]), list(env[plan.frame.y])
    if act.name == "softmax" and cost.name == "cross-entropy":
        return [f"log_p = _log_softmax_list([{', '.join(map(str, logits))}])",
                "cost -= " + " + ".join(f"{y}*log_p[{k}]" for k, y in enumerate(targets))]
    if act.name in cost.from_logits:
        form = cost.from_logits[act.name]
        terms = [f"({print_registry(printer, form, z=str(z), y=str(y))})" for z, y in zip(logits, targets)]
    else:
        terms = [f"({print_registry(printer, cost.c, a=str(o), y=str(y))})" for o, y in zip(outputs, targets)]
    return ["cost += " + " + ".join(terms)]


def _api(e: Emitter, options: Options) -> None:
    scale = "len(np.atleast_2d(np.asarray(x)).T if SAMPLE_AXIS == 1 else np.atleast_2d(np.asarray(x)))"
    mean = options.reduction == "mean"
    e.line("def cost(params, x, y):")
    with e.indented():
        e.line("total = _run(params, x, y, True, False)[0]")
        e.line(f"return total / {scale}" if mean else "return total")
    e.blank(2)
    e.line("def gradients(params, x, y):")
    with e.indented():
        e.line('"""dC/dparam for every parameter, with the parameters\' keys and shapes."""')
        if mean:
            e.line(f"n = {scale}")
            e.line("return {k: v / n for k, v in _run(params, x, y, False, True)[1].items()}")
        else:
            e.line("return _run(params, x, y, False, True)[1]")
    e.blank(2)
    e.line("def cost_and_gradients(params, x, y):")
    with e.indented():
        e.line('"""(cost, gradients) from one pass over the samples."""')
        e.line("total, grads, _ = _run(params, x, y, True, True)")
        if mean:
            e.line(f"n = {scale}")
            e.line("return total / n, {k: v / n for k, v in grads.items()}")
        else:
            e.line("return total, grads")
