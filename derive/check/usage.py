r"""Stage 4, build: what every build shares. The errors a build raises (`ShapeMismatch`, `OutOfRange`;
`Unchecked` comes from the bind stage), what it finds out about a formula beyond its value (`Usage`),
index letters and how shapes are written."""


from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from sympy.matrices.expressions import MatrixExpr

from ..quantities import WIDTH
from ..safe import as_expr
from ..textprint import DeriveTextPrinter
from .parser import Node
from .world import World


class ShapeMismatch(Exception):
    """Two operands that cannot be combined: the formula is wrong whatever the values."""

    def __init__(self, message: str, span: tuple[int, int], shapes: tuple[str, str]) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.shapes = shapes


class OutOfRange(Exception):
    """A layer letter's value names a layer the instance lacks: skip that value."""


def learning_rate(name: str) -> sp.Symbol:
    """The learning rate of an update rule: a positive number with no value of its own."""
    return sp.Symbol(f"rate_{name}", positive=True)


class IndexLetter(sp.Symbol):
    """An index written with the letter of the batch size (W_2[m, n]): equal to no size symbol."""


def is_matrix(value: Any) -> bool:
    return isinstance(value, MatrixExpr)


#: Letters written as a command that an index reads as the letter: \ell in W^{\ell} is the layer l. As a
#: value (\frac{\partial \ell}{\partial W}) \ell is a symbol of its own, the map's `ell`, never l.
INDEX_SPELLINGS = {"ell": "l"}


#: The letters a post indexes with: entries (i, j, k, …) and layers (l).
INDEX_LETTERS = "ijklmnpqrst"


def index_letter(name: str) -> str | None:
    """The index letter a symbol's name writes (j, l, and ell as l), or None for a longer name."""
    name = INDEX_SPELLINGS.get(name, name)
    return name if len(name) == 1 and name.isascii() else None


def index_symbol(letter: str) -> sp.Symbol:
    """The engine's index and layer letters: j, k, i, l are integer and positive."""
    return sp.Symbol(letter, integer=True, positive=True)


def dim_text(dim: Any) -> str:
    dim = as_expr(dim)
    if isinstance(dim, sp.Indexed):
        index = DeriveTextPrinter()._print(dim.indices[0])
        return "n_" + (index if len(index) == 1 else f"({index})")
    return DeriveTextPrinter()._print(dim)


def shape_text(value: Any, world: World | None = None) -> str:
    if not is_matrix(value):
        return "a scalar"
    rows, cols = (concrete_dim(d, world) for d in value.shape)
    return f"{dim_text(rows)} × {dim_text(cols)}"


def concrete_dim(dim: Any, world: World | None) -> Any:
    """A width n_k of a concrete network as its number; n_l, n_L and the batch n stay letters."""
    dim = as_expr(dim)
    if world is None or world.general:
        return dim
    return dim.xreplace({WIDTH[i]: sp.Integer(w) for i, w in enumerate(world.spec.widths)})


@dataclass
class Usage:
    """What a build found out about a formula, beyond its value."""

    layer_vars: set[sp.Symbol] = field(default_factory=set)
    index_dims: dict[sp.Symbol, list[Any]] = field(default_factory=dict)
    names: dict[str, list[str]] = field(default_factory=dict)  # role -> symbol names as written
    plain: set[str] = field(default_factory=set)  # roles of vectors and matrices written without bold
    bold: set[str] = field(default_factory=set)  # roles written in bold
    contradicted: list[str] = field(default_factory=list)  # pairs read against the stated order
    fonts: dict[str, str] = field(default_factory=dict)  # role -> bold command written (mathbf, bm, …)
    paren_layers: str = ""
    brackets: bool = False  # entries written the array way, X[i, p]  # how layers are bracketed: "(" for W^{(l)}, "[" for Ng's W^{[l]}
    decimals: bool = False
    one_sample: bool = False  # a symbol of one example (x beside the batch X): judged on one sample
    hidden_only: bool = False  # a generic f^l read as the hidden layers' activation (l < L)
    #: (layer, activation) of every activation applied to a layer's quantity: ReLU′(z^{[l]}) is meant
    #: for the layers whose activation is ReLU.
    activations: list[tuple[Any, str]] = field(default_factory=list)
    target: bool = False  # the target y is named (a^{(l)} − y is about the output layer)
    notes: list[str] = field(default_factory=list)  # how the formula was read, where a reader might ask
    labels: dict[Any, Any] = field(default_factory=dict)  # class-label index symbol -> its example
    #: A derivative whose layout is a convention (∂u/∂v of vectors, ∂C/∂v read as a row): the link may
    #: hold in numerator or in denominator layout.
    layout_dependent: bool = False
    #: ∂C/∂W of a matrix W under a stated numerator layout: laid out as W (the common "mixed" layout) or as
    #: Wᵀ (the strict numerator layout); the link holds in one of them or is wrong in both.
    matrix_layout: bool = False
    rates: set[str] = field(default_factory=set)  # learning rates named (η, α): an update rule
    samples: set[Any] = field(default_factory=set)  # example indices written: (i)


def index_parts(node: Node, needed: int) -> list[Node]:
    """The indices in a subscript: `jk` and `j,k` are two, `11` is two when two are needed."""
    if node.kind == "list":
        return list(node.children)
    if node.kind == "mul" and all(op == "juxt" for op in node.value) and all(
            c.kind in ("sym", "num") for c in node.children):
        parts: list[Node] = []
        for c in node.children:
            if c.kind == "num" and len(c.value) > 1 and needed > 1:
                parts += _split_digits(c)
            else:
                parts.append(c)
        return parts
    if node.kind == "num" and len(node.value) == needed and needed > 1 and node.value.isdigit():
        return _split_digits(node)
    return [node]


def _split_digits(node: Node) -> list[Node]:
    start = node.span[0]
    return [Node("num", (start + k, start + k + 1), (), ch) for k, ch in enumerate(node.value)]
