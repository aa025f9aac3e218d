r"""Stage 6, diagnose: the mutations, one function per usual mistake.

A mutation relates the correct step and the written one in one of two directions, whichever is
exact for that mistake:

- it applies the mistake to the *correct* result and compares with what was written (−x for a
  sign error, 2x for a factor, the softmax Jacobian with its off-diagonal terms dropped, another
  cost function, the formula of another weight);
- or it undoes the mistake in the *written* formula and compares with the correct result
  (transpose one factor back, swap two factors back, give σ′ its pre-activation back, …). These
  mistakes are their own inverse, or nearly, so undoing one in what was written is the same test
  as making it in the correct step, at whatever level of expansion the writer chose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import sympy as sp
from sympy.matrices.expressions import MatrixExpr

from .. import rules
from ..algebra import (
    Apply,
    ApplyPrime,
    Entry,
    Grad,
    Jacobian,
    NetQuantity,
    Partial,
    Prime,
    lift,
)
from ..quantities import COST, LAMBDA
from ..safe import as_expr
from ..verify import gradient_subject
from .build import Unchecked
from .case import (
    FUNCTION_NODES,
    Case,
    Finding,
    map_syms,
    printable,
    replace_at,
    value_of,
    walk,
)
from .parser import Node, Sym
from .usage import OutOfRange, ShapeMismatch, index_parts, is_matrix

# ----------------------------------------------------------------------------------------------
# Mutations
# ----------------------------------------------------------------------------------------------


def swapped_formulas(case: Case) -> Iterator[Finding]:
    """Mutation of the correct step: its subject replaced by another parameter's (the formula of
    ∂C/∂w36 written for ∂C/∂w35, of ∂C/∂W^l for ∂C/∂b^l)."""
    if case.ev is None:
        return
    anchors: dict[tuple, Any] = {}
    for layer_values, _ in case.ev.assignments:
        key = tuple(sorted(layer_values.items(), key=str))
        if key not in anchors:
            try:
                anchors[key] = case.judge.concrete(case.ref.node, layer_values, case.text)[0]
            except (Unchecked, OutOfRange, ShapeMismatch):
                return
    first = next(iter(anchors.values()))
    for n, _ in enumerate(_siblings(case, first)):
        values = []
        for layer_values, index_values in case.ev.assignments:
            anchor = anchors[tuple(sorted(layer_values.items(), key=str))]
            siblings = _siblings(case, anchor)
            if n >= len(siblings):
                break
            try:
                values.append(case.judge.explicit(siblings[n], index_values))
            except Unchecked:
                break
        else:
            if case.user_equals(values):
                symbolic = _siblings(case, case.ref.value) if case.world.general else _siblings(case, first)
                other = symbolic[n] if n < len(symbolic) else _siblings(case, first)[n]
                yield Finding({"other": case.show(other), "lhs": case.quote(case.ref.node)})
                return


def _siblings(case: Case, anchor: Any) -> list[Any]:
    """The other parameters' derivatives, in a fixed order."""
    symbolic = any(isinstance(q, NetQuantity) and not q.layer.is_Integer for q in sp.preorder_traversal(anchor))
    frame = case.world.symbolic_frame if symbolic else case.world.frame
    out: list[Any] = []
    if isinstance(anchor, Partial) and anchor.num == COST and isinstance(anchor.den, sp.Symbol):
        prefix = anchor.den.name.rstrip("0123456789")
        if prefix in ("w", "b"):
            out = [Partial(COST, b.symbol) for name, b in sorted(case.world.scalar_symbols.items())
                   if name.rstrip("0123456789") == prefix and b.symbol != anchor.den]
    elif isinstance(anchor, Grad) and isinstance(anchor.wrt, NetQuantity) and anchor.wrt.kind in ("W", "b"):
        q = anchor.wrt
        other_kind = "b" if q.kind == "W" else "W"
        try:
            out.append(Grad(COST, {"W": frame.W, "b": frame.b}[other_kind](q.layer)))
        except (ValueError, IndexError, TypeError):
            pass
        if not case.world.general and q.layer.is_Integer:
            for l in range(1, case.world.depth + 1):
                if l != int(q.layer):
                    out.append(Grad(COST, {"W": frame.W, "b": frame.b}[q.kind](sp.Integer(l))))
    return out


def other_cost(case: Case) -> Iterator[Finding]:
    """Mutation of the correct step: the network's cost (or its derivative) replaced by another
    cost of the registry."""
    if case.ev is None:
        return
    world = case.world
    verifier = world.verifier
    out, target = verifier.env[world.frame.a(sp.Integer(world.depth))], verifier.env[world.frame.y]
    own = rules.cost(world.instance_spec.cost)
    scale = world.frame.scale.xreplace({s: sp.Integer(v) for s, v in world.dims.items()})  # 1/n of a mean
    if case.about_cost():
        for cost in rules.COSTS.values():
            if cost.name == own.name:
                continue
            value = scale * sp.Add(*[cost.c.xreplace({rules.A: o, rules.Y: t}) for o, t in zip(out, target)])
            if case.ref_equals([value] * len(case.ev.values)):
                continue  # the two costs agree on this instance (Huber inside δ is quadratic)
            if case.user_equals([value] * len(case.ev.values)):
                yield Finding({"other": cost.name, "own": own.name})
                return
    subject = gradient_subject(case.anchor)
    if subject is not None and subject[0] == world.frame.a(sp.Integer(world.depth)) or (
            subject is not None and subject[0].kind == "a" and subject[0].layer == world.symbolic_depth()):
        for cost in rules.COSTS.values():
            if cost.name == own.name:
                continue
            grad = out.applyfunc(lambda o: o).copy()
            for n in range(len(out)):
                grad[n] = scale * cost.dc_da.xreplace({rules.A: out[n], rules.Y: target[n]})
            value = sp.ImmutableMatrix(grad)
            if value.shape == (1, 1):
                value = value[0, 0]
            if case.ref_equals([value] * len(case.ev.values)):
                continue
            if case.user_equals([value] * len(case.ev.values)):
                yield Finding({"other": f"the derivative of the {cost.name} cost", "own": own.name})
                return


