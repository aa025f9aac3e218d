"""Backpropagation by rule: the δ recursion and the parameter gradients as `Step`s.

SymPy's `MatrixSymbol.diff` cannot differentiate through a sigmoid layer, and unrolling every
weight into scalars explodes past tiny networks. So statements are *built* here by applying the
chain rule through the registry (rules.py), once per layer, never per neuron: the work does not
grow with width. `verify.py` then proves every built statement before anyone may print it.

The same builders serve the general derivation (layer l and depth L symbolic, widths n_l) and
every concrete network (l = 1, 2, …; widths integers): a concrete instance checks exactly the
statements the general proof makes.

The names of the quantities and their shapes in either convention (`Frame`) are in
quantities.py; the neuron-numbered scalar view of a small network in scalar.py.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sympy as sp

from . import rules
from .algebra import (
    Apply,
    ApplyPrime,
    CostTotal,
    Diag,
    Entry,
    Grad,
    Jacobian,
    NetQuantity,
    Partial,
    Prime,
    Quotient,
    Standardize,
    VariancePower,
    lift,
)
from .derivation import Derivation, Step
from .quantities import COST, DEPTH, EPSILON, J, K, LAMBDA, LAYER, MEAN, STD, Frame
from .scalar import scalar_view_steps
from .spec import NetworkSpec


def _key(prefix: str, layer: sp.Expr) -> str:
    return f"{prefix}_{str(layer).replace(' ', '')}"


def _ordered(*factors: sp.Expr) -> sp.Expr:
    """A product written in the order given (the printers keep unevaluated order)."""
    return sp.Mul(*factors, evaluate=False)


def _hadamard(*factors: Any) -> Any:
    flat: list[Any] = []
    for f in factors:
        if isinstance(f, sp.OneMatrix):
            continue  # multiplying by 1 entrywise: the identity activation's derivative
        flat.extend(f.args if isinstance(f, sp.HadamardProduct) else [f])
    if not flat:
        return factors[0]
    return flat[0] if len(flat) == 1 else sp.HadamardProduct(*flat, evaluate=False)


# ----------------------------------------------------------------------------------------------
# Forward pass
# ----------------------------------------------------------------------------------------------


def forward_steps(f: Frame, layers: list[sp.Expr], components: bool) -> list[Step]:
    steps: list[Step] = []
    if f.spec.normalize_input:
        steps.append(Step("normalize", "forward", "normalize", (f.input, Standardize(f.x, MEAN, STD)),
                          rule="standardize", kind="definition"))
    for l in layers:
        if components:
            steps.append(_preactivation_entry(f, l))
        steps.append(Step(_key("z", l), "forward", "preactivation", (f.z(l), f.affine(l)),
                          rule="affine", kind="definition", layer=l))
        act = f.activation(l)
        skip = f.residual_from(l)
        if skip is not None:  # a^l = f(z^l) + a^j: the skip adds an earlier layer's output
            steps.append(Step(_key("a", l), "forward", "activation",
                              (f.a(l), sp.MatAdd(Apply(act.name, f.z(l), f.class_axis), f.a(skip), evaluate=False)),
                              rule="residual", kind="definition", layer=l))
            continue
        if f.norm(l):
            steps += _norm_forward_steps(f, l)
            continue
        if f.dropped(l):  # a^l = f(z^l) ⊙ m^l, the mask given
            steps.append(Step(_key("a", l), "forward", "activation",
                              (f.a(l), _hadamard(Apply(act.name, f.z(l), f.class_axis), f.m(l))),
                              rule="dropout", kind="definition", layer=l))
            continue
        steps.append(Step(_key("a", l), "forward", "activation",
                          (f.a(l), Apply(act.name, f.z(l), f.class_axis)), rule="activation", kind="definition",
                          layer=l))
    return steps


def _centred(f: Frame, l: sp.Expr) -> Any:
    """z^l − μ^l, the mean repeated over the values it was taken over."""
    return sp.MatAdd(f.z(l), sp.MatMul(-1, f.spread(l, f.mu(l))), evaluate=False)


def _norm_forward_steps(f: Frame, l: sp.Expr) -> list[Step]:
    """μ = (1/N) Σ z, σ² = (1/N) Σ (z − μ)², ẑ = (z − μ)/√(σ² + ε), u = γ ⊙ ẑ + β, a = f(u): the sums
    over the batch (batch norm, N = n) or over the layer's neurons (layer norm, N = n_l)."""
    count, centred = f.norm_count(l), _centred(f, l)
    deviation = f.spread(l, VariancePower(f.var(l), EPSILON, sp.Rational(1, 2)))
    act = f.activation(l)
    return [
        Step(_key("mu", l), "forward", "norm-mean", (f.mu(l), sp.MatMul(1 / count, f.stats_total(l, f.z(l)))),
             rule="norm-mean", kind="definition", layer=l),
        Step(_key("var", l), "forward", "norm-variance",
             (f.var(l), sp.MatMul(1 / count, f.stats_total(l, sp.HadamardProduct(centred, centred, evaluate=False)))),
             rule="norm-variance", kind="definition", layer=l),
        Step(_key("zhat", l), "forward", "norm-standardise", (f.zhat(l), Quotient(centred, deviation)),
             rule="norm-standardise", kind="definition", layer=l),
        Step(_key("u", l), "forward", "norm-scale-shift",
             (f.u(l), sp.MatAdd(_hadamard(f.per_neuron(f.gamma(l)), f.zhat(l)), f.per_neuron(f.beta(l)), evaluate=False)),
             rule="norm-scale-shift", kind="definition", layer=l),
        Step(_key("a", l), "forward", "activation", (f.a(l), Apply(act.name, f.u(l), f.class_axis)),
             rule="norm-activation", kind="definition", layer=l),
    ]


