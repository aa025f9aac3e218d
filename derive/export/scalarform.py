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
from ..algebra import Apply, ApplyPrime, SymbolicEvaluator, Standardize
from ..quantities import LAMBDA, MEAN, STD
from ..safe import as_expr
from .emitter import Emitter
from .options import Options
from .plan import Plan
from .printers import ScalarCodePrinter, print_registry
from .statements import quote

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
    """The private functions on checked arrays: _output, _cost, _gradients, _cost_and_gradients."""
    printer = ScalarCodePrinter()
    e.lines(SCALAR_HELPERS)  # activations are inlined in the statements: no helper per activation
    e.blank(2)
    body = _ScalarBody(plan, printer, labels=options.labels)
    if options.labels == "index":
        rows = ", ".join("(" + ", ".join("1.0" if i == k else "0.0" for i in range(plan.spec.widths[-1])) + ",)"
                         for k in range(plan.spec.widths[-1]))
        e.line(f"_ONE_HOT = ({rows},)  # the targets y_0, y_1, … of class label k, for the statements below")
        e.blank(2)
    # Four functions, each straight-line code for exactly what it returns: no flags, no unused work.
    for name, want_cost, want_grads, want_output in (
        ("_output", False, False, True),
        ("_cost", True, False, False),
        ("_gradients", False, True, False),
        ("_cost_and_gradients", True, True, False),
    ):
        body.function(e, name, want_cost=want_cost, want_grads=want_grads, want_output=want_output,
                      mean=plan.mean)
        e.blank(2)


class _CodeEvaluator(SymbolicEvaluator):
    """The statements on the scalar symbols, f′ as exported code computes it: in a where the
    registry has that form (printed with the stable f), else in the registry's stable form in z
    (SiLU′ written with e^-z overflows math.exp below z = -709)."""

    def _eval_ApplyPrime(self, expr: ApplyPrime) -> sp.Matrix:
        entry = rules.activation(expr.name)
        if entry.df_da is not None:
            return super()._eval_ApplyPrime(expr)
        return self(expr.arg).applyfunc(lambda z: entry.stable_prime.xreplace({rules.Z: z}))