def cost_without_square(case: Case) -> Iterator[Finding]:
    """Mutation of the correct cost: the square of (ŷ − y) dropped."""
    if case.ev is None or not case.about_cost():
        return
    world = case.world
    own = rules.cost(world.instance_spec.cost)
    if own.name != "quadratic":
        return
    verifier = world.verifier
    out, target = verifier.env[world.frame.a(sp.Integer(world.depth))], verifier.env[world.frame.y]
    for c in (sp.Rational(1, 2) * (rules.A - rules.Y), rules.A - rules.Y, sp.Rational(1, 2) * (rules.Y - rules.A),
              rules.Y - rules.A):
        value = sp.Add(*[c.xreplace({rules.A: o, rules.Y: t}) for o, t in zip(out, target)])
        if case.user_equals([value] * len(case.ev.values)):
            yield Finding({})
            return


def contradicted_convention(case: Case) -> Iterator[Finding]:
    """Mutation of the correct step: the weights read with the other index order than the one the
    post states."""
    found = case.judge.contradicts_convention(case.chain, case.k, case.text)
    if found is not None:
        _, stated, other, correct = found
        yield Finding({"stated": stated, "used": other}, printed=correct)


def _kind_map(expr: Any, world: Any, source: str, target: str) -> dict[Any, Any]:
    """Quantities of kind `source` (a or z) in expr, each mapped to the same layer's `target`."""
    mapping: dict[Any, Any] = {}
    for node in sp.preorder_traversal(expr):
        if isinstance(node, NetQuantity) and node.kind == source and not (source == "a" and node.layer == 0):
            mapping[node] = NetQuantity(target, node.layer, *node.shape)
        elif isinstance(node, sp.Symbol) and node.name in world.scalar_symbols:
            entry = world.scalar_symbols[node.name].entry
            q = entry.of
            if isinstance(q, NetQuantity) and q.kind == source and q.layer != 0:
                other = NetQuantity(target, q.layer, *q.shape)
                twin = [b.symbol for b in world.scalar_symbols.values() if b.entry == Entry(other, *entry.indices)]
                mapping[node] = twin[0] if twin else Entry(other, *entry.indices)
    return mapping


def ordered_xreplace(expr: Any, mapping: dict[Any, Any]) -> Any:
    """expr.xreplace(mapping), keeping products and sums in the order they were written."""
    if expr in mapping:
        return mapping[expr]
    if not expr.args or isinstance(expr, (NetQuantity, sp.Symbol, sp.MatrixBase)):
        return expr
    args = [ordered_xreplace(a, mapping) for a in expr.args]
    if all(a is b for a, b in zip(args, expr.args)):
        return expr
    if isinstance(expr, sp.Mul):
        return sp.Mul(*args, evaluate=False)
    if isinstance(expr, sp.Add):
        return sp.Add(*args, evaluate=False)
    return expr.func(*args)


def _function_nodes(expr: Any, classes: tuple) -> list[Any]:
    return [n for n in sp.preorder_traversal(expr) if isinstance(n, classes)]


def _rewrite_function_args(classes: tuple, source: str, target: str, world: Any) -> Callable[[Any], Any]:
    def rewrite(expr: Any) -> Any:
        changes = {}
        for fn in _function_nodes(expr, classes):
            arg = fn.args[1] if isinstance(fn, (Apply, ApplyPrime, Prime)) else fn.args[0]
            mapping = _kind_map(arg, world, source, target)
            if mapping:
                changes[fn] = ordered_xreplace(fn, mapping)
        return ordered_xreplace(expr, changes) if changes else expr
    return rewrite


def prime_argument(case: Case) -> Iterator[Finding]:
    """Undo σ′(a) → σ′(z): σ′ applied to the activation instead of the pre-activation, or the
    other way round; and σ(a) where σ(z) belongs."""
    for classes, source, target, what in (
            ((ApplyPrime, Prime), "a", "z", "σ′ applied to the activation instead of the pre-activation"),
            ((ApplyPrime, Prime), "z", "a", "σ′ applied to the pre-activation where the activation belongs"),
            ((Apply, rules.ActivationBase), "a", "z", "σ applied to the activation (σ(a) = σ(σ(z))) instead of the pre-activation")):
        fixed = case.fixes_value(_rewrite_function_args(classes, source, target, case.world))
        if fixed is not None:
            yield Finding({"what": what}, fixed_value=fixed)
            return


def _protect(expr: Any, classes: tuple) -> tuple[Any, dict[Any, Any]]:
    """Replace function applications by placeholders (so a rewrite leaves their arguments alone)."""
    holders: dict[Any, Any] = {}
    for n, fn in enumerate(_function_nodes(expr, classes)):
        if fn in holders.values():
            continue
        holder = sp.MatrixSymbol(f"_protected{n}", *fn.shape) if isinstance(fn, MatrixExpr) else sp.Dummy(f"p{n}")
        holders[holder] = fn
    return ordered_xreplace(expr, {v: k for k, v in holders.items()}), holders


def z_for_a(case: Case) -> Iterator[Finding]:
    """Undo a(1 − a) → z(1 − z): the derivative of σ written with the pre-activation in place of
    the activation."""
    def rewrite(expr: Any) -> Any:
        protected, holders = _protect(expr, FUNCTION_NODES + (Grad, Jacobian, Partial))
        mapping = _kind_map(protected, case.world, "z", "a")
        return ordered_xreplace(ordered_xreplace(protected, mapping), holders) if mapping else expr
    fixed = case.fixes_value(rewrite)
    if fixed is not None:
        yield Finding({}, fixed_value=fixed)


def f_prime_for_f(case: Case) -> Iterator[Finding]:
    """Undo f(1 − f) → f′(1 − f′): the derivative written where the function is meant."""
    calls = [path for path, node in walk(case.user.node) if node.kind == "call" and node.value.primes == 1]
    if not calls:
        return
    candidate = case.user.node
    for path in calls:
        node = _get(candidate, path)
        candidate = replace_at(candidate, path, replace(node, value=replace(node.value, primes=0)))
    if case.fixes(candidate):
        yield Finding({}, fixed=case.regrouped or candidate)