def _preactivation_entry(f: Frame, l: sp.Expr) -> Step:
    if f.row:
        body = sp.Sum(_ordered(f.entry(f.a(l - 1), K), f.weight_entry(l, K, J)), (K, 1, f.width(l - 1)))
    else:
        body = sp.Sum(_ordered(f.weight_entry(l, K, J), f.entry(f.a(l - 1), K)), (K, 1, f.width(l - 1)))
    if f.has_bias(l):
        body = sp.Add(body, Entry(f.b(l), J), evaluate=False)
    return Step(_key("z", l) + "_entry", "forward", "preactivation-entry", (f.entry(f.z(l), J), body),
                rule="affine-entry", kind="claim", layer=l, indices=f.indices((J, f.width(l))))


def cost_step(f: Frame) -> Step:
    spec_cost = rules.cost(f.spec.cost)
    total = CostTotal(spec_cost.name, f.a(f.L), f.y, f.class_axis, f.scale)
    rule = "cost" if f.scale == 1 else "cost-mean"
    if f.l2:
        return Step("cost", "forward", "cost", (COST, sp.Add(total, f.penalty(), evaluate=False)),
                    rule=rule + "-l2", kind="definition")
    return Step("cost", "forward", "cost", (COST, total), rule=rule, kind="definition")


# ----------------------------------------------------------------------------------------------
# Output layer
# ----------------------------------------------------------------------------------------------


def cost_gradient_step(f: Frame) -> Step:
    c = rules.cost(f.spec.cost)
    return Step(_key("grad_a", f.L), "output", "cost-gradient",
                (Grad(COST, f.a(f.L)), f.scaled(lift(c.dc_da, {rules.A: f.a(f.L), rules.Y: f.y}))),
                rule="cost-derivative" if f.scale == 1 else "cost-derivative-mean", layer=f.L, uses=("cost",))


def activation_identity_step(f: Frame, l: sp.Expr) -> Step | None:
    """f′(z^l) in terms of a^l (σ′ = a ⊙ (1 − a)): f′(u^l) for a normalisation layer, a = f(u)."""
    act = f.activation(l)
    if not act.elementwise or act.df_da is None:
        return None
    arg = f.u(l) if f.norm(l) else f.z(l)
    return Step(_key("act_prime", l), "output" if l == f.L else "hidden", "activation-derivative",
                (ApplyPrime(act.name, arg), lift(act.df_da, {rules.A: f.a(l)})),
                rule="activation-derivative", kind="identity", layer=l, uses=(_key("a", l),))