class _ScalarBody:
    """The unrolled statements, computed once and emitted into each API function."""

    def __init__(self, plan: Plan, printer: ScalarCodePrinter, labels: str) -> None:
        self.plan, self.printer, self.labels = plan, printer, labels
        self.dims = {plan.frame.batch: 1}  # one sample at a time
        env: dict[Any, Any] = {}
        self.params = [(name, q, _entry_symbols(name, *self._shape(q))) for name, q, _ in plan.gradients]
        for _, q, symbols in self.params:
            env[q] = symbols
        env[plan.frame.x] = _entry_symbols("x", *self._shape(plan.frame.x))
        env[plan.frame.y] = _entry_symbols("y", *self._shape(plan.frame.y))
        for m in plan.masks:  # given per sample, like x
            env[m] = _entry_symbols(m.ident, *self._shape(m))
        self.mask_names = [(m.ident, [str(s) for s in env[m]]) for m in plan.masks]
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
        # The L2 penalty's terms (λW) belong to the whole batch, not to each sample: added once,
        # after the loop over the samples.
        self.decay_lines: list[str] = []
        if plan.penalty is not None:
            env[LAMBDA] = LAMBDA
            self.penalty_expr = printer.doprint(_CodeEvaluator(env, self.dims)(plan.penalty))
        for a in plan.backward:
            expr = a.expr
            parameter = a.name[1:] if a.name.startswith("d") and a.name[1:] in self.gradient_names else None
            if parameter is not None and isinstance(expr, sp.MatAdd) and expr.has(LAMBDA):
                decay = [t for t in expr.args if t.has(LAMBDA)]
                expr = sp.MatAdd(*[t for t in expr.args if not t.has(LAMBDA)])
                decay_value = _CodeEvaluator(env, self.dims)(sp.MatAdd(*decay))
                self.decay_lines.append("# the L2 penalty's term of " + quote(plan, a.step))
                self.decay_lines += [f"{s} += {printer.doprint(v)}"
                                     for s, v in zip(self.gradient_names[parameter], decay_value)]
            value = _CodeEvaluator(env, self.dims)(expr)
            self.backward_lines.append("# " + quote(plan, a.step))
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
            value = _CodeEvaluator(env, self.dims)(a.expr)
            lines += [f"{s} = {printer.doprint(v)}" for s, v in zip(symbols, value)]
        env[a.step.lhs] = symbols
        return lines

    def function(self, e: Emitter, name: str, *, want_cost: bool, want_grads: bool, want_output: bool,
                 mean: bool) -> None:
        takes_y = want_cost or want_grads
        e.line(f"def {name}(params, x{', y' if takes_y else ''}{self.plan.masks_arg}):")
        with e.indented():
            for pname, _, symbols in self.params:
                e.line(f'{_unpack(symbols)} = params["{pname}"].tolist()')
            e.line("xs = x.tolist()")
            if takes_y:
                e.line("ys = y.tolist()")
            for m, _ in self.mask_names:
                e.line(f'{m}s = masks["{m}"].tolist()  # the dropout mask, given')
            count = "len(xs[0])" if self.plan.sample_axis == 1 else "len(xs)"
            if (want_grads and self.plan.uses_batch_size) or (
                    want_cost and self.plan.penalty is not None and self.plan.penalty.has(self.plan.frame.batch)):
                e.line(f"{self.printer.doprint(self.plan.frame.batch)} = {count}  # the number of samples")
            if not want_output:
                # One sample (the common case for a tiny network): no loop, nothing to accumulate.
                e.line(f"if {count} == 1:")
                with e.indented():
                    self._unpack_sample(e, single=True, takes_y=takes_y)
                    self._body(e, want_cost, want_grads, want_output=False, accumulate=False)
                    self._result(e, want_cost, want_grads, mean=False, count=count)
            if want_cost:
                e.line("cost = 0.0")
            if want_grads:
                for symbols in self.gradient_names.values():
                    e.line(" = ".join(str(s) for s in symbols) + " = 0.0")
            if want_output:
                e.line("outputs = []")
            self._unpack_sample(e, single=False, takes_y=takes_y)
            with e.indented():
                if takes_y and self.labels == "index":
                    e.line(f"{', '.join(self.y_names)}, = _ONE_HOT[label]")
                self._body(e, want_cost, want_grads, want_output, accumulate=True)
            if want_output:
                e.line("out = np.array(outputs)")
                e.line("return out.T if SAMPLE_AXIS == 1 else out")
                return
            self._result(e, want_cost, want_grads, mean=mean, count=count)

    def _unpack_sample(self, e: Emitter, *, single: bool, takes_y: bool) -> None:
        """One sample's x, y (or class label) and dropout masks."""
        labels = takes_y and self.labels == "index"
        given = [(self.x_names, "xs")] + ([(self.y_names, "ys")] if takes_y and not labels else [])
        given += [(names, f"{m}s") for m, names in self.mask_names]
        column = self.plan.sample_axis == 1  # samples are columns
        if single:
            for names, source in given:
                if column:
                    e.line(f"{', '.join(f'({v},)' for v in names)}, = {source}")
                else:
                    e.line(f"({', '.join(names)},), = {source}")
            if labels:
                e.line("label, = ys")
                e.line(f"{', '.join(self.y_names)}, = _ONE_HOT[label]")
            return
        if labels:
            given.insert(1, (None, "ys"))
        if column:
            targets = ", ".join("label" if names is None else ", ".join(names) for names, _ in given)
            sources = ", ".join(source if names is None else f"*{source}" for names, source in given)
        else:
            targets = ", ".join("label" if names is None else f"({', '.join(names)},)" for names, _ in given)
            sources = ", ".join(source for _, source in given)
        if len(given) == 1 and not column:
            e.line(f"for {targets} in xs:")
        else:
            e.line(f"for {targets} in zip({sources}):")

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

    def _result(self, e: Emitter, want_cost: bool, want_grads: bool, *, mean: bool, count: str) -> None:
        if want_cost:
            e.line(f"cost = cost / {count}" if mean else "cost = float(cost)")
            if self.plan.penalty is not None:
                e.line(f"cost += {self.penalty_expr}  # the L2 penalty")
        if want_grads:
            for text in self.decay_lines:
                e.line(text)
            # One array for all gradients, handed out as views: one allocation instead of one per
            # parameter (which is most of the cost of a call at this size).
            flat = [str(v) for symbols in self.gradient_names.values() for v in symbols]
            e.line(f"flat = np.array(({', '.join(flat)},))")
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
