"""What the checker knows about the network a post derives: its quantities and their truths.

A `World` holds, for one network spec:

- the *symbolic frame*: quantities with symbolic widths n_l (and symbolic L for a general
  derivation), in which a formula's shapes are checked ("shapes first");
- the *instance*: a small concrete network (the network itself, or a small instance of a general
  derivation) and the engine's `SymbolicVerifier` on it, which gives the exact truth of every
  quantity a formula can name: forward values, ∂C/∂Q, δ, Jacobians, chain-rule factors;
- the engine's own verified steps for the network, the reference "correct formulas".
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any

import sympy as sp

from ..backprop import build_concrete, build_general
from ..derivation import Derivation
from ..quantities import DEPTH, Frame
from ..safe import as_expr
from ..spec import NetworkSpec
from ..verify import SymbolicVerifier, symbolic_possible

#: The general derivation is checked on this many layers at least (so a hidden layer has a
#: hidden layer after it) and on small widths.
MIN_GENERAL_DEPTH = 3


class World:
    def __init__(self, spec: NetworkSpec) -> None:
        self.spec = spec
        self.general = spec.general
        self.instance_spec = _instance_spec(spec)
        self.symbolic_frame = SymbolicFrame(spec)
        self.frame = Frame(self.instance_spec)
        self.depth = self.instance_spec.depth
        self.widths = self.instance_spec.widths
        self.exact = expandable(self.instance_spec)
        self._instance: Derivation | None = None
        self._engine: Derivation | None = None
        self._verifier: SymbolicVerifier | None = None
        self.cache: dict[str, Any] = {}  # explicit values and random points, shared by every check
        first = [1]
        for w in self.widths[:-1]:
            first.append(first[-1] + w)
        self.first_neuron = first

    @property
    def instance(self) -> Derivation:
        if self._instance is None:
            self._instance = build_concrete(self.instance_spec, components=True)
        return self._instance

    @property
    def engine(self) -> Derivation:
        """The engine's own steps: the reference for "the correct formula"."""
        if self._engine is None:
            self._engine = build_general(self.spec) if self.general else self.instance
        return self._engine

    @property
    def scalar_symbols(self) -> dict[str, Any]:
        if "scalar_symbols" not in self.cache:
            bindings = self.instance.scalar_bindings if self.spec.scalar_view else ()
            self.cache["scalar_symbols"] = {b.symbol.name: b for b in bindings}
        return self.cache["scalar_symbols"]

    def single_sample(self) -> "World":
        """The same network with one sample: for the formulas a batch post writes about one example."""
        return world_for(replace(self.spec, batch=None, name=f"{self.spec.name}-one-sample"))

    def instance_worlds(self) -> list["World"]:
        """For a general derivation: the concrete networks it names (its own widths and its
        instances), for the formulas a post writes about one of them (W^2 of the 3-4-2 network)."""
        if not self.general:
            return []
        out = []
        for widths in [self.spec.widths, *self.spec.instances]:
            name = f"{self.spec.name}-{'-'.join(map(str, widths))}"
            world = world_for(self.spec.with_widths(tuple(widths), name=name))
            if world not in out:
                out.append(world)
        return out

    @property
    def verifier(self) -> SymbolicVerifier:
        if self._verifier is None:
            self._verifier = CheckVerifier(self.instance)
        return self._verifier

    @property
    def reduction(self) -> str:
        """How the network's cost C reduces over the batch: "sum", or "mean" (C averaged)."""
        return getattr(self.spec, "reduction", "sum") or "sum"

    @property
    def batched(self) -> bool:
        return self.spec.batch is not None

    @property
    def batch_symbol(self) -> sp.Symbol | None:
        return self.frame.batch if self.batched else None

    @property
    def dims(self) -> dict[Any, int]:
        return dict(self.verifier.dims)

    def neuron(self, number: int) -> tuple[int, int] | None:
        """(layer, 1-based index in the layer) of a neuron numbered across layers."""
        for layer in range(len(self.widths) - 1, -1, -1):
            if number >= self.first_neuron[layer]:
                index = number - self.first_neuron[layer] + 1
                return (layer, index) if index <= self.widths[layer] else None
        return None

    def neuron_number(self, layer: int, index: int) -> int:
        return self.first_neuron[layer] + index - 1

    def describe_instance(self) -> str:
        widths = "-".join(map(str, self.widths))
        if self.general:
            return f"the instance {widths} of the general derivation (L = {self.depth})"
        if self.instance_spec is not self.spec:
            return f"the instance {widths} of the {'-'.join(map(str, self.spec.widths))} network"
        return f"the {widths} network"

    def symbolic_depth(self) -> sp.Expr:
        return DEPTH if self.general else sp.Integer(self.spec.depth)


#: The checker expands a network exactly up to these sizes (the verifier's own proofs stop
#: earlier; a check expands only the quantities a post names).
CHECK_MAX_WIDTH = 6
CHECK_MAX_PARAMETERS = 120


def expandable(spec: NetworkSpec) -> bool:
    return (symbolic_possible(spec) or (max(spec.widths) <= CHECK_MAX_WIDTH and spec.depth <= 4
                                        and spec.parameter_count() <= CHECK_MAX_PARAMETERS))


class SymbolicFrame(Frame):
    """The frame shapes are checked in: widths n_l for a layer letter l (and for every layer of
    a general derivation), the network's own widths for a numbered layer of a concrete network."""

    def __init__(self, spec: NetworkSpec) -> None:
        super().__init__(spec, general=True)
        if not spec.general:
            self.L = sp.Integer(spec.depth)

    def width(self, layer: sp.Expr) -> sp.Expr:
        layer = as_expr(layer)
        if not self.spec.general and layer.is_Integer and 0 <= int(layer) <= self.spec.depth:
            return sp.Integer(self.spec.widths[int(layer)])
        return super().width(layer)


class CheckVerifier(SymbolicVerifier):
    """The engine's exact verifier with three samples of a batch: a factor 1/n of the batch is then
    told apart from a factor ½ (a post's 1/m counted twice is not a ½ too many)."""

    max_batch = 3


def _instance_spec(spec: NetworkSpec) -> NetworkSpec:
    if not spec.general:
        if expandable(spec):
            return spec
        # Too wide to expand exactly: the same layers, activations and cost at small widths.
        small = tuple(min(w, 3) for w in spec.widths)
        return spec.with_widths(small, name=f"{spec.name}-instance")
    candidates = [tuple(w) for w in spec.instances] + [spec.widths]
    small = [w for w in candidates if max(w) <= 4 and len(w) - 1 >= MIN_GENERAL_DEPTH]
    widths = small[0] if small else (2, 3, 2, 2)
    return spec.with_widths(widths, name=f"{spec.name}-instance")


@lru_cache(maxsize=16)
def world_for(spec: NetworkSpec) -> World:
    return World(spec)