def softmax_jacobian_step(f: Frame) -> Step:
    s = f.a(f.L)
    outer = sp.MatMul(sp.Transpose(s), s) if f.row else sp.MatMul(s, sp.Transpose(s))
    return Step(_key("jacobian", f.L), "output", "softmax-jacobian",
                (Jacobian(s, f.z(f.L)), sp.MatAdd(Diag(s), sp.MatMul(-1, outer), evaluate=False)),
                rule="softmax-jacobian", layer=f.L, uses=(_key("a", f.L),))


def output_error_steps(f: Frame, specialise: bool, components: bool) -> list[Step]:
    """δ^L = ∂C/∂z^L, through the output activation (elementwise or the full softmax Jacobian)."""
    L, act, c = f.L, f.activation(f.L), rules.cost(f.spec.cost)
    grad_a, delta, z = Grad(COST, f.a(L)), f.delta(L), f.z(L)
    steps: list[Step] = []
    if specialise:
        steps.append(cost_gradient_step(f))
    cost_grad = lift(c.dc_da, {rules.A: f.a(L), rules.Y: f.y})
    fused = c.fused.get(act.name) if f.residual_from(L) is None else None  # a fused δ assumes a^L = f(z^L)
    forms: list[Any] = [delta, Grad(COST, z)]
    uses = [_key("grad_a", L)]
    if act.elementwise:
        if components:
            steps.append(Step(_key("delta", L) + "_entry", "output", "output-error-entry",
                              (f.entry(delta, J), _ordered(Partial(COST, f.entry(f.a(L), J)),
                                                           Prime(act.name, f.entry(z, J)))),
                              rule="chain-rule-entry", layer=L, indices=f.indices((J, f.width(L)))))
        forms.append(_hadamard(grad_a, ApplyPrime(act.name, z)))
        rule = "chain-rule-elementwise"
        if f.residual_from(L) is not None:  # a^L = f(z^L) + a^j: f′ stays in z (f′ in a no longer holds)
            rule = "chain-rule-residual"
            if specialise:
                forms.append(f.scaled(_hadamard(cost_grad, ApplyPrime(act.name, z))))
        elif specialise:
            identity = activation_identity_step(f, L)
            if identity is not None:
                steps.append(identity)
                uses.append(identity.key)
                forms.append(f.scaled(_hadamard(cost_grad, lift(act.df_da, {rules.A: f.a(L)}))))
            else:
                forms.append(f.scaled(_hadamard(cost_grad, ApplyPrime(act.name, z))))
    else:  # softmax: the full Jacobian, never only its diagonal
        s = f.a(L)
        rule = "chain-rule-softmax"
        if not f.batched:
            jac_step = softmax_jacobian_step(f)
            steps.append(jac_step)
            uses.append(jac_step.key)
            jac = Jacobian(s, z)
            explicit = jac_step.rhs
            if f.row:
                forms += [sp.MatMul(grad_a, jac), sp.MatMul(grad_a, explicit)]
                if specialise:
                    forms.append(f.scaled(sp.MatMul(cost_grad, explicit)))
            else:
                forms += [sp.MatMul(sp.Transpose(jac), grad_a), sp.MatMul(explicit, grad_a)]
                if specialise:
                    forms.append(f.scaled(sp.MatMul(explicit, cost_grad)))
        else:
            forms.append(_softmax_batch_form(f, grad_a))
            if specialise:
                forms.append(f.scaled(_softmax_batch_form(f, cost_grad)))
    if specialise and fused is not None:
        forms.append(f.scaled(lift(fused.delta, {rules.A: f.a(L), rules.Y: f.y})))
        rule = f"fused-{c.name}-{act.name}"
    steps.append(Step(_key("delta", L), "output", "output-error", tuple(forms), rule=rule, layer=L,
                      uses=tuple(uses), note=fused.assumption if (specialise and fused) else ""))
    return steps


