r"""From written formulas (parser `Node`s) to the engine's SymPy statements, under a notation map.

`Builder` has one method per node kind and constructs SymPy objects explicitly: `NetQuantity`,
`Grad`, `Partial`, `Entry`, `MatMul`, `HadamardProduct`, … . It decides what juxtaposition
means from the shapes (a matrix product when the shapes fit, an element-wise product of equally
shaped vectors as in a(1 − a)), checks every shape as it goes, and raises:

- `Unchecked` when the formula names something the map does not bind, or uses a construct the
  checker does not handle: the formula is "not checked", with the reason and the position;
- `ShapeMismatch` when two operands cannot be combined: the formula is wrong, and the message
  names both operands and both shapes.

Two modes share the code. *Symbolic*: widths are n_l and layer letters stay letters, so a shape
error is found whatever the widths are. *Concrete*: the quantities of the small instance the truth
is computed on, with each layer letter given a value (`layer_values`); index letters stay free
and are enumerated by the judge.
"""

from __future__ import annotations

from fractions import Fraction

from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from sympy.matrices.expressions import MatrixExpr

from .. import rules
from ..safe import as_expr
from ..algebra import (
    Apply,
    ApplyPrime,
    Broadcast,
    Diag,
    Elementwise,
    Entry,
    Grad,
    Jacobian,
    NetQuantity,
    Partial,
    Prime,
    Quotient,
)
from ..backprop import COST, MEAN, STD, WIDTH
from ..textprint import DeriveTextPrinter
from .notation import Binding, NotationMap, native_layout
from .parser import Node, Script, Sym
from .world import World

#: Words that name a function wherever they appear, and the activation or operation they are.
BUILTIN_FUNCTIONS = {
    "sigmoid": "sigmoid", "ReLU": "relu", "relu": "relu", "softmax": "softmax", "softplus": "softplus",
    "tanh": "tanh", "id": "identity", "log": "log", "ln": "log", "exp": "exp", "diag": "diag", "sqrt": "sqrt",
}
LAYERED = {"weight": "W", "bias": "b", "preactivation": "z", "activation": "a", "error": "delta"}
#: Exponents beyond this are not checked: backprop has squares and inverses, and exact powers of
#: large exponents grow without bound (10^{100000000} is 23 characters).
MAX_EXPONENT = 64


class OperatorDerivative(sp.Expr):
    """∂/∂v (body): the body's quantities are functions of v through the forward pass."""

    is_commutative = True

    def __new__(cls, body: Any, wrt: Any) -> "OperatorDerivative":
        return sp.Expr.__new__(cls, as_expr(body), as_expr(wrt))

    @property
    def body(self) -> Any:
        return self.args[0]

    @property
    def wrt(self) -> Any:
        return self.args[1]


