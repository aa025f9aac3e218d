"""The matrix form: whole-layer NumPy statements, one per verified step."""

from __future__ import annotations

import re
from typing import Any

import sympy as sp

from .. import rules
from ..algebra import Apply, NetQuantity
from ..errors import DeriveError
from .emitter import Emitter
from .options import Options
from .plan import Plan
from .printers import MatrixCodePrinter, helper_name, inplace_chain
from .statements import (activation_helpers, array_form, cost_expression, cost_from_logits, label_index,
                         normalisation_lines, overflow_guard, quote)


def emit_matrix_body(e: Emitter, plan: Plan, options: Options) -> None:
    """The private functions on checked arrays: _output, _cost, _gradients, _cost_and_gradients."""
    backend = options.array_backend
    printer = MatrixCodePrinter({"backend": backend, "batch": plan.frame.batch})
    activation_helpers(e, plan, scalar=False, backend=backend)
    if any(layer.activation == "softmax" for layer in plan.spec.layers):
        e.lines(backend.softmax)
        e.blank(2)
    if plan.softmax_cross_entropy:
        e.lines(backend.log_softmax)
        e.blank(2)
    kept = _read_after_forward(plan)
    params = [name for name, _, _ in plan.gradients]

    def unpack_params() -> None:
        for name in params:
            e.line(f'{name} = params["{name}"]')

    def statements(assignments: tuple, buffers: Buffers) -> None:
        for a in assignments:
            buffers.next_step()
            if a.name == "xhat":
                normalisation_lines(e, plan, feature_axis=plan.class_axis, backend=backend)
            e.comment(quote(plan, a.step))
            if _overwrites_its_input(a, kept, backend):
                # The pre-activation is read by nothing after this line: reuse its array.
                e.line(f"{a.name} = {helper_name(a.expr.name)}_inplace({printer.doprint(a.expr.arg)})")
                buffers.alias(a.name, a.expr.arg.ident)
                continue
            coeff, inner = _scaled(a.expr)
            if options.labels == "index" and _output_minus_target(plan, inner):
                # ŷ − y with y one-hot: ŷ with 1 taken off each sample's labelled entry.
                index = label_index(plan, backend, "y")
                for text in backend.subtract_one_hot:
                    e.line(text.format(out=a.name, a=plan.output.ident, index=index))
                if coeff is not None:  # (1/n)(ŷ − y) of a mean
                    divide = coeff.is_Pow and coeff.exp == -1
                    op, by = ("/", coeff.base) if divide else ("*", coeff)
                    e.line(f"{a.name} {op}= {printer.doprint(by)}" if backend.inplace else
                           f"{a.name} = {a.name} {op} {printer.doprint(by)}")
                continue
            if options.labels == "index" and a.expr.has(plan.frame.y):
                raise DeriveError(f"no code for class labels in {a.step.key}")  # check_labels admits no such network
            into = buffers.dead_array(a.expr.shape) if _leading_product(a.expr) is not None else None
            lines = assignment_lines(printer, a.name, a.expr, inplace=backend.inplace, into=into)
            if into is not None:
                lines[0] += f"  # in {into}'s memory: nothing reads {into} again"
            for text in lines:
                e.line(text)
            buffers.define(a.name, a.expr, into)

    stable = "  (computed from the logits: stable)" if cost_from_logits(plan) else ""
    total = cost_expression(plan, printer, logits=plan.logits.ident, output=plan.output.ident, target="y",
                            labels=options.labels)
    if plan.mean:  # the cost step's 1/n: the gradients carry theirs in the verified steps
        total = f"({total}) / x.shape[SAMPLE_AXIS]"
    if plan.penalty is not None:  # the L2 penalty of the cost step, once per batch
        total = f"{total} + {printer.doprint(plan.penalty)}"
    batch = printer.doprint(plan.frame.batch)
    penalty_reads_n = plan.penalty is not None and plan.penalty.has(plan.frame.batch)
    grads = "{" + ", ".join(f'"{n}": {v}' for n, _, v in plan.gradients) + "}"
    forward_reads, backward_reads = _statement_reads(printer, plan.forward), _statement_reads(printer, plan.backward)
    M = plan.masks_arg
    guard = overflow_guard(plan, backend)
    # Four functions, each straight-line code for exactly what it returns (no intermediate tuples,
    # no calls between forward and backward pass), as in the scalar form.
    for name, want_cost, want_grads in ((f"_output(params, x{M})", False, False),
                                        (f"_cost(params, x, y{M})", True, False),
                                        (f"_gradients(params, x, y{M})", False, True),
                                        (f"_cost_and_gradients(params, x, y{M})", True, True)):
        if guard:
            e.line(guard)
        e.line(f"def {name}:")
        with e.indented():
            unpack_params()
            for m in plan.masks:
                e.line(f'{m.ident} = masks["{m.ident}"]  # the dropout mask, given')
            if (want_grads and plan.uses_batch_size) or (want_cost and penalty_reads_n) or plan.forward_uses_batch_size:
                e.line(f"{batch} = x.shape[SAMPLE_AXIS]  # the number of samples")
            for name, (shape, why) in ONES_VECTORS.items():
                if any(name in reads for reads in forward_reads + (backward_reads if want_grads else [])):
                    e.line(f"{name} = {backend.ones_vector.format(shape=shape)}  # {why}")
            buffers = Buffers(_reads_in_order(forward_reads, backward_reads, plan, total, want_cost, want_grads),
                              backend.name == "numpy")
            statements(plan.forward, buffers)
            if not (want_cost or want_grads):
                e.line(f"return {plan.output.ident}")
            if want_cost:
                e.comment(quote(plan, plan.derivation.step("cost")) + stable)
                e.line(f"total = {total}" if want_grads else f"return {total}")
            buffers.next_step()  # the cost's reads
            if want_grads:
                statements(plan.backward, buffers)
                e.line(f"return {'total, ' if want_cost else ''}{grads}")
        e.blank(2)
    if backend.name == "jax":
        e.comment("Compiled once per input shape and dtype by XLA.")
        for name in ("_output", "_cost", "_gradients", "_cost_and_gradients"):
            e.line(f"{name} = jax.jit({name})")
        e.blank(2)