def _softmax_batch_form(f: Frame, g: Any) -> Any:
    """Each sample's Jacobian applied at once: ŷ ⊙ (g − 1 1ᵀ(ŷ ⊙ g)) (row: (ŷ ⊙ g) 1 1ᵀ)."""
    s, classes = f.a(f.L), f.width(f.L)
    weighted = sp.HadamardProduct(s, g, evaluate=False)
    if f.row:
        totals = sp.MatMul(weighted, sp.OneMatrix(classes, 1), sp.OneMatrix(1, classes))
    else:
        totals = sp.MatMul(sp.OneMatrix(classes, 1), sp.OneMatrix(1, classes), weighted)
    return sp.HadamardProduct(s, sp.MatAdd(g, sp.MatMul(-1, totals), evaluate=False), evaluate=False)


# ----------------------------------------------------------------------------------------------
# Hidden layers and parameter gradients
# ----------------------------------------------------------------------------------------------


def hidden_error_steps(f: Frame, l: sp.Expr, specialise: bool, components: bool) -> list[Step]:
    if f.norm(l):
        return _norm_error_steps(f, l)
    if f.dropped(l):
        return _dropout_error_steps(f, l, components)
    act = f.activation(l)
    steps = [activation_gradient_step(f, l)]
    back = steps[0].rhs
    if components:
        steps.append(_residual_error_entry(f, l) if f.residual_into(l) else _hidden_error_entry(f, l))
    forms: list[Any] = [f.delta(l), Grad(COST, f.z(l)), _hadamard(Grad(COST, f.a(l)), ApplyPrime(act.name, f.z(l))),
                        _hadamard(back, ApplyPrime(act.name, f.z(l)))]
    uses = [_key("grad_a", l)]
    rule = "chain-rule-elementwise"
    if f.residual_from(l) is not None:  # a^l = f(z^l) + a^j: f′ stays in z (f′ in a no longer holds)
        rule = "chain-rule-residual"
    elif specialise:
        identity = activation_identity_step(f, l)
        if identity is not None:
            steps.append(identity)
            uses.append(identity.key)
            forms.append(_hadamard(back, lift(act.df_da, {rules.A: f.a(l)})))
    steps.append(Step(_key("delta", l), "hidden", "hidden-error", tuple(forms), rule=rule,
                      layer=l, uses=tuple(uses)))
    return steps


def activation_gradient_step(f: Frame, l: sp.Expr) -> Step:
    """∂C/∂a^l = (W^{l+1})ᵀ δ^{l+1}, plus ∂C/∂a^t for each later layer t whose skip adds a^l
    (a^t = f(z^t) + a^l, so ∂a^t/∂a^l = I): the extra path of a residual connection enters here."""
    nxt = l + 1
    back = f.back_through_weights(nxt)
    later = f.residual_into(l)
    if not later:
        return Step(_key("grad_a", l), "hidden", "activation-gradient", (Grad(COST, f.a(l)), back),
                    rule="transpose-rule", layer=l, uses=(_key("delta", nxt),))
    total = sp.MatAdd(back, *(Grad(COST, f.a(t)) for t in later), evaluate=False)
    return Step(_key("grad_a", l), "hidden", "activation-gradient", (Grad(COST, f.a(l)), total),
                rule="residual-gradient", layer=l, uses=(_key("delta", nxt), *(_key("grad_a", t) for t in later)))


