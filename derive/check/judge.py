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
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import sympy as sp

from ..safe import as_expr
from ..algebra import EvaluationError, NetQuantity, Quotient, SymbolicEvaluator, scalar_derivative, shared_xreplace
from ..errors import VerificationError
from .build import (Builder, OperatorDerivative, OutOfRange, ShapeMismatch, Unchecked, concrete_dim, is_matrix,
                    shape_text)
from .extract import Document, Statement
from .lexer import CMD, EOF, LBRACE, OP, RBRACE, tokenize_leniently
from .notation import NotationMap
from .parser import RELATIONS, Node, ParseError, parse_chain
from .values import FloatEvaluator, NotNumeric, close, entries, exactly_equal, make_points
from .world import World

EQUALITIES = ("=", "equiv", "def")
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


# ----------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counterexample:
    where: str  # the layer and index values, e.g. "l = 1, j = 2"; "" when none
    entry: str  # "(1, 2)" for a matrix, "" for a scalar
    left: float
    right: float
    point: tuple[tuple[Any, Any], ...]  # (quantity, values) of the instance at this point


@dataclass(frozen=True)
class Diagnosis:
    name: str
    message: str


@dataclass(frozen=True)
class LinkResult:
    line: int
    col: int
    relation: str
    left: str  # the form this one is compared with
    text: str  # this form
    verdict: str  # correct | wrong | not checked
    reason: str = ""
    method: str = ""  # exact | random points | shapes
    shapes: tuple[str, str] | None = None
    counterexample: Counterexample | None = None
    diagnosis: Diagnosis | None = None
    correct: str | None = None


@dataclass(frozen=True)
class StatementResult:
    line: int
    text: str
    links: tuple[LinkResult, ...]


# ----------------------------------------------------------------------------------------------
# Built forms
# ----------------------------------------------------------------------------------------------


@dataclass
class Form:
    node: Node | None
    text: str  # the form's own text
    start: int  # offset in the statement text
    relation: str | None
    error: str = ""  # parse error or Unchecked reason
    error_pos: int | None = None
    mismatch: ShapeMismatch | None = None
    value: Any = None  # symbolic-mode value
    usage: Any = None
    space: tuple | None = None  # dims of \mathbb{R}^{a × b}

    @property
    def built(self) -> bool:
        return self.node is not None and not self.error and self.mismatch is None and self.space is None


@dataclass
class Evaluated:
    """Explicit values of some forms at every assignment of layer and index letters."""

    assignments: list[tuple[dict, dict]] = field(default_factory=list)  # (layer values, index values)
    values: list[list[Any]] = field(default_factory=list)  # per assignment, per form


