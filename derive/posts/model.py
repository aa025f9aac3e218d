"""What a post says, in one language, before any platform's syntax: words, maths, code and order.

A `Post` is built from a verified `Derivation` and holds SymPy objects for every formula and
`Words` for every sentence (a phrase from wording.py whose {placeholders} are filled with text,
code or maths). The renderer (render.py) turns it into a platform's Markdown, notebook or LaTeX;
nothing here knows any platform, and nothing here does calculus.

A post has six parts: an opening (what it derives, for which network, verification stated once,
the diagram and a notation table); the steps, each with why it holds; a summary of the key
equations; a worked example with every number and one step of gradient descent; the code; and a
closing table of how each step was checked. Steps keep the derivation's order, grouped by
section, except that a neuron-by-neuron (scalar) section comes first: a reader meets ∂C/∂w35
before the matrix form that collects it.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from .. import phrases, rules
from ..algebra import Apply, Grad, NetQuantity
from ..derivation import Check, Derivation, Step
from ..gradcheck import RTOL
from ..quantities import EPSILON, LAMBDA
from . import code as codes
from . import wording
from .printing import Dimensions, FixedDecimal, IndexRange, Membership, PowerOfTen, Scientific
from .worked import CONSTANT_PLACES, DIFFERENCE_STEP, GIVEN_PLACES, RESULT_PLACES, WorkedExample, mask_values

#: A matrix with more entries than this is described in words in the worked example, not printed.
MAX_PRINTED_ENTRIES = 64

#: Sections in the order a post presents them (stable: steps keep their order within a rank).
SECTION_RANK = {"scalar": 0, "layout": 2}

#: Rules whose first step gets a note on shapes: where the shapes explain a transpose.
DIMENSION_NOTES = {"transpose-rule": "dims-transpose", "outer-product": "dims-product",
                   "batch-product": "dims-product"}

#: The steps a summary collects (matrix forms only): the errors, then the gradients.
SUMMARY_ERRORS = ("output-error", "hidden-error")
SUMMARY_GRADIENTS = ("bias-gradient", "weight-gradient")
SUMMARY_SECTIONS = ("output", "hidden", "gradients")

#: The order of quantities in the notation table: input, then each layer's W, b, z, a, then the
#: target, the errors and the cost.
QUANTITY_RANK = {"x": (0, 0), "xhat": (0, 1), "W": (1, 0), "b": (1, 1), "z": (1, 2), "a": (1, 3),
                 "y": (2, 0), "delta": (3, 0), "m": (1, 4),
                 # a normalisation layer's quantities, in the order the forward pass computes them
                 "mu": (1, 5), "var": (1, 6), "zhat": (1, 7), "gamma": (1, 8), "beta": (1, 9), "u": (1, 10)}


# ----------------------------------------------------------------------------------------------
# Building blocks
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Math:
    """A formula inside a sentence."""

    expr: Any


@dataclass(frozen=True)
class Code:
    """A command or a name inside a sentence, set as code."""

    text: str


@dataclass(frozen=True)
class Join:
    """Several pieces (text, maths, words) with a glue between them."""

    items: tuple[Any, ...]
    glue: str


@dataclass(frozen=True)
class Words:
    """A phrase with {placeholders}; each value is text, Math, Code, Join or Words."""

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
class Table:
    """A table of words and formulas; `widths`: each column's share of the line (LaTeX)."""

    header: tuple[Any, ...]
    rows: tuple[tuple[Any, ...], ...]
    widths: tuple[float, ...]


@dataclass(frozen=True)
class CodeBlock:
    """Python, shown as a listing; a notebook runs it as a code cell."""

    text: str


@dataclass(frozen=True)
class PostStep:
    number: int
    key: str
    title: Words
    why: Words
    equation: Equation
    notes: Join  # where it holds, a note on shapes where they explain something (often empty)


@dataclass(frozen=True)
class Section:
    heading: Words
    steps: tuple[PostStep, ...]


@dataclass(frozen=True)
class Paragraph:
    words: Words
    equation: Equation | None = None