class Unchecked(Exception):
    """The formula cannot be checked: an unbound symbol, an unsupported construct."""

    def __init__(self, reason: str, span: tuple[int, int] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.span = span


class ShapeMismatch(Exception):
    """Two operands that cannot be combined: the formula is wrong whatever the values."""

    def __init__(self, message: str, span: tuple[int, int], shapes: tuple[str, str]) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.shapes = shapes


class OutOfRange(Exception):
    """A layer letter's value names a layer the instance lacks: skip that value."""


def is_matrix(value: Any) -> bool:
    return isinstance(value, MatrixExpr)


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
    paren_layers: bool = False  # layers written in parentheses: W^{(l)}
    decimals: bool = False


class Builder:
    def __init__(self, world: World, nmap: NotationMap, concrete: bool = False,
                 layer_values: dict[sp.Symbol, int] | None = None, text: str = "") -> None:
        self.world = world
        self.map = nmap
        self.concrete = concrete
        self.frame = world.frame if concrete else world.symbolic_frame
        self.depth = sp.Integer(world.depth) if concrete else world.symbolic_depth()
        self.layer_values = {k: sp.Integer(v) for k, v in (layer_values or {}).items()}
        self.usage = Usage()
        self.bound: list[sp.Symbol] = []  # sum variables in scope
        self._entry_base = 0
        self.text = text

    # -- entry points ---------------------------------------------------------------------------------
    def build(self, node: Node) -> Any:
        method = getattr(self, "_build_" + node.kind, None)
        if method is None:
            raise Unchecked(f"cannot check a {node.kind} here", node.span)
        try:
            return method(node)
        except sp.ShapeError as exc:  # a shape SymPy refuses that the checks above let through
            raise ShapeMismatch(f"shape mismatch in {self.source(node)}: {exc}", node.span, ("?", "?")) from None

    def source(self, node: Node) -> str:
        return " ".join(self.text[node.span[0]:node.span[1]].split()) or node.kind

    # -- numbers and groups -------------------------------------------------------------------------------
    def _build_num(self, node: Node) -> sp.Expr:
        if "." in node.value:
            self.usage.decimals = True
        # The lexer only makes NUMBER tokens of digits[.digits]; Fraction reads them as numbers,
        # never as code.
        exact = Fraction(node.value)
        return sp.Rational(exact.numerator, exact.denominator)

    def _build_group(self, node: Node) -> Any:
        inner = self.build(node.children[0])
        if node.value in ("(", "[", "{", ".", None):
            if node.value == "{":
                raise Unchecked("a set in braces", node.span)
            return inner
        if node.value == "|":
            if is_matrix(inner):
                raise Unchecked("|…| of a matrix", node.span)
            return sp.Abs(inner)
        if node.value == "‖":
            raise Unchecked("a norm ‖…‖ (write its square ‖…‖²)", node.span)
        raise Unchecked(f"the delimiters {node.value}…", node.span)

    def _build_none(self, node: Node) -> Any:
        raise Unchecked("the formula has no left-hand side", node.span)

    def _build_dots(self, node: Node) -> Any:
        raise Unchecked("a placeholder (\\dots): the formula is not written out in full", node.span)

    def _build_space(self, node: Node) -> Any:
        raise Unchecked("a space ℝ^{…} outside '∈'", node.span)

    def _build_list(self, node: Node) -> Any:
        raise Unchecked("a list of expressions", node.span)

    def _build_limit(self, node: Node) -> Any:
        raise Unchecked("an equation inside a script", node.span)

    def _build_text(self, node: Node) -> Any:
        raise Unchecked("prose inside the formula", node.span)

    # -- sums, products ----------------------------------------------------------------------------------
    def _build_add(self, node: Node) -> Any:
        terms = [self.build(c) for c in node.children]
        signs = node.value
        if not any(is_matrix(t) for t in terms):
            return sp.Add(*[t if s > 0 else -t for t, s in zip(terms, signs)])
        shape_term = next(t for t in terms if is_matrix(t))
        full = [t for t in terms if is_matrix(t) and not _is_vector_for_broadcast(t, shape_term)]
        target = full[0] if full else shape_term
        out = []
        for child, term, sign in zip(node.children, terms, signs):
            term = self._conform_term(term, target, child, node)
            out.append(term if sign > 0 else sp.MatMul(-1, term))
        return sp.MatAdd(*out, evaluate=False) if len(out) > 1 else out[0]

    def _conform_term(self, term: Any, target: Any, child: Node, node: Node) -> Any:
        if not is_matrix(term):
            if term.free_symbols & set(self.usage.index_dims) or term.has(Entry, Partial):
                raise self._mismatch(f"adding the scalar {self.source(child)} to a matrix", child, term, target)
            ones = sp.OneMatrix(*target.shape)
            return ones if term == 1 else sp.MatMul(term, ones)
        if self._same_shape(term.shape, target.shape):
            return term
        rows, cols = term.shape
        trows, tcols = target.shape
        if rows == 1 and self._dim_eq(cols, tcols):
            return Broadcast(term, trows, axis=0)  # b added to every row: Z = X W + b
        if cols == 1 and self._dim_eq(rows, trows):
            return Broadcast(term, tcols, axis=1)  # b added to every column: z = W a + b
        raise self._mismatch(f"adding {self.source(child)} to a term of another shape", child, term, target)

    def _build_neg(self, node: Node) -> Any:
        inner = self.build(node.children[0])
        return sp.MatMul(-1, inner) if is_matrix(inner) else -inner

    def _build_mul(self, node: Node) -> Any:
        value = self.build(node.children[0])
        for op, child in zip(node.value, node.children[1:]):
            right = self.build(child)
            value = self.multiply(value, right, op, node.children[0], child, node)
        return value

    def multiply(self, left: Any, right: Any, op: str, lnode: Node, rnode: Node, node: Node) -> Any:
        if op == "div":
            return self.divide(left, right, rnode, node)
        lm, rm = is_matrix(left), is_matrix(right)
        if not lm and not rm:
            return _mul(left, right)
        if not lm:
            return sp.MatMul(left, right)
        if not rm:
            return sp.MatMul(right, left)
        mode = self.map.product(op) if op in ("cdot", "times", "ast") else "auto"
        fits = self._dim_eq(left.shape[1], right.shape[0])
        same = self._same_shape(left.shape, right.shape)
        if mode == "elementwise":
            if not same:
                raise self._mismatch("an element-wise product of different shapes", rnode, left, right)
            return _hadamard(left, right)
        if fits:
            return sp.MatMul(left, right)
        if mode == "auto" and same:
            if op in ("cdot", "times") and (left.shape[0] == 1 or left.shape[1] == 1):
                raise Unchecked(f"'\\{op}' between two vectors may be a dot product or an element-wise product; "
                                "set products in the notation map", node.span)
            return _hadamard(left, right)
        raise self._mismatch(f"the product of {self.source(lnode)} and {self.source(rnode)}", rnode, left, right)

    def divide(self, left: Any, right: Any, rnode: Node, node: Node) -> Any:
        if not is_matrix(right):
            if right == 0:
                raise Unchecked("division by zero", rnode.span)
            return sp.MatMul(1 / right, left) if is_matrix(left) else left / right
        if is_matrix(left) and self._same_shape(left.shape, right.shape):
            return Quotient(left, right)
        if not is_matrix(left):
            return Quotient(sp.MatMul(left, sp.OneMatrix(*right.shape)) if left != 1 else sp.OneMatrix(*right.shape), right)
        raise self._mismatch("an element-wise quotient of different shapes", rnode, left, right)

    def _build_had(self, node: Node) -> Any:
        value = self.build(node.children[0])
        for op, child in zip(node.value, node.children[1:]):
            right = self.build(child)
            lm, rm = is_matrix(value), is_matrix(right)
            if op == "otimes":
                value = self.outer(value, right, child)
            elif not lm and not rm:
                value = sp.Mul(value, right) if op == "odot" else value / right
            elif not lm or not rm:
                if op == "oslash" and rm:
                    raise self._mismatch("⊘ of a scalar by a matrix", child, value, right)
                scalar, matrix = (value, right) if not lm else (right, value)
                value = sp.MatMul(scalar if op == "odot" else 1 / scalar, matrix)
            elif not self._same_shape(value.shape, right.shape):
                raise self._mismatch(f"an element-wise product with {self.source(child)}", child, value, right)
            elif op == "odot":
                value = _hadamard(value, right)
            else:
                value = Quotient(value, right)
        return value

    def outer(self, u: Any, v: Any, node: Node) -> Any:
        if not is_matrix(u) or not is_matrix(v):
            return sp.MatMul(u, v) if is_matrix(u) or is_matrix(v) else sp.Mul(u, v)
        if u.shape[1] == 1 and v.shape[1] == 1:
            return sp.MatMul(u, sp.Transpose(v))
        if u.shape[0] == 1 and v.shape[0] == 1:
            return sp.MatMul(sp.Transpose(u), v)
        raise self._mismatch("an outer product ⊗ of non-vectors", node, u, v)

    def _build_frac(self, node: Node) -> Any:
        num, den = (self.build(c) for c in node.children)
        return self.divide(num, den, node.children[1], node)

    def _build_pow(self, node: Node) -> Any:
        exponent_node = node.children[1]
        if node.children[0].kind == "group" and node.children[0].value == "‖":
            inner = self.build(node.children[0].children[0])
            exponent = self.build(exponent_node)
            if exponent == 2 and is_matrix(inner) and 1 in inner.shape:
                return sp.MatMul(sp.Transpose(inner), inner) if inner.shape[1] == 1 else sp.MatMul(inner, sp.Transpose(inner))
            raise Unchecked("a norm other than the square of a vector's", node.span)
        base = self.build(node.children[0])
        exponent = self.build(exponent_node)
        if is_matrix(exponent):
            raise Unchecked("a matrix in an exponent", exponent_node.span)
        if is_matrix(base):
            raise Unchecked(f"a power of the matrix {self.source(node.children[0])}", node.span)
        if exponent.is_Number and abs(exponent) > MAX_EXPONENT:  # 10^{100000000} would take hours
            raise Unchecked(f"an exponent larger than {MAX_EXPONENT} in absolute value", exponent_node.span)
        return sp.Pow(base, exponent)

    def _build_transpose(self, node: Node) -> Any:
        inner = self.build(node.children[0])
        return sp.Transpose(inner) if is_matrix(inner) else inner

    def _build_entry(self, node: Node) -> Any:
        self._entry_base += 1  # (H_2)_{ij}: a scalar, whatever the font of H_2
        try:
            base = self.build(node.children[0])
        finally:
            self._entry_base -= 1
        if not is_matrix(base):
            raise Unchecked(f"an index on the scalar {self.source(node.children[0])}", node.span)
        return self.entry(base, node.children[1], node)

    def entry(self, base: Any, index_node: Node, node: Node) -> Any:
        rows, cols = base.shape
        written = self.source(node.children[0]) if node.children else self.source(node)
        vector = rows == 1 or cols == 1
        parts = index_parts(index_node, 1 if vector and not (rows == 1 and cols == 1) else 2)
        indices = [self.index(p) for p in parts]
        if vector and len(indices) == 2 and (rows == 1 or cols == 1) and not (rows == 1 and cols == 1):
            raise Unchecked(f"two indices on the vector {written}", node.span)
        if not vector and len(indices) != 2:
            raise Unchecked(f"the matrix {written} needs two indices", node.span)
        if isinstance(base, sp.Transpose) and isinstance(base.arg, NetQuantity):
            base, indices = base.arg, indices[::-1] if len(indices) == 2 else indices
        for position, i in enumerate(indices):
            dim = base.shape[position] if len(indices) == 2 else (cols if rows == 1 else rows)
            for s in as_expr(i).free_symbols:
                if s.is_Symbol and s.is_integer:
                    self.usage.index_dims.setdefault(s, []).append(dim)
            self._check_index(i, dim, node)
        return Entry(base, *indices)

    def _check_index(self, index: Any, dim: Any, node: Node) -> None:
        index, dim = as_expr(index), as_expr(dim)
        if index.is_Integer and dim.is_Integer and not 1 <= int(index) <= int(dim):
            raise Unchecked(f"index {index} is outside 1…{dim}", node.span)

    # -- derivatives -------------------------------------------------------------------------------------
    def _build_pd(self, node: Node) -> Any:
        num, den = (self.build(c) for c in node.children)
        return self.derivative(num, den, node)

    def derivative(self, num: Any, den: Any, node: Node) -> Any:
        if isinstance(den, sp.Transpose) and isinstance(den.arg, NetQuantity):
            wrt_ok = True
        else:
            wrt_ok = isinstance(den, NetQuantity) and den.kind != "delta"
        if is_matrix(den):
            if not wrt_ok:
                raise Unchecked(f"a derivative with respect to {self.source(node.children[1])}", node.span)
            if num == COST:
                return Grad(COST, den)
            if is_matrix(num) and isinstance(num, NetQuantity) and isinstance(den, NetQuantity):
                if 1 not in num.shape or 1 not in den.shape:
                    raise Unchecked("a derivative of a matrix by a matrix", node.span)
                return Jacobian(num, den)
            raise Unchecked(f"the derivative of {self.source(node.children[0])}", node.span)
        if is_matrix(num):
            raise Unchecked("a derivative of a matrix by a scalar", node.span)
        if not _is_scalar_quantity(den, self.world):
            raise Unchecked(f"a derivative with respect to {self.source(node.children[1])}", node.span)
        if num != COST and not _is_scalar_quantity(num, self.world):
            raise Unchecked(f"the derivative of the expression {self.source(node.children[0])}", node.span)
        if isinstance(den, Entry) and isinstance(den.of, NetQuantity) and den.of.kind == "delta":
            raise Unchecked("a derivative with respect to δ", node.span)
        return Partial(num, den)

    def _build_pdop(self, node: Node) -> Any:
        wrt_node, body_node = node.children
        wrt = self.build(wrt_node)
        body = self.build(body_node)
        if is_matrix(body) or is_matrix(wrt):
            raise Unchecked("the operator form ∂/∂W(…) of a matrix", node.span)
        if not _is_scalar_quantity(wrt, self.world):
            raise Unchecked(f"a derivative with respect to {self.source(wrt_node)}", node.span)
        return OperatorDerivative(body, wrt)

    def _build_nabla(self, node: Node) -> Any:
        wrt_node, of_node = node.children
        if wrt_node.kind == "none":
            raise Unchecked("∇ without the variable it differentiates by", node.span)
        of = self.build(of_node)
        wrt = self.build(wrt_node)
        if of != COST:
            raise Unchecked(f"∇ of {self.source(of_node)}", node.span)
        return self.derivative(of, wrt, Node("pd", node.span, (of_node, wrt_node), "nabla"))

    # -- sums --------------------------------------------------------------------------------------------
    def _build_sum(self, node: Node) -> Any:
        lower, upper, body_node = node.children
        if lower.kind == "none":
            raise Unchecked("a sum without its index", node.span)
        if lower.kind == "limit" and lower.value == "in":
            raise Unchecked("a sum over a set", node.span)
        if lower.kind == "limit":
            var_node, lo_node = lower.children
        else:
            var_node, lo_node = lower, None
        if var_node.kind != "sym" or len(var_node.value.name) != 1 or var_node.value.sub or var_node.value.sup:
            raise Unchecked(f"a sum over {self.source(var_node)}", node.span)
        var = index_symbol(var_node.value.name)
        self.bound.append(var)
        try:
            before = list(self.usage.index_dims.get(var, []))
            body = self.build(body_node)
            dims = self.usage.index_dims.get(var, [])[len(before):]
            if var in self.usage.index_dims:
                self.usage.index_dims[var] = before
                if not before:
                    del self.usage.index_dims[var]
        finally:
            self.bound.pop()
        if is_matrix(body):
            raise Unchecked("a sum of matrices", node.span)
        lo = self.index(lo_node) if lo_node is not None else sp.Integer(1)
        if upper.kind != "none":
            hi = self.index(upper)
        elif dims:
            concrete = [d for d in dims if as_expr(d).is_Integer]
            hi = min(concrete, key=int) if concrete and len(concrete) == len(dims) else dims[0]
        else:
            raise Unchecked(f"a sum over {var} without limits, where {var} indexes nothing", node.span)
        if self.concrete:
            dims = {self.world.batch_symbol: self.world.dims[self.world.batch_symbol]} if self.world.batched else {}
            lo, hi = as_expr(lo).xreplace(dims), as_expr(hi).xreplace(dims)
            for v in (lo, hi):
                if not as_expr(v).is_Integer:
                    raise Unchecked(f"the sum limit {dim_text(v)} has no value here", node.span)
        return sp.Sum(body, (var, lo, hi))

    # -- matrices ------------------------------------------------------------------------------------------
    def _build_matrix(self, node: Node) -> Any:
        rows, cols = node.value
        cells = [self.build(c) for c in node.children]
        for c, value in zip(node.children, cells):
            if is_matrix(value):
                raise Unchecked("a matrix of blocks", c.span)
        return sp.ImmutableMatrix(rows, cols, cells)

    # -- functions -------------------------------------------------------------------------------------------
    def _build_call(self, node: Node) -> Any:
        name, primes, sub = node.value
        arg = self.build(node.children[0])
        if sub is not None:
            raise Unchecked(f"a subscript on the function {name}", node.span)
        binding = self.map.binding(name)
        if binding is not None and binding.is_function:
            op = binding.role
            self._note("function", name)
        elif name in BUILTIN_FUNCTIONS:
            op = BUILTIN_FUNCTIONS[name]
        elif binding is None:
            raise Unchecked(f"unbound function {name}: bind it in the notation map (e.g. {name} = \"sigmoid\")",
                            node.span)
        else:
            raise Unchecked(f"{name} is bound to {binding.role}, not to a function", node.span)
        if primes > 1:
            raise Unchecked("second derivatives are not checked", node.span)
        if op in rules.ACTIVATIONS:
            act = rules.ACTIVATIONS[op]
            if not act.elementwise:
                if primes:
                    raise Unchecked("the derivative of softmax is a Jacobian, not softmax′", node.span)
                if not is_matrix(arg) or 1 not in arg.shape:
                    raise Unchecked("softmax of something that is not a vector", node.span)
                return Apply(op, arg, self.frame.class_axis)
            if is_matrix(arg):
                return ApplyPrime(op, arg) if primes else Apply(op, arg, self.frame.class_axis)
            return Prime(op, arg) if primes else rules.scalar_function(op)(arg)
        if primes:
            raise Unchecked(f"the derivative {name}′ is not checked", node.span)
        if op in ("log", "exp"):
            return Elementwise(op, arg) if is_matrix(arg) else (sp.log(arg) if op == "log" else sp.exp(arg))
        if op == "diag":
            if not is_matrix(arg) or 1 not in arg.shape:
                raise Unchecked("diag of something that is not a vector", node.span)
            return Diag(arg)
        if op == "sqrt":
            if is_matrix(arg):
                raise Unchecked("the square root of a matrix", node.span)
            return sp.sqrt(arg)
        raise Unchecked(f"the function {name}", node.span)

    # -- symbols ---------------------------------------------------------------------------------------------
    def _note(self, role: str, name: str) -> None:
        names = self.usage.names.setdefault(role, [])
        if name not in names:
            names.append(name)

    def _build_sym(self, node: Node) -> Any:
        sym: Sym = node.value
        if sym.name == "one":
            return self._ones(sym, node)
        binding = self.map.binding(sym.name)
        if binding is None:
            if sym.name == "e" and sym.sup is not None and sym.sup.expr is not None and not sym.sub:
                exponent = self.build(sym.sup.expr)
                return Elementwise("exp", exponent) if is_matrix(exponent) else sp.exp(exponent)
            if sym.name == "sigma" and sym.sub is not None and self.world.spec.normalize_input:
                return STD
            if len(sym.name) == 1 and sym.name in [str(s) for s in self.bound] and not sym.sub and not sym.sup:
                return index_symbol(sym.name)
            raise Unchecked(f"unbound symbol {sym.name}: the notation map does not say what it is", node.span)
        if sym.primes:
            raise Unchecked(f"{sym.name}′ on a symbol that is not a function", node.span)
        role = binding.role
        self._note(role, sym.name)
        if self._entry_base:
            pass
        elif not sym.bold and (sym.sub is None or role in ("weight", "bias", "preactivation", "activation", "error")
                             and self.map.layer_index_of(binding) == "sub" and sym.sub.expr is not None
                             and sym.sub.expr.kind != "list"):
            self.usage.plain.add(role)
        elif sym.bold:
            self.usage.bold.add(role)
            if sym.font in ("mathbf", "bm", "boldsymbol", "pmb", "bf", "vec"):
                self.usage.fonts.setdefault(role, "mathbf" if sym.font == "bf" else sym.font)
        if binding.is_function:
            if sym.name == "sigma" and sym.sub is not None and self.world.spec.normalize_input:
                return STD
            raise Unchecked(f"the function {sym.name} without an argument", node.span)
        if role == "cost":
            self._no_scripts(sym, node)
            return COST
        if role in ("mean", "std"):
            self._no_scripts(sym, node)
            return MEAN if role == "mean" else STD
        if role == "depth":
            self._no_scripts(sym, node)
            return self.depth
        if role == "batch":
            if sym.sub is not None:
                return self.width(self.layer_of(sym.sub, binding, node), node)
            self._no_scripts(sym, node)
            return self._batch(node)
        if role == "width":
            if sym.sub is None:
                raise Unchecked(f"{sym.name} without the layer whose width it is", node.span)
            return self.width(self.layer_of(sym.sub, binding, node), node)
        if role == "kronecker":
            return self._kronecker(sym, node)
        if role in LAYERED:
            return self._layered(sym, binding, node)
        if role in ("output", "input", "normalized-input", "target"):
            return self._unlayered(sym, binding, node)
        raise Unchecked(f"{sym.name} ({role}) cannot appear here", node.span)

    def _no_scripts(self, sym: Sym, node: Node) -> None:
        if sym.sub is not None or sym.sup is not None:
            raise Unchecked(f"scripts on {sym.name}", node.span)

    def _batch(self, node: Node) -> Any:
        if self.world.batch_symbol is None:
            raise Unchecked("the network has one sample, no batch size", node.span)
        return self.world.batch_symbol

    def width(self, layer: Any, node: Node) -> Any:
        if self.concrete:
            return self.frame.width(self._concrete_layer(layer, "a", node))
        return WIDTH[layer] if self.world.general else (
            sp.Integer(self.world.spec.widths[int(layer)]) if as_expr(layer).is_Integer else WIDTH[layer])

    def _ones(self, sym: Sym, node: Node) -> Any:
        if sym.sub is None:
            if sym.sup is not None:
                raise Unchecked("a vector of ones 𝟏 without its length", node.span)
            return sp.Integer(1)
        size = self.index(sym.sub.expr) if sym.sub.expr is not None else None
        if size is None:
            raise Unchecked("a vector of ones 𝟏 without its length", node.span)
        ones = sp.OneMatrix(size, 1)
        if sym.sup is not None:
            if not sym.sup.transpose or sym.sup.expr is not None:
                raise Unchecked("a superscript on 𝟏", node.span)
            ones = sp.OneMatrix(1, size)
        return ones

    def _kronecker(self, sym: Sym, node: Node) -> Any:
        if sym.sub is None or sym.sup is not None:
            raise Unchecked("a Kronecker delta needs two indices", node.span)
        parts = index_parts(sym.sub.expr, 2)
        if len(parts) != 2:
            raise Unchecked("a Kronecker delta needs two indices", node.span)
        return sp.KroneckerDelta(*[self.index(p) for p in parts])

    # layered quantities: W^l, b^l, z^l, a^l, δ^l --------------------------------------------------------
    def _layered(self, sym: Sym, binding: Binding, node: Node) -> Any:
        kind = LAYERED[binding.role]
        position = self.map.layer_index_of(binding)
        layer_node: Node | None = None
        index_node: Node | None = None
        transpose = False
        sub, sup = sym.sub, sym.sup
        if sup is not None:
            transpose = sup.transpose
        numbered = (binding.index != "entry" and _digits(sub) and (sup is None or sup.expr is None)
                    and (position == "super" or binding.index in ("pair", "layer-neuron")))
        if numbered:
            return self._maybe_transpose(self._numbered(sym, binding, kind, node), transpose, node)
        if position == "super":
            if sup is not None and sup.expr is not None:
                layer_node = sup.expr
                self.usage.paren_layers |= sup.paren
            index_node = sub.expr if sub is not None else None
        else:
            if sup is not None and sup.expr is not None:
                if sup.paren:
                    layer_node = sup.expr
                    index_node = sub.expr if sub is not None else None
                else:
                    raise Unchecked(f"a superscript on {sym.name} (the layer is written below)", node.span)
            elif sub is not None and sub.expr is not None:
                if sub.expr.kind == "list":
                    layer_node = sub.expr.children[0]
                    rest = sub.expr.children[1:]
                    index_node = rest[0] if len(rest) == 1 else Node("list", sub.expr.span, tuple(rest))
                else:
                    layer_node = sub.expr
        if layer_node is None:
            if binding.role == "error" and index_node is not None and len(index_parts(index_node, 2)) == 2:
                return self._kronecker(sym, node)  # δ_{jk} beside δ^l: the Kronecker delta
            raise Unchecked(f"{sym.name} without its layer", node.span)
        layer = self.layer_of_node(layer_node, binding, node)
        q = self.quantity(kind, layer, node)
        q = self._layout(q, binding)
        if transpose:  # W^{(2)T}_{bc}: an entry of the transpose
            q = sp.Transpose(q) if not isinstance(q, sp.Transpose) else q.arg
        if index_node is not None:
            value = self.entry(q, index_node, node)
            return value
        return q

    def _maybe_transpose(self, value: Any, transpose: bool, node: Node) -> Any:
        return sp.Transpose(value) if transpose and is_matrix(value) else value

    def _layout(self, q: Any, binding: Binding) -> Any:
        if isinstance(q, NetQuantity) and q.kind == "W" and self.map.layout_of(binding) != native_layout(self.world.spec):
            return sp.Transpose(q)
        return q

    def layer_of(self, script: Script, binding: Binding, node: Node) -> Any:
        if script.expr is None:
            raise Unchecked("an empty layer index", node.span)
        return self.layer_of_node(script.expr, binding, node)

    def layer_of_node(self, layer_node: Node, binding: Binding, node: Node) -> Any:
        layer = self.index(layer_node, layer=True) + self.map.layer_offset_of(binding)
        if self.concrete:
            layer = as_expr(layer).xreplace(self.layer_values)
        return layer

    def quantity(self, kind: str, layer: Any, node: Node) -> Any:
        f = self.frame
        if self.concrete:
            layer = self._concrete_layer(layer, kind, node)
            if kind == "b" and not f.has_bias(layer):
                raise Unchecked(f"the network has no bias in layer {layer}", node.span)
        else:
            layer = as_expr(layer)
            if layer.is_Integer:
                self._check_layer(int(layer), kind, node, self.world.spec.depth if not self.world.general else None)
                if kind == "b" and not self.world.general and not self.world.spec.layers[int(layer) - 1].bias:
                    raise Unchecked(f"the network has no bias in layer {layer}", node.span)
            if kind == "b" and not self.world.general and not any(l.bias for l in self.world.spec.layers):
                raise Unchecked("the network has no biases", node.span)
        return {"W": f.W, "b": f.b, "z": f.z, "a": f.a, "delta": f.delta}[kind](layer)

    def _concrete_layer(self, layer: Any, kind: str, node: Node) -> sp.Integer:
        layer = as_expr(layer).xreplace(self.layer_values)
        if not layer.is_Integer:
            raise Unchecked(f"the layer {dim_text(layer)} has no value", node.span)
        lo = 0 if kind == "a" else 1
        if not lo <= int(layer) <= self.world.depth:
            raise OutOfRange()
        return layer

    def _check_layer(self, layer: int, kind: str, node: Node, depth: int | None) -> None:
        lo = 0 if kind == "a" else 1
        if layer < lo or (depth is not None and layer > depth):
            top = f"{depth}" if depth is not None else "L"
            raise Unchecked(f"layer {layer} does not exist (layers run from {lo} to {top})", node.span)

    def _numbered(self, sym: Sym, binding: Binding, kind: str, node: Node) -> Any:
        """a_3 (neurons numbered across layers), w_{35} (a weight by its pair), y_{21} (layer 2, neuron 1)."""
        if self.world.general:
            raise Unchecked(f"{sym.name} numbered by neuron in a general derivation", node.span)
        digits = _index_numbers(sym.sub)
        if binding.index == "pair":
            if len(digits) != 2:
                raise Unchecked(f"{sym.name} needs a pair of neurons", node.span)
            a, b = digits
            if self.map.weight_index == "destination-source":
                a, b = b, a
            src, dst = self.world.neuron(a), self.world.neuron(b)
            if self.map.lenient_pairs and not _is_pair(src, dst) and _is_pair(dst, src):
                src, dst = dst, src  # written in the other order than the stated one
                self.usage.contradicted.append(f"{sym.name}_{{{''.join(map(str, digits))}}}")
            if not _is_pair(src, dst):
                raise Unchecked(f"{sym.name}_{{{''.join(map(str, digits))}}} names no weight of the network "
                                f"(weights go from a neuron to one in the next layer; the map reads w_{{ab}} "
                                f"{'into a from b' if self.map.weight_index == 'destination-source' else 'from a to b'})",
                                node.span)
            name = f"w{self.world.neuron_number(*src)}{self.world.neuron_number(*dst)}"
            if name in self.world.scalar_symbols and self.concrete:
                return self.world.scalar_symbols[name].symbol
            layer = sp.Integer(dst[0])
            q = self.quantity("W", layer, node)
            if self.frame.row:
                return Entry(q, src[1], dst[1])
            return Entry(q, dst[1], src[1])
        if binding.index == "layer-neuron":
            if len(digits) != 2:
                raise Unchecked(f"{sym.name} needs a layer and a neuron", node.span)
            layer = sp.Integer(digits[0] + self.map.layer_offset_of(binding))
            index = digits[1]
        else:  # neuron numbered across layers
            if len(digits) != 1:
                raise Unchecked(f"{sym.name} needs one neuron number", node.span)
            where = self.world.neuron(digits[0])
            if where is None:
                raise Unchecked(f"there is no neuron {digits[0]}", node.span)
            layer, index = sp.Integer(where[0]), where[1]
        if kind in ("z", "delta", "b") and layer == 0:
            raise Unchecked(f"neuron {digits[-1]} is an input: it has no {sym.name}", node.span)
        q = self.quantity(kind, layer, node)
        if self.concrete and kind in ("a", "z"):
            key = self._scalar_name(kind, int(layer), index)
            if key in self.world.scalar_symbols:
                return self.world.scalar_symbols[key].symbol
        width = self.frame.width(layer) if self.concrete else None
        if width is not None and index > int(width):
            raise Unchecked(f"layer {layer} has no neuron {index}", node.span)
        return Entry(q, index)

    def _scalar_name(self, kind: str, layer: int, index: int) -> str:
        n = self.world.neuron_number(layer, index)
        if kind == "a" and layer == 0:
            return f"x{index}"
        if kind == "a" and layer == self.world.depth and self.world.spec.notation.output == "yhat":
            return f"yhat{index}"
        return f"{kind}{n}"

    def _unlayered(self, sym: Sym, binding: Binding, node: Node) -> Any:
        f = self.frame
        role = binding.role
        if role == "output":
            q = f.a(self.depth)
        elif role == "input":
            q = f.x
        elif role == "normalized-input":
            if not self.world.spec.normalize_input:
                raise Unchecked("the network does not standardise its input", node.span)
            q = f.input
        else:
            q = f.y
        sup = sym.sup
        transpose = sup is not None and sup.transpose
        if sup is not None and sup.expr is not None:
            if sup.expr.kind == "num" and not is_matrix(q):
                raise Unchecked(f"a superscript on {sym.name}", node.span)
            if sym.sub is not None and not transpose:
                base = self.entry(q, sym.sub.expr, node)
                return sp.Pow(base, self.build(sup.expr))
            raise Unchecked(f"a superscript on {sym.name} ({sup.text})", node.span)
        if sym.sub is not None:
            if sym.sub.expr is None:
                raise Unchecked(f"an empty subscript on {sym.name}", node.span)
            if self.concrete and role in ("input", "target", "output") and not self.world.batched and _digits(sym.sub):
                digits = _index_numbers(sym.sub)
                key = {"input": "x", "target": "y", "output": "yhat"}[role] + "".join(map(str, digits))
                if len(digits) == 1 and key in self.world.scalar_symbols:
                    return self.world.scalar_symbols[key].symbol
            value = self.entry(q, sym.sub.expr, node)
            return value
        return sp.Transpose(q) if transpose else q

    # -- indices ---------------------------------------------------------------------------------------------
    def index(self, node: Node, layer: bool = False) -> Any:
        """An index or layer expression: 2, j, l + 1, L, n_{l-1}."""
        kind = node.kind
        if kind == "num":
            if "." in node.value:
                raise Unchecked(f"the index {node.value} is not a whole number", node.span)
            return sp.Integer(int(node.value))
        if kind == "sym":
            sym: Sym = node.value
            binding = self.map.binding(sym.name)
            if sym.sub is None and sym.sup is None and not sym.primes:
                if binding is not None and binding.role == "depth" or (sym.name == "L" and layer):
                    return self.depth
                if binding is not None and binding.role == "batch":
                    return self._batch(node)
                if len(sym.name) == 1 and sym.name.isascii():
                    s = index_symbol(sym.name)
                    if layer:
                        self.usage.layer_vars.add(s)
                    return s
            if binding is not None and binding.role in ("width", "batch") and sym.sub is not None:
                return self.width(self.layer_of(sym.sub, binding, node), node)
            raise Unchecked(f"cannot read {sym.name} as an index", node.span)
        if kind == "add":
            return sp.Add(*[self.index(c, layer) * s for c, s in zip(node.children, node.value)])
        if kind == "neg":
            return -self.index(node.children[0], layer)
        if kind == "group" and node.value == "(":
            return self.index(node.children[0], layer)
        if kind == "mul" and all(op == "juxt" for op in node.value) and node.children[0].kind == "num":
            return sp.Mul(*[self.index(c, layer) for c in node.children])
        raise Unchecked(f"cannot read {self.source(node)} as an index", node.span)

    # -- shapes ----------------------------------------------------------------------------------------------
    def _dim_eq(self, a: Any, b: Any) -> bool:
        """Equal dimensions: n_l and n_{l+1} differ in a general derivation; in a concrete network
        the widths are numbers (z_1 and z_2 of a 4-3-3 network have the same shape)."""
        a, b = as_expr(a), as_expr(b)
        if a == b:
            return True
        return self._concrete_dim(a) == self._concrete_dim(b)

    def _concrete_dim(self, d: Any) -> Any:
        return concrete_dim(d, self.world)

    def _same_shape(self, a: tuple, b: tuple) -> bool:
        return self._dim_eq(a[0], b[0]) and self._dim_eq(a[1], b[1])

    def _mismatch(self, what: str, node: Node, left: Any, right: Any) -> ShapeMismatch:
        shapes = (shape_text(left, self.world), shape_text(right, self.world))
        return ShapeMismatch(f"shape mismatch in {what}: {shapes[0]} against {shapes[1]}", node.span, shapes)


def _is_pair(src: tuple[int, int] | None, dst: tuple[int, int] | None) -> bool:
    return src is not None and dst is not None and dst[0] == src[0] + 1


def _hadamard(left: Any, right: Any) -> Any:
    args = [*(left.args if isinstance(left, sp.HadamardProduct) else [left]), right]
    return sp.HadamardProduct(*args, evaluate=False)


def _mul(left: Any, right: Any) -> Any:
    """A scalar product in the order written (the printers keep unevaluated order)."""
    if left.is_Number and right.is_Number:
        return left * right
    args = [*(left.args if isinstance(left, sp.Mul) else [left]), right]
    return sp.Mul(*args, evaluate=False)


def _is_vector_for_broadcast(term: Any, other: Any) -> bool:
    return is_matrix(term) and (term.shape[0] == 1 or term.shape[1] == 1) and term.shape != other.shape


def _is_scalar_quantity(value: Any, world: World) -> bool:
    """Something a chain-rule factor ∂u/∂v can name: an entry of a quantity, or a neuron's symbol."""
    if isinstance(value, Entry):
        return isinstance(value.of, NetQuantity) or isinstance(value.of, sp.Transpose)
    return isinstance(value, sp.Symbol) and value.name in world.scalar_symbols


def _digits(script: Script | None) -> bool:
    if script is None or script.expr is None:
        return False
    e = script.expr
    if e.kind == "num":
        return "." not in e.value
    if e.kind == "list":
        return all(c.kind == "num" for c in e.children)
    return e.kind == "mul" and all(c.kind == "num" for c in e.children)


def _index_numbers(script: Script | None) -> list[int]:
    e = script.expr
    if e.kind == "num":
        return [int(ch) for ch in e.value] if len(e.value) > 1 else [int(e.value)]
    return [int(c.value) for c in e.children]


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
