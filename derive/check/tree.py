r"""Stage 2, parse: the tree a formula is read into, and the vocabulary of commands the parser knows.

A `Node` records what was written, with its position in the formula's text: a symbol (`Sym`, with
its sub- and superscripts as `Script`s), a function applied (`Call`), a product and how its factors
were joined, a fraction, a sum. Nothing here means anything yet; the bind and build stages decide.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..rules import operator_words

#: Recursion of the parser itself: a side, a primary and a script each take a level.
MAX_DEPTH = 60
#: How deep a formula's operations may stack once built, a chain of n factors counting n (the
#: builder folds it left): SymPy computes a matrix product's shape from both ends, so the cost
#: of a nested formula doubles with each level. Real posts stay below 15.
MAX_OPERATION_DEPTH = 16

GREEK = frozenset({
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota",
    "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "varphi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega", "ell",
})
BOLD = frozenset({"boldsymbol", "mathbf", "bm", "pmb", "vec", "bf", "mathbold", "symbf", "bold"})
PLAIN_FONTS = frozenset({"mathit", "mathnormal", "it", "mathsf", "sf"})
WORD_FONTS = frozenset({"operatorname", "mathrm", "text", "textrm", "rm", "textit", "textbf", "mbox", "mathtt"})
DECORATIONS = {"hat": "hat", "widehat": "hat", "tilde": "tilde", "widetilde": "tilde", "bar": "bar",
               "overline": "bar", "dot": "dot"}
#: Words that name a function wherever they are written (\log, log, \operatorname{diag}, …).
FUNCTION_WORDS = frozenset({"log", "ln", "exp", "diag", "vec", "softmax", "sigmoid", "tanh", "ReLU", "relu", "softplus",
                            "id", "sqrt", "sech", "cosh"}) | frozenset(operator_words())
FUNCTION_COMMANDS = frozenset({"log", "ln", "exp", "tanh", "cosh", "max"})
#: Functions whose argument may follow without parentheses: \log \hat y_j, \tanh z, \operatorname{sech}^2 z.
OPERATOR_FUNCTIONS = frozenset({"log", "ln", "exp", "tanh", "sech", "cosh"})
MATRIX_ENVIRONMENTS = frozenset({"bmatrix", "pmatrix", "matrix", "Bmatrix", "smallmatrix", "array", "vmatrix"})
DOTS = frozenset({"dots", "cdots", "vdots", "ddots", "ldots", "dotsc", "dotsb"})
HADAMARD_OPS = {"odot": "odot", "bigodot": "odot", "circ": "odot", "oslash": "oslash", "otimes": "otimes",
                "bigotimes": "otimes"}
PRODUCT_OPS = {"cdot": "cdot", "times": "times", "ast": "ast", "div": "div", "bullet": "cdot"}
TRANSPOSE_COMMANDS = frozenset({"top", "intercal", "mathsf", "mathrm", "rm", "text", "textsf", "mathtt", "sf"})
OPENERS = {"(": ")", "[": "]", "{": "}", "|": "|", "‖": "‖", ".": None, "<": ">", "langle": "rangle"}


class ParseError(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


@dataclass(frozen=True)
class Node:
    """One construct as written. `span` is (start, end) in the formula text."""

    kind: str
    span: tuple[int, int]
    children: tuple["Node", ...] = ()
    value: Any = None

    def with_children(self, *children: "Node") -> "Node":
        return replace(self, children=tuple(children))


@dataclass(frozen=True)
class Script:
    """A sub- or superscript: its expression (None when only markers), a transpose marker (T,
    \\top, \\mathrm{T}), primes (' or \\prime) and whether it was parenthesised: W^{(2)T}."""

    expr: Node | None
    transpose: bool = False
    primes: int = 0
    paren: bool = False
    text: str = ""
    sample: Node | None = None  # the example of Ng's A^{[l](i)}
    bracket: bool = False  # the index was written in square brackets: W^{[l]}


@dataclass(frozen=True)
class Sym:
    """A symbol: its name (`W`, `yhat`, `delta`, `one` for a bold 1), bold or not, its scripts."""

    name: str
    bold: bool = False
    sub: Script | None = None
    sup: Script | None = None
    primes: int = 0
    glued: bool = False  # the subscript was glued on without _: W0, z1
    font: str = ""  # the bold command written: boldsymbol, mathbf, bm


@dataclass(frozen=True)
class Call:
    """A function applied: its name, primes (σ′), and scripts on the name (the layer of g^{[l]})."""

    name: str
    primes: int = 0
    sub: Script | None = None
    sup: Script | None = None


def _operands(node: Node) -> list[Node]:
    """A node's sub-expressions: its children and the expressions in a symbol's scripts."""
    operands = list(node.children)
    if isinstance(node.value, (Sym, Call)):
        for script in (node.value.sub, node.value.sup):
            if script is not None:
                operands += [e for e in (script.expr, script.sample) if e is not None]
    return operands


def operation_depth(root: Node) -> int:
    """How deep the operations of a tree stack once built: one per level, and a product (or ⊙
    chain) of n factors as the n levels of its left fold. Iterative: the tree may be deep."""
    depth: dict[int, int] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        operands = _operands(node)
        if not done:
            stack.append((node, True))
            stack += [(child, False) for child in operands]
            continue
        if node.kind in ("mul", "had"):
            depth[id(node)] = max(depth[id(c)] + len(operands) - k for k, c in enumerate(operands))
        else:
            depth[id(node)] = 1 + max((depth[id(c)] for c in operands), default=0)
    return depth[id(root)]