@dataclass(frozen=True)
class CodePart:
    """The code section: what a Markdown or LaTeX post shows, and a notebook's cells."""

    heading: Words
    intro: Words
    excerpt: CodeBlock  # the functions implementing verified steps
    check_intro: Words
    check: CodeBlock  # the worked example's values and three lines against central differences
    notebook_intro: Words
    module: CodeBlock  # the whole module but its self-test (a notebook runs it)
    compute_intro: Words
    compute: CodeBlock  # the worked example's values, then the example computed and printed
    check_cell_intro: Words
    check_cell: CodeBlock


@dataclass(frozen=True)
class Post:
    net: str
    lang: str
    title: str  # plain text: front matter, document title
    heading: Words  # the same title, for a platform that writes it as a heading
    opening: Words
    description: Words
    verification: Words
    diagram_alt: Words
    diagram_caption: Words
    notation_heading: Words
    notation_intro: Words
    notation: Table
    assumptions: tuple[Words, ...]
    sections: tuple[Section, ...]
    summary_heading: Words
    summary_intro: Words
    summary: Equation
    example_heading: Words
    example: tuple[Paragraph, ...]
    code: CodePart | None
    checks_heading: Words
    checks_intro: Words
    instances: tuple[Words, ...]
    checks: Table
    stop: str  # the full stop of the language, for a template joining a title to its words


# ----------------------------------------------------------------------------------------------
# Words of one language
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wording:
    """Phrase lookups for one language."""

    lang: str

    def post(self, key: str, **values: Any) -> Words:
        return Words(wording.text(wording.POST, key, self.lang), tuple(sorted(values.items())))

    def raw(self, key: str) -> str:
        return wording.text(wording.POST, key, self.lang)

    def section(self, key: str, **values: Any) -> Words:
        return Words(wording.text(wording.SECTION, key, self.lang), tuple(sorted(values.items())))

    def listing(self, items: list[Any]) -> Join:
        return Join(tuple(items), self.raw("list-glue"))

    def sentences(self, items: list[Any]) -> Join:
        return Join(tuple(items), self.raw("sentence-glue"))


def _layer(value: Any) -> Any:
    """A layer as written in a sentence: plain digits, or maths (l, L, l + 1)."""
    if value is None:
        return ""
    if isinstance(value, (int, sp.Integer)):
        return str(int(value))
    return Math(value)


def _decimal(value: float) -> FixedDecimal:
    """A short decimal (a learning rate such as 0.5 or 0.125) with exactly its own digits."""
    text = repr(float(value))
    return FixedDecimal(value, len(text.split(".")[1]) if "." in text else 0)


# ----------------------------------------------------------------------------------------------
# The steps
# ----------------------------------------------------------------------------------------------


def _shapes(step: Step) -> list[Membership]:
    """The shapes that explain a product: the left-hand side's, then each quantity of the right."""
    found: dict[Any, None] = {step.lhs: None}
    for node in sp.preorder_traversal(step.rhs):
        if isinstance(node, NetQuantity):
            found.setdefault(node, None)
    return [Membership(q, *q.shape) for q in found]


def _applies_jointly(step: Step) -> bool:
    """Whether the step applies an activation that is not elementwise (softmax)."""
    return isinstance(step.rhs, Apply) and not rules.lookup_activation(step.rhs.name).elementwise


def _variant(step: Step) -> str:
    """What refines a step's explanation beyond its rule, read off the step's structure."""
    if _applies_jointly(step):
        return "joint"
    if step.rule == "affine" and any(q.kind == "b" for q in step.quantities()):
        return "bias"
    if step.rule == "chain-rule-scalar" and any(isinstance(node, sp.Add) for node in sp.preorder_traversal(step.forms[1])):
        return "paths"
    return ""


