"""Verdicts: every link of every `=` chain is correct, wrong or not checked.

For one chain F0 = F1 = … the first form that can be built is the *anchor*; every later form is
compared with it (a mistake in F1 does not make F2 wrong when F2 is right). A comparison goes

1. shapes first, in the symbolic frame (widths n_l): a product whose factors do not fit, or two
   sides of different shapes, is wrong whatever the numbers, and the report gives both shapes;
2. then values, on the small instance: each layer letter (l) takes every value for which every
   quantity exists, each free index letter (j, k) every value in range; both sides are expanded
   by the engine's `SymbolicVerifier` (δ, ∂C/∂W, Jacobians, chain-rule factors are the truths of
   the fully expanded cost) and compared at seeded random points, then exactly;
3. a wrong link gets a counterexample, a diagnosis (mistakes.py) and the correct formula in the
   post's notation (printer.py).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from .. import rules
from ..algebra import EvaluationError, Grad, NetQuantity, Partial, Quotient
from ..calculus import shared_xreplace
from ..errors import VerificationError
from ..quantities import COST
from ..safe import as_expr
from .bind import LAYERED
from .build import Builder, Unchecked
from .symbols import script_word, shared_bias_layer
from .claims import Claims, _summed
from .extract import Document, Statement
from .forms import OTHERWISE, FormReader, _cases_expanded
from .nodes import CheckEvaluator
from .notation import Definition, NotationMap
from .parser import Node
from .printer import POST_COST
from .results import (
    Counterexample,
    Diagnosis,
    Evaluated,
    Form,
    LinkResult,
    StatementResult,
)
from .usage import (
    INDEX_LETTERS,
    OutOfRange,
    ShapeMismatch,
    concrete_dim,
    index_letter,
    is_matrix,
    shape_text,
)
from .values import (
    FloatEvaluator,
    NotNumeric,
    close,
    entries,
    exactly_equal,
    make_points,
)
from .worked import WorkedExamples, numbers_of
from .world import World

#: (judge, chain, reference index, link index, text, evaluations) -> (diagnosis, correct formula,
#: counterexample): the diagnose stage, called on every wrong link.
Diagnoser = Callable[..., tuple["Diagnosis | None", "str | None", "Counterexample | None"]]

#: Matrix products (and ⊙, ⊘) one side may hold: each doubles the size of the explicit entries on
#: the instance (a product of 12 matrices takes seconds); derivations have a handful.
MAX_MATRIX_PRODUCTS = 12
MAX_LAYER_COMBINATIONS = 16
MAX_INDEX_COMBINATIONS = 24
NOT_EQUATIONS = {
    "approx": "an approximation is not checked",
    "neq": "an inequality is not checked",
    "lt": "an inequality is not checked",
    "update": "an update rule (←, +=, -=) is not an equation",
}


class Judge(WorkedExamples, Claims, FormReader):
    def __init__(self, world: World, nmap: NotationMap, doc: Document | None = None,
                 diagnose: Diagnoser | None = None) -> None:
        self.world = world
        #: The diagnose stage, given by the pipeline (a later stage: the judge never imports it).
        self.diagnose = diagnose
        self.map = nmap
        self.doc = doc
        self.functions = nmap.functions()
        self.words = nmap.words()
        # Explicit values and float evaluations depend only on the network: shared by all checks.
        self._cache: dict[Any, Any] = world.cache.setdefault("explicit", {})
        #: The givens of the post's worked examples, per network (shared with instance judges).
        self.givens: dict[World, dict[Any, Any]] = {}
        self.used: dict[str, list[str]] = {}  # role -> symbol names the post uses, in order
        self.plain: set[str] = set()  # roles the post writes without bold
        self.bold: set[str] = set()
        self.fonts: dict[str, str] = {}
        self.paren_layers = ""  # "(" or "[" when the post brackets its layers
        self.brackets = False  # the post indexes its arrays X[i, p]
        self.conditions: list[tuple[Any, str, Any]] = []  # of the link being judged (cases, "if k = y_i")
        #: How a written ∂u/∂v is laid out while judging (see Builder.reading).
        self.reading = nmap.derivative_layout or "gradient"
        self.condition_labels: dict[Any, Any] = {}  # class labels the conditions name (y_i) -> their example
        self.decisions: dict[Any, str] = {}  # products read in the symbolic frame (see Builder.decisions)

    @property
    def points(self) -> list:
        if "points" not in self.world.cache:
            points = make_points(self.world)
            self.world.cache["points"] = points
            self.world.cache["floats"] = [FloatEvaluator(p) for p in points]
        return self.world.cache["points"]

    @property
    def _float(self) -> list[FloatEvaluator]:
        self.points
        return self.world.cache["floats"]

    # -- statements --------------------------------------------------------------------------------------
    def check_statement(self, st: Statement) -> StatementResult | None:
        """A statement's links. The post's first definition of its cost says whether the post's cost is the
        network's: when it is a constant times the network's ½-cost (L = (1/N) Σ ||ŷ − y||², twice it;
        L = (1/K) Σ_k (ŷ_k − y_k)², 2/K times it) or cannot be read, a later link whose verdict depends
        on that factor is not checked."""
        defined = self._defined_cost(st)
        previous = None
        if defined is not None:
            previous = self.map.symbols[defined].scale
            if previous == 1:
                # C restated after its definition: judged as first defined (a dropped ½ is wrong); which of
                # the two the formulas that follow use is then not said
                result = self._check_statement(st)
                if result is not None and result.links and result.links[0].verdict == "wrong":
                    factor = self._own_factor(st, HALF.search(st.src.text) is not None)
                    if factor is not None:
                        self._set_scale(defined, "unknown", factor)
                return result
            self._set_scale(defined, None)  # a first definition is judged against the network's own cost
        result = self._check_statement(st)
        if defined is not None:
            result = self._cost_definition(st, result, defined, previous)
            if self.map.symbols[defined].scale == "unknown" and self._costs_by_neuron():
                # E_{o1} or E_{total} defined without the ½: the post's E_{total}, E_{o1}, … are all its own
                for name, b in list(self.map.symbols.items()):
                    if b.role == "cost" and name != defined:
                        self._set_scale(name, "unknown", self.map.symbols[defined].own_scale)
            return result
        if result is None:
            return None
        text = st.src.text
        errors = [n for n, b in self.map.symbols.items() if b.role == "error"]
        unknown = [n for n, b in self.map.symbols.items()
                   if b.role == "cost" and b.scale == "unknown"
                   and any(_mentions_letter(text, m.split("_")[0]) for m in [n] + errors)]
        if unknown:
            saved = self.map
            self.map = replace(saved, symbols={**saved.symbols, **{
                n: replace(saved.symbols[n], scale=saved.symbols[n].own_scale or 2) for n in unknown}})
            try:
                other = self._check_statement(st)
            finally:
                self.map = saved
            if other is not None and len(other.links) == len(result.links):
                links = tuple(
                    a if a.verdict == b.verdict or a.verdict == "not checked" else
                    replace(a, verdict="not checked", reason=f"the post's {unknown[0]} was defined as other than the "
                            f"network's ½-cost or in a formula that was not read: whether the post's {unknown[0]} or "
                            "the network's is meant decides this link",
                            diagnosis=None, correct=None, counterexample=None)
                    for a, b in zip(result.links, other.links))
                result = replace(result, links=links)
        return result

    def _costs_by_neuron(self) -> bool:
        """Whether the map binds the cost Mazur's way: E_{total} (a name with its subscript) or E_{o1}."""
        return any(b.role == "cost" and ("_" in n or b.index == "named") for n, b in self.map.symbols.items())

    def _set_scale(self, name: str, scale: Any, own_scale: Any = None) -> None:
        binding = replace(self.map.symbols[name], scale=scale, own_scale=own_scale)
        self.map = replace(self.map, symbols={**self.map.symbols, name: binding})

    def _defined_cost(self, st: Statement) -> str | None:
        """`L = …` with L, bare, bound to the cost of a squared-error network (the only cost that comes
        with or without a ½): the name L."""
        if rules.cost(self.world.spec.cost).name != "quadratic":
            return None
        forms = self.forms(st.src.text)
        if len(forms) < 2 or forms[0].node is None or forms[0].node.kind != "sym" or forms[1].relation != "=":
            return None
        sym = forms[0].node.value
        word = script_word(sym.sub)
        if word is not None and self.map.binding(f"{sym.name}_{word}") is not None and not word.isdigit():
            sym = replace(sym, name=f"{sym.name}_{word}", sub=None)  # E_{total}, bound as E_total
        binding = self.map.binding(sym.name)
        if binding is not None and binding.index == "named" and word is not None and sym.sup is None:
            sym = replace(sym, sub=None)  # E_{o1} = ½(target_{o1} − out_{o1})²: one output's part of the cost
        if binding is None or binding.role != "cost" or sym.sub is not None or sym.sup is not None or sym.primes \
                or sym.name not in self.map.symbols:
            return None
        return sym.name

    def _own_factor(self, st: Statement, shows_half: bool) -> Any:
        """The constant c when the right side of `L = …` is c times the network's cost on the left: the
        post's own squared error (2 without the ½, 2/K averaged over K outputs), or None. Not a factor
        that is a mistake: a sign (c ≤ 0), the batch's 1/n or n (a mean's 1/n missing or counted
        twice), or 2 with a ½ in sight (a ½ shown and the 1/n of a mean missing)."""
        text = st.src.text
        forms = self.forms(text)
        try:
            self.build_symbolic(forms[0], text)
            self.build_symbolic(forms[1], text)
            ev = self.evaluate([forms[0].node, forms[1].node], text)
            left, right = self.floats(ev.values[0][0], 0), self.floats(ev.values[0][1], 0)
        except (Unchecked, EvaluationError, VerificationError, NotNumeric, TypeError, ValueError, OverflowError):
            return None
        if len(left) != 1 or len(right) != 1 or not left[0]:
            return None
        factor = sp.Rational(Fraction(right[0] / left[0]).limit_denominator(MAX_OWN_DENOMINATOR))
        batch = self.world.dims.get(self.world.batch_symbol) if self.world.batched else None
        mistakes = {sp.Integer(1)} | ({sp.Integer(2)} if shows_half else set()) \
            | ({sp.Integer(batch), sp.Rational(1, batch)} if batch else set())
        if factor <= 0 or factor in mistakes:
            return None
        return factor if self.same(ev, 1, [factor * row[0] for row in ev.values]) else None

    def _cost_definition(self, st: Statement, result: StatementResult | None, name: str,
                         previous: Any) -> StatementResult | None:
        """The scale the definition `L = …` gives the post's L: 1 when it is the network's cost (or is not
        read but shows its ½); unknown when it is not read and shows no ½, or when it shows no ½ and is
        twice the network's (a squared error without the ½: the post's own notation, not checked; whether
        its gradients follow it or the usual ½ is open). A definition wrong otherwise (one that shows its
        ½ and is still twice the network's misses the 1/n of a mean) leaves the scale as it was."""
        if result is None or not result.links:
            self._set_scale(name, previous)
            return result
        first = result.links[0]
        shows_half = HALF.search(st.src.text) is not None
        scale: Any = 1
        if first.verdict == "not checked" and not shows_half:
            scale = "unknown"  # not read, and no ½ in sight (C = ½ Σ_x … unread still shows its ½)
        elif first.verdict == "wrong":
            # a squared error without the ½, or averaged over the outputs (2/K times the network's):
            # whether the post's gradients follow this definition or the usual ½ is not said, as real
            # posts slip on either side. A factor that is a mistake (see _own_factor) is wrong as judged.
            own = self._own_factor(st, shows_half)
            if own is None:
                self._set_scale(name, previous)
                return result
            what = "twice the network's (a squared error without the ½)" if own == 2 else f"{own} times the network's"
            reason = f"the post's own cost: {name} is {what}; the links that depend on its factor are not checked"
            result = replace(result, links=(replace(first, verdict="not checked", reason=reason, diagnosis=None,
                                                    correct=None, counterexample=None),) + tuple(result.links[1:]))
            self._set_scale(name, "unknown", own)
            return result
        self._set_scale(name, scale, 2 if scale == "unknown" else None)
        return result

    def _picks_index(self, definition: Definition) -> bool:
        """Whether a hypothesis "when $l = L$", "when $j = 2$" picks a layer or an index: an index letter the
        post has not defined otherwise (only picked before), set to a layer or index (a whole number, L, l + 1)."""
        before = self.map.definition(definition.name)
        return ((index_letter(definition.name) or "-") in INDEX_LETTERS and _index_like(definition.node)
                and (before is None or _index_like(before.node)))

    def _check_statement(self, st: Statement) -> StatementResult | None:
        text = st.src.text
        forms = self.forms(text)
        update = self._update_rule(forms, st, text)
        if update is not None:
            return StatementResult(self.line_of(st, 0), " ".join(text.split()), (update,))
        definition = self._definition(forms, text)
        if definition is not None and st.hypothesis and not self._picks_index(definition):
            # "When $E = 0$, …", "when $\ell = 0$" (ℓ the loss): a condition on a symbol nothing binds, not its
            # definition (only a layer or an index letter is picked this way: "when $l = L$"); what follows
            # it is not judged.
            link = self.link(st, forms[1], forms[0], "not checked",
                             reason=f"a hypothesis about {definition.name}, which the notation map does not bind")
            return StatementResult(self.line_of(st, 0), " ".join(text.split()), (link,))
        if definition is not None:
            self.map = self.map.defined(definition)
            form = forms[1]
            link = self.link(st, form, forms[0], "not checked",
                             reason=f"defines {definition.name} (used by the formulas that follow)")
            return StatementResult(self.line_of(st, 0), " ".join(text.split()), (link,))
        if self.world.batched and self._one_sample(forms, text):
            return self.sibling(self.world.single_sample()).check_statement(st)
        if self.world.general:
            layers = self._concrete_layers(forms, text)
            if layers is not None:
                return self._on_instances(st, layers)
        links: list[LinkResult] = []
        chain: list[Form] = []
        for form in forms:
            if form.relation == "implies":
                links += self.check_chain(chain, st, text)
                chain = [Form(form.node, form.text, form.start, None, form.error, form.error_pos)]
                continue
            chain.append(form)
        links += self.check_chain(chain, st, text)
        if not links:
            return None
        line = self.line_of(st, 0)
        return StatementResult(line, " ".join(text.split()), tuple(links))

    def sibling(self, world: World) -> "Judge":
        """A judge of another world (an instance, one sample) that shares what this one learned of the post."""
        judge = Judge(world, self.map, self.doc, self.diagnose)
        judge.used, judge.plain, judge.bold, judge.fonts = self.used, self.plain, self.bold, self.fonts
        judge.givens = self.givens
        return judge

    def _concrete_layers(self, forms: list[Form], text: str) -> int | None:
        """The highest layer of a statement written with numbered layers only (W^2, not W^l or
        W^L) in a general derivation; None for a general statement."""
        highest = None
        for form in forms:
            if form.node is None or form.error:
                continue
            probe = Form(form.node, form.text, form.start, form.relation)
            self.build_symbolic(probe, text)
            if probe.space is not None and any(as_expr(d).is_Integer and d != 1 for d in probe.space):
                highest = highest or 0  # x ∈ ℝ^{784}: a claim about one instance
                continue
            if probe.usage is None:
                continue
            if probe.usage.layer_vars:
                return None
            if probe.usage.decimals:
                highest = highest or 0  # the numbers of a worked example: one instance
            value = probe.value if probe.value is not None else None
            if value is None:
                continue
            for q in sp.preorder_traversal(value):
                if isinstance(q, NetQuantity) and q.kind in ("W", "b", "z", "a", "delta"):
                    if not q.layer.is_Integer:
                        return None
                    highest = max(highest or 0, int(q.layer))
        return highest

    def _on_instances(self, st: Statement, highest: int) -> StatementResult | None:
        """A statement about one concrete network of a general derivation: checked on each of
        its instances deep enough, the first where it holds (or, if none, the first)."""
        first = None
        for world in self.world.instance_worlds():
            if world.depth < highest:
                continue
            judge = self.sibling(world)
            shapes_only = all(f.relation in (None, "in") for f in judge.forms(st.src.text))
            if not world.exact and not shapes_only:
                continue
            result = judge.check_statement(st)
            if result is None:
                return None
            widths = "-".join(map(str, world.widths))
            result = StatementResult(result.line, result.text, tuple(
                replace(l, method=f"{l.method} on the {widths} instance" if l.method else l.method)
                for l in result.links))
            if all(l.verdict == "correct" for l in result.links):
                return result
            first = first or result
        if first is None:
            form = Form(None, st.src.text.strip(), 0, None)
            return StatementResult(self.line_of(st, 0), " ".join(st.src.text.split()), (
                self.not_checked(st, form, form, f"layer {highest} exists in no instance of {self.world.spec.name}", None),))
        return first

    # -- chains --------------------------------------------------------------------------------------------
    def check_chain(self, chain: list[Form], st: Statement, text: str) -> list[LinkResult]:
        chain = _cases_expanded(chain, text)
        if len(chain) < 2:
            return []
        for form in chain:
            self.build_symbolic(form, text)
        letter = self._output_letter(chain)
        if letter is None:
            return self._check_chain(chain, st, text)
        # The target beside a layer letter (a^{(l)} − y): the formula is about the output layer, l = L.
        saved = self.map
        self.map = replace(self.map, last_layer_letters=frozenset({letter}))
        try:
            chain = [Form(f.node, f.text, f.start, f.relation, error=f.error, error_pos=f.error_pos, rel_pos=f.rel_pos,
                          condition=f.condition) for f in chain]
            for form in chain:
                self.build_symbolic(form, text)
            return self._check_chain(chain, st, text)
        finally:
            self.map = saved

    def _check_chain(self, chain: list[Form], st: Statement, text: str) -> list[LinkResult]:
        anchor = next((k for k, f in enumerate(chain) if f.built), None)
        # W ← W − η ∂C/∂W = [numbers]: what follows an update rule is the updated value, the rule's right
        # side, never the quantity before the step (nor a new given of it)
        update = next((k for k, f in enumerate(chain) if f.relation == "update"), None)
        results = []
        for k in range(1, len(chain)):
            ref_index = anchor if anchor is not None and anchor < k else None
            if update is not None and update < k:
                ref_index = update if chain[update].built and update < k else None
            try:
                results.append(self.check_link(chain, ref_index, k, st, text))
            except (ValueError, TypeError, KeyError, IndexError, AttributeError, ZeroDivisionError, OverflowError,
                    RecursionError, NotImplementedError, sp.ShapeError, sp.PolynomialError) as exc:
                # A bug of the checker must not cost the user the rest of the report.
                results.append(self.not_checked(st, chain[k], chain[k - 1],
                                                f"could not check this step (internal error: {type(exc).__name__})",
                                                None))
        return results

    def build_symbolic(self, form: Form, text: str) -> None:
        if form.node is None or form.error:
            return
        if form.node.kind == "space":
            try:
                builder = Builder(self.world, self.map, text=text)
                space = tuple(builder.index(d) for d in form.node.children)
                known = {builder.depth} | ({self.world.batch_symbol} if self.world.batched else set())
                for d in space:
                    inside = set().union(*[i.free_symbols for i in sp.preorder_traversal(as_expr(d))
                                           if isinstance(i, sp.Indexed)])
                    free = as_expr(d).free_symbols - inside - known
                    if free:
                        # ℝ^{h × d}: a size letter the map does not bind (d2l's d, h, q) names no width here
                        letter = sorted(str(f) for f in free)[0]
                        raise Unchecked(f"the size {letter} of a space ℝ^{{…}}: the notation map does not say "
                                        "which width it is", form.node.span)
                form.space = space
            except Unchecked as exc:
                form.error, form.error_pos = exc.reason, exc.span[0] if exc.span else None
            return
        builder = Builder(self.world, self.map, text=text, decisions=self.decisions, reading=self.reading)
        try:
            form.value = builder.build(form.node)
            if matrix_products(form.value) > MAX_MATRIX_PRODUCTS:
                raise Unchecked(f"more than {MAX_MATRIX_PRODUCTS} matrix products in one side (each doubles the "
                                "work on the instance)", form.node.span)
            form.usage = builder.usage
            for role, names in builder.usage.names.items():
                known = self.used.setdefault(role, [])
                known += [n for n in names if n not in known]
            self.plain |= builder.usage.plain
            self.bold |= builder.usage.bold
            self.paren_layers = self.paren_layers or builder.usage.paren_layers
            self.brackets = self.brackets or builder.usage.brackets
            for role, font in builder.usage.fonts.items():
                self.fonts.setdefault(role, font)
        except Unchecked as exc:
            form.error, form.error_pos = exc.reason, exc.span[0] if exc.span else form.start
        except ShapeMismatch as exc:
            form.mismatch = exc
            form.usage = builder.usage

    def link(self, st: Statement, form: Form, left: Form, verdict: str, **kw: Any) -> LinkResult:
        pos = form.start if form.node is not None or form.error_pos is None else form.error_pos
        before = self.raw(st, 0, form.rel_pos) if form.rel_pos is not None else left.text
        return LinkResult(self.line_of(st, pos), self.col_of(st, pos), form.relation or "=", left.text, form.text,
                          verdict, before=" ".join(before.split()), **kw)

    def not_checked(self, st: Statement, form: Form, left: Form, reason: str, pos: int | None) -> LinkResult:
        reason = re.sub(r" at col \d+", "", reason)  # the file's line and column replace the formula's
        where = ""
        if pos is not None and self.doc is not None:
            line, col = self.doc.line_col(st.src.offset(pos))
            where = f" (line {line}, col {col})"
        return self.link(st, form, left, "not checked", reason=reason + where)

    def check_link(self, chain: list[Form], ref_index: int | None, k: int, st: Statement, text: str) -> LinkResult:
        form = chain[k]
        conditions = [c for c in (st.condition, form.condition) if c]
        try:
            self.conditions = []
            for written in conditions:
                if written.startswith(OTHERWISE):  # none of the earlier cases
                    earlier = [c for c in written[len(OTHERWISE):].split("|") if c]
                    if not earlier:
                        raise Unchecked("a case 'otherwise' with no conditions before it")
                    for c in earlier:
                        left, op, right = self.condition(c, text)
                        self.conditions.append((left, "neq" if op == "=" else "=", right) if len(earlier) == 1
                                               or op == "=" else (left, op, right))
                        if len(earlier) > 1 and op != "=":
                            raise Unchecked("'otherwise' after conditions that are not equalities")
                else:
                    self.conditions.append(self.condition(written, text))
        except Unchecked as exc:
            self.conditions = []
            return self.not_checked(st, form, chain[k - 1], exc.reason, None)
        try:
            return self._check_link(chain, ref_index, k, st, text)
        finally:
            self.conditions = []

    def _check_link(self, chain: list[Form], ref_index: int | None, k: int, st: Statement, text: str) -> LinkResult:
        form = chain[k]
        ref = chain[ref_index] if ref_index is not None else None
        if (ref is not None and self.map.derivative_layout is None and not form.error and not ref.error
                and any(f.usage is not None and f.usage.layout_dependent for f in (ref, form))):
            return self.in_some_layout(chain, ref_index, k, st, text)
        if (ref is not None and self.reading == "numerator" and not form.error and not ref.error
                and any(f.usage is not None and f.usage.matrix_layout for f in (ref, form))):
            return self.in_either_matrix_layout(chain, ref_index, k, st, text)
        return self._judge_link(chain, ref_index, k, st, text)

    def _judge_link(self, chain: list[Form], ref_index: int | None, k: int, st: Statement, text: str) -> LinkResult:
        form = chain[k]
        left = chain[ref_index] if ref_index is not None else chain[k - 1]
        relation = form.relation
        # ∂C/∂W ≈ [central differences, printed with decimals]; ≈ 0 or ≈ 1 says what a quantity nearly is
        approx_numbers = relation == "approx" and ref_index is not None and not form.error and \
            numbers_of(form.node) is not None and DECIMAL.search(form.text) is not None
        if relation in NOT_EQUATIONS and not approx_numbers:
            return self.not_checked(st, form, left, NOT_EQUATIONS[relation], None)
        if form.error or ref_index is None:
            if form.error:
                reason, pos = form.error, form.error_pos
            else:
                bad = next((f for f in chain[:k] if f.error or f.mismatch), chain[k - 1])
                reason = bad.error or ("the left-hand side is itself wrong" if bad.mismatch else "nothing to compare with")
                pos = bad.error_pos
            contradicted = self.contradicts_convention(chain, k, text) if ref_index is not None or k == 1 else None
            if contradicted is not None:
                method, stated, other, correct = contradicted
                return self.link(st, form, left, "wrong", reason=f"{reason}; it checks only with the other index order",
                                 method=method, correct=correct,
                                 diagnosis=Diagnosis("convention-contradicted", CONTRADICTED.format(stated=stated, other=other)))
            return self.not_checked(st, form, left, reason, pos)
        implied = self.implied_sums(chain[ref_index], form)
        if implied:
            if not self.map.einstein:
                side, var = implied[0]
                return self.not_checked(st, form, left, f"the index {var} appears twice on the {side} only: an implied "
                                        f"(Einstein) sum is not checked; write the sum \\sum_{{{var}}}, or say "
                                        "einstein = true in the notation map", None)
            chain = list(chain)
            for n in (ref_index, k):
                letters = [var for side, var in implied if (side == "left") == (n == ref_index)]
                if letters:
                    summed = _summed(chain[n].node, letters)
                    chain[n] = Form(summed, chain[n].text, chain[n].start, chain[n].relation, rel_pos=chain[n].rel_pos,
                                    condition=chain[n].condition)
                    self.build_symbolic(chain[n], text)
            form = chain[k]
            if form.error or chain[ref_index].error:
                bad = form if form.error else chain[ref_index]
                return self.not_checked(st, form, left, bad.error, bad.error_pos)
        ref = chain[ref_index]
        if relation == "in":
            return self.check_shape_claim(ref, form, st)
        if form.space is not None:
            return self.not_checked(st, form, left, "a space ℝ^{…} after '='", None)
        if form.mismatch is not None:
            return self.wrong(chain, ref_index, k, st, text, reason=form.mismatch.message, method="shapes",
                              shapes=form.mismatch.shapes)
        worked = self.worked_example(ref, form, st, text)
        if worked is not None:
            return worked
        if any(shared_bias_layer(f.value) is not None for f in (ref, form)):
            return self.not_checked(st, form, left, "a bias shared by all neurons of a layer (b_1) alone on a side "
                                    "is read only as the given of a worked example (b_1 = 0.35)", None)
        if not shapes_agree(ref.value, form.value, self):
            if any(f.node is not None and f.node.kind == "num" and f.node.value == "0" and not is_matrix(f.value)
                   and is_matrix(other.value) for f, other in ((ref, form), (form, ref))):
                # \delta^L = 0: a 0 written for the zero vector, as posts do; not a shape mistake
                return self.not_checked(st, form, left, "0 written for a vector or matrix (the zero one?)", None)
            shapes = (shape_text(ref.value, self.world), shape_text(form.value, self.world))
            other_layout = self.in_other_layout(ref, form, text)
            if other_layout is not None:
                if other_layout[0] == "equal":
                    return self.link(st, form, left, "correct", method=f"{other_layout[1]}, with the derivative by a "
                                     "vector laid out as the transpose (numerator vs denominator layout)")
                return self.wrong(chain, ref_index, k, st, text, reason="the two sides differ (in either layout of "
                                  "the derivative by a vector)", method="random points",
                                  counterexample=other_layout[1])
            return self.wrong(chain, ref_index, k, st, text,
                              reason=f"the two sides have different shapes: {shapes[0]} and {shapes[1]}",
                              method="shapes", shapes=shapes)
        try:
            evaluated = self.evaluate([ref.node, form.node], text)
            verdict = self.compare(evaluated, 0, 1)
        except Unchecked as exc:
            return self.not_checked(st, form, left, exc.reason, exc.span[0] if exc.span else None)
        if verdict[0] == "equal":
            return self.link(st, form, left, "correct", method=verdict[1])
        return self.wrong(chain, ref_index, k, st, text, reason="the two sides differ", method="random points",
                          counterexample=verdict[1], evaluated=evaluated)

    def contradicts_convention(self, chain: list[Form], k: int, text: str) -> tuple[str, str, str, str] | None:
        """A step that is right only under the other index convention than the one the post
        states: (method, stated, other, the step rewritten in the stated convention), else None."""

        for stated, other, flipped_map in self.map.stated_conventions():
            flipped = Judge(self.world, flipped_map, self.doc)
            forms = [Form(f.node, f.text, f.start, f.relation) for f in (chain[0], chain[k])]
            for f in forms:
                flipped.build_symbolic(f, text)
            if not forms[0].built or not forms[1].built or not shapes_agree(forms[0].value, forms[1].value, flipped):
                continue
            try:
                verdict = flipped.compare(flipped.evaluate([forms[0].node, forms[1].node], text), 0, 1)
            except Unchecked:
                continue
            if verdict[0] != "equal":
                continue
            if flipped_map.lenient_pairs:
                found = forms[0].usage.contradicted + forms[1].usage.contradicted
                if not found:
                    continue
                other = f"{other} (as in {', '.join(found)})"
            sides = []
            for f in forms:
                value = f.value
                if not forms[0].usage.layer_vars and not self.world.general:
                    try:
                        value = flipped.concrete(f.node, {}, text)[0]
                    except (Unchecked, OutOfRange, ShapeMismatch):
                        pass
                sides.append(self.show(value, [forms[0].usage, forms[1].usage]))
            return verdict[1], stated, other, " = ".join(sides)
        return None

    def show(self, value: Any, usages: list[Any]) -> str:
        """A formula in the post's notation: the names and the bold the post itself uses."""
        from .printer import print_formula

        used: dict[str, list[str]] = {}
        plain: set[str] = set()
        bold: set[str] = set()
        fonts: dict[str, str] = {}
        paren = ""  # the formula's own brackets on layers first, then the post's
        brackets = self.brackets or any(u is not None and u.brackets for u in usages)
        for usage in usages + [None]:
            names = self.used if usage is None else usage.names
            for role, found in names.items():
                used.setdefault(role, [])
                used[role] += [n for n in found if n not in used[role]]
            if usage is not None:
                plain |= usage.plain
                bold |= usage.bold
                paren = paren or usage.paren_layers
                for role, font in usage.fonts.items():
                    fonts.setdefault(role, font)
        paren = paren or self.paren_layers
        for role, font in self.fonts.items():
            fonts.setdefault(role, font)
        if fonts:
            common = sorted(fonts.values())[0]
            for role in (*LAYERED, "input", "target", "output"):
                fonts.setdefault(role, common)
        plain |= self.plain - bold
        bold |= self.bold
        if plain and not bold:  # a post that bolds nothing: print nothing bold
            plain |= {*LAYERED, "input", "normalized-input", "target", "output"}
        value = self._in_the_posts_cost(value, used)
        return print_formula(value, self.world, self.map, used, plain=frozenset(plain), fonts=fonts, paren_layers=paren,
                             brackets=brackets)

    def _in_the_posts_cost(self, value: Any, used: dict[str, list[str]]) -> Any:
        """A statement about the network's cost C, rewritten in the cost the post writes when that one is
        C's mean (L = C/N): ∂C/∂Z = N ∂L/∂Z, so (1/N) ∂C/∂Z prints as ∂L/∂Z."""
        stated = [n for n in self.map.names_for("cost") if f"symbols.{n}" in self.map.stated]
        names = [n for n in used.get("cost", []) + stated + self.map.names_for("cost") if self.map.binding(n) is not None]
        if not names or not self.world.batched or not isinstance(value, sp.Basic):
            return value
        binding = self.map.binding(names[0])
        if (binding.reduction or self.world.reduction) == self.world.reduction:
            return value
        n = self.world.symbolic_frame.batch if value.has(self.world.symbolic_frame.batch) else self.world.batch_symbol
        factor = n if binding.reduction == "mean" else 1 / n
        mapping: dict[Any, Any] = {}
        for node in sp.preorder_traversal(value):
            if isinstance(node, Grad) and node.cost == COST:
                mapping[node] = sp.MatMul(factor, Grad(POST_COST, node.wrt))
            elif isinstance(node, Partial) and node.num == COST:
                mapping[node] = factor * Partial(POST_COST, node.den)
        if not mapping:
            return value
        try:
            return value.xreplace(mapping).doit()
        except (TypeError, ValueError, AttributeError, sp.ShapeError):
            return value

    def check_shape_claim(self, ref: Form, form: Form, st: Statement) -> LinkResult:
        if form.space is None:
            return self.not_checked(st, form, ref, "'∈' with something that is not ℝ^{m×n}", None)
        dims = list(form.space) + ([sp.Integer(1)] if len(form.space) == 1 else [])
        if not is_matrix(ref.value):
            claimed = "a scalar" if len(form.space) == 0 else "×".join(shape_text_dim(d) for d in dims)
            ok = len(form.space) == 0
            return self.link(st, form, ref, "correct" if ok else "wrong", method="shapes",
                             reason="" if ok else f"{ref.text} is a scalar, not {claimed}",
                             shapes=(shape_text(ref.value, self.world), claimed))
        if len(dims) != 2:
            return self.not_checked(st, form, ref, "a space of more than two dimensions", None)
        builder = Builder(self.world, self.map)
        ok = builder._same_shape(ref.value.shape, tuple(dims))
        claimed = f"{shape_text_dim(dims[0])} × {shape_text_dim(dims[1])}"
        actual = shape_text(ref.value, self.world)
        if ok:
            return self.link(st, form, ref, "correct", method="shapes")
        from ..latex import latex_shape

        return self.link(st, form, ref, "wrong", method="shapes", reason=f"{ref.text} is {actual}, not {claimed}",
                         shapes=(actual, claimed), diagnosis=Diagnosis("wrong-shape", f"{ref.text} is {actual}"),
                         correct=latex_shape(tuple(concrete_dim(d, self.world) for d in ref.value.shape)))

    def wrong(self, chain: list[Form], ref_index: int, k: int, st: Statement, text: str, *, reason: str,
              method: str, shapes: tuple[str, str] | None = None, counterexample: Counterexample | None = None,
              evaluated: Evaluated | None = None) -> LinkResult:
        diagnosis, correct = None, None
        if self.diagnose is not None:
            diagnosis, correct, found = self.diagnose(self, chain, ref_index, k, text, evaluated)
            counterexample = counterexample or found
        form, left = chain[k], chain[ref_index]
        return self.link(st, form, left, "wrong", reason=reason, method=method, shapes=shapes,
                         counterexample=counterexample, diagnosis=diagnosis, correct=correct)

    # -- evaluation ----------------------------------------------------------------------------------------
    def concrete(self, node: Node, layer_values: dict, text: str) -> tuple[Any, Any]:
        builder = Builder(self.world, self.map, concrete=True, layer_values=layer_values, text=text,
                          decisions=self.decisions, reading=self.reading)
        value = builder.build(node)
        return value, builder.usage

    def layer_vars(self, nodes: list[Node], text: str) -> list[sp.Symbol]:
        return self._layer_facts(nodes, text)[0]

    def evaluate(self, nodes: list[Node], text: str, layer_names: list[sp.Symbol] | None = None,
                 assignments: list[tuple[dict, dict]] | None = None,
                 transform: dict[int, Any] | None = None) -> Evaluated:
        """Explicit values of the forms at every assignment (or at the given ones); `transform`
        rewrites the built value of some forms first (a mistake undone on the SymPy level)."""
        transform = transform or {}
        out = Evaluated()
        if assignments is not None:
            for layer_values, index_values in assignments:
                row = []
                for n, node in enumerate(nodes):
                    try:
                        value, _ = self.concrete(node, layer_values, text)
                    except OutOfRange:
                        raise Unchecked("a layer outside the instance") from None
                    if n in transform:
                        value = transform[n](value)
                    row.append(self.explicit(value, index_values))
                out.assignments.append((layer_values, index_values))
                out.values.append(row)
            return out
        names = layer_names if layer_names is not None else self.layer_vars(nodes, text)
        depth = self.world.depth
        combos = [dict(zip(names, values)) for values in itertools.product(range(0, depth + 1), repeat=len(names))]
        if names and layer_names is None:
            combos = self.meant_layers(combos, nodes, text)
        combos = combos[:MAX_LAYER_COMBINATIONS] if len(combos) <= MAX_LAYER_COMBINATIONS else _spread(combos, MAX_LAYER_COMBINATIONS)
        for layer_values in combos:
            built = []
            try:
                for n, node in enumerate(nodes):
                    value, usage = self.concrete(node, layer_values, text)
                    if n in transform:
                        value = transform[n](value)
                    built.append((value, usage))
            except OutOfRange:
                continue
            except ShapeMismatch as exc:
                raise Unchecked(f"{exc.message} on the instance") from None
            ranges: dict[sp.Symbol, int] = {}
            for _, usage in built:
                for var, dims in usage.index_dims.items():
                    for d in dims:
                        size = int(as_expr(d).xreplace(self.dims))
                        ranges[var] = min(ranges.get(var, size), size)
            classes = int(self.world.instance_spec.widths[-1])
            for left, _, right in self.conditions:  # a class label only the condition names (if y_i = n)
                for s in as_expr(left).free_symbols | as_expr(right).free_symbols:
                    if s in self.condition_labels and s not in ranges:
                        ranges[s] = classes
            names_i = sorted(ranges, key=str)
            index_combos = [dict(zip(names_i, v)) for v in itertools.product(*[range(1, ranges[n] + 1) for n in names_i])]
            if len(index_combos) > MAX_INDEX_COMBINATIONS:
                index_combos = _spread(index_combos, MAX_INDEX_COMBINATIONS)
            labels = {k: v for _, usage in built for k, v in usage.labels.items()}
            labels.update({k: v for k, v in self.condition_labels.items() if k in ranges})
            index_combos = [c for c in index_combos if self.holds(c)]
            for index_values in index_combos:
                row = [self.explicit(value, index_values, labels) for value, _ in built]
                out.assignments.append((layer_values, index_values))
                out.values.append(row)
        if not out.assignments:
            raise Unchecked(f"no layer of {self.world.describe_instance()} where every quantity of the formula exists")
        return out

    @property
    def dims(self) -> dict:
        return {k: sp.Integer(v) for k, v in self.world.dims.items()}

    @property
    def ties(self) -> dict[sp.Symbol, sp.Symbol]:
        """In a post whose layers each share one bias (Mazur's b_1, b_2): every bias entry's symbol of the
        instance -> its layer's first, so that each formula is judged on that network, at points where the
        biases of a layer are equal (∂E/∂b_1 then the sum of the layer's ∂E/∂b_k)."""
        if not self.map.shared_bias:
            return {}
        out = {}
        for q, symbols in self.world.verifier.base.items():
            if isinstance(q, NetQuantity) and q.kind == "b":
                out.update({s: symbols[0] for s in list(symbols)[1:]})
        return out

    def explicit(self, value: Any, index_values: dict, labels: dict[Any, Any] | None = None) -> Any:
        ties = self.ties
        key = (value, tuple(sorted(index_values.items(), key=lambda kv: str(kv[0]))), bool(ties))
        if key in self._cache:
            return self._cache[key]
        if index_values and value.has(sp.Sum):
            bound = {v for s in sp.preorder_traversal(value) if isinstance(s, sp.Sum) for v in s.variables}
            clash = sorted(str(v) for v in bound if v in index_values)
            if clash:
                raise Unchecked(f"the index {clash[0]} is both summed over and free")
        concrete = value.xreplace({k: sp.Integer(v) for k, v in index_values.items()}) if index_values else value
        leftover = {s for s in concrete.free_symbols if s.is_Symbol and s.is_integer and
                    (s.name in INDEX_LETTERS or s.name.startswith("label[")) and s not in self.dims}
        if leftover and not is_matrix(concrete):
            raise Unchecked(f"the index {sorted(map(str, leftover))[0]} is not given a value by anything in the formula")
        try:
            result = CheckEvaluator(self.world)(concrete)
        except (EvaluationError, VerificationError, KeyError, IndexError, ValueError, TypeError, ZeroDivisionError,
                sp.ShapeError, AttributeError, NotImplementedError) as exc:
            raise Unchecked(f"cannot evaluate this on {self.world.describe_instance()} ({type(exc).__name__}: {exc})")
        # The instance's values share their forward pass: xreplace would walk it as a tree (most of
        # a normalisation post's check), shared_xreplace once per distinct node, for every link.
        # Without dimension symbols (one sample) nothing is walked, as xreplace does with no rule: a
        # deep instance's values are too deep to compare node by node, as the memo would.
        dims, memo = self.dims, self.world.cache.setdefault("dims_memo", {})

        def without_dims(value: Any) -> Any:
            return shared_xreplace(value, dims, memo) if dims else value

        if isinstance(result, sp.MatrixBase):
            result = sp.ImmutableMatrix(result).applyfunc(without_dims)
            if result.shape == (1, 1):
                result = result[0, 0]
        else:
            result = without_dims(as_expr(result))
        if labels:
            result = result.xreplace(self.one_hot(labels, index_values))
        if ties:
            result = result.xreplace(ties)
        self._cache[key] = result
        return result

    def floats(self, value: Any, point_index: int) -> list[float]:
        self.points
        evaluator = self._float[point_index]
        return [evaluator(e) for e in entries(value)]

    def compare(self, ev: Evaluated, a: int, b: int) -> tuple[str, Any]:
        """("equal", method) or ("differ", Counterexample)."""
        pairs = []
        for (layer_values, index_values), row in zip(ev.assignments, ev.values):
            left, right = row[a], row[b]
            if is_matrix(left) != is_matrix(right) or (is_matrix(left) and left.shape != right.shape):
                raise Unchecked("the two sides have different shapes on the instance")
            pairs += list(zip(entries(left), entries(right)))
        numeric = True
        try:
            for p in range(len(self.points)):
                for (layer_values, index_values), row in zip(ev.assignments, ev.values):
                    lv, rv = self.floats(row[a], p), self.floats(row[b], p)
                    for n, (x, y) in enumerate(zip(lv, rv)):
                        if not close(x, y):
                            return "differ", self.counterexample(p, layer_values, index_values, row[a], n, x, y)
        except NotNumeric:
            numeric = False
        # The exact test expands the instance symbolically: exponential in its depth beyond the
        # expandable sizes (29 layers: hours), where random points decide alone.
        exact = exactly_equal(pairs, self.world.cache.setdefault("exact_converters", {})) if self.world.exact else None
        if exact:
            return "equal", "exact"
        if numeric:
            return "equal", "random points"
        raise Unchecked("cannot evaluate the two sides numerically")

    def same(self, ev: Evaluated, a: int, candidate: list[Any]) -> bool:
        """Whether the candidate values (one per assignment) equal form a's, at every point."""
        try:
            for p in range(len(self.points)):
                for row, value in zip(ev.values, candidate):
                    left = row[a]
                    if is_matrix(left) != is_matrix(value) or (is_matrix(left) and left.shape != value.shape):
                        return False
                    for x, y in zip(self.floats(left, p), self.floats(value, p)):
                        if not close(x, y):
                            return False
        except (NotNumeric, TypeError, ValueError, OverflowError):
            return False
        return True

    def counterexample(self, p: int, layer_values: dict, index_values: dict, value: Any, n: int, x: float,
                       y: float) -> Counterexample:
        where = ", ".join(f"{k} = {v}" for k, v in list(layer_values.items()) + list(index_values.items()))
        entry = ""
        if is_matrix(value):
            cols = value.shape[1]
            entry = f"({n // cols + 1}, {n % cols + 1})"
        point = tuple((self.quantity_name(q), self._tied(q, values)) for q, values in self.points[p].quantities)
        return Counterexample(where, entry, x, y, point)

    def _tied(self, q: Any, values: Any) -> Any:
        """A bias of the point as the judge used it: each entry its layer's first when the post shares biases."""
        if not self.map.shared_bias or not isinstance(q, NetQuantity) or q.kind != "b":
            return values
        values = np.array(values, dtype=float)
        return np.full_like(values, values.flat[0])

    def quantity_name(self, q: Any) -> str:
        """A quantity of the counterexample, named as the post names it: W^1, W_0, x, μ."""
        from ..quantities import EPSILON, LAMBDA, MEAN, STD
        from .printer import KIND_ROLES

        if q == LAMBDA:
            return "λ"
        if q == EPSILON:
            return "ε"
        if q == MEAN:
            return "μ"
        if q == STD:
            return "σ"
        role = KIND_ROLES.get(q.kind, q.kind)
        names = [n for n in self.used.get(role, []) if self.map.binding(n) and self.map.binding(n).index == "entry"]
        names = names or [n for n in self.map.names_for(role) if self.map.binding(n).index == "entry"]
        name = names[0] if names else q.kind
        if q.kind in ("x", "y", "xhat"):
            return name
        binding = self.map.binding(name)
        layer = int(q.layer) + (self.map.layer_offset_of(binding) if binding else 0)
        return f"{name}^{layer}" if (binding is None or self.map.layer_index_of(binding) == "super") else f"{name}_{layer}"