def wrong_layer(case: Case) -> Iterator[Finding]:
    """Undo a layer written wrong: σ′(z^L) where σ′(z^l) belongs."""
    layers: list[Node] = []
    sites: list[tuple[tuple[int, ...], Node, str]] = []
    for tree in (case.user.node, case.ref.node):
        for path, node in walk(tree):
            if node.kind != "sym":
                continue
            where = _layer_script(case, node)
            if where is None:
                continue
            script = getattr(node.value, where)
            if tree is case.user.node:
                sites.append((path, node, where))
            if all(_same_node(script.expr, other) is False for other in layers):
                layers.append(script.expr)
    for path, node, where in sites:
        script = getattr(node.value, where)
        for layer in layers:
            if _same_node(script.expr, layer):
                continue
            new = replace(node, value=replace(node.value, **{where: replace(script, expr=layer)}))
            candidate = replace_at(case.user.node, path, new)
            if case.fixes(candidate):
                yield Finding({"found": case.quote(node), "fixed": _sym_text(case, new)}, fixed=case.regrouped or candidate)
                return


def _layer_script(case: Case, node: Node) -> str | None:
    sym: Sym = node.value
    binding = case.map.binding(sym.name)
    if binding is None or binding.role not in ("weight", "bias", "preactivation", "activation", "error"):
        return None
    position = case.map.layer_index_of(binding)
    if position == "super" and sym.sup is not None and sym.sup.expr is not None:
        return "sup"
    if position == "sub" and sym.sub is not None and sym.sub.expr is not None and sym.sub.expr.kind != "list":
        return "sub"
    return None


def _same_node(a: Node | None, b: Node | None) -> bool:
    if a is None or b is None:
        return a is b
    if a.kind != b.kind or len(a.children) != len(b.children):
        return False
    va, vb = a.value, b.value
    if isinstance(va, Sym) and isinstance(vb, Sym):
        if (va.name, va.bold, va.primes) != (vb.name, vb.bold, vb.primes):
            return False
        for sa, sb in ((va.sub, vb.sub), (va.sup, vb.sup)):
            if (sa is None) != (sb is None):
                return False
            if sa is not None and (sa.transpose != sb.transpose or not _same_node(sa.expr, sb.expr)):
                return False
    elif va != vb:
        return False
    return all(_same_node(x, y) for x, y in zip(a.children, b.children))


def _sym_text(case: Case, node: Node) -> str:
    value = value_of(case, node)
    return case.show(value) if value is not None else ""


def other_activation(case: Case) -> Iterator[Finding]:
    """Mutation of the correct step: a layer's f′ replaced by another activation's derivative, as
    people write it: in the layer's output a where the registry has that form (ReLU's 1[a > 0]
    for a leaky ReLU), else in z."""
    if case.ev is None:
        return
    forms: list[Any] = []
    for layer_values, _ in case.ev.assignments:
        try:
            anchor = case.judge.concrete(case.ref.node, layer_values, case.text)[0]
        except (Unchecked, OutOfRange, ShapeMismatch):
            return
        form = _form_with_derivative(case, anchor)
        if form is None:
            return
        forms.append(form)
    primes = {n for n in sp.preorder_traversal(forms[0]) if isinstance(n, ApplyPrime)}
    own = {p.name for p in primes}
    for other in rules.ACTIVATIONS.values():
        if not other.elementwise or other.name in own:
            continue
        values = []
        for form, (_, index_values) in zip(forms, case.ev.assignments):
            swapped = {p: _derivative_written(other, p.arg) for p in sp.preorder_traversal(form)
                       if isinstance(p, ApplyPrime)}
            try:
                values.append(case.judge.explicit(form.xreplace(swapped), index_values))
            except Unchecked:
                return
        if case.user_equals(values):
            yield Finding({"other": other.text, "own": ", ".join(rules.lookup_activation(n).text for n in sorted(own))})
            return


def missing_weight_decay(case: Case) -> Iterator[Finding]:
    """Mutation of the correct step of a regularised cost: the L2 penalty's term λW (λ/n W for a
    mean) dropped from a parameter's gradient, or the penalty dropped from the cost."""
    if case.ev is None or not case.world.spec.l2:
        return
    values = []
    for layer_values, index_values in case.ev.assignments:
        try:
            anchor = case.judge.concrete(case.ref.node, layer_values, case.text)[0]
        except (Unchecked, OutOfRange, ShapeMismatch):
            return
        form = next((s.forms[-1] for s in case.world.instance.steps if s.lhs == anchor and s.forms[-1].has(LAMBDA)),
                    None)
        if form is None:
            return
        try:
            values.append(case.judge.explicit(form.xreplace({LAMBDA: 0}), index_values))
        except Unchecked:
            return
    if case.user_equals(values):
        yield Finding({})


def missing_dropout_mask(case: Case) -> Iterator[Finding]:
    """Mutation of the correct step of a network with dropout: the mask m^l (or its entry m^l_j)
    dropped from a step that carries it, such as δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ m^l ⊙ f′(z^l)."""
    if case.ev is None or not case.world.spec.dropout:
        return
    mutated = _mutated_step(case, _masks_in, _without_masks)
    if mutated is not None and case.user_equals(mutated[0]):
        yield Finding({"layer": str(sorted(int(m.layer) for m in _masks_in(mutated[1]))[0])})


def _mutated_step(case: Case, carries: Callable[[Any], Any], mutate: Callable[[Any], Any],
                  any_form: bool = False) -> tuple[list[Any], Any] | None:
    """The values of `mutate(form)` at every assignment of the case, with `form` the last form of
    the engine's step for the written one (with `any_form`, its last form that carries the mistake's
    site), and that form; None where the engine's step does not carry (`carries`) what the mistake
    leaves out, or the values cannot be computed."""
    anchors = _anchors(case)
    if anchors is None:
        return None
    values, form = [], None
    for anchor, index_values in anchors:
        form = next((f for s in case.world.instance.steps if s.lhs == anchor
                     for f in reversed(s.forms[1:] if any_form else s.forms[-1:]) if carries(f)), None)
        if form is None:
            return None
        try:
            values.append(case.judge.explicit(mutate(form), index_values))
        except Unchecked:
            return None
    return values, form