class StepWriter:
    """Numbers the steps and explains each: fully the first time an explanation is needed, then
    with a short phrase pointing back to that step, a different phrase each time."""

    def __init__(self, w: Wording) -> None:
        self.w = w
        self.first: dict[str, int] = {}  # explanation key -> number of the step that explained it
        self.repeats: dict[str, int] = {}
        self.noted: set[str] = set()  # step notes and shape notes already given once

    def why(self, step: Step, number: int) -> Words:
        key = wording.explanation_key(step.rule, _variant(step))
        values = (("first", str(self.first.get(key, number))), ("layer", _layer(step.layer)),
                  ("rhs", Math(step.rhs)), ("skip", self._skip(step)))
        if key not in self.first:
            self.first[key] = number
            return Words(wording.explanation(key, self.w.lang), values)
        self.repeats[key] = self.repeats.get(key, 0) + 1
        return Words(wording.again(key, self.w.lang, self.repeats[key]), values)

    def _skip(self, step: Step) -> Any:
        """What a residual connection passes: the earlier output a^j a skip adds (forward), or the
        gradients ∂C/∂a^t that come straight back through skips (backward); empty for other steps."""
        if step.rule == "residual":
            return Math(next(arg for arg in step.rhs.args if isinstance(arg, NetQuantity)))
        if step.rule == "residual-gradient":
            return self.w.listing([Math(arg) for arg in step.rhs.args if isinstance(arg, Grad)])
        return ""

    def _once(self, key: str) -> bool:
        if key in self.noted:
            return False
        self.noted.add(key)
        return True

    def notes(self, step: Step) -> Join:
        notes: list[Any] = []
        if step.what in wording.STEP_NOTE and self._once("note:" + step.what):
            notes.append(Words(wording.text(wording.STEP_NOTE, step.what, self.w.lang)))
        if step.indices:
            ranges = [Math(IndexRange(s, lo, hi)) for s, lo, hi in step.indices]
            notes.append(self.w.post("ranges", ranges=self.w.listing(ranges)))
        if step.rule in DIMENSION_NOTES and self._once("dims:" + step.rule):
            shapes = [Math(m) for m in _shapes(step)]
            notes.append(self.w.post(DIMENSION_NOTES[step.rule], shapes=self.w.listing(shapes)))
        return self.w.sentences(notes)

    def step(self, step: Step, number: int) -> PostStep:
        title = Words(wording.text(phrases.WHAT, step.what, self.w.lang), (("layer", _layer(step.layer)),))
        return PostStep(number, step.key, title, self.why(step, number), Equation((step.forms,)), self.notes(step))


def _sections(d: Derivation, w: Wording) -> tuple[Section, ...]:
    ordered = sorted(d.steps, key=lambda s: SECTION_RANK.get(s.section, 1))
    groups: list[tuple[str, list[Step]]] = []
    for step in ordered:
        if not groups or groups[-1][0] != step.section:
            groups.append((step.section, []))
        groups[-1][1].append(step)
    writer = StepWriter(w)
    sections = []
    number = 0
    for name, steps in groups:
        built = []
        for step in steps:
            number += 1
            built.append(writer.step(step, number))
        sections.append(Section(w.section(name, layer=_layer(steps[0].layer)), tuple(built)))
    return tuple(sections)


# ----------------------------------------------------------------------------------------------
# The opening: what, for which network, verified how, and the notation
# ----------------------------------------------------------------------------------------------


def _widths(widths: tuple[int, ...]) -> str:
    return "-".join(str(n) for n in widths)


def _with_parameter(entry: Any, name: str, w: Wording) -> str:
    """leaky-relu (α = 0.2) for the entry leaky-relu:0.2, Huber (δ = 0.5) for huber:0.5."""
    if not entry.family:
        return name
    letter = unicodedata.lookup(f"GREEK SMALL LETTER {entry.parameter.symbol.name.upper()}")
    value = entry.name.partition(":")[2]
    return wording.text(wording.WITH_PARAMETER, "with-parameter", w.lang).format(
        name=entry.family if name == entry.name else name, letter=letter, value=value)


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
    facts.append(w.post("fact-activations", names=w.listing([_with_parameter(rules.activation(n), n, w)
                                                             for n in names])))
    cost = rules.cost(spec.cost)
    cost_name = wording.text(wording.COST_NAMES, cost.family or cost.name, w.lang)
    facts.append(w.post("fact-cost", name=_with_parameter(cost, cost_name, w)))
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
    for layer, source in spec.residual:
        facts.append(w.post("fact-residual-input", layer=str(layer)) if source == 0 else
                     w.post("fact-residual", source=str(source), layer=str(layer)))
    return w.post("description", facts=Join(tuple(facts), w.raw("facts-glue")))


def _opening(d: Derivation, w: Wording, with_code: bool) -> Words:
    code = w.post("opening-code") if with_code else ""
    if d.general:
        return w.post("opening-general", code=code)
    return w.post("opening", net=d.spec.name, code=code)


