r"""Stage 5, judge: the numbers of a worked example.

A post's givens (x = [0.27, …], W^1 = …, n = 3) are recorded as they come; its results (C = 0.004151,
∂C/∂W^1 = [[…]]) are checked at those givens, to the precision printed, and only there: numbers
before their givens, or without them, are not checked.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ..algebra import Entry, EvaluationError, NetQuantity
from ..errors import VerificationError
from ..safe import as_expr
from .build import Unchecked
from .symbols import shared_bias_layer
from .extract import Statement
from .parser import Node
from .results import Counterexample, Diagnosis, Form, LinkResult
from .usage import OutOfRange, ShapeMismatch, is_matrix


#: The key of a worked example's givens that says one of them was given twice with different numbers.
RESTATED = ("restated",)
#: Kinds of the quantities a worked example gives: inputs, targets, parameters (γ, β of a
#: normalisation too) and dropout masks.
GIVEN_KINDS = ("x", "y", "W", "b", "m", "gamma", "beta")


class WorkedExamples:
    """The judge's methods for worked examples (a mixin of `Judge`)."""

    def worked_example(self, ref: Form, form: Form, st: Statement, text: str) -> LinkResult | None:
        """A post's numbers: givens (x = [0.27, …], W^1 = …, n = 3) and results (C = 0.004151,
        ∂C/∂W^1 = [[…]]), the results checked at the givens to the precision printed."""
        numbers = numbers_of(form.node)
        if numbers is None and (form.usage.decimals or ref.usage.decimals):
            numbers = _arithmetic(form)
            if numbers is None:
                # 0.5 (a_3 − y_1) or ∂C/∂w = 0.74 × δ: numbers beside symbols are judged only at the post's
                # own givens, never at random points
                return self.not_checked(st, form, ref, "numbers of a worked example written beside symbols", None)
        if numbers is None or not (form.usage.decimals or ref.usage.decimals or _is_given_target(ref.value, self)):
            return None
        try:
            target, _ = self.concrete(ref.node, {}, text)
        except (Unchecked, OutOfRange, ShapeMismatch):
            return self.not_checked(st, form, ref, "numbers (a worked example) with a layer letter", None)
        printed, decimals = numbers
        if self.world.batched and target == self.world.batch_symbol:
            ok = len(printed) == 1 and printed[0] == self.world.spec.batch
            return self.link(st, form, ref, "correct" if ok else "wrong", method="the batch size of the example",
                             reason="" if ok else f"the example's batch has {self.world.spec.batch} samples")
        if _is_given_target(target, self):
            return self.record_given(target, form, ref, st, printed, decimals)
        givens = self.givens.setdefault(self.world, {})
        if givens.get(RESTATED):
            return self.not_checked(st, form, ref, "numbers of a worked example after one of its givens was given "
                                    "again with other numbers (which values they use is not said)", None)
        missing = [q for q in self.base_quantities() if q not in givens]
        if missing:
            return self.not_checked(st, form, ref, "numbers of a worked example before its givens (missing "
                                    + ", ".join(self.quantity_name(q) for q in missing[:3]) + ")", None)
        try:
            truth = np.asarray(self.worked_verifier().evaluate(target), dtype=float)
        except (EvaluationError, ValueError, TypeError, KeyError, IndexError, VerificationError) as exc:
            return self.not_checked(st, form, ref, f"cannot evaluate this at the example's values ({exc})", None)
        values = np.asarray(printed, dtype=float)
        if truth.size != values.size or (truth.ndim == 2 and truth.size > 1 and truth.shape != _shape_of(form.value)):
            return self.link(st, form, ref, "wrong", method="worked example",
                             reason=f"the example's numbers have shape {_shape_of(form.value)}, the left side "
                                    f"{truth.shape}", diagnosis=Diagnosis("wrong-shape", "wrong number of values"))
        slack = 10.0 if form.relation == "approx" else 1.0
        flat = truth.ravel()
        for n, (t, v, d) in enumerate(zip(flat, values.ravel(), decimals)):
            if not abs(t - v) <= slack * (0.51 * 10.0 ** (-d) + 1e-6 * abs(t)) + 1e-12:
                cols = truth.shape[1] if truth.ndim == 2 else 1
                entry = f"({n // cols + 1}, {n % cols + 1})" if truth.size > 1 else ""
                point = tuple((q.name[len("rate_"):] if _is_rate(q) else self.quantity_name(q),
                               np.asarray(v_, dtype=float)) for q, v_ in givens.items() if not isinstance(q, tuple))
                correct = _numbers_latex(truth, max(decimals))
                return self.link(st, form, ref, "wrong", method="worked example",
                                 reason=f"at the example's values the left side{(' entry ' + entry) if entry else ''} "
                                        f"is {t:.{max(d, 1) + 2}g}, not {v:g}",
                                 counterexample=Counterexample("", entry, float(t), float(v), point),
                                 diagnosis=Diagnosis("wrong-number", "the number does not follow from the example's "
                                                     "givens"), correct=correct)
        return self.link(st, form, ref, "correct", method="worked example (to the digits printed)")

    def base_quantities(self) -> list[Any]:
        from ..quantities import EPSILON, LAMBDA, MEAN, STD

        f = self.world.frame
        out = [f.x] + ([MEAN, STD] if self.world.spec.normalize_input else [])
        out += [LAMBDA] if self.world.spec.l2 else []
        out += [EPSILON] if self.world.spec.norm else []
        out += f.masks()  # the dropout masks: given like x
        for l in range(1, self.world.depth + 1):
            out.append(f.W(sp.Integer(l)))
            if f.has_bias(sp.Integer(l)):
                out.append(f.b(sp.Integer(l)))
            if f.norm(sp.Integer(l)):  # γ^l and β^l: parameters, given like W^l
                out += [f.gamma(sp.Integer(l)), f.beta(sp.Integer(l))]
        return out + [f.y]

    def record_given(self, target: Any, form: Form, ref: Form, st: Statement, printed: list, decimals: list) -> LinkResult:
        entry = _given_entry(target, self)
        if entry is not None:
            return self.record_given_entry(entry, form, ref, st, printed)
        shared = shared_bias_layer(target)
        if shared is not None:  # b_1 = 0.35, Mazur's one bias of layer 1: every neuron's bias of the layer
            if len(printed) != 1:
                return self.link(st, form, ref, "wrong", method="shapes", reason=f"{ref.text} is one number",
                                 diagnosis=Diagnosis("wrong-shape", f"{ref.text} is one number"))
            target = self.world.frame.b(sp.Integer(shared))
            value: Any = np.full((int(self.world.widths[shared]), 1), float(printed[0]))
        else:
            dims = {self.world.batch_symbol: self.world.spec.batch} if self.world.batched else {}
            shape = (1, 1) if not is_matrix(target) else tuple(int(as_expr(d).xreplace(dims)) for d in target.shape)
            got = _shape_of(form.value)
            if (shape != (1, 1) or got != (1, 1)) and got != shape:
                return self.link(st, form, ref, "wrong", method="shapes", reason=f"{ref.text} is {shape[0]} × "
                                 f"{shape[1]}, the example gives {got[0]} × {got[1]}",
                                 shapes=(f"{shape[0]} × {shape[1]}", f"{got[0]} × {got[1]}"),
                                 diagnosis=Diagnosis("wrong-shape", f"{ref.text} is {shape[0]} × {shape[1]}"))
            value = np.asarray(printed, dtype=float).reshape(shape) if is_matrix(target) else float(printed[0])
        givens = self.givens.setdefault(self.world, {})
        if target in givens and not np.array_equal(np.asarray(givens[target]), np.asarray(value)):
            # W_2 = [other numbers]: the next step of the example, or another example; whether the numbers
            # that follow use the old values or these is not said, so none of them is checked
            givens[RESTATED] = True
            return self.not_checked(st, form, ref, f"{ref.text} given a second time with other numbers (the "
                                    "numbers that follow are not checked: which values they use is not said)", None)
        givens[target] = value
        self.world.cache.pop(("worked", id(self.givens)), None)
        return self.link(st, form, ref, "correct", method="a given of the worked example")

    def record_given_entry(self, entry: Any, form: Form, ref: Form, st: Statement, printed: list) -> LinkResult:
        """x_1 = 0.05, w_{13} = 0.15: a given written one number at a time (Mazur's example); the matrix
        counts as given once every entry is."""
        if len(printed) != 1:
            return self.link(st, form, ref, "wrong", method="shapes", reason=f"{ref.text} is one number",
                             diagnosis=Diagnosis("wrong-shape", f"{ref.text} is one number"))
        q = entry.of
        rows, cols = (int(as_expr(d).xreplace(self.dims)) for d in q.shape)
        partial = self.givens.setdefault(self.world, {}).setdefault(("entries", q), {})
        partial[entry.position()] = float(printed[0])
        if len(partial) == rows * cols:
            matrix = np.zeros((rows, cols))
            for (r, c), v in partial.items():
                matrix[r, c] = v
            self.givens[self.world][q] = matrix
            self.world.cache.pop(("worked", id(self.givens)), None)
        return self.link(st, form, ref, "correct", method="a given of the worked example")

    def worked_verifier(self) -> Any:
        """The engine's numeric verifier at the example's givens instead of a random draw."""
        from ..verify import NumericVerifier

        everything = {q: v for q, v in self.givens[self.world].items() if not isinstance(q, tuple)}
        rates = {q: v for q, v in everything.items() if _is_rate(q)}  # η = 0.5: not a quantity of the network
        givens = {q: v for q, v in everything.items() if q not in rates}
        key = ("worked", id(self.givens))
        cached = self.world.cache.get(key)
        if cached is not None and cached[0] == len(everything):
            return cached[1]

        class AtGivens(NumericVerifier):
            def _draw_base(inner) -> dict[Any, Any]:
                return dict(givens)

        verifier = AtGivens(self.world.instance, 0)
        verifier.env.update(rates)
        self.world.cache[key] = (len(everything), verifier)
        return verifier