def _dropout_error_steps(f: Frame, l: sp.Expr, components: bool) -> list[Step]:
    """δ^l = ((W^{l+1})ᵀ δ^{l+1} ⊙ m^l) ⊙ f'(z^l): a^l = f(z^l) ⊙ m^l, so ∂a^l_j/∂z^l_j = m^l_j f'(z^l_j).
    f' stays in z: an identity in a (σ' = a(1 − a)) no longer holds once a carries the mask."""
    act, nxt, m = f.activation(l), l + 1, f.m(l)
    steps = [activation_gradient_step(f, l)]
    back = steps[0].rhs
    if components:
        z_next_k, z_j = f.entry(f.z(nxt), K), f.entry(f.z(l), J)
        limits = (K, 1, f.width(nxt))
        chain = sp.Sum(_ordered(Partial(COST, z_next_k), Partial(z_next_k, z_j)), limits)
        weight = f.weight_entry(nxt, J, K)
        expanded = sp.Sum(_ordered(f.entry(f.delta(nxt), K), weight, f.entry(m, J), Prime(act.name, z_j)), limits)
        factored = _ordered(sp.Sum(_ordered(weight, f.entry(f.delta(nxt), K)), limits), f.entry(m, J),
                            Prime(act.name, z_j))
        steps.append(Step(_key("delta", l) + "_entry", "hidden", "hidden-error-entry",
                          (f.entry(f.delta(l), J), chain, expanded, factored), rule="chain-rule-dropout-entry",
                          layer=l, uses=(_key("delta", nxt),), indices=f.indices((J, f.width(l)))))
    forms = (f.delta(l), Grad(COST, f.z(l)), _hadamard(Grad(COST, f.a(l)), m, ApplyPrime(act.name, f.z(l))),
             _hadamard(back, m, ApplyPrime(act.name, f.z(l))))
    steps.append(Step(_key("delta", l), "hidden", "hidden-error", forms, rule="chain-rule-dropout", layer=l,
                      uses=(_key("grad_a", l),)))
    return steps


def _norm_error_steps(f: Frame, l: sp.Expr) -> list[Step]:
    """Back through a^l = f(u^l), u^l = γ ⊙ ẑ + β and ẑ = (z − μ)/√(σ² + ε) to δ^l = ∂C/∂z^l.

    z^l reaches the cost three ways: through ẑ directly, through the mean μ (every ẑ subtracts it,
    and σ² is taken around it) and through the variance σ² (every ẑ divides by its root). So the
    steps go back through ẑ, then σ² (read by ẑ only), then μ (read by ẑ and σ²), and δ^l adds the
    three paths; the compact form collects them, with Σ (z − μ) = 0 removing μ's path through σ²."""
    act, nxt, count = f.activation(l), l + 1, f.norm_count(l)
    back, u, zhat, var = f.back_through_weights(nxt), f.u(l), f.zhat(l), f.var(l)
    g_u, g_zhat, g_var, g_mu = Grad(COST, u), Grad(COST, zhat), Grad(COST, var), Grad(COST, f.mu(l))
    prime = ApplyPrime(act.name, u)
    steps = [Step(_key("grad_a", l), "hidden", "activation-gradient", (Grad(COST, f.a(l)), back),
                  rule="transpose-rule", layer=l, uses=(_key("delta", nxt),))]
    forms: list[Any] = [g_u, _hadamard(Grad(COST, f.a(l)), prime), _hadamard(back, prime)]
    uses = [_key("grad_a", l)]
    identity = activation_identity_step(f, l)
    if identity is not None:
        steps.append(identity)
        uses.append(identity.key)
        forms.append(_hadamard(back, lift(act.df_da, {rules.A: f.a(l)})))
    steps.append(Step(_key("grad_u", l), "hidden", "norm-output-gradient", tuple(forms),
                      rule="chain-rule-norm-activation", layer=l, uses=tuple(uses)))
    centred = _centred(f, l)
    root = VariancePower(var, EPSILON, sp.Rational(1, 2))
    steps += [
        Step(_key("grad_zhat", l), "hidden", "norm-standardised-gradient",
             (g_zhat, _hadamard(g_u, f.per_neuron(f.gamma(l)))), rule="norm-scale-chain", layer=l,
             uses=(_key("grad_u", l),)),
        Step(_key("grad_var", l), "hidden", "norm-variance-gradient",
             (g_var, _hadamard(sp.MatMul(sp.Rational(-1, 2), f.stats_total(l, _hadamard(g_zhat, centred))),
                               VariancePower(var, EPSILON, sp.Rational(-3, 2)))),
             rule="norm-variance-gradient", layer=l, uses=(_key("grad_zhat", l),)),
    ]
    through_zhat = sp.MatMul(-1, Quotient(f.stats_total(l, g_zhat), root))
    through_var = _hadamard(g_var, sp.MatMul(-2 / count, f.stats_total(l, centred)))
    steps.append(Step(_key("grad_mu", l), "hidden", "norm-mean-gradient",
                      (g_mu, sp.MatAdd(through_zhat, through_var, evaluate=False), through_zhat),
                      rule="norm-mean-gradient", layer=l, uses=(_key("grad_zhat", l), _key("grad_var", l))))
    spread_root = f.spread(l, root)
    paths = sp.MatAdd(Quotient(g_zhat, spread_root),
                      _hadamard(f.spread(l, g_var), sp.MatMul(2 / count, centred)),
                      sp.MatMul(1 / count, f.spread(l, g_mu)), evaluate=False)
    collected = sp.MatAdd(sp.MatMul(count, g_zhat), sp.MatMul(-1, f.spread(l, f.stats_total(l, g_zhat))),
                          sp.MatMul(-1, _hadamard(zhat, f.spread(l, f.stats_total(l, _hadamard(g_zhat, zhat))))),
                          evaluate=False)
    compact = sp.MatMul(1 / count, Quotient(collected, spread_root))
    steps.append(Step(_key("delta", l), "hidden", "hidden-error", (f.delta(l), Grad(COST, f.z(l)), paths, compact),
                      rule="norm-backward", layer=l,
                      uses=(_key("grad_zhat", l), _key("grad_var", l), _key("grad_mu", l))))
    steps += [
        Step(_key("grad_gamma", l), "gradients", "norm-scale-gradient",
             (Grad(COST, f.gamma(l)), f.sample_total(_hadamard(g_u, zhat))), rule="norm-scale-gradient", layer=l,
             uses=(_key("grad_u", l),)),
        Step(_key("grad_beta", l), "gradients", "norm-shift-gradient", (Grad(COST, f.beta(l)), f.sample_total(g_u)),
             rule="norm-shift-gradient", layer=l, uses=(_key("grad_u", l),)),
    ]
    return steps