def _verification(d: Derivation, w: Wording) -> Words:
    if d.general:
        return w.post("verified-general")
    if any(c.method == "symbolic" for c in d.checks):
        return w.post("verified-proved")
    return w.post("verified-numeric")


def _quantity_key(q: NetQuantity) -> tuple:
    group, rank = QUANTITY_RANK[q.kind]
    layer = int(q.layer) if q.layer.is_Integer else 0
    return (group, layer if group in (1, 3) else 0, rank)


def _meaning(d: Derivation, q: NetQuantity, w: Wording) -> Words:
    layer = _layer(q.layer)
    if q.kind == "x" and d.symbols.get("batch") is not None:
        key = "x-batch"
    elif q.kind == "W":
        key = "W-row" if d.spec.convention == "row" else "W-column"
    elif q.kind == "a" and not d.general and d.spec.residual_from(int(q.layer)) is not None:
        key = "a-output-residual" if q.layer == d.symbols.get("L") else "a-residual"
        skip = next(arg for arg in d.step(f"a_{q.layer}").rhs.args if isinstance(arg, NetQuantity))
        return Words(wording.text(wording.MEANING, key, w.lang), (("layer", layer), ("skip", Math(skip))))
    elif q.kind == "a" and q.layer == d.symbols.get("L"):
        key = "a-output"
    else:
        key = q.kind
    return Words(wording.text(wording.MEANING, key, w.lang), (("layer", layer),))


def _trailing_number(name: str) -> int | None:
    digits = name[len(name.rstrip("0123456789")):]
    return int(digits) if digits else None


def _notation(d: Derivation, w: Wording) -> Table:
    """Every symbol once: the network's quantities (for the general derivation, those of layer
    l), the scalar names of the neuron-by-neuron view, the activations, the cost and the sizes."""
    found: dict[NetQuantity, None] = {}
    for step in d.steps:
        for q in step.quantities():
            found.setdefault(q, None)
    quantities = list(found)
    if d.general:
        generic = d.step("z_l").layer
        quantities = [q for q in quantities if q.kind in ("x", "xhat", "y") or q.layer == generic]
    quantities.sort(key=_quantity_key)
    meaning = lambda key, **values: Words(wording.text(wording.MEANING, key, w.lang), tuple(sorted(values.items())))
    rows: list[tuple[Any, ...]] = []
    for q in quantities:
        rows.append((Math(q), Math(Dimensions(*q.shape)), _meaning(d, q, w)))
        bindings = [b for b in d.scalar_bindings if b.entry.of == q]
        named = [b.symbol for b in bindings]
        if named:
            key = "weights-scalar" if q.kind == "W" else "entries-scalar"
            if q.kind not in ("W", "x") and all(_trailing_number(b.symbol.name) == b.entry.indices[0] for b in bindings):
                key = "entries-by-output"  # ŷ₁, y₁: numbered by output, not by the diagram's neurons 5, 6
            rows.append((w.listing([Math(s) for s in named]), w.post("scalars"), meaning(key, of=Math(q))))
    activations: dict[str, Any] = {}
    for step in d.steps:
        if step.section == "forward" and isinstance(step.rhs, Apply):
            activations.setdefault(step.rhs.name, step.rhs)
        elif step.section == "forward" and step.rule in ("dropout", "residual"):  # f(z) ⊙ m, f(z) + a^j
            applied = next(f for f in step.rhs.args if isinstance(f, Apply))
            activations.setdefault(applied.name, applied)
    for name, applied in activations.items():
        key = "activation" if rules.lookup_activation(name).elementwise else "activation-joint"
        named = _with_parameter(rules.lookup_activation(name), name, w)
        rows.append((Math(applied), Math(Dimensions(*applied.shape)), meaning(key, name=named)))
    rows.append((Math(d.step("cost").lhs), w.post("scalar"), meaning("cost")))
    for symbol_key, meaning_key in (("batch", "batch"), ("L", "depth")):
        symbol = d.symbols.get(symbol_key)
        if symbol is not None and isinstance(symbol, sp.Symbol):
            rows.append((Math(symbol), w.post("scalar"), meaning(meaning_key)))
    if d.general:
        z = d.step("z_l")
        rows.append((Math(z.lhs.shape[0]), w.post("scalar"), meaning("width", layer=Math(z.layer))))
    constants = [c for step in d.steps if step.key == "normalize" for c in step.rhs.args[1:]]
    for constant, key in zip(constants, ("mean", "std")):
        rows.append((Math(constant), w.post("scalar"), meaning(key)))
    if d.spec.l2:
        rows.append((Math(LAMBDA), w.post("scalar"), meaning("l2-bias" if d.spec.l2_bias else "l2")))
    if d.spec.norm:
        rows.append((Math(EPSILON), w.post("scalar"), meaning("epsilon")))
    header = (w.post("notation-symbol"), w.post("notation-shape"), w.post("notation-meaning"))
    return Table(header, tuple(rows), (0.25, 0.17, 0.5))