CONTRADICTED = ("contradicts the index convention the post states ({stated}): the step is right for {other}")


def shape_text_dim(d: Any) -> str:
    from .usage import dim_text

    return dim_text(d)


def matrix_products(value: Any) -> int:
    """How many products of two matrices (·, ⊙, ⊘) a built side holds."""
    count = 0
    for node in sp.preorder_traversal(value):
        if isinstance(node, sp.MatMul):
            count += max(0, sum(1 for arg in node.args if is_matrix(arg)) - 1)
        elif isinstance(node, (sp.HadamardProduct, Quotient)):
            count += len(node.args) - 1
    return count


def shapes_agree(a: Any, b: Any, judge: Judge) -> bool:
    if is_matrix(a) and is_matrix(b):
        return Builder(judge.world, judge.map)._same_shape(a.shape, b.shape)
    if is_matrix(a) or is_matrix(b):
        m = a if is_matrix(a) else b
        return m.shape == (1, 1)
    return True


def _spread(items: list, count: int) -> list:
    """A deterministic spread of `count` items: both ends and evenly between."""
    if len(items) <= count:
        return items
    picks = np.linspace(0, len(items) - 1, count).round().astype(int)
    return [items[i] for i in sorted(set(picks.tolist()))]



#: A factor ½ written in a formula: \frac{1}{2}, \frac12, \tfrac{1}{2n}, 1/2, 0.5, ½.
#: A number written with decimals (a worked example's value, not a whole number a quantity nearly is).
DECIMAL = re.compile(r"\d\.\d|\.\d")
#: The largest denominator of a post's own cost factor (2/K for K outputs) that is looked for.
MAX_OWN_DENOMINATOR = 64
HALF = re.compile(r"\\[dt]?frac\s*(?:\{\s*1\s*\}\s*\{\s*2(?!\d)|12)|(?<![\d.])1\s*/\s*2(?!\d)|(?<![\d.])0?\.5(?!\d)|½")


def _mentions_letter(text: str, name: str) -> bool:
    """Whether the formula writes the symbol `name` (L in ∂L/∂W, not in \\left or ReLU)."""
    return re.search(r"(?<![A-Za-z\\])\\?" + re.escape(name) + r"(?![A-Za-z])", text) is not None


def _index_like(node: Node) -> bool:
    """A layer or index as a post writes one: 2, L, l + 1, (L - 1)."""
    if node.kind == "num":
        return "." not in node.value
    if node.kind == "sym":
        return index_letter(node.value.name) is not None and not (node.value.sub or node.value.sup or node.value.primes)
    if node.kind in ("add", "neg") or (node.kind == "group" and node.value == "("):
        return all(_index_like(c) for c in node.children)
    return False
