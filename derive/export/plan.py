"""What an exported gradient computes, read off a verified derivation.

The exporter never differentiates anything: it takes the verified steps (the forward definitions,
the δ recursion, the parameter gradients) and decides which to emit and under which names. Both
code forms (matrix and scalar) and every backend print from this one plan.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sympy as sp

from .. import rules
from ..algebra import CostTotal, Grad, NetQuantity
from ..api import derive, resolve_network
from ..quantities import COST, Frame
from ..derivation import Derivation, Step
from ..errors import DeriveError
from ..safe import is_identifier
from ..spec import NetworkSpec

#: A single-sample network is exported for any number of samples: its derivation is verified with
#: this batch, and the code handles every batch size (one included).
EXPORT_BATCH = 2
RESULT_SECTIONS = ("output", "hidden", "gradients")


@dataclass(frozen=True)
class Assignment:
    """One emitted statement `name = expr`, implementing `step` (quoted in a comment above it)."""

    name: str
    expr: Any
    step: Step


@dataclass(frozen=True)
class Plan:
    spec: NetworkSpec  # the network as the user named it
    derivation: Derivation  # its batched derivation, verified
    frame: Frame
    forward: tuple[Assignment, ...]
    backward: tuple[Assignment, ...]
    gradients: tuple[tuple[str, NetQuantity, str], ...]  # (W1, its quantity, the variable holding dW1)
    cost: rules.Cost
    output_activation: rules.Activation

    @property
    def mean(self) -> bool:
        """Whether the cost is the mean over the batch (the derivation carries the 1/n)."""
        return self.derivation.spec.reduction == "mean"

    @property
    def uses_batch_size(self) -> bool:
        """Whether a backward statement multiplies by a function of the batch size n (the 1/n of
        a mean), which the code then reads off the targets."""
        return self._scales_by_batch_size(self.backward)

    @property
    def forward_uses_batch_size(self) -> bool:
        """Whether a forward statement does (the 1/n of a batch norm's mean and variance)."""
        return self._scales_by_batch_size(self.forward)

    def _scales_by_batch_size(self, assignments: tuple[Assignment, ...]) -> bool:
        batch = self.frame.batch
        return any(isinstance(node, sp.MatMul) and not isinstance(node.args[0], sp.MatrixExpr)
                   and node.args[0].has(batch)
                   for a in assignments for node in sp.preorder_traversal(a.expr))

    @property
    def penalty(self) -> Any:
        """The L2 penalty term of the verified cost step (λ/2 Σ‖W‖², λ/(2n) for a mean), or None."""
        rhs = self.derivation.step("cost").rhs
        if not self.derivation.spec.l2:
            return None
        terms = [t for t in rhs.args if not isinstance(t, CostTotal)]
        assert len(terms) == 1, "a regularised cost is its data term plus one penalty term"
        return terms[0]

    @property
    def masks(self) -> list[NetQuantity]:
        """The dropout masks m^l, inputs of forward/cost/gradients (a dict {"m1": array}) like x."""
        return self.frame.masks()

    @property
    def masks_arg(self) -> str:
        """The extra argument of every API function when the network has dropout masks."""
        return ", masks" if self.masks else ""

    @property
    def row(self) -> bool:
        return self.frame.row

    @property
    def output(self) -> NetQuantity:
        return self.frame.a(self.frame.L)

    @property
    def logits(self) -> NetQuantity:
        return self.frame.z(self.frame.L)

    @property
    def sample_axis(self) -> int:
        """The axis of x (and y) holding the samples: rows (0) or columns (1)."""
        return 0 if self.row else 1

    @property
    def class_axis(self) -> int:
        return 1 - self.sample_axis

    @property
    def softmax_cross_entropy(self) -> bool:
        """A softmax output with cross-entropy: δ = ŷ − y, which holds for targets that sum to 1
        over the classes (one-hot rows, or integer class labels)."""
        rule = self.cost.fused.get(self.output_activation.name)
        return rule is not None and rule.assumption == "one-hot-target"

    @property
    def targets(self) -> str:
        """What y holds: one-hot targets (cross-entropy) or real values."""
        return "one-hot" if self.cost.one_hot_target else "real"

    def shape(self, q: NetQuantity) -> tuple[int, int]:
        return (int(q.shape[0]), int(q.shape[1]))

    @property
    def parameters(self) -> list[tuple[str, tuple[int, int]]]:
        return [(name, self.shape(q)) for name, q, _ in self.gradients]


def variable_name(q: Any) -> str:
    """The name code uses for a quantity: z2, a1, delta2, x, xhat, y, dW2, db1, dC_da1."""
    if isinstance(q, NetQuantity):
        return q.ident
    prefixes = {"W": "dW", "b": "db", "a": "dC_da", "gamma": "dgamma", "beta": "dbeta",
                "u": "dC_du", "zhat": "dC_dzhat", "var": "dC_dvar", "mu": "dC_dmu"}
    if isinstance(q, Grad) and isinstance(q.wrt, NetQuantity) and q.wrt.kind in prefixes:
        prefix = prefixes[q.wrt.kind]
        return f"{prefix}{int(q.wrt.layer)}"
    raise DeriveError(f"exported code has no name for {q}")


def _meaning(q: Any) -> Any:
    """What a result is the gradient of: δ^l is ∂C/∂z^l."""
    if isinstance(q, NetQuantity) and q.kind == "delta":
        return Grad(COST, NetQuantity("z", q.layer, *q.shape))
    return q


def export_spec(spec: NetworkSpec, reduction: str | None = None) -> NetworkSpec:
    """The network as exported: always batched (one sample is a batch of one); `reduction`
    overrides the spec's (a single-sample network can be exported with a mean over batches)."""
    if spec.general:
        raise DeriveError(
            f"{spec.name} is the general L-layer derivation; export a network of concrete widths, e.g. mlp:"
            + "-".join(map(str, spec.widths))
        )
    return replace(spec, batch=spec.batch or EXPORT_BATCH, scalar_view=False, reduction=reduction or spec.reduction)


def make_plan(net: str | NetworkSpec, *, seed: int = 0, reduction: str | None = None) -> Plan:
    spec = resolve_network(net)
    d = derive(export_spec(spec, reduction), seed=seed)  # verified, or VerificationError: never unproved code
    frame = Frame(d.spec)
    forward = tuple(
        Assignment(variable_name(s.lhs), s.rhs, s)
        for s in d.steps
        if s.section == "forward" and s.kind == "definition" and isinstance(s.lhs, NetQuantity)
    )

    results: dict[Any, Step] = {}
    for s in d.steps:
        if s.kind == "claim" and s.is_matrix and not s.indices and s.section in RESULT_SECTIONS:
            meaning = _meaning(s.lhs)
            if isinstance(meaning, Grad) and isinstance(meaning.wrt, NetQuantity):
                results.setdefault(meaning, s)

    needed: set[Any] = set()

    def need(meaning: Any) -> None:
        if meaning in needed:
            return
        needed.add(meaning)
        for node in sp.preorder_traversal(results[meaning].rhs):
            if isinstance(node, (NetQuantity, Grad)) and _meaning(node) in results and _meaning(node) != meaning:
                need(_meaning(node))

    for _, quantity, _ in d.parameters:
        need(Grad(COST, quantity))
    position = {s.key: i for i, s in enumerate(d.steps)}
    backward = tuple(
        Assignment(variable_name(results[m].lhs) if isinstance(results[m].lhs, NetQuantity) else variable_name(m),
                   results[m].rhs, results[m])
        for m in sorted(needed, key=lambda m: position[results[m].key])
    )
    gradients = tuple((name, q, variable_name(Grad(COST, q))) for name, q, _ in d.parameters)
    for name, q, var in gradients:
        if not (is_identifier(name) and is_identifier(var) and is_identifier(q.ident)):
            raise DeriveError(f"parameter name {name!r} is not an identifier")
    return Plan(spec, d, frame, forward, backward, gradients, rules.cost(d.spec.cost),
                rules.activation(d.spec.layers[-1].activation))