# ----------------------------------------------------------------------------------------------
# Summary
# ----------------------------------------------------------------------------------------------


def _summary(d: Derivation) -> Equation:
    """The errors (output first) and the parameter gradients, each as its step's left-hand side
    and its last, most explicit verified form."""
    steps = [s for s in d.steps if s.section in SUMMARY_SECTIONS and s.is_matrix and not s.indices]
    errors = [s for s in steps if s.what in SUMMARY_ERRORS]
    gradients = [s for what in SUMMARY_GRADIENTS for s in steps if s.what == what] if d.general else \
        [s for s in steps if s.what in SUMMARY_GRADIENTS]
    return Equation(tuple((s.lhs, s.rhs) for s in errors + gradients), split=False)


# ----------------------------------------------------------------------------------------------
# The worked example
# ----------------------------------------------------------------------------------------------


def _matrix(values: Any, places: int) -> Any:
    array = np.atleast_2d(np.asarray(values, dtype=float))
    if array.size == 1:
        return FixedDecimal(float(array[0, 0]), places)
    return sp.ImmutableMatrix(array.shape[0], array.shape[1],
                              lambda r, c: FixedDecimal(float(array[r, c]), places))


def _trimmed(value: float) -> FixedDecimal:
    """A computed constant with as many decimals as it needs, up to CONSTANT_PLACES."""
    text = f"{value:.{CONSTANT_PLACES}f}".rstrip("0")
    return FixedDecimal(value, max(1, len(text.split(".")[1])))


def _power_of_ten(value: float) -> PowerOfTen:
    return PowerOfTen(int(round(math.log10(value))))


def _printable(value: Any) -> bool:
    """Whether a value is small enough to print in full (the rest is summarised in words)."""
    return np.size(value) <= MAX_PRINTED_ENTRIES