def _hidden_error_entry(f: Frame, l: sp.Expr) -> Step:
    """δ^l_j = Σ_k ∂C/∂z^{l+1}_k ∂z^{l+1}_k/∂z^l_j = (Σ_k W^{l+1}_{kj} δ^{l+1}_k) σ'(z^l_j)."""
    nxt, act = l + 1, f.activation(l)
    z_next_k, z_j = f.entry(f.z(nxt), K), f.entry(f.z(l), J)
    limits = (K, 1, f.width(nxt))
    chain = sp.Sum(_ordered(Partial(COST, z_next_k), Partial(z_next_k, z_j)), limits)
    weight = f.weight_entry(nxt, J, K)
    expanded = sp.Sum(_ordered(f.entry(f.delta(nxt), K), weight, Prime(act.name, z_j)), limits)
    factored = _ordered(sp.Sum(_ordered(weight, f.entry(f.delta(nxt), K)), limits), Prime(act.name, z_j))
    return Step(_key("delta", l) + "_entry", "hidden", "hidden-error-entry",
                (f.entry(f.delta(l), J), chain, expanded, factored), rule="chain-rule-sum", layer=l,
                uses=(_key("delta", nxt),), indices=f.indices((J, f.width(l))))


def _residual_error_entry(f: Frame, l: sp.Expr) -> Step:
    """δ^l_j = (Σ_k W^{l+1}_{kj} δ^{l+1}_k + Σ_t ∂C/∂a^t_j) f'(z^l_j): each skip from layer l
    (a^t = f(z^t) + a^l) passes ∂C/∂a^t_j straight back to a^l_j."""
    nxt, act = l + 1, f.activation(l)
    z_j = f.entry(f.z(l), J)
    limits = (K, 1, f.width(nxt))
    weight = f.weight_entry(nxt, J, K)
    skips = [Partial(COST, f.entry(f.a(t), J)) for t in f.residual_into(l)]
    z_next_k = f.entry(f.z(nxt), K)
    chain = _ordered(sp.Add(sp.Sum(_ordered(Partial(COST, z_next_k), Partial(z_next_k, f.entry(f.a(l), J))), limits),
                            *skips, evaluate=False), Prime(act.name, z_j))
    factored = _ordered(sp.Add(sp.Sum(_ordered(weight, f.entry(f.delta(nxt), K)), limits), *skips, evaluate=False),
                        Prime(act.name, z_j))
    return Step(_key("delta", l) + "_entry", "hidden", "hidden-error-entry", (f.entry(f.delta(l), J), chain, factored),
                rule="chain-rule-residual-entry", layer=l,
                uses=(_key("delta", nxt), *(_key("grad_a", t) for t in f.residual_into(l))),
                indices=f.indices((J, f.width(l))))


