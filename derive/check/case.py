r"""Stage 6, diagnose: one wrong link as a *case*, and the tree helpers mutations use.

A `Case` holds the reference form (the truth), the written form and the judge's evaluations, and
answers the one question every mutation asks: does this changed formula (or this changed truth)
reproduce what was written?
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import sympy as sp

from .. import rules
from ..algebra import Apply, ApplyPrime, Prime
from ..quantities import COST
from .build import Builder, Unchecked
from .judge import Judge, shapes_agree
from .parser import Node, Script, Sym
from .results import Counterexample, Evaluated, Form
from .usage import OutOfRange, ShapeMismatch, is_matrix

MAX_CANDIDATES = 60
FUNCTION_NODES = (Apply, ApplyPrime, Prime, rules.ActivationBase)


@dataclass(frozen=True)
class Finding:
    details: dict[str, str]
    fixed: Node | None = None  # the written formula with the mistake undone
    fixed_value: Any = None  # the same as a SymPy statement, when undone on that level
    printed: str | None = None  # the correct formula, already printed


@dataclass(frozen=True)
class Mistake:
    name: str
    mutation: Callable[["Case"], Iterator[Finding]]
    message: str


class Case:
    """One wrong link: the reference form (the truth), the written form, and ways to compare."""

    def __init__(self, judge: Judge, chain: list[Form], ref_index: int, k: int, text: str,
                 evaluated: Evaluated | None) -> None:
        self.judge = judge
        self.world = judge.world
        self.map = judge.map
        self.chain = chain
        self.ref = chain[ref_index]
        self.user = chain[k]
        self.k = k
        self.text = text
        self.candidates = 0
        self.regrouped: Node | None = None  # the repair, when it reads the products left to right
        self.ev: Evaluated | None = evaluated
        if self.ev is None and self.user.mismatch is None and self.user.value is not None:
            try:
                self.ev = judge.evaluate([self.ref.node, self.user.node], text)
            except Unchecked:
                self.ev = None

    # -- values ------------------------------------------------------------------------------------------
    @property
    def ref_values(self) -> list[Any] | None:
        return None if self.ev is None else [row[0] for row in self.ev.values]

    @property
    def user_values(self) -> list[Any] | None:
        return None if self.ev is None else [row[1] for row in self.ev.values]

    def user_equals(self, candidate: list[Any]) -> bool:
        """Whether the written side's values equal the candidate values (a mutated truth)."""
        return self.ev is not None and self.judge.same(self.ev, 1, candidate)

    def ref_equals(self, candidate: list[Any]) -> bool:
        return self.ev is not None and self.judge.same(self.ev, 0, candidate)

    def fixes(self, node: Node, transposed: bool = False) -> Node | None:
        """This version of the written form (or the same read left to right, (x ⊙ y) z for x ⊙ y z),
        when it equals the correct result, else None (`transposed`: or its transpose, for a derivative
        by a vector, which a post may lay out either way)."""
        self.regrouped = None
        for candidate in (node, regrouped(node)):
            if candidate is not None and self._fixes(candidate, transposed):
                if candidate is not node:
                    self.regrouped = candidate
                return candidate
        return None

    def _fixes(self, node: Node, transposed: bool) -> bool:
        if self.candidates >= MAX_CANDIDATES:
            return False
        self.candidates += 1
        builder = Builder(self.world, self.map, text=self.text)
        try:
            value = builder.build(node)
        except (Unchecked, ShapeMismatch, OutOfRange, sp.ShapeError, ValueError, TypeError):
            return False
        if _broadcasts(builder.usage) and not (self.user.usage is not None and _broadcasts(self.user.usage)):
            return False  # a repair that only holds by NumPy broadcasting is no repair
        transform = None
        if not shapes_agree(self.ref.value, value, self.judge):
            if not (transposed and is_matrix(value) and shapes_agree(self.ref.value, sp.Transpose(value), self.judge)):
                return False
            transform = {1: sp.Transpose}
        try:
            ev = self.judge.evaluate([self.ref.node, node], self.text, transform=transform)
        except (Unchecked, sp.ShapeError, ValueError, TypeError):
            return False
        return self.judge.same(ev, 0, [row[1] for row in ev.values])

    def fixes_value(self, rewrite: Callable[[Any], Any], transposed: bool = False) -> Any:
        """Whether rewriting the written form's SymPy statement gives the correct result (`transposed`:
        or its transpose); the rewritten symbolic statement when it does, else None."""
        if self.user.value is None or self.user.mismatch is not None or self.candidates >= MAX_CANDIDATES:
            return None
        self.candidates += 1
        try:
            symbolic = rewrite(self.user.value)
            transform = rewrite
            if symbolic == self.user.value:
                return None
            if not shapes_agree(self.ref.value, symbolic, self.judge):
                if not (transposed and is_matrix(symbolic)
                        and shapes_agree(self.ref.value, sp.Transpose(symbolic), self.judge)):
                    return None
                symbolic = sp.Transpose(symbolic)
                transform = lambda v: sp.Transpose(rewrite(v))  # noqa: E731
            layer_names = sorted(self.ref.usage.layer_vars | self.user.usage.layer_vars, key=str)
            ev = self.judge.evaluate([self.ref.node, self.user.node], self.text, layer_names=layer_names,
                                     transform={1: transform})
        except (Unchecked, ShapeMismatch, sp.ShapeError, ValueError, TypeError, AttributeError):
            return None
        if not self.judge.same(ev, 0, [row[1] for row in ev.values]):
            return None
        if not layer_names and self.world.scalar_symbols:
            try:
                return rewrite(self.judge.concrete(self.user.node, {}, self.text)[0])
            except (Unchecked, OutOfRange, ShapeMismatch, sp.ShapeError, ValueError, TypeError):
                pass
        return symbolic

    def counterexample(self) -> Counterexample | None:
        if self.ev is None:
            return None
        try:
            verdict = self.judge.compare(self.ev, 0, 1)
        except Unchecked:
            return None
        return verdict[1] if verdict[0] == "differ" else None

    # -- facts about the link ------------------------------------------------------------------------------
    @property
    def anchor(self) -> Any:
        return self.ref.value

    def about_cost(self) -> bool:
        return self.anchor == COST

    def quote(self, node: Node) -> str:
        return " ".join(self.text[node.span[0]:node.span[1]].split())

    def show(self, value: Any) -> str:
        return self.judge.show(value, [f.usage for f in self.chain if f.usage is not None])

    def used(self) -> dict[str, list[str]]:
        names: dict[str, list[str]] = {}
        for form in self.chain:
            if form.usage is not None:
                for role, found in form.usage.names.items():
                    for n in found:
                        names.setdefault(role, [])
                        if n not in names[role]:
                            names[role].append(n)
        for role, found in self.judge.used.items():
            names.setdefault(role, [])
            names[role] += [n for n in found if n not in names[role]]
        return names


