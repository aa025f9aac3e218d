"""Derivatives and rewrites of scalar expressions whose subexpressions repeat.

Expressions from a forward pass share subtrees massively (σ(z) appears in every term of every
later layer). SymPy's `diff`, `xreplace` and `atoms` walk them as trees; these walk each
distinct node once. The derivatives apply SymPy's own rules (sum, product, power, and a
function's `fdiff`), so they equal `sp.diff` (tests check it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import sympy as sp
from sympy.core.symbol import Str

from .safe import as_expr


def shared_xreplace(expr: sp.Basic, mapping: Mapping[sp.Basic, sp.Basic],
                    memo: dict[sp.Basic, sp.Basic] | None = None) -> sp.Basic:
    """expr.xreplace(mapping), rebuilding each distinct subtree once (across calls that pass
    the same `memo`)."""
    return shared_transform(expr, mapping.get, memo)


def shared_transform(expr: sp.Basic, replace: Callable[[sp.Basic], sp.Basic | None],
                     memo: dict[sp.Basic, sp.Basic] | None = None) -> sp.Basic:
    """Rebuild expr top-down: where replace(node) gives a value, it stands for the whole node."""
    memo = {} if memo is None else memo

    def walk(node: sp.Basic) -> sp.Basic:
        if node in memo:
            return memo[node]
        result = replace(node)
        if result is None:
            if node.args and not isinstance(node, (Str, sp.Symbol)):
                args = [walk(a) for a in node.args]
                result = node if all(a is b for a, b in zip(args, node.args)) else node.func(*args)
            else:
                result = node
        memo[node] = result
        return result

    return walk(expr)


def scalar_gradient(expr: sp.Expr, variables: list[sp.Basic]) -> list[sp.Expr]:
    """d expr / d v for every variable v at once: `scalar_derivative`'s rules (sum, product,
    power, and a function's own `fdiff`), accumulated in one backward sweep over the distinct
    subexpressions instead of one forward sweep per variable (reverse accumulation: each node
    passes its adjoint times its local derivative to each argument that depends on a variable).
    Tests check it against `sp.diff`.

    A variable may also be a subexpression (say σ(v) for a symbol v): its derivative is taken
    with the node as a variable of its own, which is the derivative with respect to what the
    node stands for whenever nothing but that quantity can produce the node.
    """
    expr = as_expr(expr)
    targets = set(variables)
    depends: dict[sp.Basic, bool] = {}
    order: list[sp.Basic] = []  # every node that depends on a variable, arguments before their node
    stack: list[tuple[sp.Basic, bool]] = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            depends[node] = node in targets or any(depends[a] for a in node.args)
            if depends[node]:
                order.append(node)
        elif node not in depends:
            depends[node] = False  # visited; settled when its arguments are
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if a not in depends)
    found: dict[sp.Basic, sp.Expr] = {}
    terms: dict[sp.Basic, list[sp.Expr]] = {expr: [sp.Integer(1)]}
    for node in reversed(order):
        adjoint = sp.Add(*terms.pop(node, []))
        if node in targets:
            found[node] = adjoint
        if adjoint == 0 or not any(depends[a] for a in node.args):
            continue
        for arg, local in _local_derivatives(node, depends):
            terms.setdefault(arg, []).append(adjoint * local)
    return [found.get(v, sp.Integer(0)) for v in variables]


def _local_derivatives(node: sp.Basic, depends: Mapping[sp.Basic, bool]) -> list[tuple[sp.Basic, sp.Expr]]:
    """(argument, ∂node/∂argument) for each argument of node that depends on a variable."""
    args = node.args
    if node.is_Add:
        return [(a, sp.Integer(1)) for a in args if depends[a]]
    if node.is_Mul:
        return [(a, sp.Mul(*args[:i], *args[i + 1:])) for i, a in enumerate(args) if depends[a]]
    if node.is_Pow:
        base, exp = args
        out = []
        if depends[base]:
            out.append((base, exp * base ** (exp - 1) if not depends[exp] else node * exp / base))
        if depends[exp]:
            out.append((exp, node * sp.log(base)))
        return out
    if isinstance(node, sp.Function):
        return [(a, node.fdiff(i + 1)) for i, a in enumerate(args) if depends[a]]
    raise ValueError(f"no derivative rule for {type(node).__name__} in a proof: {node}")


def scalar_derivative(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    """d expr / d var with SymPy's own rules, applied once per distinct subexpression.

    The same sum, product, power and chain rules `sp.diff` applies (a function's derivative comes
    from its `fdiff`), but memoised: the expanded cost of a network repeats each σ(z) in every
    later term, and `sp.diff` re-walks every repetition. Tests check it against `sp.diff`.
    """
    depends: dict[sp.Basic, bool] = {}

    def has_var(node: sp.Basic) -> bool:
        if node not in depends:
            depends[node] = node == var or any(has_var(a) for a in node.args)
        return depends[node]

    memo: dict[sp.Basic, sp.Expr] = {}

    def d(node: sp.Basic) -> sp.Expr:
        if node in memo:
            return memo[node]
        if node == var:
            result: sp.Expr = sp.Integer(1)
        elif not has_var(node):
            result = sp.Integer(0)
        elif node.is_Add:
            result = sp.Add(*[d(a) for a in node.args])
        elif node.is_Mul:
            terms = []
            for i, factor in enumerate(node.args):
                if has_var(factor):
                    terms.append(sp.Mul(*node.args[:i], d(factor), *node.args[i + 1:]))
            result = sp.Add(*terms)
        elif node.is_Pow:
            base, exp = node.args
            if not has_var(exp):
                result = exp * base ** (exp - 1) * d(base)
            else:
                result = node * (d(exp) * sp.log(base) + exp * d(base) / base)
        elif isinstance(node, sp.Function):
            terms = []
            for i, arg in enumerate(node.args):
                if has_var(arg):
                    terms.append(node.fdiff(i + 1) * d(arg))
            result = sp.Add(*terms)
        else:
            result = sp.diff(node, var)
        memo[node] = result
        return result

    return d(as_expr(expr))
