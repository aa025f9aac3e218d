"""The names of a network's quantities, and where each one lives (`Frame`).

The cost C, the layer index l and depth L, the widths n_l, the data's mean and deviation, and the
matrices W^l, b^l, z^l, a^l, δ^l with their shapes in either convention: the engine builds its
steps from these names, and the verifier, the exporter and the checker read steps written in
them. They sit below `backprop.py` so that every consumer imports the names, not the engine.

Conventions:
- column: z^l = W^l a^{l-1} + b^l, W^l is n_l × n_{l-1}, samples are columns;
- row:    Z_l = A_{l-1} W_l + b_l, W_l is n_{l-1} × n_l, samples are rows.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from . import rules
from .algebra import Broadcast, Entry, NetQuantity, SquaredNorm
from .safe import as_expr
from .spec import NetworkSpec

COST = sp.Symbol("C")
MEAN, STD = sp.symbols("mu sigma_x", positive=True)
J, K, I = sp.symbols("j k i", integer=True, positive=True)
LAYER, DEPTH = sp.symbols("l L", integer=True, positive=True)
WIDTH = sp.IndexedBase("n")
#: λ, the weight of the L2 penalty (weight decay): a symbol in every formula, its value in the spec.
LAMBDA = sp.Symbol("lambda", positive=True)
#: ε of a normalisation layer's √(σ² + ε): a positive symbol in every formula (the exact proof holds
#: for every ε > 0), its value in the spec.
EPSILON = sp.Symbol("epsilon", positive=True)


class Frame:
    """Where every quantity lives for one network: shapes, layer activations, conventions."""

    def __init__(self, spec: NetworkSpec, general: bool = False) -> None:
        self.spec = spec
        self.general = general
        self.row = spec.convention == "row"
        self.L: sp.Expr = DEPTH if general else sp.Integer(spec.depth)
        self.batch: sp.Expr = sp.Integer(1) if spec.batch is None else sp.Symbol(spec.notation.batch, integer=True, positive=True)
        self.batched = spec.batch is not None
        self.class_axis = 1 if self.row else 0
        self.widths = spec.widths  # computed from the layers on every access of spec.widths
        #: The factor of the cost: 1 for a sum over the batch, 1/n for its mean.
        self.scale: sp.Expr = 1 / self.batch if spec.reduction == "mean" else sp.Integer(1)

    def scaled(self, expr: Any) -> Any:
        """expr with the cost's factor in front: (1/n) expr for a mean, expr itself for a sum."""
        return expr if self.scale == 1 else sp.MatMul(self.scale, expr)

    # -- the L2 penalty ----------------------------------------------------------------------------
    @property
    def l2(self) -> bool:
        return bool(self.spec.l2)

    def regularised(self, l: sp.Expr, kind: str) -> bool:
        """Whether the penalty covers this parameter ("W" always, "b" when the spec asks)."""
        return self.l2 and (kind == "W" or (self.spec.l2_bias and self.has_bias(l)))

    def penalty(self) -> sp.Expr:
        """λ/2 Σ_l ‖W^l‖² (and ‖b^l‖² when asked), times the cost's 1/n for a mean."""
        norms = []
        for l in range(1, self.spec.depth + 1):
            layer = sp.Integer(l)
            norms.append(SquaredNorm(self.W(layer)))
            if self.regularised(layer, "b"):
                norms.append(SquaredNorm(self.b(layer)))
        return sp.Mul(LAMBDA * self.scale / 2, sp.Add(*norms, evaluate=False), evaluate=False)

    def decay(self, q: Any) -> Any:
        """The penalty's gradient in parameter q: λW (λ/n W for a mean)."""
        return sp.MatMul(LAMBDA * self.scale, q)

    # -- dropout -----------------------------------------------------------------------------------
    def dropped(self, layer: sp.Expr) -> bool:
        """Whether layer `layer` multiplies its output by a given dropout mask m^l."""
        layer = as_expr(layer)
        return bool(self.spec.dropout) and layer.is_Integer and int(layer) in self.spec.dropout

    def masks(self) -> list[NetQuantity]:
        return [self.m(sp.Integer(l)) for l in self.spec.dropout]

    # -- residual connections ------------------------------------------------------------------------
    def residual_from(self, layer: sp.Expr) -> sp.Integer | None:
        """The layer j of a skip into `layer` (a^l = f(z^l) + a^j), else None."""
        layer = as_expr(layer)
        if not self.spec.residual or not layer.is_Integer:
            return None
        j = self.spec.residual_from(int(layer))
        return None if j is None else sp.Integer(j)

    def residual_into(self, layer: sp.Expr) -> list[sp.Integer]:
        """The layers t whose skip starts at `layer` (a^t = f(z^t) + a^l): each adds ∂C/∂a^t to ∂C/∂a^l."""
        layer = as_expr(layer)
        if not self.spec.residual or not layer.is_Integer:
            return []
        return [sp.Integer(t) for t, j in self.spec.residual if j == int(layer)]

    # -- normalisation layers ------------------------------------------------------------------------
    def norm(self, layer: sp.Expr) -> str | None:
        """The normalisation of layer `layer` between z and the activation ("batch", "layer"), or None."""
        layer = as_expr(layer)
        return self.spec.norm_kind(int(layer)) if self.spec.norm and layer.is_Integer else None

    def norm_count(self, l: sp.Expr) -> sp.Expr:
        """N, how many values one mean and variance run over: the batch's n (batch norm) or the
        layer's width n_l (layer norm)."""
        return self.batch if self.norm(l) == "batch" else self.width(l)

    def _stats_are_columns(self, l: sp.Expr) -> bool:
        """Whether μ^l, σ²^l are column vectors: one per neuron in the column convention (batch
        norm) or one per sample in the row convention (layer norm); else row vectors."""
        return (self.norm(l) == "batch") != self.row

    def _stats_shape(self, l: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
        rows, cols = self._activation_shape(self.width(l))
        return (rows, 1) if self._stats_are_columns(l) else (1, cols)

    def mu(self, l: sp.Expr) -> NetQuantity:
        return NetQuantity("mu", l, *self._stats_shape(l))

    def var(self, l: sp.Expr) -> NetQuantity:
        return NetQuantity("var", l, *self._stats_shape(l))

    def zhat(self, l: sp.Expr) -> NetQuantity:
        return NetQuantity("zhat", l, *self._activation_shape(self.width(l)))

    def u(self, l: sp.Expr) -> NetQuantity:
        return NetQuantity("u", l, *self._activation_shape(self.width(l)))

    def gamma(self, l: sp.Expr) -> NetQuantity:
        """The normalisation's scale γ^l, one per neuron (shaped like a bias)."""
        return NetQuantity("gamma", l, *self.b(l).shape)

    def beta(self, l: sp.Expr) -> NetQuantity:
        """The normalisation's shift β^l, one per neuron (shaped like a bias)."""
        return NetQuantity("beta", l, *self.b(l).shape)

    def stats_total(self, l: sp.Expr, q: Any) -> Any:
        """Σ of an activation-shaped q over the values one statistic runs over: q 1 or 1ᵀ q."""
        rows, cols = q.shape
        if self._stats_are_columns(l):
            return sp.MatMul(q, sp.OneMatrix(cols, 1))
        return sp.MatMul(sp.OneMatrix(1, rows), q)

    def spread(self, l: sp.Expr, v: Any) -> Any:
        """A statistic (μ^l, σ²^l or a function of them) repeated over the values it summarises."""
        rows, cols = self._activation_shape(self.width(l))
        if self._stats_are_columns(l):
            return Broadcast(v, cols, axis=1)
        return Broadcast(v, rows, axis=0)

    def per_neuron(self, v: Any) -> Any:
        """A per-neuron vector (γ^l, β^l) repeated over the samples of a batch, like a bias."""
        return Broadcast(v, self.batch, axis=0 if self.row else 1) if self.batched else v

    def sample_total(self, q: Any) -> Any:
        """Σ over the samples of an activation-shaped q: a per-neuron vector (∂C/∂b, ∂C/∂γ)."""
        if not self.batched:
            return q
        if self.row:
            return sp.MatMul(sp.OneMatrix(1, self.batch), q)
        return sp.MatMul(q, sp.OneMatrix(self.batch, 1))

    def norm_parameters(self) -> list[tuple[int, NetQuantity, NetQuantity]]:
        """(layer, γ^l, β^l) of every normalisation layer."""
        return [(l, self.gamma(sp.Integer(l)), self.beta(sp.Integer(l))) for l, _ in self.spec.norm]

    # -- per-layer facts ------------------------------------------------------------------------
    def width(self, layer: sp.Expr) -> sp.Expr:
        if self.general:
            return WIDTH[layer]
        return sp.Integer(self.widths[int(layer)])

    def activation(self, layer: sp.Expr) -> rules.Activation:
        if self.general:
            return rules.activation(self.spec.layers[-1 if layer == self.L else 0].activation)
        return rules.activation(self.spec.layers[int(layer) - 1].activation)

    def has_bias(self, layer: sp.Expr) -> bool:
        if self.general:
            return self.spec.layers[-1 if layer == self.L else 0].bias
        return self.spec.layers[int(layer) - 1].bias

    # -- quantities -------------------------------------------------------------------------------
    def _activation_shape(self, width: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
        return (self.batch, width) if self.row else (width, self.batch)

    def W(self, l: sp.Expr) -> NetQuantity:
        rows, cols = (self.width(l - 1), self.width(l)) if self.row else (self.width(l), self.width(l - 1))
        return NetQuantity("W", l, rows, cols)

    def b(self, l: sp.Expr) -> NetQuantity:
        shape = (1, self.width(l)) if self.row else (self.width(l), 1)
        return NetQuantity("b", l, *shape)

    def z(self, l: sp.Expr) -> NetQuantity:
        return NetQuantity("z", l, *self._activation_shape(self.width(l)))

    def a(self, l: sp.Expr) -> NetQuantity:
        if l == 0:
            return self.input
        return NetQuantity("a", l, *self._activation_shape(self.width(l)))

    def m(self, l: sp.Expr) -> NetQuantity:
        """The dropout mask of layer l, shaped like a^l: an input, its entries 0 or 1/(1 − p)."""
        return NetQuantity("m", l, *self._activation_shape(self.width(l)))

    def delta(self, l: sp.Expr) -> NetQuantity:
        return NetQuantity("delta", l, *self._activation_shape(self.width(l)))

    @property
    def x(self) -> NetQuantity:
        return NetQuantity("x", 0, *self._activation_shape(self.width(0)))

    @property
    def input(self) -> NetQuantity:
        """a^0: the input, or its standardised version when the spec normalises it."""
        if self.spec.normalize_input:
            return NetQuantity("xhat", 0, *self._activation_shape(self.width(0)))
        return self.x

    @property
    def y(self) -> NetQuantity:
        return NetQuantity("y", 0, *self._activation_shape(self.width(self.L)))

    # -- products in the convention's order -------------------------------------------------------
    def affine(self, l: sp.Expr) -> Any:
        product = sp.MatMul(self.a(l - 1), self.W(l)) if self.row else sp.MatMul(self.W(l), self.a(l - 1))
        if not self.has_bias(l):
            return product
        bias = Broadcast(self.b(l), self.batch, axis=0 if self.row else 1) if self.batched else self.b(l)
        return sp.MatAdd(product, bias, evaluate=False)

    def back_through_weights(self, l: sp.Expr) -> Any:
        """∂C/∂a^{l-1} from δ^l: (W^l)ᵀ δ^l, or δ_l W_lᵀ in the row convention."""
        if self.row:
            return sp.MatMul(self.delta(l), sp.Transpose(self.W(l)))
        return sp.MatMul(sp.Transpose(self.W(l)), self.delta(l))

    def weight_gradient(self, l: sp.Expr) -> Any:
        if self.row:
            return sp.MatMul(sp.Transpose(self.a(l - 1)), self.delta(l))
        return sp.MatMul(self.delta(l), sp.Transpose(self.a(l - 1)))

    def bias_gradient(self, l: sp.Expr) -> Any:
        return self.sample_total(self.delta(l))

    # -- components ----------------------------------------------------------------------------------
    def entry(self, q: Any, neuron: Any, sample: Any = I) -> Entry:
        """An entry of an activation-shaped quantity: one index for one sample, two for a batch."""
        if not self.batched:
            return Entry(q, neuron)
        return Entry(q, sample, neuron) if self.row else Entry(q, neuron, sample)

    def weight_entry(self, l: sp.Expr, source: Any, dest: Any) -> Entry:
        """The weight from neuron `source` of layer l-1 to neuron `dest` of layer l."""
        return Entry(self.W(l), source, dest) if self.row else Entry(self.W(l), dest, source)

    def sample_sum(self, body: sp.Expr) -> sp.Expr:
        return sp.Sum(body, (I, 1, self.batch)) if self.batched else body

    def indices(self, *neurons: tuple[sp.Symbol, sp.Expr]) -> tuple:
        limits = tuple((s, 1, n) for s, n in neurons)
        return limits + (((I, 1, self.batch),) if self.batched else ())