def _anchors(case: Case) -> list[tuple[Any, dict]] | None:
    """For each assignment of the case: the engine's quantity the written left side names there,
    and the assignment's index values; None where one cannot be read."""
    anchors = []
    for layer_values, index_values in case.ev.assignments:
        try:
            anchors.append((case.judge.concrete(case.ref.node, layer_values, case.text)[0], index_values))
        except (Unchecked, OutOfRange, ShapeMismatch):
            return None
    return anchors


def _masks_in(expr: Any) -> set[Any]:
    return {q for q in sp.preorder_traversal(expr) if isinstance(q, NetQuantity) and q.kind == "m"}


def _without_masks(expr: Any) -> Any:
    """expr with every dropout mask taken out of its products (a mask entry becomes 1)."""
    def strip(node: Any) -> Any:
        if isinstance(node, Entry) and isinstance(node.of, NetQuantity) and node.of.kind == "m":
            return sp.Integer(1)
        if isinstance(node, sp.HadamardProduct):
            kept = [strip(a) for a in node.args if not (isinstance(a, NetQuantity) and a.kind == "m")]
            return kept[0] if len(kept) == 1 else sp.HadamardProduct(*kept, evaluate=False)
        if not node.args or isinstance(node, NetQuantity):
            return node
        return node.func(*[strip(a) for a in node.args], evaluate=False) if isinstance(node, (sp.Add, sp.Mul)) \
            else node.func(*[strip(a) for a in node.args])

    return strip(expr)


def missing_residual_path(case: Case) -> Iterator[Finding]:
    """Mutation of the correct step of a network with a residual connection a^t = f(z^t) + a^l:
    the skip's direct path ∂C/∂a^t (or its entry ∂C/∂a^t_j) left out of ∂C/∂a^l or δ^l, as in
    δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ f′(z^l) for ((W^{l+1})ᵀ δ^{l+1} + ∂C/∂a^t) ⊙ f′(z^l)."""
    if case.ev is None or not case.world.spec.residual:
        return
    mutated = _mutated_step(case, _skips_in, _without_skips)
    if mutated is not None and case.user_equals(mutated[0]):
        later = min(_skips_in(mutated[1]))
        layer = case.world.spec.residual_from(later)
        yield Finding({"layer": str(layer), "later": str(later), "next": str(layer + 1)})


def _is_skip_term(term: Any) -> bool:
    """∂C/∂a^t or ∂C/∂a^t_j as a term of a sum: the path a residual connection adds."""
    if isinstance(term, Grad) and term.cost == COST and isinstance(term.wrt, NetQuantity):
        return term.wrt.kind == "a"
    return (isinstance(term, Partial) and term.num == COST and isinstance(term.den, Entry)
            and isinstance(term.den.of, NetQuantity) and term.den.of.kind == "a")


def _skips_in(expr: Any) -> set[int]:
    """The layers t whose ∂C/∂a^t is a term of a sum in expr."""
    found = set()
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Add, sp.MatAdd)):
            for term in node.args:
                if _is_skip_term(term):
                    found.add(int((term.wrt if isinstance(term, Grad) else term.den.of).layer))
    return found


def _without_skips(expr: Any) -> Any:
    """expr with every residual path's term taken out of its sums."""
    if isinstance(expr, (sp.Add, sp.MatAdd)):
        kept = [_without_skips(a) for a in expr.args if not _is_skip_term(a)]
        return kept[0] if len(kept) == 1 else expr.func(*kept, evaluate=False)
    if not expr.args or isinstance(expr, (NetQuantity, Entry, Grad, Partial)):
        return expr
    if isinstance(expr, (sp.Mul, sp.HadamardProduct, sp.MatMul)):
        return expr.func(*[_without_skips(a) for a in expr.args], evaluate=False)
    return expr.func(*[_without_skips(a) for a in expr.args])


def residual_prime_in_a(case: Case) -> Iterator[Finding]:
    """Mutation of the correct step: f′(z^l) of a layer with a skip into it (a^l = f(z^l) + a^j)
    written through its identity in a (σ′ = a(1 − a)), which holds only for a^l = f(z^l)."""
    spec = case.world.spec
    if case.ev is None or not spec.residual:
        return
    mutated = _mutated_step(case, lambda form: _primes_in_a(form, spec),
                            lambda form: ordered_xreplace(form, _primes_in_a(form, spec)))
    if mutated is not None and case.user_equals(mutated[0]):
        layer = min(int(_prime_z(node).layer) for node in _primes_in_a(mutated[1], spec))
        yield Finding({"layer": str(layer), "from": str(spec.residual_from(layer))})


def _prime_z(node: Any) -> Any:
    """The pre-activation z^l an f′ node takes (f′(z^l) or f′(z^l_j))."""
    arg = node.args[1]
    return arg.of if isinstance(arg, Entry) else arg


def _primes_in_a(expr: Any, spec: Any) -> dict[Any, Any]:
    """Each f′(z^l) (f′(z^l_j)) in expr of a layer with a skip into it, mapped to its registry
    form in a^l: the mistake of reading a^l as f(z^l)."""
    mapping = {}
    for node in sp.preorder_traversal(expr):
        if not isinstance(node, (ApplyPrime, Prime)):
            continue
        z = _prime_z(node)
        act = rules.activation(node.args[0].name)
        if not isinstance(z, NetQuantity) or spec.residual_from(int(z.layer)) is None or act.df_da is None:
            continue
        a = NetQuantity("a", z.layer, *z.shape)
        if isinstance(node, ApplyPrime):
            mapping[node] = lift(act.df_da, {rules.A: a})
        else:
            mapping[node] = act.df_da.xreplace({rules.A: Entry(a, *node.args[1].args[1:])})
    return mapping


def norm_prime_of_z(case: Case) -> Iterator[Finding]:
    """Mutation of the correct step of a normalisation layer: f′ taken at the pre-norm z^l instead of
    u^l, its activation's argument (a^l = f(u^l)), as in ∂C/∂u^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ f′(z^l)."""
    if case.ev is None or not case.world.spec.norm:
        return
    mutated = _mutated_step(case, _primes_of_u, lambda form: ordered_xreplace(form, _primes_of_u(form)), any_form=True)
    if mutated is not None and case.user_equals(mutated[0]):
        yield Finding({"layer": str(min(int(_prime_z(node).layer) for node in _primes_of_u(mutated[1])))})