def numbers_of(node: Node | None) -> tuple[list[float], list[int]] | None:
    """The numbers of a form made of numbers only (a number, −number, a matrix of them), and
    how many decimals each was printed with; None for anything else."""
    if node is None:
        return None
    if node.kind == "num":
        text = node.value
        return [float(text)], [len(text.split(".")[1]) if "." in text else 0]
    if node.kind == "neg":
        inner = numbers_of(node.children[0])
        return None if inner is None or len(inner[0]) != 1 else ([-inner[0][0]], inner[1])
    if node.kind == "group" and node.value in ("(", "["):
        return numbers_of(node.children[0])
    if node.kind == "matrix":
        values, decimals = [], []
        for cell in node.children:
            found = numbers_of(cell)
            if found is None or len(found[0]) != 1:
                return None
            values += found[0]
            decimals += found[1]
        return values, decimals
    return None


def _shape_of(value: Any) -> tuple[int, int]:
    return tuple(value.shape) if isinstance(value, sp.MatrixBase) else (1, 1)


def _is_given_target(value: Any, judge: Any) -> bool:
    from ..quantities import EPSILON, LAMBDA, MEAN, STD

    if value in (MEAN, STD, LAMBDA, EPSILON):
        return True
    if judge.world.batched and value == judge.world.batch_symbol:
        return True
    if _given_entry(value, judge) is not None:
        return True
    if shared_bias_layer(value) is not None:
        return True  # b_1 = 0.35: the bias all neurons of layer 1 share
    if _is_rate(value):
        return True  # the learning rate of the example's update rules: η = 0.5
    return isinstance(value, NetQuantity) and (value.kind in GIVEN_KINDS)