def _example(d: Derivation, example: WorkedExample, w: Wording) -> tuple[Paragraph, ...]:
    concrete = example.derivation
    cost = concrete.step("cost")
    paragraphs: list[Paragraph] = []
    if d.general:
        paragraphs.append(Paragraph(w.post("example-instance", widths=_widths(concrete.spec.widths))))
    givens: list[tuple[Any, ...]] = []
    if example.batch is not None:
        givens.append((example.batch[0], sp.Integer(example.batch[1])))
    if concrete.spec.l2:
        givens.append((LAMBDA, _trimmed(concrete.spec.l2)))
    if concrete.spec.norm:
        givens.append((EPSILON, _trimmed(concrete.spec.norm_epsilon)))
    givens += [(q, _matrix(value, GIVEN_PLACES)) for q, value in example.givens if _printable(value)]
    paragraphs.append(Paragraph(w.post("example-given", seed=str(example.seed)), Equation(tuple(givens), split=False)))
    hidden = [Math(q) for q, value in example.givens if not _printable(value)]
    if hidden:
        paragraphs.append(Paragraph(w.post("example-unprinted", names=w.listing(hidden))))
    if example.constants:
        rows = tuple((c, _trimmed(value)) for c, value in example.constants)
        paragraphs.append(Paragraph(w.post("example-constants"), Equation(rows, split=False)))
    forward = tuple((v.step.lhs, v.step.rhs, _matrix(v.value, RESULT_PLACES)) for v in example.forward
                    if _printable(v.value))
    if forward:
        paragraphs.append(Paragraph(w.post("example-forward"), Equation(forward, split=False)))
    paragraphs.append(Paragraph(w.post("example-cost"), Equation(
        ((cost.lhs, cost.rhs, FixedDecimal(example.cost, RESULT_PLACES)),), split=False)))
    errors = tuple((v.step.lhs, v.step.rhs, _matrix(v.value, RESULT_PLACES)) for v in example.errors
                   if _printable(v.value))
    if errors:
        paragraphs.append(Paragraph(w.post("example-errors"), Equation(errors, split=False)))
    small = [g for g in example.gradients if _printable(g.value)]
    if small:
        rows = tuple((Grad(cost.lhs, g.quantity), g.step.rhs, _matrix(g.value, RESULT_PLACES)) for g in small)
        paragraphs.append(Paragraph(w.post("example-formula"), Equation(rows, split=False)))
    if example.scalars:
        rows = tuple((s.step.lhs, s.step.forms[2], FixedDecimal(s.value, RESULT_PLACES)) for s in example.scalars)
        paragraphs.append(Paragraph(w.post("example-scalar"), Equation(rows, split=False)))
    printed = [g for g in small if g.differences is not None]
    if printed:
        rows = tuple((Grad(cost.lhs, g.quantity), _matrix(g.differences, RESULT_PLACES)) for g in printed)
        paragraphs.append(Paragraph(w.post("example-differences", step=Math(_power_of_ten(DIFFERENCE_STEP))),
                                    Equation(rows, relation="approx", split=False)))
    for g in example.gradients:
        if not _printable(g.value):
            checked = w.post("example-large-entries" if g.differences is not None else "example-large-directions",
                             count=str(g.checked))
            paragraphs.append(Paragraph(w.post("example-large", name=Math(Grad(cost.lhs, g.quantity)),
                                               count=str(g.value.size), checked=checked)))
    paragraphs.append(Paragraph(w.post("example-agree", count=str(example.checked),
                                       tolerance=Math(_power_of_ten(RTOL)))))
    descent = example.descent
    rate = _decimal(descent.rate)
    steps = tuple((sp.MatAdd(g.quantity, sp.MatMul(-1, rate, Grad(cost.lhs, g.quantity))), _matrix(value, RESULT_PLACES))
                  for g, value in descent.updated if _printable(value))
    paragraphs.append(Paragraph(w.post("example-step", rate=f"{descent.rate!r}"), Equation(steps, split=False)))
    before, after = (f"{value:.{RESULT_PLACES}f}" for value in (example.cost, descent.cost))
    paragraphs.append(Paragraph(w.post("example-lower" if descent.cost < example.cost else "example-flat",
                                       before=before, after=after)))
    return tuple(paragraphs)


# ----------------------------------------------------------------------------------------------
# The code
# ----------------------------------------------------------------------------------------------


def _code(exported: codes.ExportedCode, example: WorkedExample, w: Wording) -> CodePart:
    x, y = example.givens[0][1], example.givens[-1][1]
    params = {g.name: dict(example.givens)[g.quantity] for g in example.gradients}
    command = Code(exported.command)
    save = Code(f"{exported.command.replace(' --form matrix', '')} -o {codes.MODULE_FILE}")
    tolerance = Math(_power_of_ten(RTOL))
    masks = mask_values(example)
    values = codes.setup(params, x, y, imports=False, masks=masks)
    check = codes.with_masks(codes.CHECK, masks)
    return CodePart(
        heading=w.section("code"),
        intro=w.post("code-intro", command=command),
        excerpt=CodeBlock(codes.excerpt(exported.source)),
        check_intro=w.post("code-check" if example.reproduced else "code-check-own-statistics", command=save,
                           tolerance=tolerance),
        check=CodeBlock(codes.setup(params, x, y, imports=True, masks=masks) + "\n\n" + check),
        notebook_intro=w.post("code-intro-notebook", command=command),
        module=CodeBlock(codes.runnable(exported.source)),
        compute_intro=w.post("code-example-notebook" if example.reproduced else "code-example-own-statistics"),
        compute=CodeBlock(values + "\n\n" + codes.with_masks(codes.compute(example.descent.rate), masks)),
        check_cell_intro=w.post("code-check-notebook", tolerance=tolerance),
        check_cell=CodeBlock(check),
    )


# ----------------------------------------------------------------------------------------------
# How the formulas were checked
# ----------------------------------------------------------------------------------------------