def _primes_of_u(expr: Any) -> dict[Any, Any]:
    """Each f′(u^l) in expr mapped to f′(z^l): the mistake of a normalisation layer's f′ at z."""
    mapping = {}
    for node in sp.preorder_traversal(expr):
        if isinstance(node, ApplyPrime) and isinstance(node.args[1], NetQuantity) and node.args[1].kind == "u":
            u = node.args[1]
            mapping[node] = ApplyPrime(node.args[0].name, NetQuantity("z", u.layer, *u.shape))
    return mapping


#: The rules of the normalisation steps whose forms carry the 1/N of the mean and the variance.
NORM_COUNT_RULES = ("norm-mean", "norm-variance", "norm-mean-gradient", "norm-backward")


def missing_norm_count(case: Case) -> Iterator[Finding]:
    """Mutation of the correct step of a normalisation layer: the 1/N of its mean and variance (N the
    batch's n for batch norm, the layer's width for layer norm) left out of μ^l, (σ^l)² or δ^l (the
    paths' 2/N and 1/N, all or one, or the compact form's leading 1/N). Every form of the step is
    tried, whichever the writer expanded. (∂C/∂μ^l's −2/N multiplies Σ(z − μ) = 0: leaving it out
    changes nothing, so it is no mistake there.)"""
    if case.ev is None or not case.world.spec.norm:
        return
    anchors = _anchors(case)
    if anchors is None:
        return
    steps = []
    for anchor, index_values in anchors:
        step = next((s for s in case.world.instance.steps if s.lhs == anchor and s.rule in NORM_COUNT_RULES), None)
        if step is None:
            return
        steps.append((step, case.world.frame.norm_count(step.layer), index_values))
    for position in range(1, len(steps[0][0].forms)):
        for site in [None, *range(_MAX_COUNT_SITES)]:  # every 1/N at once, then each one alone
            mutated = [(step.forms[position], _without_count(step.forms[position], count, site), index_values)
                       for step, count, index_values in steps]
            if all(form == without for form, without, _ in mutated):
                break  # no such site in this form
            try:
                values = [case.judge.explicit(without, index_values) for _, without, index_values in mutated]
            except Unchecked:
                continue
            if case.user_equals(values):
                step, count, _ = steps[0]
                yield Finding({"layer": str(step.layer), "count": str(count)})
                return


#: The 1/N sites of one form tried one at a time (δ's three paths have two: 2/N and 1/N).
_MAX_COUNT_SITES = 4


def _without_count(expr: Any, count: Any, site: int | None = None) -> Any:
    """expr with the count N taken out of the coefficients it divides (1/N → 1, −2/N → −2): of every
    one (site None), or of the site-th only, in preorder."""
    seen = [0]

    def strip(node: Any) -> Any:
        if isinstance(node, (sp.Mul, sp.MatMul)):
            args = []
            for a in node.args:
                if _divides_by(a, count):
                    seen[0] += 1
                    args.append(a * count if site is None or seen[0] - 1 == site else a)
                else:
                    args.append(strip(a))
            return node.func(*args, evaluate=False) if isinstance(node, sp.Mul) else sp.MatMul(*args)
        if not node.args or isinstance(node, (NetQuantity, Entry, Grad, Partial)):
            return node
        if isinstance(node, (sp.Add, sp.HadamardProduct, sp.MatAdd)):
            return node.func(*[strip(a) for a in node.args], evaluate=False)
        return node.func(*[strip(a) for a in node.args])

    return strip(expr)


def _divides_by(coefficient: Any, count: Any) -> bool:
    """Whether a scalar coefficient of a product is a number over N (1/N, −2/N)."""
    if isinstance(coefficient, MatrixExpr) or not isinstance(coefficient, sp.Expr) or coefficient.free_symbols - \
            as_expr(count).free_symbols:
        return False
    return sp.fraction(sp.together(coefficient))[1].has(as_expr(count))


def _form_with_derivative(case: Case, anchor: Any) -> Any:
    """The engine's form of this step that applies an activation's derivative f′(z), if any."""
    subject = gradient_subject(anchor)
    for step in case.world.instance.steps:
        if step.lhs != anchor and (subject is None or gradient_subject(step.lhs) != subject):
            continue
        for form in step.forms[1:]:
            if any(isinstance(n, ApplyPrime) for n in sp.preorder_traversal(form)):
                return form
    return None


def _derivative_written(entry: rules.Activation, z: Any) -> Any:
    """entry′ at the pre-activation z, in the output a = f(z) of z's layer where it has that form."""
    if entry.df_da is None or not isinstance(z, NetQuantity):
        return ApplyPrime(entry.name, z)
    return lift(entry.df_da, {rules.A: NetQuantity("a", z.layer, *z.shape)})


def softmax_diagonal(case: Case) -> Iterator[Finding]:
    """Mutation of the correct step: the softmax Jacobian reduced to its diagonal ŷ ⊙ (1 − ŷ)."""
    world = case.world
    if case.ev is None or world.instance_spec.layers[-1].activation != "softmax" or world.batched:
        return
    L = sp.Integer(world.depth)
    a, z = world.frame.a(L), world.frame.z(L)
    verifier = world.verifier
    jac = verifier.resolve(Jacobian(a, z))
    diag_only = sp.diag(*[jac[k, k] for k in range(jac.rows)])
    candidates = []
    anchor = case.anchor
    if isinstance(anchor, Jacobian):
        candidates.append(sp.ImmutableMatrix(diag_only))
    subject = gradient_subject(anchor)
    if subject is not None and subject[0].kind == "z":
        g = verifier.resolve(Grad(COST, a))
        row = world.frame.row
        delta = (g * diag_only) if row else (diag_only * g)
        candidates.append(sp.ImmutableMatrix(delta))
    for value in candidates:
        if case.user_equals([value] * len(case.ev.values)):
            yield Finding({})
            return


