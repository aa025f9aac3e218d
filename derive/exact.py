"""Deciding exactly that an expression is zero: the last step of every proof.

A proof obligation is a difference of two expressions built from the same forward pass, so both
contain the same applied functions (σ of the same argument). Taking each applied function as one
more independent variable leaves a rational function in those variables, which is zero exactly
when its numerator is the zero polynomial, decided by exact arithmetic over the rationals. (What
vanishes with the functions taken independent vanishes for the actual functions too, so "zero"
is a proof; "not zero" may only mean a relation between functions was needed.)

A square root is one more generator of the same kind: a normalisation layer divides by
√(σ² + ε), so its statements hold powers v^(k/2) of a positive v = σ² + ε. Each is rewritten
through the one generator s = v^(−1/2): v^(−k/2) = s^k (also for an even k: SymPy joins s · s into
1/v) and v^(k/2) = v^((k+1)/2) s for odd k > 0, identities for every v > 0. The numerator is then a polynomial in s and the other generators;
taking s independent of them (forgetting only s² v = 1) is sound as before: a numerator that is
the zero polynomial vanishes at the actual s too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp
import sympy.polys.rings

from .safe import as_expr


def is_identically_zero(expr: sp.Expr) -> bool:
    """Decide expr == 0 exactly, for one proof obligation (see `first_nonzero`)."""
    return first_nonzero([expr]) is None


def first_nonzero(exprs: list[sp.Expr],
                  converters: dict[tuple, Callable[[sp.Basic], tuple[Any, Any]]] | None = None) -> int | None:
    """The index of the first expression that is not identically zero, or None if all are.

    Obligations compare expressions built from the same forward pass, so both sides contain the
    same applied functions (σ of the same argument). Taking each applied function as one more
    independent variable leaves rational functions in those variables; such a function is zero
    exactly when its numerator is the zero polynomial. (What vanishes with the functions taken
    independent vanishes for the actual functions too, so a "zero" answer is a proof.) All the
    obligations of a step share one polynomial ring and one conversion memo: their subexpressions
    repeat. A caller deciding many steps on one network passes the same `converters` to every
    call: a step whose generators are those of an earlier one reuses its ring and memo (the
    same conversion, so the same decision; the steps of a post mostly share the whole forward pass).
    """
    exprs = [as_expr(e) for e in exprs]
    pending = [i for i, e in enumerate(exprs) if e != 0]
    if not pending:
        return None
    atoms: set = set()
    for i in pending:
        atoms |= function_atoms(exprs[i])
    symbols: set = set()
    for i in pending:
        symbols |= _free_symbols_outside(exprs[i], atoms)
    gens = sorted(atoms | symbols, key=sp.default_sort_key)
    if not gens:
        for i in pending:
            if sp.simplify(exprs[i]) != 0:
                return i
        return None
    key = tuple(gens)
    if converters is None:
        convert = _fraction_converter(gens)
    elif key in converters:
        convert = converters[key]
    else:
        convert = converters[key] = _fraction_converter(gens)
    for i in pending:
        numerator, _ = convert(exprs[i])
        if numerator != 0:
            return i
    return None


class ZeroTest:
    """`first_nonzero` with one polynomial ring and one conversion memo kept across calls.

    A verifier's obligations share most of their subexpressions (the forward pass, the truths
    of earlier steps), so converting each distinct one once, for all of them, is most of the
    saving. The ring grows when an obligation brings generators it has not seen (its memo
    starts afresh then); the decision is the same as `first_nonzero`'s.
    """

    def __init__(self, seed: Callable[[], list[sp.Basic]] | None = None) -> None:
        """`seed` gives expressions whose generators the ring starts with; it is called only
        when a first obligation is not already 0 (most obligations cancel as they are built)."""
        self.gens: set[sp.Basic] = set()
        self._convert: Callable[[sp.Basic], tuple[Any, Any]] | None = None
        self._seed = seed

    def _add_generators_of(self, exprs: list[sp.Basic]) -> bool:
        atoms: set = set()
        for e in exprs:
            atoms |= function_atoms(e)
        symbols: set = set()
        for e in exprs:
            symbols |= _free_symbols_outside(e, atoms)
        new = (atoms | symbols) - self.gens
        if new:
            self.gens |= new
            self._convert = _fraction_converter(sorted(self.gens, key=sp.default_sort_key))
        return bool(new)

    def first_nonzero(self, exprs: list[sp.Expr]) -> int | None:
        exprs = [as_expr(e) for e in exprs]
        for i, expr in enumerate(exprs):
            if expr != 0 and not self._is_zero(expr):
                return i
        return None

    def _is_zero(self, expr: sp.Expr) -> bool:
        if self._seed is not None:
            seed, self._seed = self._seed, None
            self._add_generators_of(seed())
        for _ in range(2):
            if self._convert is not None:
                try:
                    return self._convert(expr)[0] == 0
                except ValueError:
                    pass
            if not self._add_generators_of([expr]):
                break
        return first_nonzero([expr]) is None  # no rational function of generators: decide it alone


def _free_symbols_outside(expr: sp.Basic, atoms: set) -> set:
    """The symbols outside the function atoms, and the irrational constants (√2, π of a GELU
    derivative): each is one more generator, as independent of the others as a symbol."""
    seen, found, stack = set(), set(), [expr]
    while stack:
        node = stack.pop()
        if node in seen or node in atoms:
            continue
        seen.add(node)
        if node.is_Symbol or isinstance(node, sp.NumberSymbol) or (
                node.is_Pow and node.is_number and not node.exp.is_Integer):
            found.add(node)
            continue
        if _half_power(node):  # v^(k/2): the generator v^(−1/2), and v's own generators
            found.add(_root_generator(node.base))
            stack.append(node.base)
            continue
        stack.extend(node.args)
    return found


def _half_power(node: sp.Basic) -> bool:
    """Whether node is v^(k/2) for an odd k and a v that is not a number (a square root to rewrite)."""
    return bool(node.is_Pow and not node.base.is_number and node.exp.is_Rational and node.exp.q == 2)


def _root_generator(base: sp.Basic) -> sp.Basic:
    """s = v^(−1/2), the generator every power v^(k/2) is written in (see the module's docstring)."""
    return sp.Pow(base, sp.Rational(-1, 2), evaluate=False)


def function_atoms(expr: sp.Basic) -> set[sp.Basic]:
    """The applied functions in expr (outermost and nested), visiting shared subtrees once."""
    seen: set[sp.Basic] = set()
    found: set[sp.Basic] = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, sp.Function):
            found.add(node)
        stack.extend(node.args)
    return found


