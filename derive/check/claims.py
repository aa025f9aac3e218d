r"""Stage 5, judge: the claims that are not plain equations, and the readings a link may need.

Update rules (W ← W − η ∂C/∂W, judged for the direction of gradient descent), symbols a post
defines (U[i,k] = e^{S[i,k]}), conditions on indices (a case's `\text{if k = y_i}`, "If $k = y_i$," before
a block) with the one-hot target a class label implies, formulas about one sample of a batch, the
layers a formula with a free layer letter is about, implied (Einstein) sums, and derivatives whose
layout is a convention (numerator or denominator). `Claims` is a mixin of `Judge`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import sympy as sp

from ..algebra import Grad, Jacobian, Partial
from ..quantities import COST
from ..safe import as_expr
from .build import Builder, Unchecked
from .extract import Statement
from .forms import EQUALITIES, _occurrences
from .nodes import entry_of_sample
from .notation import Definition
from .parser import Node, Sym, parse_condition
from .results import (
    Diagnosis,
    Evaluated,
    Form,
    LinkResult,
)
from .usage import (
    OutOfRange,
    ShapeMismatch,
    index_parts,
    is_matrix,
    learning_rate,
)
from .values import (
    NotNumeric,
)


#: The sign of a compound assignment: W -= …, W += …, W \mathrel{-}= … (never = alone).
COMPOUND_ASSIGNMENT = re.compile(r"(?:[-+]|\\math(?:rel|bin)\s*\{\s*[-+]\s*\})\s*=")


class Claims:
    """Special claims and readings (a mixin of `Judge`)."""

    def _update_rule(self, forms: list[Form], st: Statement, text: str) -> LinkResult | None:
        """W ← W − η ∂C/∂W (also written with = or :=, and W -= η ∂C/∂W): judged for the direction of
        gradient descent. Correct when the step is minus a positive rate times the gradient of the cost
        (of the sum or the mean; any positive multiple goes downhill); wrong when it goes uphill or
        steps along something else."""
        if len(forms) != 2 or forms[0].node is None or forms[1].node is None or forms[1].error:
            return None
        relation, left, right = forms[1].relation, forms[0], forms[1]
        node = right.node
        compound = COMPOUND_ASSIGNMENT.search(text) if relation == "update" else None
        if compound:  # W -= η ∂C/∂W, W \mathrel{-}= …: the whole right side is the step
            same, step, sign = None, node, -1 if "-" in compound.group(0) else 1
        elif relation in ("=", "def", "update") and node.kind == "add" and len(node.children) == 2:
            same, step, sign = node.children[0], node.children[1], node.value[1]
        else:
            return None
        builder = Builder(self.world, self.map, text=text, reading=self.reading)
        try:
            target = builder.build(left.node)
            if same is not None and builder.build(same) != target:
                return None
            stepped = builder.build(step)
        except (Unchecked, ShapeMismatch, OutOfRange):
            return None
        if not builder.usage.rates:
            return None
        rate = learning_rate(sorted(builder.usage.rates)[0])
        gradient = _without(stepped, rate)
        if gradient is None:
            return None
        link = dict(st=st, form=right, left=left)

        def truth(value: Any) -> Any:
            q = entry_of_sample(value)
            return Grad(COST, q) if is_matrix(q) else Partial(COST, q)

        try:
            ev = self.evaluate([left.node, step], text, transform={0: truth, 1: lambda v: _without(v, rate)})
            ratio = self.positive_multiple(ev)
        except Unchecked as exc:
            return self.not_checked(st, right, left, f"an update rule: {exc.reason}", None)
        if ratio is None:
            return self.link(**link, verdict="wrong", method="random points",
                             reason="an update rule whose step is not along the gradient of the cost",
                             diagnosis=Diagnosis("update-not-gradient", "the step of this update rule is not a "
                                                 "multiple of the gradient ∂C/∂ of the quantity it updates"))
        downhill = (sign < 0) == (ratio > 0)
        if downhill:
            return self.link(**link, verdict="correct", method="update rule: a step against the gradient")
        return self.link(**link, verdict="wrong", method="update rule", reason="the step goes up the gradient",
                         diagnosis=Diagnosis("update-direction", "gradient ascent: the update adds the gradient; "
                                             "gradient descent subtracts it (W ← W − η ∂C/∂W)"))

    def positive_multiple(self, ev: Evaluated) -> float | None:
        """The one factor r with right = r · left at every point and entry (None if there is none)."""
        ratio = None
        try:
            for p in range(len(self.points)):
                for row in ev.values:
                    for x, y in zip(self.floats(row[0], p), self.floats(row[1], p)):
                        if abs(x) < 1e-12:
                            if abs(y) > 1e-9:
                                return None
                            continue
                        r = y / x
                        if ratio is None:
                            ratio = r
                        elif abs(r - ratio) > 1e-7 * max(1.0, abs(ratio)):
                            return None
        except NotNumeric:
            raise Unchecked("cannot evaluate the step numerically") from None
        return ratio

    def _definition(self, forms: list[Form], text: str) -> Definition | None:
        """U[i,k] = e^{S[i,k]}: a symbol the map does not bind, defined by a formula of bound ones."""
        if len(forms) != 2 or forms[1].relation not in EQUALITIES or forms[0].node is None or forms[1].node is None:
            return None
        head, index = forms[0].node, None
        if head.kind == "entry":
            head, index = head.children
        if head.kind != "sym":
            return None
        sym: Sym = head.value
        if self.map.binding(sym.name) is not None or sym.sup is not None or sym.primes or \
                sym.name in self.map.functions() or sym.name == self.map.gradient_prefix:
            return None
        if index is None and sym.sub is not None:
            index = sym.sub.expr
        parts = index_parts(index, 2) if index is not None else []
        if not all(p.kind == "sym" and len(p.value.name) == 1 and p.value.sub is None and p.value.sup is None
                   for p in parts):
            return None
        try:
            Builder(self.world, self.map, text=text).build(forms[1].node)
        except (Unchecked, ShapeMismatch, OutOfRange):
            return None
        return Definition(sym.name, tuple(p.value.name for p in parts), forms[1].node, text)

    def _one_sample(self, forms: list[Form], text: str) -> bool:
        """Whether a statement names a symbol bound to one example (x beside the batch X): it is a
        claim about one sample, judged on the network with one sample."""
        for form in forms:
            if form.node is None or form.error:
                continue
            probe = Form(form.node, form.text, form.start, form.relation)
            self.build_symbolic(probe, text)
            if probe.usage is not None and probe.usage.one_sample:
                return True
        return False

    def condition(self, written: str, text: str) -> tuple[Any, str, Any]:
        """A condition on indices (k = y_i, k ≠ n) as index expressions; Unchecked for other conditions."""
        found = parse_condition(written)
        if found is None:
            raise Unchecked(f"the condition {' '.join(written.split())!r} is not a condition on indices")
        left, op, right = found
        builder = Builder(self.world, self.map, text=written)
        value = builder.index(left, entry=True), op, builder.index(right, entry=True)
        self.condition_labels.update(builder.usage.labels)
        return value

    def holds(self, index_values: dict) -> bool:
        """Whether index values meet the conditions a case or a block states."""
        ints = {k: sp.Integer(v) for k, v in index_values.items()}
        for left, op, right in self.conditions:
            lv, rv = as_expr(left).xreplace(ints), as_expr(right).xreplace(ints)
            if not (lv.is_Integer and rv.is_Integer):
                return False
            if (op == "=") != (lv == rv):
                return False
        return True

    def one_hot(self, labels: dict[Any, Any], index_values: dict) -> dict[Any, Any]:
        """The targets of the examples whose class a formula names (y_i = c): one-hot at that class."""
        frame = self.world.frame
        target = self.world.verifier.base[frame.y]
        ints = {k: sp.Integer(v) for k, v in index_values.items()}
        subs: dict[Any, Any] = {}
        for symbol, sample in labels.items():
            if symbol not in index_values:
                continue
            k = int(as_expr(sample).xreplace(ints)) - 1
            c = int(index_values[symbol]) - 1
            entries = list(target[:, k]) if frame.class_axis == 0 else list(target[k, :])
            for cls, entry in enumerate(entries):
                if entry.is_Symbol:
                    subs[entry] = sp.Integer(1 if cls == c else 0)
        return subs

    def _first_reading_that_holds(self, readings: dict[str, str], chain: list[Form], ref_index: int, k: int,
                                  st: Statement, text: str) -> tuple[LinkResult | None, list[LinkResult]]:
        """The link judged under each reading of its ∂'s in turn (reading -> how the method says it, ""
        for none): the first correct result, or None and every result tried."""
        saved = self.reading
        tried = []
        try:
            for reading, said in readings.items():
                self.reading = reading
                forms = [Form(f.node, f.text, f.start, f.relation, rel_pos=f.rel_pos, condition=f.condition)
                         for f in chain]
                for n in (ref_index, k):
                    self.build_symbolic(forms[n], text)
                result = self._judge_link(forms, ref_index, k, st, text)
                if result.verdict == "correct":
                    return (replace(result, method=f"{result.method}, {said}") if said else result), tried
                tried.append(result)
        finally:
            self.reading = saved
        return None, tried

    def in_some_layout(self, chain: list[Form], ref_index: int, k: int, st: Statement, text: str) -> LinkResult:
        """A link with ∂u/∂v of vectors, or an informal chain rule (∂C/∂a ∂a/∂z): correct when it holds
        with every ∂ laid out one consistent way (numerator or denominator layout); not judged otherwise,
        since the post does not say which it means."""
        readings = {"gradient": "", "numerator": "with ∂ in numerator layout",
                    "denominator": "with ∂ in denominator layout"}
        correct, tried = self._first_reading_that_holds(readings, chain, ref_index, k, st, text)
        if correct is not None:
            return correct
        # Wrong in every layout; when the shapes fit in some layout and the values still differ, no way
        # of laying out the ∂'s saves it (a softmax Jacobian cut to its diagonal): wrong. When only the
        # shapes fail, it is the orientation the post leaves open (δ, a column, times ∂z/∂z): not judged.
        by_value = [r for r in tried if r.verdict == "wrong" and r.method != "shapes"]
        if by_value:
            return by_value[0]
        form = chain[k]
        left = chain[ref_index]
        return self.not_checked(st, form, left, "a derivative whose layout is a convention (an informal chain rule "
                                "or ∂ of vectors): its shapes fit in neither the numerator nor the denominator layout; "
                                "state derivative_layout in the notation map to have it judged", None)

    def in_either_matrix_layout(self, chain: list[Form], ref_index: int, k: int, st: Statement,
                                text: str) -> LinkResult:
        """∂C/∂W of a matrix under a stated numerator layout: strictly laid out as Wᵀ, but most posts that
        say "numerator layout" keep ∂C/∂W in the shape of W. Correct when the link holds in one of the
        two; wrong only when it is wrong in both (by value where the shapes fit)."""
        readings = {"numerator": "", "numerator-strict": "with ∂C/∂W laid out as Wᵀ"}
        correct, tried = self._first_reading_that_holds(readings, chain, ref_index, k, st, text)
        if correct is not None:
            return correct
        wrong = [r for r in tried if r.verdict == "wrong"]
        if len(wrong) == len(tried):
            by_value = [r for r in wrong if r.method != "shapes"]
            return (by_value or wrong)[0]
        return next(r for r in tried if r.verdict != "wrong")

    def in_other_layout(self, ref: Form, form: Form, text: str) -> tuple[str, Any] | None:
        """A derivative by a vector (∂z/∂w, ∂C/∂b) is a row in numerator layout and a column in
        denominator layout; a post that does not state its layout may write either. When the two
        sides are a vector and its transpose and one of them is such a derivative: the comparison of
        one side with the other transposed, else None."""
        if self.map.derivative_layout is not None or not (is_matrix(ref.value) and is_matrix(form.value)):
            return None
        (r1, c1), (r2, c2) = ref.value.shape, form.value.shape
        builder = Builder(self.world, self.map)
        transposed = builder._dim_eq(r1, c2) and builder._dim_eq(c1, r2)
        if not transposed or not (builder._dim_eq(r1, 1) or builder._dim_eq(c1, 1)):
            return None
        if not any(_vector_derivative(v) for v in (ref.value, form.value)):
            return None
        try:
            evaluated = self.evaluate([ref.node, form.node], text, transform={1: sp.Transpose})
            return self.compare(evaluated, 0, 1)
        except Unchecked:
            return None

    def _output_letter(self, chain: list[Form]) -> str | None:
        """The layer letter of a chain that names the target beside quantities of one layer letter."""
        letters: set = set()
        target = False
        for form in chain:
            if form.usage is not None:
                letters |= form.usage.layer_vars
                target |= form.usage.target
        return str(next(iter(letters))) if target and len(letters) == 1 else None

    def meant_layers(self, combos: list[dict], nodes: list[Node], text: str) -> list[dict]:
        """The layer values a formula with a free layer letter is about: ReLU′(z^{[l]}) is meant for
        the ReLU layers; a^{(l)} − y (the target beside a layer letter) for the output layer l = L."""
        names, activations, target = self._layer_facts(nodes, text)
        spec = self.world.instance_spec
        kept = []
        for combo in combos:
            ok = True
            for layer, name in activations:
                value = as_expr(layer).xreplace({k: sp.Integer(v) for k, v in combo.items()})
                if value.is_Integer and 1 <= int(value) <= spec.depth and spec.layers[int(value) - 1].activation != name:
                    ok = False
            if target and len(names) == 1 and combo.get(names[0]) != self.world.depth:
                ok = False
            if ok:
                kept.append(combo)
        return kept

    def _layer_facts(self, nodes: list[Node], text: str) -> tuple[list[sp.Symbol], list[Any], bool]:
        """The layer letters of the forms, the (layer, activation) pairs they apply, whether they name
        the target."""
        found: set[sp.Symbol] = set()
        activations: list[Any] = []
        target = False
        for node in nodes:
            builder = Builder(self.world, self.map, text=text, reading=self.reading)
            try:
                builder.build(node)
            except ShapeMismatch:
                pass
            found |= builder.usage.layer_vars
            activations += builder.usage.activations
            target |= builder.usage.target
        return sorted(found, key=str), activations, target

    def implied_sums(self, ref: Form, form: Form) -> list[tuple[str, sp.Symbol]]:
        """Indices written twice on one side of a link and not at all on the other: implied (Einstein)
        sums, as (side, index)."""
        if form.usage is None or ref.usage is None:
            return []
        found = []
        for side, this, other in (("left", ref, form), ("right", form, ref)):
            for var in sorted(set(this.usage.index_dims) - set(other.usage.index_dims), key=str):
                if _in_two_factors(this.node, var.name):
                    found.append((side, var))
        return found


def _without(value: Any, rate: sp.Symbol) -> Any:
    """η ∂C/∂W without its rate η (the rate set to 1; None when η is not in it)."""
    if rate not in as_expr(value).free_symbols:
        return None
    return value.xreplace({rate: sp.Integer(1)})


def _summed(node: Node, letters: list[sp.Symbol]) -> Node:
    """The sums an Einstein convention leaves out put back: Σ_k around each term of a sum in which k
    is written in two factors (W_{jk} x_k + b_j is Σ_k W_{jk} x_k + b_j)."""
    for var in letters:
        node = _summed_over(node, var.name)
    return node


def _summed_over(node: Node, letter: str) -> Node:
    if node.kind == "add":
        return replace(node, children=tuple(_summed_over(c, letter) if _in_two_factors(c, letter) else c
                                            for c in node.children))
    if node.kind == "group" and node.children:
        return replace(node, children=(_summed_over(node.children[0], letter),))
    index = Node("sym", node.span, (), Sym(letter))
    return Node("sum", node.span, (index, Node("none", (node.span[0], node.span[0])), node))


def _vector_derivative(value: Any) -> bool:
    """Whether a statement holds a derivative whose layout is a matter of convention: by a vector."""
    for node in sp.preorder_traversal(value):
        if isinstance(node, (Grad, Jacobian)):
            wrt = node.args[1]
            if is_matrix(wrt) and 1 in (as_expr(wrt.shape[0]), as_expr(wrt.shape[1])):
                return True
    return False


def _in_two_factors(node: Node, letter: str) -> bool:
    """Whether an index is written in two factors of one product (w_{kj} δ_k: summed by Einstein's
    convention), not merely twice in one factor (∂z_j/∂w_{jk})."""
    if node.kind == "mul" and sum(1 for child in node.children if _occurrences(child, letter)) >= 2:
        return True
    return any(_in_two_factors(child, letter) for child in node.children)