class Judge:
    def __init__(self, world: World, nmap: NotationMap, doc: Document | None = None) -> None:
        self.world = world
        self.map = nmap
        self.doc = doc
        self.functions = nmap.functions()
        # Explicit values and float evaluations depend only on the network: shared by all checks.
        self._cache: dict[Any, Any] = world.cache.setdefault("explicit", {})
        #: The givens of the post's worked examples, per network (shared with instance judges).
        self.givens: dict[World, dict[Any, Any]] = {}
        self.used: dict[str, list[str]] = {}  # role -> symbol names the post uses, in order
        self.plain: set[str] = set()  # roles the post writes without bold
        self.bold: set[str] = set()
        self.fonts: dict[str, str] = {}
        self.paren_layers = False

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
        text = st.src.text
        forms = self.forms(text)
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
            judge = Judge(world, self.map, self.doc)
            judge.used, judge.plain, judge.bold, judge.fonts = self.used, self.plain, self.bold, self.fonts
            judge.givens = self.givens
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

    def line_of(self, st: Statement, pos: int) -> int:
        if self.doc is None:
            return 1
        return self.doc.line_col(st.src.offset(pos))[0]

    def col_of(self, st: Statement, pos: int) -> int:
        if self.doc is None:
            return pos + 1
        return self.doc.line_col(st.src.offset(pos))[1]

    def forms(self, text: str) -> list[Form]:
        try:
            chain = parse_chain(text, self.functions)
            out = []
            for rel, node in chain:
                start, end = node.span
                out.append(Form(node if node.kind != "none" else None, text[start:end].strip(), start, rel,
                                error="the formula has no left-hand side" if node.kind == "none" else ""))
            return out
        except ParseError as exc:
            return self._forms_one_by_one(text, exc)

    def _forms_one_by_one(self, text: str, first_error: ParseError) -> list[Form]:
        """When the chain does not parse as a whole, each side on its own: one bad side leaves the
        others checkable."""
        tokens = tokenize_leniently(text)  # a side that cannot be read is cut out like any other
        cuts: list[tuple[int, int, str | None]] = []  # (start of form, end of previous, relation)
        depth = 0
        start = 0
        relation: str | None = None
        for tok in tokens:
            if tok.kind == LBRACE or (tok.kind == OP and tok.value in "([") or (tok.kind == CMD and tok.value == "left"):
                depth += 1
            elif tok.kind == RBRACE or (tok.kind == OP and tok.value in ")]") or (tok.kind == CMD and tok.value == "right"):
                depth -= 1
            elif depth == 0 and ((tok.kind == OP and tok.value == "=") or (tok.kind == CMD and tok.value in RELATIONS)):
                cuts.append((start, tok.pos, relation))
                relation = "=" if tok.kind == OP else RELATIONS[tok.value]
                start = tok.end
            elif tok.kind == EOF:
                cuts.append((start, tok.pos, relation))
        out = []
        for s, e, rel in cuts:
            piece = text[s:e]
            form = Form(None, piece.strip(), s + (len(piece) - len(piece.lstrip())), rel)
            try:
                sub = parse_chain(piece, self.functions)
                if len(sub) != 1 or sub[0][0] is not None:
                    raise ParseError(first_error.message, first_error.pos - s)
                node = sub[0][1]
                form.node = _shift(node, s)
            except ParseError as exc:
                form.error = exc.message
                form.error_pos = s + exc.pos
            out.append(form)
        return out

    # -- chains --------------------------------------------------------------------------------------------
    def check_chain(self, chain: list[Form], st: Statement, text: str) -> list[LinkResult]:
        if len(chain) < 2:
            return []
        for form in chain:
            self.build_symbolic(form, text)
        anchor = next((k for k, f in enumerate(chain) if f.built), None)
        results = []
        for k in range(1, len(chain)):
            ref_index = anchor if anchor is not None and anchor < k else None
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
                form.space = tuple(builder.index(d) for d in form.node.children)
            except Unchecked as exc:
                form.error, form.error_pos = exc.reason, exc.span[0] if exc.span else None
            return
        builder = Builder(self.world, self.map, text=text)
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
            self.paren_layers |= builder.usage.paren_layers
            for role, font in builder.usage.fonts.items():
                self.fonts.setdefault(role, font)
        except Unchecked as exc:
            form.error, form.error_pos = exc.reason, exc.span[0] if exc.span else form.start
        except ShapeMismatch as exc:
            form.mismatch = exc
            form.usage = builder.usage

    def link(self, st: Statement, form: Form, left: Form, verdict: str, **kw: Any) -> LinkResult:
        pos = form.start if form.node is not None or form.error_pos is None else form.error_pos
        return LinkResult(self.line_of(st, pos), self.col_of(st, pos), form.relation or "=", left.text, form.text,
                          verdict, **kw)

    def not_checked(self, st: Statement, form: Form, left: Form, reason: str, pos: int | None) -> LinkResult:
        reason = re.sub(r" at col \d+", "", reason)  # the file's line and column replace the formula's
        where = ""
        if pos is not None and self.doc is not None:
            line, col = self.doc.line_col(st.src.offset(pos))
            where = f" (line {line}, col {col})"
        return self.link(st, form, left, "not checked", reason=reason + where)

    def check_link(self, chain: list[Form], ref_index: int | None, k: int, st: Statement, text: str) -> LinkResult:
        form = chain[k]
        left = chain[ref_index] if ref_index is not None else chain[k - 1]
        relation = form.relation
        approx_numbers = relation == "approx" and ref_index is not None and not form.error and \
            _numbers_of(form.node) is not None  # ∂C/∂W ≈ [central differences, printed]
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
        einstein = self.implied_sum(chain[ref_index], form)
        if einstein is not None:
            return self.not_checked(st, form, left, einstein, None)
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
        if not _shapes_agree(ref.value, form.value, self):
            shapes = (shape_text(ref.value, self.world), shape_text(form.value, self.world))
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

    # -- worked examples -----------------------------------------------------------------------------------
    def worked_example(self, ref: Form, form: Form, st: Statement, text: str) -> LinkResult | None:
        """A post's numbers: givens (x = [0.27, …], W^1 = …, n = 3) and results (C = 0.004151,
        ∂C/∂W^1 = [[…]]), the results checked at the givens to the precision printed."""
        numbers = _numbers_of(form.node)
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
                point = tuple((self.quantity_name(q), np.asarray(v_, dtype=float)) for q, v_ in givens.items())
                correct = _numbers_latex(truth, max(decimals))
                return self.link(st, form, ref, "wrong", method="worked example",
                                 reason=f"at the example's values the left side{(' entry ' + entry) if entry else ''} "
                                        f"is {t:.{max(d, 1) + 2}g}, not {v:g}",
                                 counterexample=Counterexample("", entry, float(t), float(v), point),
                                 diagnosis=Diagnosis("wrong-number", "the number does not follow from the example's "
                                                     "givens"), correct=correct)
        return self.link(st, form, ref, "correct", method="worked example (to the digits printed)")

    def base_quantities(self) -> list[Any]:
        from ..backprop import MEAN, STD

        f = self.world.frame
        out = [f.x] + ([MEAN, STD] if self.world.spec.normalize_input else [])
        for l in range(1, self.world.depth + 1):
            out.append(f.W(sp.Integer(l)))
            if f.has_bias(sp.Integer(l)):
                out.append(f.b(sp.Integer(l)))
        return out + [f.y]

    def record_given(self, target: Any, form: Form, ref: Form, st: Statement, printed: list, decimals: list) -> LinkResult:
        dims = {self.world.batch_symbol: self.world.spec.batch} if self.world.batched else {}
        shape = (1, 1) if not is_matrix(target) else tuple(int(as_expr(d).xreplace(dims)) for d in target.shape)
        got = _shape_of(form.value)
        if (shape != (1, 1) or got != (1, 1)) and got != shape:
            return self.link(st, form, ref, "wrong", method="shapes", reason=f"{ref.text} is {shape[0]} × {shape[1]}, "
                             f"the example gives {got[0]} × {got[1]}", shapes=(f"{shape[0]} × {shape[1]}",
                                                                              f"{got[0]} × {got[1]}"),
                             diagnosis=Diagnosis("wrong-shape", f"{ref.text} is {shape[0]} × {shape[1]}"))
        self.givens.setdefault(self.world, {})[target] = np.asarray(printed, dtype=float).reshape(shape) \
            if is_matrix(target) else float(printed[0])
        self.world.cache.pop(("worked", id(self.givens)), None)
        return self.link(st, form, ref, "correct", method="a given of the worked example")

    def worked_verifier(self) -> Any:
        """The engine's numeric verifier at the example's givens instead of a random draw."""
        from ..verify import NumericVerifier

        givens = self.givens[self.world]
        key = ("worked", id(self.givens))
        cached = self.world.cache.get(key)
        if cached is not None and cached[0] == len(givens):
            return cached[1]

        class AtGivens(NumericVerifier):
            def _draw_base(inner) -> dict[Any, Any]:
                return dict(givens)

        verifier = AtGivens(self.world.instance, 0)
        self.world.cache[key] = (len(givens), verifier)
        return verifier

    def contradicts_convention(self, chain: list[Form], k: int, text: str) -> tuple[str, str, str, str] | None:
        """A step that is right only under the other index convention than the one the post
        states: (method, stated, other, the step rewritten in the stated convention), else None."""

        for stated, other, flipped_map in self.map.stated_conventions():
            flipped = Judge(self.world, flipped_map, self.doc)
            forms = [Form(f.node, f.text, f.start, f.relation) for f in (chain[0], chain[k])]
            for f in forms:
                flipped.build_symbolic(f, text)
            if not forms[0].built or not forms[1].built or not _shapes_agree(forms[0].value, forms[1].value, flipped):
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
        paren = self.paren_layers
        for usage in usages + [None]:
            names = self.used if usage is None else usage.names
            for role, found in names.items():
                used.setdefault(role, [])
                used[role] += [n for n in found if n not in used[role]]
            if usage is not None:
                plain |= usage.plain
                bold |= usage.bold
                paren |= usage.paren_layers
                for role, font in usage.fonts.items():
                    fonts.setdefault(role, font)
        for role, font in self.fonts.items():
            fonts.setdefault(role, font)
        if fonts:
            common = sorted(fonts.values())[0]
            for role in ("weight", "bias", "preactivation", "activation", "error", "input", "target", "output"):
                fonts.setdefault(role, common)
        plain |= self.plain - bold
        bold |= self.bold
        if plain and not bold:  # a post that bolds nothing: print nothing bold
            plain |= {"weight", "bias", "preactivation", "activation", "error", "input", "normalized-input",
                      "target", "output"}
        return print_formula(value, self.world, self.map, used, plain=frozenset(plain), fonts=fonts, paren_layers=paren)

    def implied_sum(self, ref: Form, form: Form) -> str | None:
        """An index that only the right side has, written twice: an implied (Einstein) sum."""
        if form.usage is None or ref.usage is None:
            return None
        free = set(form.usage.index_dims) - set(ref.usage.index_dims)
        for var in sorted(free, key=str):
            if _occurrences(form.node, var.name) >= 2:
                return (f"the index {var} appears twice on the right only: an implied (Einstein) sum is not checked; "
                        f"write the sum \\sum_{{{var}}}")
        return None

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
        from .mistakes import Case, diagnose

        case = Case(self, chain, ref_index, k, text, evaluated)
        diagnosis, correct = diagnose(case)
        if counterexample is None and case.ref_values is not None:
            counterexample = case.counterexample()
        form, left = chain[k], chain[ref_index]
        return self.link(st, form, left, "wrong", reason=reason, method=method, shapes=shapes,
                         counterexample=counterexample, diagnosis=diagnosis, correct=correct)

    # -- evaluation ----------------------------------------------------------------------------------------
    def concrete(self, node: Node, layer_values: dict, text: str) -> tuple[Any, Any]:
        builder = Builder(self.world, self.map, concrete=True, layer_values=layer_values, text=text)
        value = builder.build(node)
        return value, builder.usage

    def layer_vars(self, nodes: list[Node], text: str) -> list[sp.Symbol]:
        found: set[sp.Symbol] = set()
        for node in nodes:
            builder = Builder(self.world, self.map, text=text)
            try:
                builder.build(node)
            except ShapeMismatch:
                pass
            found |= builder.usage.layer_vars
        return sorted(found, key=str)

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
            names_i = sorted(ranges, key=str)
            index_combos = [dict(zip(names_i, v)) for v in itertools.product(*[range(1, ranges[n] + 1) for n in names_i])]
            if len(index_combos) > MAX_INDEX_COMBINATIONS:
                index_combos = _spread(index_combos, MAX_INDEX_COMBINATIONS)
            for index_values in index_combos:
                row = [self.explicit(value, index_values) for value, _ in built]
                out.assignments.append((layer_values, index_values))
                out.values.append(row)
        if not out.assignments:
            raise Unchecked(f"no layer of {self.world.describe_instance()} where every quantity of the formula exists")
        return out

    @property
    def dims(self) -> dict:
        return {k: sp.Integer(v) for k, v in self.world.dims.items()}

    def explicit(self, value: Any, index_values: dict) -> Any:
        key = (value, tuple(sorted(index_values.items(), key=lambda kv: str(kv[0]))))
        if key in self._cache:
            return self._cache[key]
        if index_values and value.has(sp.Sum):
            bound = {v for s in sp.preorder_traversal(value) if isinstance(s, sp.Sum) for v in s.variables}
            clash = sorted(str(v) for v in bound if v in index_values)
            if clash:
                raise Unchecked(f"the index {clash[0]} is both summed over and free")
        concrete = value.xreplace({k: sp.Integer(v) for k, v in index_values.items()}) if index_values else value
        leftover = {s for s in concrete.free_symbols if s.is_Symbol and s.is_integer and s.name in "ijklmnpqrst"
                    and s not in self.dims}
        if leftover and not is_matrix(concrete):
            raise Unchecked(f"the index {sorted(map(str, leftover))[0]} is not given a value by anything in the formula")
        try:
            if concrete.has(OperatorDerivative):
                concrete = concrete.xreplace({d: self.operator_derivative(d) for d in sp.preorder_traversal(concrete)
                                              if isinstance(d, OperatorDerivative)})
            result = self.world.verifier.evaluate(concrete)
        except (EvaluationError, VerificationError, KeyError, IndexError, ValueError, TypeError, ZeroDivisionError,
                sp.ShapeError, AttributeError, NotImplementedError) as exc:
            raise Unchecked(f"cannot evaluate this on {self.world.describe_instance()} ({type(exc).__name__}: {exc})")
        if isinstance(result, sp.MatrixBase):
            result = sp.ImmutableMatrix(result).xreplace(self.dims)
            if result.shape == (1, 1):
                result = result[0, 0]
        else:
            result = as_expr(result).xreplace(self.dims)
        self._cache[key] = result
        return result

    def operator_derivative(self, node: OperatorDerivative) -> Any:
        """∂/∂v (body): the body evaluated with v's quantity free, differentiated, v put back."""
        verifier = self.world.verifier
        den = verifier.entry_of(node.wrt)
        symbols, env, back = verifier._free(den.of)
        env = dict(env)
        for name, binding in self.world.scalar_symbols.items():
            q = binding.entry.of
            if q in env and not isinstance(env[q], (int, float)):
                r, c = binding.entry.position()
                env[binding.symbol] = env[q][r, c]
        value = SymbolicEvaluator(env, verifier.dims, verifier.resolve)(node.body)
        r, c = den.position()
        return shared_xreplace(scalar_derivative(value, symbols[r, c]), back)

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
        exact = exactly_equal(pairs) if self.world.exact else None
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
        point = tuple((self.quantity_name(q), values) for q, values in self.points[p].quantities)
        return Counterexample(where, entry, x, y, point)

    def quantity_name(self, q: Any) -> str:
        """A quantity of the counterexample, named as the post names it: W^1, W_0, x, μ."""
        from ..backprop import MEAN, STD
        from .printer import KIND_ROLES

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
        layer = int(q.layer) - (self.map.layer_offset_of(binding) if binding else 0)
        return f"{name}^{layer}" if (binding is None or self.map.layer_index_of(binding) == "super") else f"{name}_{layer}"


