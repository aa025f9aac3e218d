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

from dataclasses import replace
from fractions import Fraction
from typing import Any

import sympy as sp
from sympy.matrices.expressions import MatrixExpr

from .. import rules
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
    SquaredNorm,
)
from ..quantities import COST
from ..safe import as_expr
from .bind import Unchecked
from .nodes import (
    Family,
    GradOf,
    MatSum,
    OperatorDerivative,
    SampleCost,
    SampleOf,
    Vec,
    VecJacobian,
    entry_of_sample,
)
from .notation import Binding, NotationMap
from .parser import Call, Node, Script, Sym
from .symbols import SymbolBuilder
from .usage import (
    OutOfRange,
    ShapeMismatch,
    Usage,
    concrete_dim,
    dim_text,
    index_letter,
    index_parts,
    index_symbol,
    is_matrix,
    shape_text,
)
from .world import World

#: Words that name a function wherever they appear, and the activation or operation they are.
BUILTIN_FUNCTIONS = {
    "sigmoid": "sigmoid", "ReLU": "relu", "relu": "relu", "softmax": "softmax", "softplus": "softplus",
    "tanh": "tanh", "id": "identity", "log": "log", "ln": "log", "exp": "exp", "diag": "diag", "sqrt": "sqrt",
    "vec": "vec", "cosh": "cosh", "sech": "sech",
    "step": "step",  # 𝟏[x > 0], read by the parser
    **rules.operator_words(),  # LeakyReLU, ELU, GELU, … as the registry writes them
}
#: Exponents beyond this are not checked: backprop has squares and inverses, and exact powers of
#: large exponents grow without bound (10^{100000000} is 23 characters).
MAX_EXPONENT = 64
#: Terms a sum may have on the instance, where it is written out term by term: a limit that is a
#: size of the network is the instance's (a few); Σ_{j=1}^{10^{22}} would never end.
MAX_SUM_TERMS = 1_000



def _is_activation(name: str) -> bool:
    """A registry activation, or one of them with its parameter set (leaky-relu:0.2, which only
    network_entry makes: the network's own)."""
    return name in rules.ACTIVATIONS or (":" in name and name.partition(":")[0] in rules.ACTIVATIONS)