def parameter_steps(f: Frame, l: sp.Expr, components: bool) -> list[Step]:
    steps: list[Step] = []
    if components:
        steps.append(_weight_gradient_entry(f, l))
    gradient, rule = f.weight_gradient(l), "batch-product" if f.batched else "outer-product"
    if f.regularised(l, "W"):
        gradient, rule = sp.MatAdd(gradient, f.decay(f.W(l)), evaluate=False), "weight-decay"
    steps.append(Step(_key("grad_W", l), "gradients", "weight-gradient", (Grad(COST, f.W(l)), gradient),
                      rule=rule, layer=l, uses=(_key("delta", l),)))
    if f.has_bias(l):
        if components:
            steps.append(_bias_gradient_entry(f, l))
        gradient, rule = f.bias_gradient(l), "batch-sum" if f.batched else "bias-rule"
        if f.regularised(l, "b"):
            gradient, rule = sp.MatAdd(gradient, f.decay(f.b(l)), evaluate=False), "bias-decay"
        steps.append(Step(_key("grad_b", l), "gradients", "bias-gradient", (Grad(COST, f.b(l)), gradient),
                          rule=rule, layer=l, uses=(_key("delta", l),)))
    return steps


def _weight_gradient_entry(f: Frame, l: sp.Expr) -> Step:
    w = f.weight_entry(l, K, J)  # from neuron k of layer l-1 to neuron j of layer l
    z_j = f.entry(f.z(l), J)
    chain = f.sample_sum(_ordered(Partial(COST, z_j), Partial(z_j, w)))
    if f.row:
        value = f.sample_sum(_ordered(f.entry(f.a(l - 1), K), f.entry(f.delta(l), J)))
    else:
        value = f.sample_sum(_ordered(f.entry(f.delta(l), J), f.entry(f.a(l - 1), K)))
    limits = ((K, 1, f.width(l - 1)), (J, 1, f.width(l))) if f.row else ((J, 1, f.width(l)), (K, 1, f.width(l - 1)))
    rule = "chain-rule-weight"
    if f.regularised(l, "W"):  # the penalty's own term: ∂(λ/2 w²)/∂w = λw
        decay = LAMBDA * f.scale * w
        chain, value, rule = sp.Add(chain, decay, evaluate=False), sp.Add(value, decay, evaluate=False), "chain-rule-weight-decay"
    return Step(_key("grad_W", l) + "_entry", "gradients", "weight-gradient-entry", (Partial(COST, w), chain, value),
                rule=rule, layer=l, uses=(_key("delta", l),), indices=limits)


def _bias_gradient_entry(f: Frame, l: sp.Expr) -> Step:
    bj, z_j = Entry(f.b(l), J), f.entry(f.z(l), J)
    chain = f.sample_sum(_ordered(Partial(COST, z_j), Partial(z_j, bj)))
    value = f.sample_sum(f.entry(f.delta(l), J))
    rule = "chain-rule-bias"
    if f.regularised(l, "b"):
        decay = LAMBDA * f.scale * bj
        chain, value, rule = sp.Add(chain, decay, evaluate=False), sp.Add(value, decay, evaluate=False), "chain-rule-bias-decay"
    return Step(_key("grad_b", l) + "_entry", "gradients", "bias-gradient-entry", (Partial(COST, bj), chain, value),
                rule=rule, layer=l, uses=(_key("delta", l),), indices=((J, 1, f.width(l)),))


