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

from ..safe import as_expr
from ..algebra import Apply, SymbolicEvaluator, Standardize
from ..quantities import MEAN, STD
from .emitter import Emitter
from .module import Options, quote
from .plan import Plan
from .printers import ScalarCodePrinter, print_registry

SCALAR_HELPERS = '''
_exp, _log, _tanh = math.exp, math.log, math.tanh


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
    e.lines(SCALAR_HELPERS)  # activations are inlined in the statements: no helper per activation
    e.blank(2)
    body = _ScalarBody(plan, printer)
    # Four functions, each straight-line code for exactly what it returns: no flags, no unused work.
    for name, doc, want_cost, want_grads, want_output in (
        ("forward", "The network's output for the inputs x.", False, False, True),
        ("cost", None, True, False, False),
        ("gradients", "dC/dparam for every parameter, with the parameters' keys and shapes.", False, True, False),
        ("cost_and_gradients", "(cost, gradients) from one pass over the samples.", True, True, False),
    ):
        body.function(e, name, doc, want_cost=want_cost, want_grads=want_grads, want_output=want_output,
                      mean=options.reduction == "mean", dtype=options.dtype)
        e.blank(2)


class _ScalarBody:
    """The unrolled statements, computed once and emitted into each API function."""

    def __init__(self, plan: Plan, printer: ScalarCodePrinter) -> None:
        self.plan, self.printer = plan, printer
        self.dims = {plan.frame.batch: 1}  # one sample at a time
        env: dict[Any, Any] = {}
        self.params = [(name, q, _entry_symbols(name, *self._shape(q))) for name, q, _ in plan.gradients]
        for _, q, symbols in self.params:
            env[q] = symbols
        env[plan.frame.x] = _entry_symbols("x", *self._shape(plan.frame.x))
        env[plan.frame.y] = _entry_symbols("y", *self._shape(plan.frame.y))
        if plan.spec.normalize_input:
            env[MEAN], env[STD] = MEAN, STD
        self.forward_lines: list[str] = []
        for a in plan.forward:
            self.forward_lines += self._forward(a, env)
        self.output = list(env[plan.output])
        setup, self.cost_expr = _cost_parts(plan, printer, env)
        self.cost_lines = ["# " + quote(plan, plan.derivation.step("cost"))] + setup
        self.gradient_names = {name: _entry_symbols("d" + name, *self._shape(q)) for name, q, _ in self.params}
        self.backward_lines: list[str] = []
        for a in plan.backward:
            value = SymbolicEvaluator(env, self.dims)(a.expr)
            self.backward_lines.append("# " + quote(plan, a.step))
            parameter = a.name[1:] if a.name.startswith("d") and a.name[1:] in self.gradient_names else None
            if parameter is not None:  # a parameter gradient: summed over the samples
                self.backward_lines += [f"{s} += {printer.doprint(v)}" for s, v in zip(self.gradient_names[parameter], value)]
            else:
                symbols = _entry_symbols(a.name, value.rows, value.cols)
                self.backward_lines += [f"{s} = {printer.doprint(v)}" for s, v in zip(symbols, value)]
                env[a.step.lhs] = symbols
        self.x_names = [str(s) for s in env[plan.frame.x]]
        self.y_names = [str(s) for s in env[plan.frame.y]]

    def _shape(self, q: Any) -> tuple[int, int]:
        return (int(as_expr(q.shape[0]).xreplace(self.dims)), int(as_expr(q.shape[1]).xreplace(self.dims)))

    def _forward(self, a: Any, env: dict) -> list[str]:
        plan, printer = self.plan, self.printer
        lines = ["# " + quote(plan, a.step)]
        symbols = _entry_symbols(a.name, *self._shape(a.step.lhs))
        if isinstance(a.expr, Standardize):
            xs = [str(s) for s in env[plan.frame.x]]
            n = len(xs)
            lines.append(f"{MEAN} = ({' + '.join(xs)}) / {n}")
            lines.append(f"{STD} = math.sqrt(({' + '.join(f'({v} - {MEAN})**2' for v in xs)}) / {n}) or 1.0"
                         "  # a constant sample standardises to 0")
        if isinstance(a.expr, Apply) and a.expr.name == "softmax":
            logits = ", ".join(str(s) for s in env[a.expr.arg])
            lines.append(f"{', '.join(str(s) for s in symbols)} = _softmax_list([{logits}])")
        else:
            value = SymbolicEvaluator(env, self.dims)(a.expr)
            lines += [f"{s} = {printer.doprint(v)}" for s, v in zip(symbols, value)]
        env[a.step.lhs] = symbols
        return lines

    def function(self, e: Emitter, name: str, doc: str | None, *, want_cost: bool, want_grads: bool,
                 want_output: bool, mean: bool, dtype: str) -> None:
        takes_y = want_cost or want_grads
        e.line(f"def {name}(params, x{', y' if takes_y else ''}):")
        with e.indented():
            if doc:
                e.line(f'"""{doc}"""')
            for pname, _, symbols in self.params:
                e.line(f'{_unpack(symbols)} = params["{pname}"].tolist()')
            e.line("xs = (x if isinstance(x, np.ndarray) else np.asarray(x, dtype=np.float64)).tolist()")
            if takes_y:
                e.line("ys = (y if isinstance(y, np.ndarray) else np.asarray(y, dtype=np.float64)).tolist()")
            count = "len(xs[0])" if self.plan.sample_axis == 1 else "len(xs)"
            if not want_output:
                # One sample (the common case for a tiny network): no loop, nothing to accumulate.
                e.line(f"if {count} == 1:")
                with e.indented():
                    self._unpack_sample(e, single=True, takes_y=takes_y)
                    self._body(e, want_cost, want_grads, want_output=False, accumulate=False)
                    self._result(e, want_cost, want_grads, mean=False, dtype=dtype, count=count)
            if want_cost:
                e.line("cost = 0.0")
            if want_grads:
                for symbols in self.gradient_names.values():
                    e.line(" = ".join(str(s) for s in symbols) + " = 0.0")
            if want_output:
                e.line("outputs = []")
            self._unpack_sample(e, single=False, takes_y=takes_y)
            with e.indented():
                self._body(e, want_cost, want_grads, want_output, accumulate=True)
            if want_output:
                cast = "" if dtype == "float64" else ", dtype=DTYPE"
                e.line(f"out = np.array(outputs{cast})")
                e.line("return out.T if SAMPLE_AXIS == 1 else out")
                return
            self._result(e, want_cost, want_grads, mean=mean, dtype=dtype, count=count)

    def _unpack_sample(self, e: Emitter, *, single: bool, takes_y: bool) -> None:
        xs, ys = ", ".join(self.x_names), ", ".join(self.y_names)
        if self.plan.sample_axis == 1:  # samples are columns
            if single:
                e.line(f"{', '.join(f'({v},)' for v in self.x_names)}, = xs")
                if takes_y:
                    e.line(f"{', '.join(f'({v},)' for v in self.y_names)}, = ys")
            else:
                names = xs + (f", {ys}" if takes_y else "")
                e.line(f"for {names} in zip(*xs{', *ys' if takes_y else ''}):")
        else:  # samples are rows
            if single:
                e.line(f"({xs},), = xs")
                if takes_y:
                    e.line(f"({ys},), = ys")
            else:
                e.line(f"for ({xs},){f', ({ys},)' if takes_y else ''} in {'zip(xs, ys)' if takes_y else 'xs'}:")

    def _body(self, e: Emitter, want_cost: bool, want_grads: bool, want_output: bool, accumulate: bool) -> None:
        for text in self.forward_lines:
            e.line(text)
        if want_output:
            e.line(f"outputs.append(({', '.join(map(str, self.output))},))")
        if want_cost:
            for text in self.cost_lines:
                e.line(text)
            e.line(f"cost {'+=' if accumulate else '='} {self.cost_expr}")
        if want_grads:
            for text in self.backward_lines:
                e.line(text if accumulate else text.replace(" += ", " = "))

    def _result(self, e: Emitter, want_cost: bool, want_grads: bool, *, mean: bool, dtype: str, count: str) -> None:
        if want_cost:
            e.line(f"cost = cost / {count}" if mean else "cost = float(cost)")
        if want_grads:
            scale = ""
            if mean:
                e.line(f"scale = 1.0 / {count}")
                scale = "scale * "
            # One array for all gradients, handed out as views: one allocation instead of one per
            # parameter (which is most of the cost of a call at this size).
            flat = [str(v) for symbols in self.gradient_names.values() for v in symbols]
            cast = "" if dtype == "float64" else ", dtype=DTYPE"
            e.line(f"flat = {scale}np.array(({', '.join(flat)},){cast})")
            entries, start = [], 0
            for pname, symbols in self.gradient_names.items():
                stop = start + len(symbols)
                if symbols.cols == 1:
                    view = f"flat[{start}:{stop}, None]"
                elif symbols.rows == 1:
                    view = f"flat[None, {start}:{stop}]"
                else:
                    view = f"flat[{start}:{stop}].reshape(({symbols.rows}, {symbols.cols}))"
                entries.append(f'"{pname}": {view}')
                start = stop
            e.line("grads = {" + ", ".join(entries) + "}")
        if want_cost and want_grads:
            e.line("return cost, grads")
        elif want_cost:
            e.line("return cost")
        else:
            e.line("return grads")


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


def _cost_parts(plan: Plan, printer: ScalarCodePrinter, env: dict) -> tuple[list[str], str]:
    """(set-up lines, expression) for this sample's cost, from the logits where the registry
    knows a stable form."""
    cost, act = plan.cost, plan.output_activation
    outputs, logits, targets = list(env[plan.output]), list(env[plan.logits]), list(env[plan.frame.y])
    if act.name == "softmax" and cost.name == "cross-entropy":
        setup = [f"log_p = _log_softmax_list([{', '.join(map(str, logits))}])"]
        return setup, "-(" + " + ".join(f"{y}*log_p[{k}]" for k, y in enumerate(targets)) + ")"
    if act.name in cost.from_logits:
        form = cost.from_logits[act.name]
        terms = [f"({print_registry(printer, form, z=str(z), y=str(y))})" for z, y in zip(logits, targets)]
    else:
        terms = [f"({print_registry(printer, cost.c, a=str(o), y=str(y))})" for o, y in zip(outputs, targets)]
    return [], " + ".join(terms)