def _is_rate(value: Any) -> bool:
    """A learning rate (usage.learning_rate: η, α of an update rule)."""
    return isinstance(value, sp.Symbol) and value.name.startswith("rate_") and bool(value.is_positive)


def _given_entry(value: Any, judge: Any) -> Any:
    """The entry of an input, target or parameter a scalar names (x_1, w_{13}), else None."""
    if isinstance(value, sp.Symbol) and value.name in judge.world.scalar_symbols:
        value = judge.world.scalar_symbols[value.name].entry
    if isinstance(value, Entry) and isinstance(value.of, NetQuantity) and value.of.kind in GIVEN_KINDS:
        return value
    return None


def _numbers_latex(values: np.ndarray, places: int) -> str:
    if values.size == 1:
        return f"{float(values.ravel()[0]):.{places}f}"
    rows = values if values.ndim == 2 else values.reshape(-1, 1)
    body = r"\\".join(" & ".join(f"{v:.{places}f}" for v in row) for row in rows)
    return rf"\begin{{bmatrix}}{body}\end{{bmatrix}}"


def _arithmetic(form: Form) -> tuple[list[float], list[int]] | None:
    """A side made of numbers only (0.74136 × 0.186816 − 0.5): its value, with as many decimals as the
    most precise number written; None when it names anything else."""
    value = form.value
    if value is None or is_matrix(value) or not as_expr(value).is_number:
        return None
    places = [len(n.value.split(".")[1]) for n in _walk(form.node) if n.kind == "num" and "." in n.value]
    try:
        return [float(as_expr(value))], [max(places, default=0)]
    except (TypeError, ValueError):
        return None


def _walk(node: Node):
    yield node
    for child in node.children:
        yield from _walk(child)