class Builder(SymbolBuilder):
    def __init__(self, world: World, nmap: NotationMap, concrete: bool = False,
                 layer_values: dict[sp.Symbol, int] | None = None, text: str = "",
                 decisions: dict[Any, str] | None = None, reading: str = "gradient") -> None:
        self.world = world
        self.map = nmap
        self.concrete = concrete
        self.frame = world.frame if concrete else world.symbolic_frame
        self.depth = sp.Integer(world.depth) if concrete else world.symbolic_depth()
        self.layer_values = {k: sp.Integer(v) for k, v in (layer_values or {}).items()}
        self.usage = Usage()
        self.bound: list[sp.Symbol] = []  # sum variables in scope
        self._entry_base = 0
        self._saw_depth = False
        self.text = text
        self.root: Node | None = None  # the side being built (a shared bias alone as a side is a given)
        #: E_{o1}, one output's term of the cost, by its span: (that output's activation, its target)
        self.cost_shares: dict[tuple[int, int], tuple[Any, Any]] = {}
        #: b_1 of a layer whose neurons share one bias, by its span: the layer
        self.shared_biases: dict[tuple[int, int], int] = {}
        #: How each product was read in the symbolic frame (matrix or element-wise), shared with the
        #: concrete builds of the same formula.
        self.decisions: dict[Any, str] = {} if decisions is None else decisions
        #: How a written ∂u/∂v is laid out: "gradient" (∂C/∂W in W's shape, ∂u/∂v rows = entries of u,
        #: what most posts mean), "numerator" (∂C/∂v a row) or "denominator" (∂u/∂v transposed).
        self.reading = reading

    # -- entry points ---------------------------------------------------------------------------------
    def build(self, node: Node) -> Any:
        if self.root is None:
            self.root = node
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
        entries = [t for t in terms if not is_matrix(t) and (t.free_symbols & set(self.usage.index_dims)
                                                             or t.has(Entry, Partial))]
        if entries and all(not is_matrix(t) or self._same_shape(t.shape, (1, 1)) for t in terms):
            # a^{(2)}_1 − y with a single output: the 1 × 1 target beside an entry is that number
            terms = [Entry(t, 1, 1) if is_matrix(t) else t for t in terms]
            return sp.Add(*[t if s > 0 else -t for t, s in zip(terms, signs)])
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
        children, ops = list(node.children), list(node.value)
        values: list[Any] = []
        kept: list[Node] = []
        kept_ops: list[str] = []
        k = 0
        while k < len(children):
            child = children[k]
            if k + 1 < len(children) and ops[k] == "juxt" and self._is_gradient_prefix(child, children[k + 1]):
                values.append(self.prefixed_gradient(children[k + 1]))  # Ng's dW: ∂J/∂W
                kept.append(Node("mul", (child.span[0], children[k + 1].span[1]), (child, children[k + 1]), ("juxt",)))
                if k > 0:
                    kept_ops.append(ops[k - 1])
                k += 2
                continue
            values.append(self.build(child))
            kept.append(child)
            if k > 0:
                kept_ops.append(ops[k - 1])
            k += 1
        value = values[0]
        for n, (op, child, right) in enumerate(zip(kept_ops, kept[1:], values[1:])):
            left_node = Node("mul", (kept[0].span[0], kept[n].span[1]), tuple(kept[:n + 1])) if n else kept[0]
            value = self.multiply(value, right, op, left_node, child, node)
        return value

    def _is_gradient_prefix(self, node: Node, nxt: Node) -> bool:
        """d glued to a symbol (dW, dz^{[l]}) where the map says d marks a gradient."""
        prefix = self.map.gradient_prefix
        if not prefix or node.kind != "sym" or nxt.kind != "sym" or nxt.span[0] != node.span[1]:
            return False
        sym: Sym = node.value
        return (sym.name == prefix and sym.sub is None and sym.sup is None and not sym.primes
                and self.map.binding(sym.name) is None)

    def prefixed_gradient(self, node: Node) -> Any:
        """dX: the derivative of the post's cost with respect to X."""
        name = self.map.gradient_cost()
        if name is None:
            raise Unchecked("d-prefixed gradients, but the map binds several costs: say which (gradient_of)", node.span)
        cost = self._cost(Sym(name), self.map.binding(name), node) if name != "" else COST
        wrt = self.build(node)
        return self.derivative(cost, wrt, Node("pd", node.span, (node, node)))

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
        key = (self.text, lnode, rnode, op)
        if self.concrete and key in self.decisions:
            # Decided on the symbolic shapes: on the small instance, n_1 × m may happen to be square.
            fits, same = self.decisions[key] == "matrix", self.decisions[key] == "elementwise"
        elif not self.concrete:
            self.decisions[key] = "matrix" if fits and mode != "elementwise" else "elementwise" if same else "none"
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
        if mode != "elementwise":
            # (a − y) x with a single output: a 1 × 1 factor that no matrix product fits is a number
            for one, other in ((left, right), (right, left)):
                if all(self._dim_eq(d, 1) for d in one.shape):
                    if self._dim_eq(other.shape[1], 1):
                        return sp.MatMul(other, one)  # a column times the number
                    if self._dim_eq(other.shape[0], 1):
                        return sp.MatMul(one, other)  # the number times a row
                    raise Unchecked(f"a 1 × 1 factor beside a matrix in {self.source(node)}", node.span)
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
                value, right = self._broadcast_pair(value, right, child)
                value = _hadamard(value, right) if op == "odot" else Quotient(value, right)
            elif op == "odot":
                value = _hadamard(value, right)
            else:
                value = Quotient(value, right)
        return value

    def _broadcast_pair(self, left: Any, right: Any, node: Node) -> tuple[Any, Any]:
        """Wᵀ ⊙ σ′(z): a vector against a matrix, spread over its rows or columns as NumPy does (posts
        that think in arrays write it); any other pair of shapes is a shape error."""
        for vector, matrix, first in ((left, right, True), (right, left, False)):
            rows, cols = vector.shape
            mrows, mcols = matrix.shape
            if self._dim_eq(cols, 1) and self._dim_eq(rows, mrows) and not self._dim_eq(mcols, 1):
                spread = Broadcast(vector, mcols, axis=1)
            elif self._dim_eq(rows, 1) and self._dim_eq(cols, mcols) and not self._dim_eq(mrows, 1):
                spread = Broadcast(vector, mrows, axis=0)
            else:
                continue
            self.usage.notes.append("a vector spread over a matrix in an element-wise product (NumPy broadcasting)")
            return (spread, matrix) if first else (matrix, spread)
        raise self._mismatch(f"an element-wise product with {self.source(node)}", node, left, right)

    def outer(self, u: Any, v: Any, node: Node) -> Any:
        """u ⊗ v: the Kronecker product (a^T ⊗ I); between two vectors the map may say it is the outer
        product u v^T (for a column and a row the two agree)."""
        if not is_matrix(u) or not is_matrix(v):
            return sp.MatMul(u, v) if is_matrix(u) or is_matrix(v) else sp.Mul(u, v)
        vectors = 1 in u.shape and 1 in v.shape
        if self.map.kronecker == "kronecker" or not vectors:
            return sp.KroneckerProduct(u, v)
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
            if exponent == 2 and isinstance(inner, NetQuantity) and inner.kind in ("W", "b"):
                return SquaredNorm(inner)  # ‖W^l‖², ‖b^l‖²: a number, the terms of an L2 penalty
            if exponent == 2 and is_matrix(inner) and 1 in inner.shape:
                return sp.MatMul(sp.Transpose(inner), inner) if inner.shape[1] == 1 else sp.MatMul(inner, sp.Transpose(inner))
            raise Unchecked("a norm other than the square of a vector's or of a parameter matrix", node.span)
        variance = self.norm_variance(node.children[0], exponent_node)
        if variance is not None:  # (σ^l)²: the variance of a normalisation layer, σ^l no quantity by itself
            return variance
        self._cost_call_with_script(node)
        head = node.children[0]
        if head.kind == "call" and head.value.name == "sech" and not head.value.primes and exponent_node.kind == "num" \
                and exponent_node.value == "2":
            return self.build(replace(head, value=replace(head.value, name="tanh", primes=1)))  # sech² = tanh′
        base = self.build(head)
        exponent = self.build(exponent_node)
        if is_matrix(exponent):
            raise Unchecked("a matrix in an exponent", exponent_node.span)
        if exponent.is_Number and abs(exponent) > MAX_EXPONENT:  # 10^{100000000} would take hours
            raise Unchecked(f"an exponent larger than {MAX_EXPONENT} in absolute value", exponent_node.span)
        if is_matrix(base):
            if self._is_square(base):
                raise Unchecked(f"a power of the square matrix {self.source(node.children[0])}: a matrix power or "
                                "an element-wise one?", node.span)
            return sp.HadamardPower(base, exponent)  # (1 + e^{-z})^2 of a vector: element by element
        return sp.Pow(base, exponent)

    def _is_square(self, value: Any) -> bool:
        """Whether a matrix is square (and not 1 × 1): its power or root could be the matrix's own."""
        rows, cols = value.shape
        return self._dim_eq(rows, cols) and not (as_expr(rows) == 1 and as_expr(cols) == 1)

    def _cost_call_with_script(self, node: Node) -> None:
        """∇_{z} C (a^{l-1})^T: the cost letter before a group with a script reads as the cost applied to
        the group, (C(a))^T, or as the cost's gradient times the group, (∇C)(a)^T: not read."""
        inner = node.children[0]
        if inner.kind == "call":
            binding = self.map.binding(inner.value.name)
            if binding is not None and binding.role == "cost":
                raise Unchecked(f"{self.source(node)}: the cost {inner.value.name} applied to the group after it, "
                                "or multiplied by it", node.span)

    def _build_transpose(self, node: Node) -> Any:
        self._cost_call_with_script(node)
        inner = self.build(node.children[0])
        return sp.Transpose(inner) if is_matrix(inner) else inner

    def _build_entry(self, node: Node) -> Any:
        if node.value == "bracket":
            self.usage.brackets = True
        defined = self._defined(node.children[0], node.children[1])
        if defined is not None:
            return defined
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
        weight = isinstance(base, NetQuantity) and base.kind == "W" or (
            isinstance(base, sp.Transpose) and isinstance(base.arg, NetQuantity) and base.arg.kind == "W")
        # a weight matrix keeps its two indices when a layer has one unit: w^{(2)}_{12} of a 1 × 2 W^{(2)}
        vector = (rows == 1 or cols == 1) and not weight
        parts = index_parts(index_node, 1 if vector and not (rows == 1 and cols == 1) else 2)
        indices = [self.index(p, entry=True) for p in parts]
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
        layer = self.shared_biases.get(node.children[1].span)
        if layer is not None:  # ∂E/∂b_1 of the bias all of layer 1 shares: the sum over its neurons' biases
            if is_matrix(num):
                raise Unchecked("the derivative of a matrix by a shared bias", node.span)
            bias = self.quantity("b", sp.Integer(layer), node)
            width = int(self.frame.width(sp.Integer(layer)))
            return sp.Add(*[self.derivative(num, Entry(bias, k), node) for k in range(1, width + 1)], evaluate=False)
        share = self.cost_shares.get(node.children[0].span)
        if share is not None and not is_matrix(den):
            out, target = share  # ∂E_{o1}/∂v of E_{o1} = ½(y_1 − a_1)²: (a_1 − y_1) ∂a_1/∂v, a chain-rule factor
            return sp.Mul(out - target, self.derivative(out, den, node), evaluate=False)
        return self.derivative(num, den, node)

    def derivative(self, num: Any, den: Any, node: Node) -> Any:
        """∂num/∂den, read as the post means it: a gradient in den's shape for the cost, a Jacobian
        (rows = entries of num) for a vector by a vector, a chain-rule factor for scalars."""
        scale, num = _split_scale(num)
        if scale != 1:
            inner = self.derivative(num, den, node)
            return sp.MatMul(scale, inner) if is_matrix(inner) else sp.Mul(scale, inner, evaluate=False)
        den = entry_of_sample(den)
        if isinstance(den, SampleOf):  # ∂C/∂z^{(i)}: example i of ∂C/∂Z
            if num != COST:
                raise Unchecked(f"the derivative of {self.source(node.children[0])} by one example", node.span)
            return SampleOf(self.derivative(num, den.of, node), den.index, den.axis)
        if isinstance(den, Vec):
            if num == COST and isinstance(den.of, NetQuantity):
                return Vec(Grad(COST, den.of))
            if isinstance(num, NetQuantity) and isinstance(den.of, NetQuantity) and 1 in num.shape:
                return VecJacobian(num, den.of)
            raise Unchecked(f"the derivative of {self.source(node.children[0])} by vec(…)", node.span)
        if isinstance(den, sp.Transpose) and isinstance(den.arg, NetQuantity):
            wrt_ok = True
        else:
            wrt_ok = isinstance(den, NetQuantity) and den.kind != "delta"
        if is_matrix(den):
            if not wrt_ok:
                raise Unchecked(f"a derivative with respect to {self.source(node.children[1])}", node.span)
            written = node.value in ("frac", "slash")  # ∂u/∂v as written, not ∇ or a named Jacobian
            if num == COST:
                if written and self.reading in ("numerator", "numerator-strict") and 1 in den.shape:
                    self.usage.layout_dependent = True
                    return sp.Transpose(Grad(COST, den))  # ∂C/∂v of a column v: a row in numerator layout
                if written and self.reading in ("numerator", "numerator-strict"):
                    self.usage.matrix_layout = True
                    if self.reading == "numerator-strict":
                        return sp.Transpose(Grad(COST, den))  # ∂C/∂W laid out as Wᵀ
                return Grad(COST, den)
            if is_matrix(num) and isinstance(num, NetQuantity) and isinstance(den, NetQuantity):
                if 1 not in num.shape or 1 not in den.shape:
                    raise Unchecked("a derivative of a matrix by a matrix (a tensor: informal)", node.span)
                if written:
                    self.usage.layout_dependent = True
                    if self.reading == "denominator":
                        return sp.Transpose(Jacobian(num, den))
                return Jacobian(num, den)
            raise Unchecked(f"the derivative of {self.source(node.children[0])}", node.span)
        if is_matrix(num):
            raise Unchecked("a derivative of a matrix by a scalar", node.span)
        if not _is_scalar_quantity(den, self.world):
            raise Unchecked(f"a derivative with respect to {self.source(node.children[1])}", node.span)
        if isinstance(den, Entry) and isinstance(den.of, NetQuantity) and den.of.kind == "delta":
            raise Unchecked("a derivative with respect to δ", node.span)
        num = entry_of_sample(num)
        if num != COST and not _is_scalar_quantity(num, self.world):
            if num.has(SampleCost) or num.has(Entry):
                return OperatorDerivative(num, den)  # ∂L_i/∂S[i,k]: through the forward pass
            raise Unchecked(f"the derivative of the expression {self.source(node.children[0])}", node.span)
        return Partial(num, den)

    def _build_pdop(self, node: Node) -> Any:
        wrt_node, body_node = node.children
        wrt = self.build(wrt_node)
        body = self.build(body_node)
        if is_matrix(body) and self._same_shape(body.shape, (1, 1)):
            body = Entry(body, 1, 1)  # ½‖a − y‖² = ½ (a − y)ᵀ(a − y): a 1 × 1 matrix, a number
        if is_matrix(body):
            raise Unchecked("the operator form ∂/∂v(…) of a matrix", node.span)
        if is_matrix(wrt):
            if not isinstance(wrt, NetQuantity):
                raise Unchecked(f"∂/∂({self.source(wrt_node)}) of an expression", node.span)
            return GradOf(body, wrt)  # ∂/∂W (½‖a − y‖²): the gradient in W's shape
        if not _is_scalar_quantity(wrt, self.world):
            raise Unchecked(f"a derivative with respect to {self.source(wrt_node)}", node.span)
        return OperatorDerivative(body, wrt)

    def _build_nabla(self, node: Node) -> Any:
        wrt_node, of_node = node.children
        if wrt_node.kind == "none":
            raise Unchecked("∇ without the variable it differentiates by", node.span)
        of = self.build(of_node)
        wrt = self.build(wrt_node)
        if _split_scale(of)[1] != COST:
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
        if var_node.kind != "sym" or not index_letter(var_node.value.name) or var_node.value.sub or var_node.value.sup:
            raise Unchecked(f"a sum over {self.source(var_node)}", node.span)
        var = index_symbol(index_letter(var_node.value.name))
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
        lo = self.index(lo_node) if lo_node is not None else sp.Integer(1)
        if upper.kind != "none":
            hi = self.index(upper)
        if var not in as_expr(body).free_symbols and not (is_matrix(body) and _mentions(body, var)):
            carried = self._free_indices(body)
            if len(carried) == 1 and upper.kind != "none" and self._ranges_over(carried[0], hi):
                # Σ_{k=1}^{m} x^{(i)}: the terms carry i and never k: the sum the post means is over i.
                var = carried[0]
                self.usage.notes.append(f"the sum over {var_node.value.name} is read as a sum over {var}, "
                                        "the index its terms carry")
                dims = self.usage.index_dims.pop(var, [])
        if upper.kind != "none":
            pass
        elif dims:
            concrete = [d for d in dims if as_expr(d).is_Integer]
            hi = min(concrete, key=int) if concrete and len(concrete) == len(dims) else dims[0]
        else:
            raise Unchecked(f"a sum over {var} without limits, where {var} indexes nothing", node.span)
        for d in dims:
            # Σ_{k=0}^{n} w_{jk} a_k with a_0 = 1 (biases folded in): the sum runs past the entries
            if as_expr(lo).is_Integer and int(lo) < 1 or (as_expr(hi).is_Integer and as_expr(d).is_Integer
                                                           and int(hi) > int(d)):
                raise Unchecked(f"the sum over {var} runs from {dim_text(lo)} to {dim_text(hi)}, past the entries "
                                f"1…{dim_text(d)} it indexes", node.span)
        key = ("limit", self.text, node)
        if not self.concrete and upper.kind == "num":
            self.decisions[key] = self._limit_names(int(upper.value), dims)
        if self.concrete:
            dims = {self.world.batch_symbol: self.world.dims[self.world.batch_symbol]} if self.world.batched else {}
            lo, hi = as_expr(lo).xreplace(dims), self.instance_number(as_expr(hi).xreplace(dims), self.decisions.get(key))
            for v in (lo, hi):
                if not as_expr(v).is_Integer:
                    raise Unchecked(f"the sum limit {dim_text(v)} has no value here", node.span)
            if int(hi) - int(lo) + 1 > MAX_SUM_TERMS:  # written out term by term on the instance
                raise Unchecked(f"a sum of more than {MAX_SUM_TERMS:,} terms", node.span)
        body = self._labels_of_summed_examples(body, var)
        if is_matrix(body):
            return MatSum(body, var, lo, hi)  # Σ_i dz^{(i)}: a sum of columns
        return sp.Sum(body, (var, lo, hi))

    def _labels_of_summed_examples(self, body: Any, var: sp.Symbol) -> Any:
        """Σ_i log P[i, y_i]: the class y_i changes with the example summed over. With one-hot targets,
        an expression of y_i is Σ_c Y[i, c] · (the expression at y_i = c)."""
        for label, sample in list(self.usage.labels.items()):
            if as_expr(sample) != var or label not in as_expr(body).free_symbols or is_matrix(body):
                continue
            c = index_symbol("c") if index_symbol("c") not in as_expr(body).free_symbols else sp.Dummy("c", integer=True)
            target = self.frame.y
            hot = Entry(target, var, c) if self.frame.class_axis == 1 else Entry(target, c, var)
            classes = self.frame.width(self.depth)
            if self.concrete:
                classes = as_expr(classes).xreplace({self.world.batch_symbol: self.world.dims[self.world.batch_symbol]}) \
                    if self.world.batched else classes
            body = sp.Sum(hot * body.xreplace({label: c}), (c, 1, classes))
            del self.usage.labels[label]
        return body

    def _ranges_over(self, var: sp.Symbol, hi: Any) -> bool:
        """Whether an index letter runs over a dimension equal to hi (the batch for Σ_{k=1}^{m})."""
        return any(self._dim_eq(d, hi) for d in self.usage.index_dims.get(var, []))

    def _limit_names(self, n: int, dims: list[Any]) -> Any:
        """Which size of the network a number written as a sum's limit is, judged by what its index
        runs over: "batch" (Σ_{i=1}^{5} over the examples), ("width", k), or None."""
        spec = self.world.spec
        batch = self.world.symbolic_frame.batch
        if self.world.batched and n == spec.batch and any(as_expr(d) == batch for d in dims):
            return "batch"
        for d in dims:
            d = as_expr(d)
            if d.is_Integer and int(d) == n:
                matches = [k for k, w in enumerate(spec.widths) if w == n]
                return ("width", matches[0]) if len(matches) == 1 else None
        return None

    def instance_number(self, value: Any, names: Any) -> Any:
        """A size written as a number (Σ_{i=1}^{5} over a batch of 5) on the smaller instance the truth
        is computed on: the instance's size of the same dimension."""
        if names == "batch":
            return sp.Integer(self.world.dims[self.world.batch_symbol])
        if isinstance(names, tuple):
            return sp.Integer(self.world.instance_spec.widths[names[1]])
        return value

    # -- shapes and families written below a group ----------------------------------------------------------
    def _build_shaped(self, node: Node) -> Any:
        """(…)_{m × n}: a matrix with its shape written below it (checked), or the m × 1 column of a
        scalar family, (∂a_i/∂z_i)_{n × 1}."""
        inner, rows_node, cols_node = node.children
        rows, cols = self.index(rows_node), self.index(cols_node)
        value = self.build(inner)
        if is_matrix(value):
            if not self._same_shape(value.shape, (rows, cols)):
                raise ShapeMismatch(f"shape mismatch: {self.source(inner)} is {shape_text(value, self.world)}, "
                                    f"written {dim_text(rows)} × {dim_text(cols)}", node.span,
                                    (shape_text(value, self.world), f"{dim_text(rows)} × {dim_text(cols)}"))
            return value
        free = self._free_indices(value)
        if len(free) != 1 or not (as_expr(cols) == 1 or as_expr(rows) == 1):
            raise Unchecked(f"a shape written below the scalar {self.source(inner)}", node.span)
        self.usage.index_dims.pop(free[0], None)  # the family binds its index
        family = Family(value, free[0], rows if as_expr(cols) == 1 else cols)
        return family if as_expr(cols) == 1 else sp.Transpose(family)

    def _build_family(self, node: Node) -> Any:
        """body_{i=1}^{n}: the column of a scalar family; diag(body)_{i=1}^{n} its diagonal matrix."""
        inner, var_node, lo_node, hi_node = node.children
        if var_node.kind != "sym" or not index_letter(var_node.value.name):
            raise Unchecked(f"a family over {self.source(var_node)}", node.span)
        if self.index(lo_node) != 1:
            raise Unchecked("a family that does not start at 1", node.span)
        var, size = index_symbol(index_letter(var_node.value.name)), self.index(hi_node)
        diag = inner.kind == "call" and inner.value.name in ("diag",) and len(inner.children) == 1
        body = self.build(inner.children[0] if diag else inner)
        if is_matrix(body):
            raise Unchecked("a family of matrices", node.span)
        self.usage.index_dims.pop(var, None)
        family = Family(body, var, size)
        return Diag(family) if diag else family

    def _free_indices(self, value: Any) -> list[sp.Symbol]:
        return sorted((s for s in as_expr(value).free_symbols if s in self.usage.index_dims and s not in self.bound),
                      key=str)

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
        call: Call = node.value
        name, primes = call.name, call.primes
        binding = self.map.binding(name)
        if binding is not None and binding.role == "cost":
            return self._cost_call(node, binding)
        if binding is not None and binding.role == "jacobian":
            return self._jacobian_call(node)
        if call.sup is not None and call.sup.transpose:
            raise Unchecked(f"a transposed function {name}", node.span)
        if name == "max" and len(node.children) == 1 and node.children[0].kind == "list":
            return self._max_of(node)
        if len(node.children) != 1 or node.children[0].kind == "list":
            raise Unchecked(f"the function {name} of several arguments", node.span)
        if name == "Sigma" and primes == 1 and binding is None and call.sub is None and call.sup is None \
                and self.map.sigma_prime_matrix:
            return self._sigma_prime_matrix(node)
        arg = self.build(node.children[0])
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
        if op == "activation-function":
            op = self.layer_activation(call, binding, arg, node)
        else:
            if call.sub is not None and not (_is_activation(op) and self._is_layer_script(call.sub)):
                raise Unchecked(f"a subscript on the function {name}", node.span)
            if op in rules.ACTIVATIONS:  # a registry entry's name, never one with a parameter set
                op = self.network_entry(op, node)
        if primes > 1:
            raise Unchecked("second derivatives are not checked", node.span)
        if _is_activation(op):
            act = rules.lookup_activation(op)
            layer = _layer_of_value(arg)
            if layer is not None and not as_expr(layer).is_Integer:
                self.usage.activations.append((layer, op))
            if not act.elementwise:
                if primes:
                    raise Unchecked("the derivative of softmax is a Jacobian, not softmax′", node.span)
                if not is_matrix(arg) or (1 not in arg.shape and not self.world.batched):
                    raise Unchecked("softmax of something that is not a vector", node.span)
                return Apply(op, arg, self.frame.class_axis)
            if is_matrix(arg):
                return ApplyPrime(op, arg) if primes else Apply(op, arg, self.frame.class_axis)
            return Prime(op, arg) if primes else rules.scalar_function(op)(arg)
        if primes:
            raise Unchecked(f"the derivative {name}′ is not checked", node.span)
        if op in ("log", "exp"):
            return Elementwise(op, arg) if is_matrix(arg) else (sp.log(arg) if op == "log" else sp.exp(arg))
        if op == "step":
            return Elementwise(op, arg) if is_matrix(arg) else sp.Heaviside(arg, 0)
        if op in ("cosh", "sech"):  # 1/cosh²(z) and sech²(z) = tanh′(z), by exp: cosh z = (eᶻ + e⁻ᶻ)/2
            cosh = (sp.MatMul(sp.Rational(1, 2), sp.MatAdd(Elementwise("exp", arg), Elementwise("exp", -arg)))
                    if is_matrix(arg) else (sp.exp(arg) + sp.exp(-arg)) / 2)
            if op == "cosh":
                return cosh
            return Quotient(sp.OneMatrix(*arg.shape), cosh) if is_matrix(arg) else 1 / cosh
        if op == "diag":
            if not is_matrix(arg) or 1 not in arg.shape:
                raise Unchecked("diag of something that is not a vector", node.span)
            return Diag(arg if arg.shape[1] == 1 else sp.Transpose(arg))
        if op == "vec":
            if not is_matrix(arg):
                raise Unchecked("vec of a scalar", node.span)
            return Vec(arg)
        if op == "sqrt":
            if is_matrix(arg) and self._is_square(arg):
                raise Unchecked("the square root of a square matrix: the matrix's own root or an element-wise one?",
                                node.span)
            if is_matrix(arg):  # √((σ^l)² + ε) of a vector: element by element
                return sp.HadamardPower(arg, sp.Rational(1, 2))
            return sp.sqrt(arg)
        raise Unchecked(f"the function {name}", node.span)

    def _sigma_prime_matrix(self, node: Node) -> Any:
        """Nielsen's Σ′(z^l): the diagonal matrix of the σ′(z^l_j), read only of a layer's pre-activation
        or activation (a column): Σ′ of anything else may be a function of the post's own."""
        arg = self.build(node.children[0])
        if not (isinstance(arg, NetQuantity) and arg.kind in ("z", "a")):
            raise Unchecked("Σ′ of something other than a layer's z or a", node.span)
        value = self.build(replace(node, value=replace(node.value, name="sigma")))
        if not is_matrix(value) or not self._dim_eq(value.shape[1], 1) or self._dim_eq(value.shape[0], 1):
            raise Unchecked("Σ′ of something that is not a column vector", node.span)
        return Diag(value)

    def _max_of(self, node: Node) -> Any:
        """max(0, z): ReLU, as CS231n writes it."""
        parts = node.children[0].children
        if len(parts) != 2 or not any(p.kind == "num" and p.value in ("0", "0.0") for p in parts):
            raise Unchecked("max of something other than 0 and one expression", node.span)
        arg = self.build(parts[1] if parts[0].kind == "num" else parts[0])
        if node.value.primes:
            return ApplyPrime("relu", arg) if is_matrix(arg) else Prime("relu", arg)
        return Apply("relu", arg, self.frame.class_axis) if is_matrix(arg) else rules.scalar_function("relu")(arg)

    def _is_layer_script(self, script: Script) -> bool:
        """σ^l, σ^{[L]}: a layer written on a function that is the same at every layer."""
        return script.expr is not None and script.expr.kind in ("sym", "num", "add")

    def network_entry(self, name: str, node: Node) -> str:
        """LeakyReLU is the network's own leaky-relu:0.2 where its layers set the slope: a post
        names the function, the network says its parameter."""
        spec = self.world.instance_spec if self.concrete else self.world.spec
        own = {l.activation for l in spec.layers if rules.lookup_activation(l.activation).family == name}
        if not own:
            return name
        if len(own) > 1 or any(l.activation == name for l in spec.layers):
            raise Unchecked(f"the network's layers give {name} different parameters: which one is meant",
                            node.span)
        return own.pop()

    def layer_activation(self, call: Call, binding: Binding, arg: Any, node: Node) -> str:
        """The activation of the layer a generic function names: g^{[l]}, f_l, or f(z^l) by its argument."""
        script = call.sup if call.sup is not None else call.sub
        if script is not None and script.expr is not None:
            layer = self.layer_of_node(script.expr, binding, node)
        else:
            layer = _layer_of_value(arg)
            if layer is None:
                raise Unchecked(f"{call.name} without the layer whose activation it is", node.span)
        layer = as_expr(layer).xreplace(self.layer_values) if self.concrete else as_expr(layer)
        spec = self.world.instance_spec if self.concrete else self.world.spec
        if layer.is_Integer:
            if not 1 <= int(layer) <= spec.depth:
                raise (OutOfRange() if self.concrete else Unchecked(f"layer {layer} has no activation", node.span))
            return spec.layers[int(layer) - 1].activation
        names = {l.activation for l in spec.layers}
        if len(names) == 1:
            return names.pop()
        hidden = {l.activation for l in spec.layers[:-1]}
        if layer == self.depth:
            return spec.layers[-1].activation
        if len(hidden) == 1:
            self.usage.hidden_only = True
            return hidden.pop()
        raise Unchecked(f"the activation of layer {dim_text(layer)} depends on the layer", node.span)

    def _jacobian_call(self, node: Node) -> Any:
        """J_x(f) = ∂f/∂x: rows = entries of f, columns = entries of x (J_W(L) of the scalar loss is the
        gradient in W's shape); J^T_x(f) its transpose."""
        call: Call = node.value
        if call.sub is None or call.sub.expr is None or len(node.children) != 1 or node.children[0].kind == "list":
            raise Unchecked(f"{call.name} without the variable it differentiates by (J_x(f))", node.span)
        if call.primes or (call.sup is not None and call.sup.expr is not None):
            raise Unchecked(f"scripts on the Jacobian {call.name}", node.span)
        wrt_node, of_node = call.sub.expr, node.children[0]
        value = self.derivative(self.build(of_node), self.build(wrt_node),
                                Node("pd", node.span, (of_node, wrt_node), "jacobian"))
        if call.sup is not None and call.sup.transpose:
            return sp.Transpose(value) if is_matrix(value) else value
        return value

    def _cost_call(self, node: Node, binding: Binding) -> Any:
        """C(W, b), \\mathcal{L}(a^L, y), L(a, y): the cost, whatever arguments it is shown with."""
        call: Call = node.value
        if call.primes:
            raise Unchecked(f"{call.name}′ of the cost", node.span)
        for child in node.children:
            for part in (child.children if child.kind == "list" else (child,)):
                try:
                    self.build(part)  # the arguments name quantities (and may make it one sample's)
                except (Unchecked, ShapeMismatch):
                    pass
        sym = Sym(call.name, sub=call.sub, sup=call.sup)
        return self._cost(sym, binding, node)

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


def _mentions(value: Any, var: sp.Symbol) -> bool:
    return any(var in as_expr(a).free_symbols for a in sp.preorder_traversal(value) if isinstance(a, sp.Basic)
               and not isinstance(a, MatrixExpr))


def _split_scale(value: Any) -> tuple[Any, Any]:
    """A cost written with a constant factor (the mean C/n): (factor, C); else (1, value)."""
    if isinstance(value, sp.Mul) and COST in value.args:
        rest = [a for a in value.args if a != COST]
        return sp.Mul(*rest), COST
    return sp.Integer(1), value


def _layer_of_value(value: Any) -> Any:
    """The layer of the quantity a function is applied to: f(z^l) is layer l's function."""
    for node in sp.preorder_traversal(value):
        if isinstance(node, NetQuantity) and node.kind in ("z", "a"):
            return node.layer
        if isinstance(node, sp.Symbol) and node.name[:1] == "z" and node.name[1:].isdigit():
            return None
    return None