CONTRADICTED = ("contradicts the index convention the post states ({stated}): the step is right for {other}")


def _numbers_of(node: Node | None) -> tuple[list[float], list[int]] | None:
    """The numbers of a form made of numbers only (a number, −number, a matrix of them), and
    how many decimals each was printed with; None for anything else."""
    if node is None:
        return None
    if node.kind == "num":
        text = node.value
        return [float(text)], [len(text.split(".")[1]) if "." in text else 0]
    if node.kind == "neg":
        inner = _numbers_of(node.children[0])
        return None if inner is None or len(inner[0]) != 1 else ([-inner[0][0]], inner[1])
    if node.kind == "group" and node.value in ("(", "["):
        return _numbers_of(node.children[0])
    if node.kind == "matrix":
        values, decimals = [], []
        for cell in node.children:
            found = _numbers_of(cell)
            if found is None or len(found[0]) != 1:
                return None
            values += found[0]
            decimals += found[1]
        return values, decimals
    return None


def _shape_of(value: Any) -> tuple[int, int]:
    return tuple(value.shape) if isinstance(value, sp.MatrixBase) else (1, 1)


def _is_given_target(value: Any, judge: "Judge") -> bool:
    from ..backprop import MEAN, STD

    if value in (MEAN, STD):
        return True
    if judge.world.batched and value == judge.world.batch_symbol:
        return True
    return isinstance(value, NetQuantity) and (value.kind in ("x", "y", "W", "b"))