def _fraction_converter(gens: list[sp.Basic]) -> Callable[[sp.Basic], tuple[Any, Any]]:
    """Convert expressions to numerator / (product of denominator factors) over Q[gens],
    memoising shared subtrees.

    No polynomial gcds are taken (they are what makes SymPy's own simplification slow); instead
    each denominator is kept as a product of the factors it was built from (a, 1 − a, Σ e^z, …),
    and sums are brought to the least common multiple of those factor lists. Obligations reuse
    the same few factors, so numerators stay small. The value is zero exactly when the numerator
    is the zero polynomial.
    """
    ring, *generators = sp.polys.rings.ring(gens, sp.QQ)
    position = dict(zip(gens, generators))
    one = ring(1)
    memo: dict[sp.Basic, tuple[Any, dict]] = {}

    def times(factors: dict, exclude: dict) -> Any:
        result = one
        for factor, exponent in factors.items():
            extra = exponent - exclude.get(factor, 0)
            if extra:
                result = result * factor**extra
        return result

    def add(x: tuple[Any, dict], y: tuple[Any, dict]) -> tuple[Any, dict]:
        if x[1] == y[1]:
            return x[0] + y[0], x[1]
        common = dict(x[1])
        for factor, exponent in y[1].items():
            common[factor] = max(common.get(factor, 0), exponent)
        return x[0] * times(common, x[1]) + y[0] * times(common, y[1]), common

    def invert(value: tuple[Any, dict], k: int) -> tuple[Any, dict]:
        num, den = value
        if num == 0:
            raise ValueError("division by zero in a proof obligation")
        numerator = times(den, {}) ** k if den else one
        if num.is_ground:
            return numerator * (one / num) ** k if num != 1 else numerator, {}
        lead = num.LC
        monic = num.monic()  # one factor for p and for every multiple of p
        return numerator * ring(1 / lead) ** k, {monic: k}

    def walk(node: sp.Basic) -> tuple[Any, dict]:
        if node in memo:
            return memo[node]
        if node in position:
            result: tuple[Any, dict] = (position[node], {})
        elif node.is_Rational:
            result = (ring(node), {})
        elif node.is_Add:
            result = (ring(0), {})
            for arg in node.args:
                result = add(result, walk(arg))
        elif node.is_Mul:
            num, den = one, {}
            for arg in node.args:
                n, d = walk(arg)
                num = num * n
                for factor, exponent in d.items():
                    den[factor] = den.get(factor, 0) + exponent
            result = (num, den)
        elif (_half_power(node) or (node.is_Pow and node.exp.is_Integer and node.exp < 0)) and \
                _root_generator(node.base) in position:
            root, k = position[_root_generator(node.base)], int(node.exp * 2)
            if k < 0:  # v^(k/2) = s^(−k), also for an even k (v^(−1) = s²: SymPy joins s · s into 1/v)
                result = (root ** -k, {})
            else:  # v^(k/2) = v^((k+1)/2) s
                n, d = walk(node.base)
                half = (k + 1) // 2
                result = (n**half * root, {f: e * half for f, e in d.items()})
        elif node.is_Pow and node.exp.is_Integer:
            k = int(node.exp)
            n, d = walk(node.base)
            if k >= 0:
                result = (n**k, {f: e * k for f, e in d.items()})
            else:
                result = invert((n, d), -k)
        else:
            raise ValueError(f"not a rational function of the generators: {node}")
        memo[node] = result
        return result

    return walk
