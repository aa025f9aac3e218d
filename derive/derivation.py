"""`Step` and `Derivation`: the one contract between the engine and everything downstream.

A `Step` states `forms[0] = forms[1] = …` (an `=` chain; a definition when `kind` says so), with
SymPy objects only, the rule that justifies it, the earlier steps it uses and the shape of every
matrix quantity in it. Renderers, the exporter and the checker read steps and never reach back
into the engine; a test can build a `Derivation` by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterator

import sympy as sp
from sympy.matrices.expressions import MatrixExpr

from .algebra import Entry, NetQuantity
from .spec import NetworkSpec

#: Step kinds. A "definition" introduces a quantity (forward pass, δ ≡ ∂C/∂z); a "claim" is a
#: result that verification must prove; an "identity" is a registry fact (σ' = a(1 − a)),
#: proved once per registry entry and re-checked numerically wherever it is used.
KINDS = ("definition", "claim", "identity")


@dataclass(frozen=True)
class Step:
    key: str
    section: str
    what: str
    forms: tuple[Any, ...]
    rule: str
    kind: str = "claim"
    layer: Any = None
    uses: tuple[str, ...] = ()
    indices: tuple[tuple[sp.Symbol, Any, Any], ...] = ()  # free component indices: (j, 1, n_l)
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"step kind {self.kind!r} is not one of {KINDS}")
        if len(self.forms) < 2:
            raise ValueError(f"step {self.key} needs a left-hand side and at least one right-hand side")

    @property
    def lhs(self) -> Any:
        return self.forms[0]

    @property
    def rhs(self) -> Any:
        """The last, most explicit right-hand side."""
        return self.forms[-1]

    @property
    def is_matrix(self) -> bool:
        return isinstance(self.lhs, MatrixExpr)

    def printed(self, printer: Any) -> list[str]:
        """The chain as printed, dropping a form that prints like the one before it (δ = ∂C/∂z
        when the notation writes δ as ∂C/∂z)."""
        out: list[str] = []
        for form in self.forms:
            text = printer(form)
            if not out or out[-1] != text:
                out.append(text)
        return out

    def quantities(self) -> list[NetQuantity]:
        """Every named matrix quantity in the step, in order of first appearance."""
        found: dict[NetQuantity, None] = {}
        for form in self.forms:
            for node in sp.preorder_traversal(form):
                if isinstance(node, NetQuantity):
                    found.setdefault(node, None)
        return list(found)

    def shapes(self) -> list[tuple[NetQuantity, tuple[Any, Any]]]:
        """(quantity, shape) for every quantity in the step; ∂C/∂Q always has the shape of Q."""
        return [(q, q.shape) for q in self.quantities()]


@dataclass(frozen=True)
class Check:
    """One verification record: what was checked, how, and how well it agreed."""

    step: str
    method: str  # "symbolic" (entry by entry against sp.diff) | "numeric" (central differences) | "instance"
    detail: str
    entries: int = 0
    max_error: float | None = None


@dataclass(frozen=True)
class ScalarBinding:
    """A scalar symbol of the neuron-numbered view (w35, a3, ŷ1) and the matrix entry it names."""

    symbol: sp.Symbol
    latex: str
    text: str
    entry: Entry


@dataclass(frozen=True)
class Derivation:
    spec: NetworkSpec
    steps: tuple[Step, ...]
    parameters: tuple[tuple[str, NetQuantity, str], ...]  # (W1, quantity, key of its gradient step)
    checks: tuple[Check, ...] = ()
    general: bool = False
    instances: tuple["Derivation", ...] = ()
    scalar_bindings: tuple[ScalarBinding, ...] = ()
    assumptions: tuple[str, ...] = ()
    symbols: dict[str, Any] = field(default_factory=dict)  # named dims: batch symbol, widths base

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def step(self, key: str) -> Step:
        for s in self.steps:
            if s.key == key:
                return s
        raise KeyError(key)

    def keys(self) -> list[str]:
        return [s.key for s in self.steps]

    def gradient(self, name: str) -> Step:
        for pname, _, key in self.parameters:
            if pname == name:
                return self.step(key)
        raise KeyError(name)

    @property
    def verified(self) -> bool:
        claims = {s.key for s in self.steps if s.kind != "definition"}
        checked = {c.step for c in self.checks}
        return bool(self.checks) and claims <= checked

    def with_checks(self, checks: tuple[Check, ...], instances: tuple["Derivation", ...] = ()) -> "Derivation":
        return replace(self, checks=checks, instances=instances or self.instances)

    def printer_settings(self, kind: str = "latex") -> dict[str, Any]:
        """Settings for the LaTeX ("latex") or Unicode ("text") printer: notation, output layer
        and the names of the scalar-view symbols."""
        settings: dict[str, Any] = {"notation": self.spec.notation, "output_layer": self.symbols.get("L")}
        if self.scalar_bindings:
            settings["symbol_names"] = {
                b.symbol: (b.latex if kind == "latex" else b.text) for b in self.scalar_bindings
            }
        return settings

    def checks_for(self, key: str) -> list[Check]:
        return [c for c in self.checks if c.step == key]