def missing_batch_sum(case: Case) -> Iterator[Finding]:
    """Mutation of the correct step: the sum over the batch dropped (∂L/∂b = ∂L/∂Z)."""
    world = case.world
    if not world.batched:
        return
    if case.ev is not None:
        summed = []
        for ref, user in zip(case.ref_values, case.user_values):
            if not (is_matrix(user) and isinstance(user, sp.MatrixBase)):
                break
            if is_matrix(ref) and ref.shape == (1, user.cols) and user.rows > 1:
                summed.append(sp.ImmutableMatrix(1, user.cols, [sum(user[:, c]) for c in range(user.cols)]))
            elif is_matrix(ref) and ref.shape == (user.rows, 1) and user.cols > 1:
                summed.append(sp.ImmutableMatrix(user.rows, 1, [sum(user[r, :]) for r in range(user.rows)]))
            elif not is_matrix(ref) and user.shape[0] > 1 and 1 in user.shape:
                summed.append(sum(user))
            else:
                break
        else:
            if summed and case.ref_equals(summed):
                yield Finding({})
                return
    # Components: an index over the samples left free on the right only.
    if case.user.usage is None or case.ref.usage is None:
        return
    free = set(case.user.usage.index_dims) - set(case.ref.usage.index_dims)
    batch = world.symbolic_frame.batch
    for var in sorted(free, key=str):
        if any(as_expr(d) == batch for d in case.user.usage.index_dims[var]):
            index = Node("sym", case.user.node.span, (), Sym(var.name))
            candidate = Node("sum", case.user.node.span, (index, Node("none", case.user.node.span), case.user.node))
            if case.fixes(candidate):
                yield Finding({}, fixed=case.regrouped or candidate)
                return


def sign_error(case: Case) -> Iterator[Finding]:
    """Undo a sign: swap the two sides of a difference back (y − ŷ → ŷ − y), or negate."""
    for path, node in walk(case.user.node):
        if node.kind == "add" and len(node.children) == 2 and node.value == (1, -1):
            swapped = replace(node, children=node.children[::-1])
            candidate = replace_at(case.user.node, path, swapped)
            if case.fixes(candidate):
                yield Finding({"found": case.quote(node), "fixed": _text_of(case, swapped)}, fixed=case.regrouped or candidate)
                return
    if case.ev is not None and case.user_equals([-v for v in case.ref_values]):
        yield Finding({"found": case.quote(case.user.node), "fixed": ""})


def _text_of(case: Case, node: Node) -> str:
    value = value_of(case, node)
    return case.show(value) if value is not None else case.quote(node)


def factor_half_or_two(case: Case) -> Iterator[Finding]:
    """Mutation of the correct step: multiplied by 2 or by ½."""
    if case.ev is None:
        return
    for ratio in (sp.Rational(1, 2), sp.Integer(2), sp.Rational(1, 4), sp.Integer(4)):
        if case.user_equals([ratio * v for v in case.ref_values]):
            fixed = None
            value = printable(case, case.user.node) if not case.about_cost() else None
            if value is not None and not is_matrix(value) and not value.has(sp.Sum):
                fixed = rescaled(value, 1 / ratio)
            yield Finding({"ratio": str(ratio)}, fixed_value=fixed)
            return


def rescaled(value: Any, factor: Any) -> Any:
    """factor · value with the numbers combined and the written order kept: 2 · ½(ŷ − y) = ŷ − y."""
    args = list(value.args) if isinstance(value, sp.Mul) else [value]
    coeff = factor
    if args and args[0].is_Number:
        coeff = coeff * args.pop(0)
    if coeff == 1:
        return args[0] if len(args) == 1 else sp.Mul(*args, evaluate=False)
    return sp.Mul(coeff, *args, evaluate=False)


def _transpose_site(node: Node) -> Node:
    if node.kind == "transpose":
        return node.children[0]
    if node.kind == "sym" and node.value.sup is not None and node.value.sup.transpose:
        sup = node.value.sup
        new_sup = None if sup.expr is None and not sup.primes else replace(sup, transpose=False)
        return replace(node, value=replace(node.value, sup=new_sup))
    return Node("transpose", node.span, (node,))


def transposed_factor(case: Case) -> Iterator[Finding]:
    """Undo a transpose: one factor (or the whole side) transposed back; or every weight matrix
    read in the other layout."""
    user = case.user.node
    weight_names = set(case.map.names_for("weight"))
    weights = []
    for path, node in walk(user):
        if node.kind == "sym" and node.value.name in weight_names:
            weights.append(path)
    if len(weights) > 1:
        candidate = user
        for path in reversed(weights):
            node = _get(candidate, path)
            candidate = replace_at(candidate, path, _transpose_site(node))
        if case.fixes(candidate):
            yield Finding({"found": "every weight matrix", "fixed": "", "layout": "yes"}, fixed=case.regrouped or candidate)
            return
    for path, node in walk(user):
        if node.kind not in ("sym", "group", "transpose", "pd", "call", "matrix", "mul"):
            continue
        if node.kind == "mul" and path:
            continue
        if _inside_entry(user, path, ENTRY_BASE):
            continue  # transposing an entry's matrix swaps its indices: swapped-indices says so
        value = value_of(case, node)
        if value is None or not is_matrix(value) or value.shape == (1, 1):
            continue
        site = _transpose_site(node)
        candidate = replace_at(user, path, site)
        if case.fixes(candidate):
            if not path:
                yield Finding({"found": "the whole right-hand side", "fixed": ""})
                return
            is_weight = node.kind == "sym" and node.value.name in weight_names
            yield Finding({"found": case.quote(node), "fixed": _text_of(case, site),
                           "layout": "yes" if is_weight else ""}, fixed=case.regrouped or candidate)
            return


#: The children of an entry node: its base (X in (X)_{ki}), then its indices.
ENTRY_BASE, ENTRY_INDICES = 0, 1


def _inside_entry(root: Node, path: tuple[int, ...], child: int) -> bool:
    """Whether the path runs through that child of an entry: its indices ((X)_{ki} is no product) or its base."""
    node = root
    for i in path:
        if node.kind == "entry" and i == child:
            return True
        node = node.children[i]
    return False


def _get(node: Node, path: tuple[int, ...]) -> Node:
    for i in path:
        node = node.children[i]
    return node