#: The all-ones vectors over the samples a backend may multiply by (MatrixCodePrinter.ones_vector).
ONES_VECTORS = {
    "ones_n": ("(x.shape[SAMPLE_AXIS], 1)", "δ 𝟏ₙ sums δ over the samples as one matrix product"),
    "ones_n_T": ("(1, x.shape[SAMPLE_AXIS])", "𝟏ₙᵀ Δ sums Δ over the samples as one matrix product"),
}


def _reads_in_order(forward: list[set[str]], backward: list[set[str]], plan: Plan, total: str, want_cost: bool,
                    want_grads: bool) -> list[set[str]]:
    """The names each step of one generated function reads, in order: the forward statements,
    the cost (or nothing), the backward statements if any, then what the function returns."""
    events = [*forward, _names(total) | {plan.output.ident, plan.logits.ident} if want_cost else set()]
    if want_grads:
        events += [*backward, {variable for _, _, variable in plan.gradients}]
    else:
        events.append({plan.output.ident})
    return events


def _statement_reads(printer: MatrixCodePrinter, assignments: tuple) -> list[set[str]]:
    """The names each statement reads, off its printed code, so that every kind of node counts (a
    quantity, ∂C/∂a² printed dC_da2)."""
    return [_names(" ".join(assignment_lines(printer, a.name, a.expr))) for a in assignments]


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _names(code: str) -> set[str]:
    return set(_NAME.findall(code))


class Buffers:
    """The arrays one generated function made itself (never x, y, a parameter or a mask) and which
    of them nothing reads again, so that a later matrix product can be written into one of them
    (np.matmul(…, out=)) instead of into new memory: the fresh pages of a new array cost more than
    the arithmetic at mid sizes, and most of the gap to a hand-written backprop
    (bench/export_vs_peers.py). Only for NumPy: torch's autograd refuses out=, JAX has no
    in-place arrays.

    Variables that may share memory are kept in one group (a helper such as _identity(z) returns
    its argument, z.T is a view), and a group is reused only when none of its variables is read
    again."""

    def __init__(self, reads: list[set[str]], enabled: bool) -> None:
        self._reads = reads  # what each step reads, in order (_reads_in_order)
        self._position = -1
        self._enabled = enabled
        self._group: dict[str, str] = {}  # variable -> its group, named by its first variable
        self._shape: dict[str, tuple | None] = {}  # group -> the shape of its arrays; None: mixed

    def next_step(self) -> None:
        """The next statement (or the cost, whose reads are a step of their own) begins."""
        self._position += 1

    def dead_array(self, shape: tuple) -> str | None:
        """A variable holding an array of this shape that neither this statement nor any later
        step reads, or None."""
        if not self._enabled:
            return None
        live = set().union(*self._reads[self._position:])
        members: dict[str, list[str]] = {}
        for variable, group in self._group.items():
            members.setdefault(group, []).append(variable)
        for group, variables in members.items():
            if self._shape[group] == tuple(shape) and live.isdisjoint(variables):
                return variables[-1]
        return None

    def define(self, name: str, expr: object, into: str | None) -> None:
        """`name = expr` was emitted, its leading product written into `into`'s array if given."""
        if into is not None:
            self._group[name] = self._group[into]
        elif isinstance(expr, (sp.MatAdd, sp.HadamardProduct, sp.MatMul)):  # operators: a new array
            self._group[name] = name
            self._shape[name] = tuple(expr.shape)
        else:  # a name, a view or a helper's result: it may be any array it reads
            ours = self._reads[self._position] & set(self._group)
            if ours:
                self._merge(name, tuple(expr.shape), {self._group[v] for v in ours})

    def alias(self, name: str, of: str) -> None:
        """`name` is computed in the array of `of` (an activation applied in place)."""
        if of in self._group:
            self._group[name] = self._group[of]

    def _merge(self, name: str, shape: tuple, groups: set[str]) -> None:
        keep = min(groups)
        shapes = {self._shape[g] for g in groups} | {shape}
        for variable, group in self._group.items():
            if group in groups:
                self._group[variable] = keep
        self._group[name] = keep
        self._shape[keep] = shapes.pop() if len(shapes) == 1 else None