def _parameters(f: Frame) -> tuple[tuple[str, NetQuantity, str], ...]:
    out = []
    for l in range(1, f.spec.depth + 1):
        out.append((f"W{l}", f.W(sp.Integer(l)), f"grad_W_{l}"))
        if f.has_bias(sp.Integer(l)):
            out.append((f"b{l}", f.b(sp.Integer(l)), f"grad_b_{l}"))
        if f.norm(sp.Integer(l)):
            out.append((f"gamma{l}", f.gamma(sp.Integer(l)), f"grad_gamma_{l}"))
            out.append((f"beta{l}", f.beta(sp.Integer(l)), f"grad_beta_{l}"))
    return tuple(out)


# ----------------------------------------------------------------------------------------------
# Whole derivations
# ----------------------------------------------------------------------------------------------


def build_concrete(spec: NetworkSpec, components: bool = False) -> Derivation:
    """Every step for a network of concrete widths, in backprop order (output layer first)."""
    f = Frame(spec)
    layers = [sp.Integer(l) for l in range(1, spec.depth + 1)]
    steps = forward_steps(f, layers, components) + [cost_step(f)]
    for l in reversed(layers):
        if l == f.L:
            steps += output_error_steps(f, specialise=True, components=components)
        else:
            steps += hidden_error_steps(f, l, specialise=True, components=components)
        steps += parameter_steps(f, l, components)
    scalar_steps, bindings = ([], ())
    if spec.scalar_view:
        scalar_steps, bindings = scalar_view_steps(f)
    return Derivation(
        spec=spec, steps=tuple(steps + scalar_steps), parameters=_parameters(f), scalar_bindings=bindings,
        assumptions=_assumptions(spec), symbols={"L": f.L, "batch": f.batch if f.batched else None},
    )


def build_general(spec: NetworkSpec) -> Derivation:
    """The proof for symbolic L (and widths n_l): components first, then the step to matrices."""
    f = Frame(spec, general=True)
    l, L = LAYER, DEPTH
    steps = forward_steps(f, [l], components=True)
    steps.append(Step("delta_def", "output", "error-definition",
                      (f.entry(f.delta(l), J), Partial(COST, f.entry(f.z(l), J))), rule="definition",
                      kind="definition", layer=l, indices=f.indices((J, f.width(l)))))
    steps += output_error_steps(f, specialise=False, components=True)
    steps += hidden_error_steps(f, l, specialise=False, components=True)
    steps += parameter_steps(f, l, components=True)
    # Specialise to the spec's cost and activation: C = ½Σ(a^L − y)², σ' = a ⊙ (1 − a). The
    # specialised δ^L restates the general one, so it gets a key of its own.
    special = [cost_step(f)] + [
        replace(s, key=s.key + "_special") if s.key.startswith("delta_") else s
        for s in output_error_steps(f, specialise=True, components=False)
    ]
    identity = activation_identity_step(f, l)
    if identity is not None:
        special.append(identity)
    steps += [replace(s, section="specialise") for s in special]
    return Derivation(spec=spec, steps=tuple(steps), parameters=(), general=True,
                      assumptions=_assumptions(spec), symbols={"L": L, "batch": f.batch if f.batched else None})


def _assumptions(spec: NetworkSpec) -> tuple[str, ...]:
    out = []
    c = rules.cost(spec.cost)
    fused = c.fused.get(spec.layers[-1].activation) if spec.residual_from(spec.depth) is None else None
    if fused is not None and fused.assumption:
        out.append(fused.assumption)
    if spec.normalize_input:
        out.append("normalisation-constant")
    return tuple(out)
