"""What a post says, in one language, before any platform's syntax: words, maths and their order.

A `Post` is built from a verified `Derivation` and holds SymPy objects for every formula and
`Words` for every sentence (a phrase from phrases.py whose {placeholders} are filled with text or
maths). The renderer (render.py) turns it into a platform's Markdown, notebook or LaTeX; nothing
here knows any platform, and nothing here does calculus.

Order: the steps of the derivation, numbered, grouped by section, except that a neuron-by-neuron
(scalar) section comes first: a reader meets ∂C/∂w35 before the matrix form that collects it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from .. import phrases, rules
from ..algebra import Apply, Grad, NetQuantity
from ..derivation import Derivation, Step
from ..gradcheck import RTOL
from .printing import FixedDecimal, IndexRange, Membership, PowerOfTen
from .worked import DIFFERENCE_STEP, GIVEN_PLACES, RESULT_PLACES, WorkedExample

#: A matrix with more entries than this is described in words in the worked example, not printed.
MAX_PRINTED_ENTRIES = 64

#: Sections in the order a post presents them (stable: steps keep their order within a rank).
SECTION_RANK = {"scalar": 0, "layout": 2}


# ----------------------------------------------------------------------------------------------
# Building blocks
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Math:
    """A formula inside a sentence."""

    expr: Any


@dataclass(frozen=True)
class Join:
    """Several pieces (text, maths, words) with a glue between them."""

    items: tuple[Any, ...]
    glue: str


@dataclass(frozen=True)
class Words:
    """A phrase with {placeholders}; each value is text, Math, Join or Words."""

    text: str
    values: tuple[tuple[str, Any], ...] = ()

    def value(self, name: str) -> Any:
        for key, value in self.values:
            if key == name:
                return value
        raise KeyError(f"phrase {self.text!r} has no value for {{{name}}}")


@dataclass(frozen=True)
class Equation:
    """A display: rows of = chains (forms of a step, or a quantity and its value)."""

    rows: tuple[tuple[Any, ...], ...]
    relation: str = "eq"  # "eq" or "approx" (printing.RELATIONS)
    split: bool = True  # a chain with several right-hand sides gets one line per form


@dataclass(frozen=True)
class PostStep:
    number: int
    key: str
    title: Words
    rule: Words
    equation: Equation
    notes: Join  # where it holds, the shapes, how it was verified


@dataclass(frozen=True)
class Section:
    heading: Words
    steps: tuple[PostStep, ...]


@dataclass(frozen=True)
class Paragraph:
    words: Words
    equation: Equation | None = None


@dataclass(frozen=True)
class Post:
    net: str
    lang: str
    title: str  # plain text: front matter, document title
    heading: Words  # the same title, for a platform that writes it as a heading
    description: Words
    intro: Words
    assumptions: tuple[Words, ...]
    diagram_alt: Words
    diagram_caption: Words
    sections: tuple[Section, ...]
    instances_heading: Words
    instances: tuple[Words, ...]
    example_heading: Words
    example: tuple[Paragraph, ...]
    stop: str  # the full stop of the language, for a template joining a title to its rule


# ----------------------------------------------------------------------------------------------
# Words of one language
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wording:
    """Phrase lookups for one language."""

    lang: str

    def post(self, key: str, **values: Any) -> Words:
        return Words(phrases.text(phrases.POST, key, self.lang), tuple(sorted(values.items())))

    def raw(self, key: str) -> str:
        return phrases.text(phrases.POST, key, self.lang)

    def listing(self, items: list[Any]) -> Join:
        return Join(tuple(items), self.raw("list-glue"))


def _layer(value: Any) -> Any:
    """A layer as written in a sentence: plain digits, or maths (l, L, l + 1)."""
    if value is None:
        return ""
    if isinstance(value, (int, sp.Integer)):
        return str(int(value))
    return Math(value)


def _shapes(step: Step) -> list[Membership]:
    """Every matrix of a step with its shape: the left-hand side first, then each quantity."""
    out: list[Membership] = []
    seen: set[Any] = set()
    lhs = step.lhs
    candidates: list[Any] = []
    if isinstance(lhs, sp.MatrixExpr) and not isinstance(lhs, NetQuantity):
        candidates.append(lhs)
    candidates += step.quantities()
    for q in candidates:
        if q in seen:
            continue
        seen.add(q)
        out.append(Membership(q, *q.shape))
    return out


def _verdict(d: Derivation, step: Step, w: Wording) -> Words:
    if step.kind == "definition":
        return w.post("definition")
    methods = sorted({c.method for c in d.checks_for(step.key)})
    names = [w.raw(f"method-{m}") for m in ("symbolic", "numeric", "instance") if m in methods]
    return w.post("verified", methods=w.listing(names))


def _applies_jointly(step: Step) -> bool:
    """Whether the step applies an activation that is not elementwise (softmax)."""
    return isinstance(step.rhs, Apply) and not rules.ACTIVATIONS[step.rhs.name].elementwise


def post_step(d: Derivation, step: Step, number: int, w: Wording) -> PostStep:
    layer = _layer(step.layer)
    title = Words(phrases.text(phrases.WHAT, step.what, w.lang), (("layer", layer),))
    table = phrases.RULE_WORDS_JOINT if _applies_jointly(step) else phrases.RULE_WORDS
    rule = Words(
        w.raw("rule") + w.raw("colon") + phrases.text(table, step.rule, w.lang) + w.raw("stop"),
        (("layer", layer), ("rhs", Math(step.rhs))),
    )
    notes: list[Any] = []
    if step.what in phrases.STEP_NOTE:
        notes.append(Words(phrases.text(phrases.STEP_NOTE, step.what, w.lang)))
    if step.indices:
        ranges = [Math(IndexRange(s, lo, hi)) for s, lo, hi in step.indices]
        notes.append(w.post("ranges", ranges=w.listing(ranges)))
    shapes = _shapes(step)
    if shapes:
        notes.append(w.post("shapes", shapes=w.listing([Math(m) for m in shapes])))
    notes.append(_verdict(d, step, w))
    return PostStep(number, step.key, title, rule, Equation((step.forms,)), Join(tuple(notes), w.raw("sentence-glue")))


def _sections(d: Derivation, w: Wording) -> tuple[Section, ...]:
    ordered = sorted(d.steps, key=lambda s: SECTION_RANK.get(s.section, 1))
    groups: list[tuple[str, list[Step]]] = []
    for step in ordered:
        if not groups or groups[-1][0] != step.section:
            groups.append((step.section, []))
        groups[-1][1].append(step)
    sections = []
    number = 0
    for name, steps in groups:
        heading = Words(phrases.text(phrases.SECTION, name, w.lang), (("layer", _layer(steps[0].layer)),))
        built = []
        for step in steps:
            number += 1
            built.append(post_step(d, step, number, w))
        sections.append(Section(heading, tuple(built)))
    return tuple(sections)


# ----------------------------------------------------------------------------------------------
# Around the steps
# ----------------------------------------------------------------------------------------------


def _widths(widths: tuple[int, ...]) -> str:
    return "-".join(str(n) for n in widths)


def _description(d: Derivation, w: Wording) -> Words:
    spec = d.spec
    facts: list[Any] = []
    if d.general:
        facts.append(w.post("fact-depth", depth=Math(d.symbols["L"])))
    else:
        facts.append(w.post("fact-widths", widths=_widths(spec.widths)))
    names: list[str] = []
    for layer in spec.layers:
        if layer.activation not in names:
            names.append(layer.activation)
    facts.append(w.post("fact-activations", names=w.listing(names)))
    facts.append(w.post("fact-cost", name=phrases.text(phrases.COST_NAMES, rules.cost(spec.cost).name, w.lang)))
    facts.append(w.post("fact-row" if spec.convention == "row" else "fact-column"))
    if not any(layer.bias for layer in spec.layers):
        facts.append(w.post("fact-no-bias"))
    if d.symbols.get("batch") is not None:
        facts.append(w.post("fact-batch", n=Math(d.symbols["batch"])))
    else:
        facts.append(w.post("fact-one-sample"))
    if spec.normalize_input:
        facts.append(w.post("fact-normalize"))
    if spec.reduction == "mean":
        facts.append(w.post("fact-mean"))
    return w.post("description", facts=Join(tuple(facts), w.raw("facts-glue")))


def _intro(d: Derivation, w: Wording) -> Words:
    if d.general:
        return w.post("intro-general")
    if any(c.method == "symbolic" for c in d.checks):
        return w.post("intro-proved")
    return w.post("intro-numeric")


def _instances(d: Derivation, w: Wording) -> tuple[Words, ...]:
    out = []
    for instance in d.instances:
        counts: dict[str, int] = {}
        for check in instance.checks:
            counts[check.method] = counts.get(check.method, 0) + check.entries
        parts = [w.post(f"instance-{m}", count=str(counts[m])) for m in ("symbolic", "numeric") if m in counts]
        out.append(w.post("instance", widths=_widths(instance.spec.widths), checks=w.listing(parts)))
    return tuple(out)


def _matrix(values: Any, places: int) -> Any:
    array = np.atleast_2d(np.asarray(values, dtype=float))
    if array.size == 1:
        return FixedDecimal(float(array[0, 0]), places)
    return sp.ImmutableMatrix(array.shape[0], array.shape[1],
                              lambda r, c: FixedDecimal(float(array[r, c]), places))


def _power_of_ten(value: float) -> PowerOfTen:
    return PowerOfTen(int(round(math.log10(value))))


def _printable(value: Any) -> bool:
    """Whether a value is small enough to print in full (the rest is summarised in words)."""
    return np.size(value) <= MAX_PRINTED_ENTRIES


def _example(d: Derivation, example: WorkedExample, w: Wording) -> tuple[Paragraph, ...]:
    concrete = example.derivation
    cost = sp.Symbol("C")
    paragraphs: list[Paragraph] = []
    if d.general:
        paragraphs.append(Paragraph(w.post("example-instance", widths=_widths(concrete.spec.widths))))
    givens: list[tuple[Any, ...]] = []
    if example.batch is not None:
        givens.append((example.batch[0], sp.Integer(example.batch[1])))
    givens += [(q, _matrix(value, GIVEN_PLACES)) for q, value in example.givens if _printable(value)]
    paragraphs.append(Paragraph(w.post("example-given", seed=str(example.seed)), Equation(tuple(givens), split=False)))
    hidden = [Math(q) for q, value in example.givens if not _printable(value)]
    if hidden:
        paragraphs.append(Paragraph(w.post("example-unprinted", names=w.listing(hidden))))
    paragraphs.append(Paragraph(w.post("example-cost"),
                                Equation(((cost, FixedDecimal(example.cost, RESULT_PLACES)),), split=False)))
    small = [g for g in example.gradients if _printable(g.value)]
    if small:
        rows = tuple((Grad(cost, g.quantity), g.step.rhs, _matrix(g.value, RESULT_PLACES)) for g in small)
        paragraphs.append(Paragraph(w.post("example-formula"), Equation(rows, split=False)))
    if example.scalars:
        rows = tuple((s.step.lhs, s.step.forms[2], FixedDecimal(s.value, RESULT_PLACES)) for s in example.scalars)
        paragraphs.append(Paragraph(w.post("example-scalar"), Equation(rows, split=False)))
    printed = [g for g in small if g.differences is not None]
    if printed:
        rows = tuple((Grad(cost, g.quantity), _matrix(g.differences, RESULT_PLACES)) for g in printed)
        paragraphs.append(Paragraph(w.post("example-differences", step=Math(_power_of_ten(DIFFERENCE_STEP))),
                                    Equation(rows, relation="approx", split=False)))
    for g in example.gradients:
        if not _printable(g.value):
            checked = w.post("example-large-entries" if g.differences is not None else "example-large-directions",
                             count=str(g.checked))
            paragraphs.append(Paragraph(w.post("example-large", name=Math(Grad(cost, g.quantity)),
                                               count=str(g.value.size), checked=checked)))
    paragraphs.append(Paragraph(w.post("example-agree", count=str(example.checked),
                                       tolerance=Math(_power_of_ten(RTOL)))))
    return tuple(paragraphs)


def build_post(d: Derivation, example: WorkedExample, lang: str) -> Post:
    """The post of a verified derivation in one language (`example` from worked.py)."""
    w = Wording(lang)
    name = d.spec.name
    title = phrases.text(phrases.POST, "title", lang).format(net=name)
    return Post(
        net=name,
        lang=lang,
        title=title,
        heading=w.post("title", net=name),
        description=_description(d, w),
        intro=_intro(d, w),
        assumptions=tuple(w.post("assumption", text=phrases.phrase(phrases.ASSUMPTIONS, a, lang)) for a in d.assumptions),
        diagram_alt=w.post("diagram-alt", net=name),
        diagram_caption=w.post("diagram-caption"),
        sections=_sections(d, w),
        instances_heading=Words(phrases.text(phrases.SECTION, "instances", lang)),
        instances=_instances(d, w),
        example_heading=Words(phrases.text(phrases.SECTION, "example", lang)),
        example=_example(d, example, w),
        stop=w.raw("stop"),
    )