def _numbers_latex(values: np.ndarray, places: int) -> str:
    if values.size == 1:
        return f"{float(values.ravel()[0]):.{places}f}"
    rows = values if values.ndim == 2 else values.reshape(-1, 1)
    body = r"\\".join(" & ".join(f"{v:.{places}f}" for v in row) for row in rows)
    return rf"\begin{{bmatrix}}{body}\end{{bmatrix}}"


def _occurrences(node: Node, letter: str) -> int:
    """How often a letter is written as a free symbol (in scripts too)."""
    from .parser import Script, Sym

    count = 0
    value = node.value
    if isinstance(value, Sym):
        if value.name == letter and value.sub is None and value.sup is None:
            count += 1
        for script in (value.sub, value.sup):
            if isinstance(script, Script) and script.expr is not None:
                count += _occurrences(script.expr, letter)
    for child in node.children:
        count += _occurrences(child, letter)
    return count


def shape_text_dim(d: Any) -> str:
    from .build import dim_text

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


def _shapes_agree(a: Any, b: Any, judge: Judge) -> bool:
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


def _shift(node: Node, offset: int) -> Node:
    from dataclasses import replace

    from .parser import Script, Sym

    def script(s: Script | None) -> Script | None:
        if s is None:
            return None
        return replace(s, expr=_shift(s.expr, offset) if s.expr is not None else None)

    value = node.value
    if isinstance(value, Sym):
        value = replace(value, sub=script(value.sub), sup=script(value.sup))
    elif isinstance(value, tuple) and len(value) == 3 and isinstance(value[2], Script):
        value = (value[0], value[1], script(value[2]))
    return Node(node.kind, (node.span[0] + offset, node.span[1] + offset),
                tuple(_shift(c, offset) for c in node.children), value)
