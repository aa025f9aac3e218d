"""The neuron-numbered scalar view of a small network (the `two-two-two` post's notation).

Neurons are numbered 1..n across layers (inputs 1, 2; hidden 3, 4; outputs 5, 6) and a weight is
named by its pair: w35 goes from neuron 3 to neuron 5. Inputs are x1, x2, targets y1, y2 and
outputs ŷ1, ŷ2 (numbered within the output layer, as posts do). Every scalar symbol is bound to
the matrix entry it names, so each scalar result is verified exactly like the matrix ones and is
linked to the entry of ∂C/∂W it equals under both weight layouts:

- rows = destination: W^l_{jk} is the weight from neuron k of layer l-1 to neuron j of layer l
  (z = W a), so ∂C/∂w35 is entry (1, 1) of ∂C/∂W² and ∂C/∂w36 entry (2, 1);
- rows = source: the writer packs [[w35, w36], [w45, w46]] = (W²)ᵀ (z = (W²)ᵀ-packed ᵀ a), and
  ∂C/∂w36 is entry (1, 2) of ∂C/∂(W²)ᵀ = a¹ (δ²)ᵀ.
"""

from __future__ import annotations

import sympy as sp

from . import rules
from .algebra import Entry, Grad, Partial
from .derivation import ScalarBinding, Step
from .quantities import COST, Frame

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _bind(name: str, latex: str, text: str, entry: Entry) -> ScalarBinding:
    return ScalarBinding(sp.Symbol(name, real=True), latex, text, entry)


def _ordered(*factors: sp.Expr) -> sp.Expr:
    """A product in the order written; nested products are flattened, factors of 1 dropped."""
    flat: list[sp.Expr] = []
    for f in factors:
        flat.extend(f.args if isinstance(f, sp.Mul) and not f.args[0].is_Number else [f])
    factors = tuple(f for f in flat if f != 1)
    if not factors:
        return sp.Integer(1)
    return factors[0] if len(factors) == 1 else sp.Mul(*factors, evaluate=False)


