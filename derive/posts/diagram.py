"""The network of a post as a picture: SVG for Markdown platforms, TikZ for LaTeX.

One `Diagram` (positions and labels, labels as SymPy objects) is drawn twice: the SVG prints its
labels with the Unicode text printer, TikZ with the LaTeX printer, so both use the post's own
notation (x₁, a₃, ŷ₁, w₁₃ for two-two-two; X, H₁, W₁ for batched-mlp). Coordinates are fixed
decimals and elements come in a fixed order: the same network gives the same bytes.

Layers wider than `MAX_SHOWN` neurons show their first three neurons, a vertical ellipsis and the
last one; per-weight labels are drawn only in the neuron-numbered scalar view (two-two-two),
otherwise each layer of weights carries the matrix's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable
from xml.sax.saxutils import escape

import sympy as sp

from ..algebra import Entry, NetQuantity
from ..derivation import Derivation

MAX_SHOWN = 6
COLUMN_GAP = 170.0
ROW_GAP = 80.0
RADIUS = 22.0
MARGIN = 46.0
#: Where along an edge its weight's label sits, from the source neuron: near the source, so the
#: labels of edges that cross in the middle stay apart.
LABEL_AT = 0.3
SAMPLE = sp.Symbol("i", integer=True, positive=True)
#: The vertical distance between the paths of two residual connections below the network.
SKIP_GAP = 18.0


@dataclass(frozen=True)
class Neuron:
    x: float
    y: float
    label: Any  # SymPy: the neuron's activation in the post's notation
    number: int | None = None  # neuron number across layers (scalar view only)


@dataclass(frozen=True)
class Edge:
    source: int  # index into Diagram.neurons
    dest: int
    label: Any = None  # the weight's own symbol (scalar view)


@dataclass(frozen=True)
class Caption:
    x: float
    y: float
    label: Any  # a weight matrix (one per layer) or an ellipsis (label None)


@dataclass(frozen=True)
class Diagram:
    name: str
    width: float
    height: float
    neurons: tuple[Neuron, ...]
    edges: tuple[Edge, ...]
    captions: tuple[Caption, ...]
    ellipses: tuple[tuple[float, float], ...]
    #: Residual connections, drawn below the neurons: (points of a dashed path from the source
    #: layer's lowest neuron down, across and up to the destination layer's lowest neuron).
    skips: tuple[tuple[tuple[float, float], ...], ...] = ()


def _shown(width: int) -> list[int | None]:
    """Neuron indices drawn for a layer, None standing for the ellipsis."""
    if width <= MAX_SHOWN:
        return list(range(1, width + 1))
    return [1, 2, 3, None, width]


def _entry(q: NetQuantity, index: int, batched: bool, row: bool) -> Entry:
    if not batched:
        return Entry(q, index)
    return Entry(q, SAMPLE, index) if row else Entry(q, index, SAMPLE)


def network_diagram(d: Derivation) -> Diagram:
    """The diagram of a concrete derivation (for the general one, pass an instance)."""
    spec = d.spec
    widths = spec.widths
    batched = d.symbols.get("batch") is not None
    row = spec.convention == "row"
    layer_values: dict[int, NetQuantity] = {}
    weights = {int(q.layer): q for _, q, _ in d.parameters if q.kind == "W"}
    for step in d.steps:
        if step.section == "forward" and step.kind == "definition":
            for q in step.quantities():
                if q.kind in ("x", "xhat") and (0 not in layer_values or q.kind == "xhat"):
                    layer_values[0] = q
                if q.kind == "a" and q.layer.is_Integer:
                    layer_values.setdefault(int(q.layer), q)
    scalar_names = {(b.entry.of, b.entry.position()): b.symbol for b in d.scalar_bindings}

    def label_of(layer: int, index: int) -> Any:
        q = layer_values[layer]
        entry = _entry(q, index, batched, row)
        if not batched and (q, entry.position()) in scalar_names:
            return scalar_names[(q, entry.position())]
        if not batched and q.kind == "xhat" and (NetQuantity("x", 0, *q.shape), entry.position()) in scalar_names:
            return scalar_names[(NetQuantity("x", 0, *q.shape), entry.position())]
        return entry

    tallest = max(len(_shown(w)) for w in widths)
    height = 2 * MARGIN + (tallest - 1) * ROW_GAP
    width = 2 * MARGIN + (len(widths) - 1) * COLUMN_GAP
    neurons: list[Neuron] = []
    ellipses: list[tuple[float, float]] = []
    positions: dict[tuple[int, int], int] = {}
    first_number = [1]
    for w in widths[:-1]:
        first_number.append(first_number[-1] + w)
    for layer, w in enumerate(widths):
        shown = _shown(w)
        top = (height - (len(shown) - 1) * ROW_GAP) / 2
        x = MARGIN + layer * COLUMN_GAP
        for slot, index in enumerate(shown):
            y = top + slot * ROW_GAP
            if index is None:
                ellipses.append((x, y))
                continue
            number = first_number[layer] + index - 1 if d.scalar_bindings else None
            positions[(layer, index)] = len(neurons)
            neurons.append(Neuron(x, y, label_of(layer, index), number))
    weight_names = {}
    for b in d.scalar_bindings:
        q = b.entry.of
        if isinstance(q, NetQuantity) and q.kind == "W":
            r, c = b.entry.position()
            dest, source = (c + 1, r + 1) if row else (r + 1, c + 1)
            weight_names[(int(q.layer), source, dest)] = b.symbol
    edges: list[Edge] = []
    captions: list[Caption] = []
    for layer in range(1, len(widths)):
        for dest in _shown(widths[layer]):
            for source in _shown(widths[layer - 1]):
                if dest is None or source is None:
                    continue
                edges.append(Edge(positions[(layer - 1, source)], positions[(layer, dest)],
                                  weight_names.get((layer, source, dest))))
        if not weight_names:
            x = MARGIN + (layer - 0.5) * COLUMN_GAP
            captions.append(Caption(x, MARGIN / 2 - 6, weights[layer]))
    lowest = {layer: max(n.y for n in neurons if n.x == MARGIN + layer * COLUMN_GAP) + RADIUS
              for layer in range(len(widths))}
    skips = []
    for k, (layer, source) in enumerate(spec.residual if not d.general else ()):
        below = height - MARGIN + RADIUS + (k + 1) * SKIP_GAP
        # leave a layer right of its centre and arrive left of it: a layer both ends skips keeps them apart
        x0, x1 = MARGIN + source * COLUMN_GAP + SKIP_GAP / 2, MARGIN + layer * COLUMN_GAP - SKIP_GAP / 2
        skips.append(((x0, lowest[source]), (x0, below), (x1, below), (x1, lowest[layer])))
    if skips:
        height += len(skips) * SKIP_GAP
    return Diagram(d.spec.name, width, height, tuple(neurons), tuple(edges), tuple(captions), tuple(ellipses),
                   tuple(skips))


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _along(diagram: Diagram, edge: Edge, t: float) -> tuple[float, float]:
    a, b = diagram.neurons[edge.source], diagram.neurons[edge.dest]
    return a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)


def svg(diagram: Diagram, text: Callable[[Any], str], marker: str | None) -> str:
    """The diagram as a standalone SVG document; `text` prints a label as Unicode; `marker`
    (a generated-file marker) goes into a comment."""
    w, h = _num(diagram.width), _num(diagram.height)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        'font-family="DejaVu Serif, Times New Roman, serif" font-size="15">',
        *([f"<!-- {escape(marker)} -->"] if marker else []),
        f"<title>{escape(diagram.name)}</title>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        '<g stroke="#777777" stroke-width="1.2">',
    ]
    for edge in diagram.edges:
        a, b = diagram.neurons[edge.source], diagram.neurons[edge.dest]
        out.append(f'<line x1="{_num(a.x)}" y1="{_num(a.y)}" x2="{_num(b.x)}" y2="{_num(b.y)}"/>')
    out.append("</g>")
    if diagram.skips:
        out.append('<g fill="none" stroke="#3465a4" stroke-width="1.5" stroke-dasharray="6 4">')
        for path in diagram.skips:
            points = " ".join(f"{_num(x)},{_num(y)}" for x, y in path)
            out.append(f'<polyline points="{points}"/>')
        out.append("</g>")
        out.append('<g text-anchor="middle" fill="#3465a4" font-size="17">')
        for path in diagram.skips:
            x, y = path[-1]
            out.append(f'<text x="{_num(x - 11)}" y="{_num(y + 14)}">+</text>')
        out.append("</g>")
    out.append('<g fill="#ffffff" stroke="#222222" stroke-width="1.5">')
    for n in diagram.neurons:
        out.append(f'<circle cx="{_num(n.x)}" cy="{_num(n.y)}" r="{_num(RADIUS)}"/>')
    out.append("</g>")
    out.append('<g text-anchor="middle" dominant-baseline="central" fill="#111111">')
    for n in diagram.neurons:
        label = text(n.label)
        size = "" if len(label) <= 3 else f' font-size="{_num(max(10.0, 15.0 - 1.2 * (len(label) - 3)))}"'
        out.append(f'<text x="{_num(n.x)}" y="{_num(n.y)}"{size}>{escape(label)}</text>')
        if n.number is not None:
            out.append(f'<text x="{_num(n.x)}" y="{_num(n.y + RADIUS + 11)}" font-size="11" fill="#666666">'
                       f"{n.number}</text>")
    for edge in diagram.edges:
        if edge.label is None:
            continue
        x, y = _along(diagram, edge, LABEL_AT)
        out.append(f'<text x="{_num(x)}" y="{_num(y)}" font-size="13" stroke="#ffffff" stroke-width="4" '
                   f'paint-order="stroke">{escape(text(edge.label))}</text>')
    for caption in diagram.captions:
        out.append(f'<text x="{_num(caption.x)}" y="{_num(caption.y)}">{escape(text(caption.label))}</text>')
    for x, y in diagram.ellipses:
        out.append(f'<text x="{_num(x)}" y="{_num(y)}" font-size="22">⋮</text>')
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


#: TikZ lengths per diagram unit: the widest example stays inside a 16 cm text block.
TIKZ_UNIT_CM = 0.035


def tikz(diagram: Diagram, inline: Callable[[Any], str]) -> str:
    """The diagram as a tikzpicture; `inline` prints a label as inline maths. Neurons are named
    nodes, so edges run between their borders."""
    u = f"{TIKZ_UNIT_CM}cm"
    size = _num(2 * RADIUS * TIKZ_UNIT_CM)
    out = [
        rf"\begin{{tikzpicture}}[x={u}, y=-{u}, neuron/.style={{circle, draw, thick, fill=white, "
        rf"minimum size={size}cm, inner sep=0pt, font=\small}}, "
        r"weight/.style={fill=white, inner sep=1pt, font=\scriptsize, text=black}]",
    ]
    for index, n in enumerate(diagram.neurons):
        out.append(rf"\node[neuron] (n{index}) at ({_num(n.x)}, {_num(n.y)}) {{{inline(n.label)}}};")
        if n.number is not None:
            out.append(rf"\node[font=\tiny, gray] at ({_num(n.x)}, {_num(n.y + RADIUS + 9)}) {{{n.number}}};")
    for edge in diagram.edges:
        label = "" if edge.label is None else f" node[weight, pos={LABEL_AT}] {{{inline(edge.label)}}}"
        out.append(rf"\draw[gray] (n{edge.source}) -- (n{edge.dest}){label};")
    for path in diagram.skips:  # a residual connection: dashed, into the layer it is added to
        points = " -- ".join(f"({_num(x)}, {_num(y)})" for x, y in path)
        out.append(rf"\draw[dashed, blue!70!black, ->] {points};")
    for caption in diagram.captions:
        out.append(rf"\node at ({_num(caption.x)}, {_num(caption.y)}) {{{inline(caption.label)}}};")
    for x, y in diagram.ellipses:
        out.append(rf"\node at ({_num(x)}, {_num(y)}) {{\(\vdots\)}};")
    out.append(r"\end{tikzpicture}")
    return "\n".join(out)