def product_order(case: Case) -> Iterator[Finding]:
    """Undo a product written the wrong way round: swap two factors back."""
    for path, node in walk(case.user.node):
        if node.kind != "mul" or len(node.children) < 2 or _inside_entry(case.user.node, path, ENTRY_INDICES):
            continue
        orders = []
        n = len(node.children)
        for i in range(n - 1):
            order = list(range(n))
            order[i], order[i + 1] = order[i + 1], order[i]
            orders.append(order)
        if n > 2:
            orders.append(list(range(n))[::-1])
        for order in orders:
            swapped = replace(node, children=tuple(node.children[i] for i in order))
            candidate = replace_at(case.user.node, path, swapped)
            if case.fixes(candidate):
                yield Finding({"found": case.quote(node), "fixed": _text_of(case, swapped)}, fixed=case.regrouped or candidate)
                return


def swapped_indices(case: Case) -> Iterator[Finding]:
    """Undo two indices swapped: j and k exchanged on the right, or one entry's two indices."""
    if case.user.usage is None:
        return
    letters = sorted({s.name for s in case.user.usage.index_dims}, key=str)
    for i, p in enumerate(letters):
        for q in letters[i + 1:]:
            def swap(node: Node, p: str = p, q: str = q) -> Node:
                sym: Sym = node.value
                if sym.sub is None and sym.sup is None and sym.name in (p, q):
                    return replace(node, value=replace(sym, name=q if sym.name == p else p))
                return node
            candidate = map_syms(case.user.node, swap)
            if case.fixes(candidate):
                yield Finding({"found": f"{p} and {q}", "fixed": ""}, fixed=case.regrouped or candidate)
                return
    for path, node in walk(case.user.node):
        expr = None
        if node.kind == "sym" and node.value.sub is not None and node.value.sub.expr is not None:
            expr = node.value.sub.expr
        elif node.kind == "entry":
            expr = node.children[1]
        if expr is None:
            continue
        parts = index_parts(expr, 2)
        if len(parts) != 2 or not all(p.kind in ("sym", "num") for p in parts):
            continue
        new_expr = Node("list", expr.span, tuple(parts[::-1]))
        if node.kind == "sym":
            new = replace(node, value=replace(node.value, sub=replace(node.value.sub, expr=new_expr)))
        else:
            new = replace(node, children=(node.children[0], new_expr))
        candidate = replace_at(case.user.node, path, new)
        if case.fixes(candidate):
            yield Finding({"found": f"the indices of {case.quote(node)}", "fixed": ""}, fixed=case.regrouped or candidate)
            return




def batch_factor(case: Case) -> Iterator[Finding]:
    """Mutation of the correct step: scaled by 1/n or by n, the batch size (a mean's 1/m counted twice, or
    the 1/m of a mean cost missing)."""
    world = case.world
    if case.ev is None or not world.batched:
        return
    n = sp.Integer(world.dims[world.batch_symbol])
    for ratio, kind in ((1 / n, "twice"), (n, "missing")):
        if case.user_equals([ratio * v for v in case.ref_values]):
            yield Finding({"kind": kind})
            return


def term_sign(case: Case) -> Iterator[Finding]:
    """Undo a sign flipped inside one term of a sum: −y/a + (1 − y)/(1 − a) written with one sign
    turned."""
    for path, node in walk(case.user.node):
        if node.kind != "add" or len(node.children) < 2:
            continue
        for k in range(len(node.children)):
            signs = list(node.value)
            signs[k] = -signs[k]
            flipped = replace(node, value=tuple(signs))
            candidate = replace_at(case.user.node, path, flipped)
            if case.fixes(candidate):
                term = case.quote(node.children[k])
                sign = "+" if node.value[k] > 0 else "−"
                yield Finding({"term": term, "sign": sign}, fixed=case.regrouped or candidate)
                return


def sum_of_squares(case: Case) -> Iterator[Finding]:
    """Undo Σ u² written for (Σ u)², or the reverse: a square moved inside or outside a sum."""
    for path, node in walk(case.user.node):
        candidate_node = None
        if node.kind == "sum" and node.children[2].kind == "pow":
            body = node.children[2]
            inner = replace(node, children=(node.children[0], node.children[1], body.children[0]))
            group = Node("group", inner.span, (inner,), "(")
            candidate_node, found, fixed = replace(body, children=(group, body.children[1])), "a sum of squares", \
                "the square of the sum"
        elif node.kind == "pow" and _strip_group(node.children[0]).kind == "sum":
            total = _strip_group(node.children[0])
            squared = replace(node, children=(total.children[2], node.children[1]))
            candidate_node = replace(total, children=(total.children[0], total.children[1], squared))
            found, fixed = "the square of a sum", "the sum of the squares"
        if candidate_node is None:
            continue
        candidate = replace_at(case.user.node, path, candidate_node)
        if case.fixes(candidate):
            yield Finding({"found": found, "fixed": fixed, "written": case.quote(node)}, fixed=case.regrouped or candidate)
            return


def _strip_group(node: Node) -> Node:
    while node.kind == "group" and node.value in ("(", "["):
        node = node.children[0]
    return node


def input_for_activation(case: Case) -> Iterator[Finding]:
    """Undo the network's input x written where a hidden activation a^k belongs (∂C/∂W^2 with x in
    place of a^1: the input of layer 2 is a^1, not x)."""
    if case.user.value is None or case.world.depth < 2:
        return
    world = case.world
    x = world.symbolic_frame.x
    if not any(isinstance(q, NetQuantity) and q.kind == "x" for q in sp.preorder_traversal(case.user.value)):
        return
    for k in range(1, world.depth):
        layer = sp.Integer(k)
        activation = world.symbolic_frame.a(layer)

        def rewrite(expr: Any, layer: Any = layer) -> Any:
            found = [q for q in sp.preorder_traversal(expr) if isinstance(q, NetQuantity) and q.kind == "x"]
            mapping = {q: (world.frame if q == world.frame.x else world.symbolic_frame).a(layer) for q in found}
            return ordered_xreplace(expr, mapping) if found else expr

        fixed = case.fixes_value(rewrite, transposed=True)
        if fixed is not None:
            yield Finding({"layer": str(k), "activation": case.show(activation), "input": case.show(x)},
                          fixed_value=fixed)
            return