def _counterparts(d: Derivation, step: Step) -> list[tuple[Derivation, list[Check]]]:
    """For a step of the general derivation: each instance and the checks of its steps that
    state the same thing (the same `what` and `rule`), as the verifier matched them."""
    out = []
    for instance in d.instances:
        keys = {s.key for s in instance.steps if s.what == step.what and s.rule == step.rule}
        out.append((instance, [c for c in instance.checks if c.step in keys]))
    return out


def _methods(checks: list[Check], w: Wording) -> list[Words]:
    counts: dict[str, int] = {}
    for check in checks:
        counts[check.method] = counts.get(check.method, 0) + check.entries
    return [w.post(f"method-{m}" + ("-one" if counts[m] == 1 else ""), count=str(counts[m]))
            for m in ("symbolic", "numeric") if m in counts]


def _worst(checks: list[Check], w: Wording) -> Any:
    numeric = [c.max_error for c in checks if c.method == "numeric" and c.max_error is not None]
    if numeric:
        return Math(Scientific(max(numeric)))
    if any(c.method == "symbolic" for c in checks):
        return w.post("checks-exact")
    return w.post("checks-none")


def _check_row(d: Derivation, step: PostStep, source: Step, w: Wording) -> tuple[Any, ...]:
    title = w.post("step-title", number=str(step.number), title=step.title, lhs=Math(source.lhs))
    if source.kind == "definition":
        return (title, w.post("checks-definition"), w.post("checks-none"))
    if not d.general:
        checks = d.checks_for(source.key)
        return (title, w.listing(_methods(checks, w)), _worst(checks, w))
    parts, every = [], []
    for instance, checks in _counterparts(d, source):
        names = sorted({c.method for c in checks})
        short = [w.post(f"method-{m}-short") for m in ("symbolic", "numeric") if m in names]
        parts.append(w.post("method-instances", widths=_widths(instance.spec.widths), methods=w.listing(short)))
        every += checks
    return (title, Join(tuple(parts), w.raw("facts-glue")), _worst(every, w))


def _checks(d: Derivation, sections: tuple[Section, ...], w: Wording) -> Table:
    rows = tuple(_check_row(d, step, d.step(step.key), w) for section in sections for step in section.steps)
    header = (w.post("checks-step"), w.post("checks-method"), w.post("checks-error"))
    return Table(header, rows, (0.34, 0.4, 0.18))


def _instances(d: Derivation, w: Wording) -> tuple[Words, ...]:
    out = []
    for instance in d.instances:
        counts: dict[str, int] = {}
        for check in instance.checks:
            counts[check.method] = counts.get(check.method, 0) + check.entries
        parts = [w.post(f"instance-{m}", count=str(counts[m])) for m in ("symbolic", "numeric") if m in counts]
        out.append(w.post("instance", widths=_widths(instance.spec.widths), checks=w.listing(parts)))
    return tuple(out)


def build_post(d: Derivation, example: WorkedExample, lang: str, exported: codes.ExportedCode | None = None) -> Post:
    """The post of a verified derivation in one language (`example` from worked.py; `exported`,
    the network's gradient module, for the code section: None leaves the section out)."""
    w = Wording(lang)
    name = d.spec.name
    sections = _sections(d, w)
    return Post(
        net=name,
        lang=lang,
        title=wording.text(wording.POST, "title", lang).format(net=name),
        heading=w.post("title", net=name),
        opening=_opening(d, w, exported is not None),
        description=_description(d, w),
        verification=_verification(d, w),
        diagram_alt=w.post("diagram-alt", net=name),
        diagram_caption=w.post("diagram-caption"),
        notation_heading=w.section("notation"),
        notation_intro=w.post("notation-intro"),
        notation=_notation(d, w),
        assumptions=tuple(w.post("assumption", text=phrases.phrase(phrases.ASSUMPTIONS, a, lang)) for a in d.assumptions),
        sections=sections,
        summary_heading=w.section("summary"),
        summary_intro=w.post("summary-intro-general" if d.general else "summary-intro"),
        summary=_summary(d),
        example_heading=w.section("example"),
        example=_example(d, example, w),
        code=None if exported is None else _code(exported, example, w),
        checks_heading=w.section("checks"),
        checks_intro=w.post("checks-intro-general" if d.general else "checks-intro"),
        instances=_instances(d, w),
        checks=_checks(d, sections, w),
        stop=w.raw("stop"),
    )