# ----------------------------------------------------------------------------------------------
# Tree helpers
# ----------------------------------------------------------------------------------------------


def walk(node: Node, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], Node]]:
    yield path, node
    for i, child in enumerate(node.children):
        yield from walk(child, path + (i,))


def replace_at(node: Node, path: tuple[int, ...], new: Node) -> Node:
    if not path:
        return new
    children = list(node.children)
    children[path[0]] = replace_at(children[path[0]], path[1:], new)
    return replace(node, children=tuple(children))


def map_syms(node: Node, fn: Callable[[Node], Node]) -> Node:
    """Apply fn to every symbol node, also those inside scripts."""
    value = node.value
    if isinstance(value, Sym):
        value = replace(value, sub=_map_script(value.sub, fn), sup=_map_script(value.sup, fn))
        node = replace(node, value=value)
        node = fn(node)
    children = tuple(map_syms(c, fn) for c in node.children)
    return replace(node, children=children)


def _map_script(script: Script | None, fn: Callable[[Node], Node]) -> Script | None:
    if script is None or script.expr is None:
        return script
    return replace(script, expr=map_syms(script.expr, fn))


def value_of(case: Case, node: Node) -> Any:
    try:
        return Builder(case.world, case.map, text=case.text).build(node)
    except (Unchecked, ShapeMismatch, OutOfRange, ValueError, TypeError, sp.ShapeError):
        return None


def printable(case: Case, node: Node) -> Any:
    """The value to print: concrete (neuron names such as w35) when no layer letter is free."""
    if case.ref.usage is not None and not case.ref.usage.layer_vars and case.world.scalar_symbols:
        try:
            value, _ = case.judge.concrete(node, {}, case.text)
            return value
        except (Unchecked, OutOfRange, ShapeMismatch, ValueError, TypeError, sp.ShapeError):
            pass
    return value_of(case, node)


def _broadcasts(usage: Any) -> bool:
    return any("broadcasting" in note for note in usage.notes)


def regrouped(node: Node) -> Node | None:
    """x ⊙ y z read left to right, (x ⊙ y) z, as posts that chain ⊙ and products mean it; None when
    the tree has no such product."""
    changed = [False]

    def visit(n: Node) -> Node:
        children = tuple(visit(c) for c in n.children)
        n = replace(n, children=children) if children != n.children else n
        if n.kind == "had" and n.children and n.children[-1].kind == "mul" and n.children[-1].value[0] == "juxt":
            product = n.children[-1]
            head = replace(n, children=n.children[:-1] + (product.children[0],),
                           span=(n.span[0], product.children[0].span[1]))
            changed[0] = True
            return replace(product, children=(head,) + product.children[1:], span=n.span)
        return n

    result = visit(node)
    return result if changed[0] else None