def missing_prime(case: Case) -> Iterator[Finding]:
    """Undo σ(z) written where σ′(z) belongs (also with a wrong layer on it: σ^l(z^l) for σ′(z^L))."""
    calls = [path for path, node in walk(case.user.node) if node.kind == "call" and node.value.primes == 0
             and _is_activation_call(case, node)]
    for path in calls:
        node = _get(case.user.node, path)
        primed = replace(node, value=replace(node.value, primes=1, sup=None))
        candidate = replace_at(case.user.node, path, primed)
        if case.fixes(candidate):
            yield Finding({"found": case.quote(node), "layer": ""}, fixed=case.regrouped or candidate)
            return
        for layered, found, fixed in _layer_variants(case, candidate):
            if case.fixes(layered):
                yield Finding({"found": case.quote(node), "layer": f"; and {found} where {fixed} belongs"},
                              fixed=case.regrouped or layered)
                return


def _is_activation_call(case: Case, node: Node) -> bool:
    binding = case.map.binding(node.value.name)
    if binding is not None:
        return binding.is_function
    return node.value.name in ("sigmoid", "ReLU", "relu", "tanh", "softplus", "sigma", "f", "g")


def _layer_variants(case: Case, tree: Node) -> Iterator[tuple[Node, str, str]]:
    """The tree with every layer written L turned into l (or l into L): the output layer's
    quantities in a formula for a general layer, or the reverse."""
    for source, target in (("L", "l"), ("l", "L")):
        changed = [False]

        def swap(node: Node, source: str = source, target: str = target) -> Node:
            sym: Sym = node.value
            if sym.name == source and sym.sub is None and sym.sup is None:
                changed[0] = True
                return replace(node, value=replace(sym, name=target))
            return node

        candidate = _map_layer_scripts(case, tree, swap)
        if changed[0]:
            yield candidate, source, target


def _map_layer_scripts(case: Case, tree: Node, fn: Callable[[Node], Node]) -> Node:
    """fn applied to the symbols inside the layer scripts of the tree's layered quantities."""
    def visit(node: Node) -> Node:
        if node.kind == "sym":
            where = _layer_script(case, node)
            if where is not None:
                script = getattr(node.value, where)
                new_expr = map_syms(script.expr, fn)
                return replace(node, value=replace(node.value, **{where: replace(script, expr=new_expr)}))
            return node
        if node.kind == "call" and node.children:
            return replace(node, children=tuple(visit(c) for c in node.children))
        if not node.children:
            return node
        return replace(node, children=tuple(visit(c) for c in node.children))
    return visit(tree)


def output_layer_error(case: Case) -> Iterator[Finding]:
    """Undo the output layer's quantities (δ^L, a^{L−1}) written in a formula for a general layer l:
    every L turned into l at once."""
    for candidate, found, fixed in _layer_variants(case, case.user.node):
        if found == "L" and case.fixes(candidate):
            yield Finding({"found": case.quote(case.user.node), "fixed": case.show(value_of(case, candidate))},
                          fixed=case.regrouped or candidate)
            return


def missing_activation_derivative(case: Case) -> Iterator[Finding]:
    """Undo a σ′(z) factor left out: (a^L − y) where (a^L − y) ⊙ σ′(z^L) belongs."""
    value = case.user.value
    if value is None or not is_matrix(value):
        return
    for n in range(len(_layers_in(value))):
        def rewrite(expr: Any, n: int = n) -> Any:
            layers = _layers_in(expr)
            if not is_matrix(expr) or n >= len(layers):
                return expr
            layer = layers[n]
            concrete = as_expr(layer).is_Integer and not case.world.general or all(
                as_expr(d).is_Integer for q in sp.preorder_traversal(expr) if isinstance(q, NetQuantity)
                for d in q.shape[:1])
            frame = case.world.frame if concrete else case.world.symbolic_frame
            act = frame.activation(layer).name
            z = frame.z(layer)
            if act == "softmax" or tuple(expr.shape) != tuple(z.shape):
                return expr
            return sp.HadamardProduct(expr, ApplyPrime(act, z), evaluate=False)

        fixed = case.fixes_value(rewrite)
        if fixed is not None:
            layer = _layers_in(value)[n]
            frame = case.world.symbolic_frame
            yield Finding({"sigma": case.show(ApplyPrime(frame.activation(layer).name, frame.z(layer)))},
                          fixed_value=fixed)
            return


def _layers_in(expr: Any) -> list[Any]:
    """The layers of the activations and errors a statement names, in a fixed order."""
    return sorted({q.layer for q in sp.preorder_traversal(expr) if isinstance(q, NetQuantity)
                   and q.kind in ("a", "z", "delta") and q.layer != 0}, key=str)


def previous_activation(case: Case) -> Iterator[Finding]:
    """Undo an activation one layer off: a^l where a^{l−1}, the input of layer l, belongs (and the
    network's input x for a^0)."""
    value = case.user.value
    if value is None:
        return
    layers = sorted({q.layer for q in sp.preorder_traversal(value) if isinstance(q, NetQuantity) and q.kind == "a"
                     and q.layer != 0}, key=str)
    for n in range(len(layers)):
        def rewrite(expr: Any, n: int = n) -> Any:
            found = sorted({q for q in sp.preorder_traversal(expr) if isinstance(q, NetQuantity) and q.kind == "a"
                            and q.layer != 0}, key=lambda q: str(q.layer))
            if n >= len(found):
                return expr
            q = found[n]
            concrete = as_expr(q.layer).is_Integer and all(as_expr(d).is_Integer or d == case.world.batch_symbol
                                                           for d in q.shape)
            frame = case.world.frame if concrete else case.world.symbolic_frame
            return ordered_xreplace(expr, {q: frame.a(q.layer - 1)})

        fixed = case.fixes_value(rewrite)
        if fixed is not None:
            frame = case.world.symbolic_frame
            yield Finding({"found": case.show(frame.a(layers[n])), "fixed": case.show(frame.a(layers[n] - 1))},
                          fixed_value=fixed)
            return