def _scaled(expr: object) -> tuple[object, object]:
    """(c, X) for a statement c X with a scalar c (the 1/n of a mean), else (None, expr)."""
    if isinstance(expr, sp.MatMul) and len(expr.args) == 2 and not isinstance(expr.args[0], sp.MatrixExpr):
        return expr.args[0], expr.args[1]
    return None, expr


def _output_minus_target(plan: Plan, expr: object) -> bool:
    """Whether expr is ŷ − y (in either order of terms)."""
    return isinstance(expr, sp.MatAdd) and set(expr.args) == {plan.output, -plan.frame.y}


def _product(expr: object) -> bool:
    """A true matrix product: NumPy returns a new array of the full result shape."""
    return (isinstance(expr, sp.MatMul) and not expr.args[0].is_Number
            and not any(isinstance(a, sp.OneMatrix) for a in expr.args))


def _scaled_fresh(expr: object) -> bool:
    """(1/n) X of a mean whose X is computed afresh (never scale an alias in place)."""
    return (isinstance(expr, sp.MatMul) and len(expr.args) == 2 and not isinstance(expr.args[0], sp.MatrixExpr)
            and not isinstance(expr.args[1], (NetQuantity, sp.MatrixSymbol, sp.Transpose)))


def _leading_product(expr: object) -> object:
    """The matrix product that assignment_lines computes first into a new array (A B of
    A B ⊙ f, of A B + c, or of A B itself), or None when the statement starts otherwise."""
    if _scaled_fresh(expr):
        return _leading_product(expr.args[1])
    if isinstance(expr, sp.HadamardProduct):
        return expr.args[0] if _product(expr.args[0]) else None
    if isinstance(expr, sp.MatAdd):
        if any(isinstance(t, sp.OneMatrix) for t in expr.args):
            return None
        return next((t for t in expr.args if _product(t)), None)
    return expr if _product(expr) else None


def _product_into(printer: MatrixCodePrinter, product: object, into: str | None) -> str:
    """A B as a new array, or written into the array `into` (whose value nothing reads again)."""
    if into is None or len(product.args) != 2:
        return printer.doprint(product)
    left, right = (printer.doprint(factor) for factor in product.args)
    return f"{printer._module_format('numpy.matmul')}({left}, {right}, out={into})"


def assignment_lines(printer: MatrixCodePrinter, name: str, expr: object, inplace: bool = True,
                     into: str | None = None) -> list[str]:
    """`name = expr`, as in-place updates where the first operand is a fresh array:
    z1 = W1 @ x; z1 += b1 and delta2 = a2 - y; delta2 *= a2; … (one temporary fewer per operator).
    With `into`, the leading product is written into that dead array instead of a new one.
    Backends whose arrays are immutable (JAX) get the plain expression."""
    if not inplace:
        return [f"{name} = {printer.doprint(expr)}"]
    if _scaled_fresh(expr):
        coeff, inner = expr.args  # (1/n) X of a mean: X in place, then one division
        lines = assignment_lines(printer, name, inner, inplace, into)
        if coeff.is_Pow and coeff.exp == -1:
            return lines + [f"{name} /= {printer.doprint(coeff.base)}"]
        return lines + [f"{name} *= {printer.doprint(coeff)}"]
    if isinstance(expr, sp.HadamardProduct) and (_product(expr.args[0]) or isinstance(expr.args[0], sp.MatAdd)):
        first = (_product_into(printer, expr.args[0], into) if _product(expr.args[0])
                 else printer.doprint(expr.args[0]))
        lines = [f"{name} = {first}"]
        return lines + [f"{name} *= {printer._wrap(f)}" for f in expr.args[1:]]
    if isinstance(expr, sp.MatAdd):
        terms = list(expr.args)
        first = next((t for t in terms if _product(t)), None)
        if first is not None and all(not isinstance(t, sp.OneMatrix) for t in terms):
            lines = [f"{name} = {_product_into(printer, first, into)}"]
            for t in terms:
                if t is first:
                    continue
                if isinstance(t, sp.MatMul) and t.args[0].is_Number and t.args[0] < 0:
                    lines.append(f"{name} -= {printer._wrap(sp.MatMul(-t.args[0], *t.args[1:]) if t.args[0] != -1 else (t.args[1] if len(t.args) == 2 else sp.MatMul(*t.args[1:])))}")
                else:
                    lines.append(f"{name} += {printer._wrap(t)}")
            return lines
    if _product(expr):
        return [f"{name} = {_product_into(printer, expr, into)}"]
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
    form = array_form(rules.activation(expr.name), backend)
    return inplace_chain(MatrixCodePrinter(), form, "z", "z", overwrite=True) is not None