def scalar_view_steps(f: Frame) -> tuple[list[Step], tuple[ScalarBinding, ...]]:
    spec = f.spec
    widths = spec.widths
    depth = spec.depth
    first = [1]
    for w in widths[:-1]:
        first.append(first[-1] + w)
    neuron = lambda layer, p: first[layer] + p - 1  # 1-based neuron number of index p in a layer

    bindings: list[ScalarBinding] = []
    value: dict[tuple[int, int], sp.Symbol] = {}  # (layer, index) -> activation symbol
    pre: dict[tuple[int, int], sp.Symbol] = {}
    out_name = spec.notation.output
    for p in range(1, widths[0] + 1):
        b = _bind(f"x{p}", f"x_{{{p}}}", f"x{str(p).translate(_SUB)}", Entry(f.input, p))
        bindings.append(b)
        value[(0, p)] = b.symbol
    for l in range(1, depth + 1):
        L = sp.Integer(l)
        for p in range(1, widths[l] + 1):
            n = neuron(l, p)
            zb = _bind(f"z{n}", f"z_{{{n}}}", f"z{str(n).translate(_SUB)}", Entry(f.z(L), p))
            if l == depth and out_name == "yhat":
                ab = _bind(f"yhat{p}", rf"\hat{{y}}_{{{p}}}", f"ŷ{str(p).translate(_SUB)}", Entry(f.a(L), p))
            else:
                ab = _bind(f"a{n}", f"a_{{{n}}}", f"a{str(n).translate(_SUB)}", Entry(f.a(L), p))
            bindings += [zb, ab]
            pre[(l, p)], value[(l, p)] = zb.symbol, ab.symbol
    targets = {}
    for p in range(1, widths[-1] + 1):
        b = _bind(f"y{p}", f"y_{{{p}}}", f"y{str(p).translate(_SUB)}", Entry(f.y, p))
        bindings.append(b)
        targets[p] = b.symbol
    weights: dict[tuple[int, int, int], sp.Symbol] = {}
    biases: dict[tuple[int, int], sp.Symbol] = {}
    for l in range(1, depth + 1):
        L = sp.Integer(l)
        for q in range(1, widths[l] + 1):
            for p in range(1, widths[l - 1] + 1):
                src, dst = neuron(l - 1, p), neuron(l, q)
                b = _bind(f"w{src}{dst}", f"w_{{{src}{dst}}}", f"w{src}{dst}".translate(_SUB),
                          f.weight_entry(L, p, q))
                bindings.append(b)
                weights[(l, p, q)] = b.symbol
            if f.has_bias(L):
                n = neuron(l, q)
                b = _bind(f"b{n}", f"b_{{{n}}}", f"b{str(n).translate(_SUB)}", Entry(f.b(L), q))
                bindings.append(b)
                biases[(l, q)] = b.symbol

    steps: list[Step] = []
    # Forward pass, neuron by neuron.
    for l in range(1, depth + 1):
        act = f.activation(sp.Integer(l))
        for q in range(1, widths[l] + 1):
            terms = [_ordered(weights[(l, p, q)], value[(l - 1, p)]) for p in range(1, widths[l - 1] + 1)]
            if (l, q) in biases:
                terms.append(biases[(l, q)])
            n = neuron(l, q)
            steps.append(Step(f"scalar_z{n}", "scalar", "scalar-preactivation",
                              (pre[(l, q)], sp.Add(*terms, evaluate=False)), rule="affine-scalar", layer=l))
            if act.elementwise:
                rhs = rules.scalar_function(act.name)(pre[(l, q)])
            else:
                rhs = rules.SoftmaxEntry(q, *[pre[(l, k)] for k in range(1, widths[l] + 1)])
            steps.append(Step(f"scalar_a{n}", "scalar", "scalar-activation", (value[(l, q)], rhs),
                              rule="activation-scalar", layer=l))
    cost = rules.cost(spec.cost)
    cost_terms = [cost.c.xreplace({rules.A: value[(depth, p)], rules.Y: targets[p]}) for p in range(1, widths[-1] + 1)]
    steps.append(Step("scalar_cost", "scalar", "scalar-cost", (COST, sp.Add(*cost_terms, evaluate=False)),
                      rule="cost-scalar"))

    # Backward: ∂C/∂z of every neuron (closed form in the neuron symbols), then each weight.
    delta: dict[tuple[int, int], sp.Expr] = {}
    out_act = f.activation(sp.Integer(depth))
    fused = cost.fused.get(out_act.name)
    for q in range(1, widths[-1] + 1):
        a_q, y_q = value[(depth, q)], targets[q]
        if fused is not None:
            delta[(depth, q)] = fused.delta.xreplace({rules.A: a_q, rules.Y: y_q})
        elif out_act.elementwise:
            delta[(depth, q)] = _ordered(cost.dc_da.xreplace({rules.A: a_q, rules.Y: y_q}),
                                         out_act.df_da.xreplace({rules.A: a_q}))
        else:
            delta[(depth, q)] = sp.Add(*[
                _ordered(cost.dc_da.xreplace({rules.A: value[(depth, k)], rules.Y: targets[k]}),
                         value[(depth, k)], (1 if k == q else 0) - value[(depth, q)])
                for k in range(1, widths[-1] + 1)], evaluate=False)
    for l in range(depth - 1, 0, -1):
        act = f.activation(sp.Integer(l))
        for q in range(1, widths[l] + 1):
            back = sp.Add(*[_ordered(delta[(l + 1, k)], weights[(l + 1, q, k)]) for k in range(1, widths[l + 1] + 1)],
                          evaluate=False)
            delta[(l, q)] = _ordered(back, act.df_da.xreplace({rules.A: value[(l, q)]}))

    for l in range(depth, 0, -1):
        L = sp.Integer(l)
        act = f.activation(L)
        for q in range(1, widths[l] + 1):
            for p in range(1, widths[l - 1] + 1):
                w = weights[(l, p, q)]
                z_q, a_q = pre[(l, q)], value[(l, q)]
                if l == depth and act.elementwise:
                    chain = _ordered(Partial(COST, a_q), Partial(a_q, z_q), Partial(z_q, w))
                elif l == depth:
                    chain = _ordered(Partial(COST, z_q), Partial(z_q, w))
                else:
                    nxt = [pre[(l + 1, k)] for k in range(1, widths[l + 1] + 1)]
                    back = sp.Add(*[_ordered(Partial(COST, zk), Partial(zk, a_q)) for zk in nxt], evaluate=False)
                    chain = _ordered(back, Partial(a_q, z_q), Partial(z_q, w))
                closed = _ordered(delta[(l, q)], value[(l - 1, p)])
                src, dst = neuron(l - 1, p), neuron(l, q)
                steps.append(Step(
                    f"scalar_w{src}{dst}", "scalar", "scalar-weight-gradient",
                    (Partial(COST, w), chain, closed,
                     Entry(Grad(COST, f.W(L)), q, p),  # rows = destination
                     Entry(Grad(COST, sp.Transpose(f.W(L))), p, q)),  # rows = source
                    rule="chain-rule-scalar", layer=l))
            if (l, q) in biases:
                n = neuron(l, q)
                steps.append(Step(
                    f"scalar_b{n}", "scalar", "scalar-bias-gradient",
                    (Partial(COST, biases[(l, q)]), _ordered(Partial(COST, pre[(l, q)]), Partial(pre[(l, q)], biases[(l, q)])),
                     delta[(l, q)], Entry(Grad(COST, f.b(L)), q)),
                    rule="chain-rule-scalar", layer=l))

    # The matrix form under both layouts, entry by entry.
    for l in range(depth, 0, -1):
        L = sp.Integer(l)
        rows_dst = sp.ImmutableMatrix(widths[l], widths[l - 1], lambda r, c: weights[(l, c + 1, r + 1)])
        grads_dst = sp.ImmutableMatrix(widths[l], widths[l - 1], lambda r, c: Partial(COST, weights[(l, c + 1, r + 1)]))
        steps.append(Step(f"layout_W{l}_destination", "layout", "layout-destination", (f.W(L), rows_dst),
                          rule="layout-destination", layer=l))
        steps.append(Step(f"layout_grad_W{l}_destination", "layout", "layout-destination-gradient",
                          (Grad(COST, f.W(L)), grads_dst, f.weight_gradient(L)), rule="layout-destination", layer=l,
                          uses=(f"grad_W_{l}",)))
        steps.append(Step(f"layout_W{l}_source", "layout", "layout-source", (sp.Transpose(f.W(L)), rows_dst.T),
                          rule="layout-source", layer=l))
        steps.append(Step(f"layout_grad_W{l}_source", "layout", "layout-source-gradient",
                          (Grad(COST, sp.Transpose(f.W(L))), grads_dst.T,
                           sp.MatMul(f.a(L - 1), sp.Transpose(f.delta(L))), sp.Transpose(Grad(COST, f.W(L)))),
                          rule="layout-source", layer=l, uses=(f"grad_W_{l}",)))
    return steps, tuple(bindings)
