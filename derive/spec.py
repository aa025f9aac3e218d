"""Network specifications: frozen, validated when built, from an example, a TOML file or a shorthand.

A spec says everything the engine needs and nothing about presentation except its `Notation`:
layer widths, one activation and one bias flag per weight layer, the cost, the convention
(`column`: z = W a + b with samples as columns; `row`: Z = X W + b with samples as rows), the
batch (None for one sample) and whether the input is standardised first.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import rules
from .errors import DeriveError, UnknownName
from .inputs import MAX_SPEC_BYTES, loads_toml, quoted, read_text
from .notation import COLUMN, ROW, Notation, VOCABULARY

CONVENTIONS = ("column", "row")
#: How the cost combines the samples of a batch: their sum, or their mean (C = (1/n) Σ_i …).
REDUCTIONS = ("sum", "mean")
#: How a network is trained, for any network (spec keys; the CLI's --reduction, --l2, --l2-bias).
TRAINING_KEYS = {
    "reduction": "sum (default) or mean: the cost over the samples of a batch (mean needs a batch)",
    "l2": "λ > 0 adds the L2 penalty λ/2 Σ‖W^l‖² (λ/(2n) with the mean); ∂C/∂W^l gains λW^l",
    "l2_bias": "true: the L2 penalty also covers the biases (∂C/∂b^l gains λb^l)",
    "dropout": "hidden layers with a given mask m^l, e.g. [1, 2]: a^l = f(z^l) ⊙ m^l, m^l of 0 and 1/(1 − p)",
    "residual_from": "per [[layers]] table, j < l of the same width: a skip a^l = f(z^l) + a^j (j = 0: the input); "
                     "--residual l:j",
    "norm": "batch or layer normalisation between z^l and f: \"batch\" (every hidden layer) or \"batch:1,2\", "
            "\"layer\", \"layer:1\" (or norm per [[layers]] table); u^l = γ^l ⊙ ẑ^l + β^l, a^l = f(u^l), no b^l",
    "norm_epsilon": "ε of the normalisation, ẑ = (z − μ)/√(σ² + ε) (default 1e-05, as torch)",
}
#: The normalisation layer kinds: the axis their mean and variance run over.
NORM_KINDS = {
    "batch": "over the samples of the batch, per neuron (torch's BatchNorm1d in training mode)",
    "layer": "over the neurons of one sample (torch's LayerNorm)",
}
#: ε of a normalisation layer when the spec gives none: torch's default.
DEFAULT_NORM_EPSILON = 1e-5
#: Beyond this many parameters the numeric check of every gradient is not done within 10 s of CPU
#: on a busy machine (mlp:3161-3161 is at the limit and takes about 6 s): refuse up front.
MAX_PARAMETERS = 10_000_000
MAX_LAYERS = 64
MAX_BATCH = 4096
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


@dataclass(frozen=True)
class Layer:
    """One weight layer: its width (neurons), activation and whether it has a bias."""

    width: int
    activation: str = "sigmoid"
    bias: bool = True


@dataclass(frozen=True)
class NetworkSpec:
    name: str
    input_width: int
    layers: tuple[Layer, ...]
    cost: str = "quadratic"
    convention: str = "column"
    batch: int | None = None
    normalize_input: bool = False
    reduction: str = "sum"
    l2: float = 0.0  # λ of the L2 penalty λ/2 Σ_l ‖W^l‖² (λ/(2n) with the mean); 0: none
    l2_bias: bool = False  # the penalty also covers the biases
    #: Hidden layers l with a dropout mask m^l, an input like x: a^l = f(z^l) ⊙ m^l. The mask's
    #: entries are given already scaled (0 or 1/(1 − p), inverted dropout), so p never appears.
    dropout: tuple[int, ...] = ()
    #: Residual (skip) connections (l, j): a^l = f(z^l) + a^j, j < l of the same width (0: the input).
    residual: tuple[tuple[int, int], ...] = ()
    #: Hidden layers with a normalisation between z^l and the activation, as (layer, kind) pairs
    #: (kind in NORM_KINDS); given also as "batch" (every hidden layer) or "batch:1,2".
    norm: tuple[tuple[int, str], ...] | str = ()
    norm_epsilon: float = DEFAULT_NORM_EPSILON
    notation: Notation = COLUMN
    scalar_view: bool = False  # name neurons 1..n across layers and weights by pairs (w13)
    general: bool = False  # also derive for a symbolic number of layers L (the l-layer proof)
    instances: tuple[tuple[int, ...], ...] = ()  # extra widths the general result is checked at
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not NAME_PATTERN.match(self.name):
            raise DeriveError(f"network name {self.name!r} must match [A-Za-z][A-Za-z0-9_-]*")
        _check_width("input width", self.input_width)
        if not self.layers:
            raise DeriveError("a network needs at least one weight layer")
        if len(self.layers) > MAX_LAYERS:
            raise DeriveError(f"{len(self.layers)} layers is more than the limit of {MAX_LAYERS}")
        for i, layer in enumerate(self.layers, start=1):
            _check_width(f"width of layer {i}", layer.width)
            rules.lookup_activation(layer.activation)
            if not isinstance(layer.bias, bool):
                raise DeriveError(f"bias of layer {i} must be true or false, not {layer.bias!r}")
        if self.convention not in CONVENTIONS:
            raise UnknownName("convention", self.convention, CONVENTIONS)
        canonical = rules.lookup_cost(self.cost).name
        if canonical != self.cost:
            object.__setattr__(self, "cost", canonical)
        # leaky-relu:0.20 and leaky-relu:0.01 (the default) are written leaky-relu:0.2 and leaky-relu
        named = tuple(replace(layer, activation=rules.lookup_activation(layer.activation).name) for layer in self.layers)
        if named != self.layers:
            object.__setattr__(self, "layers", named)
        output = self.layers[-1]
        for i, layer in enumerate(self.layers[:-1], start=1):
            if not rules.lookup_activation(layer.activation).elementwise:
                raise DeriveError(
                    f"{layer.activation} is only allowed on the output layer (layer {len(self.layers)}), "
                    f"not on layer {i}; hidden layers take an elementwise activation: "
                    + ", ".join(a for a, e in rules.ACTIVATIONS.items() if e.elementwise)
                )
        if not rules.lookup_activation(output.activation).elementwise and output.width < 2:
            raise DeriveError(
                f"{output.activation} needs at least 2 outputs (with 1 it is the constant 1), not {output.width}"
            )
        rules.check_pair(rules.lookup_activation(output.activation), rules.lookup_cost(self.cost))
        if self.batch is not None:
            if isinstance(self.batch, bool) or not isinstance(self.batch, int) or self.batch < 1:
                raise DeriveError(f"batch must be a whole number of samples >= 1, not {self.batch!r}")
            if self.batch > MAX_BATCH:
                raise DeriveError(f"batch {self.batch} is more than the limit of {MAX_BATCH} samples")
        if self.reduction not in REDUCTIONS:
            raise UnknownName("reduction", self.reduction, REDUCTIONS)
        if self.reduction == "mean" and self.batch is None:
            raise DeriveError("reduction 'mean' averages over a batch: give a batch of samples (--batch N, batch = N)")
        self._check_l2()
        self._check_dropout()
        self._check_residual()
        self._check_norm()
        count = self.parameter_count()
        if count > MAX_PARAMETERS:
            raise DeriveError(
                f"the network has {count:,} parameters, more than the limit of {MAX_PARAMETERS:,} "
                "(verifying every gradient numerically would take too long)"
            )
        if self.scalar_view and not self.scalar_view_possible():
            raise DeriveError(
                "the neuron-numbered scalar view needs one sample, the column convention and at most 9 neurons"
            )
        for widths in self.instances:
            if len(widths) < 2:
                raise DeriveError(f"instance {widths!r} needs an input width and at least one layer")
            for w in widths:
                _check_width("instance width", w)

    def _check_l2(self) -> None:
        l2 = self.l2
        if isinstance(l2, bool) or not isinstance(l2, (int, float)) or not math.isfinite(l2) or l2 < 0:
            raise DeriveError(f"l2 (the weight decay λ) must be a number >= 0, not {l2!r}")
        object.__setattr__(self, "l2", float(l2))
        if not isinstance(self.l2_bias, bool):
            raise DeriveError(f"l2_bias must be true or false, not {self.l2_bias!r}")
        if self.l2_bias and not self.l2:
            raise DeriveError("l2_bias regularises the biases with the L2 penalty: give l2 = λ > 0 too")
        if self.l2:
            self._concrete_only("the L2 penalty is", "L2 penalty", "--l2")

    def _check_dropout(self) -> None:
        dropout = self.dropout
        if isinstance(dropout, (str, bytes)) or not isinstance(dropout, (list, tuple)):
            raise DeriveError(f"dropout must be a list of hidden layers such as [1, 2], not {dropout!r}")
        hidden = list(range(1, self.depth))
        for l in dropout:
            if isinstance(l, bool) or not isinstance(l, int) or l not in hidden:
                choices = ", ".join(map(str, hidden)) or "none: the network has no hidden layer"
                raise DeriveError(f"dropout layer {l!r} is not a hidden layer; choose from {choices}")
        if len(set(dropout)) != len(dropout):
            raise DeriveError(f"dropout lists a layer twice: {list(dropout)!r}")
        object.__setattr__(self, "dropout", tuple(sorted(dropout)))
        if self.dropout:
            self._concrete_only("dropout is", "dropout mask", "--dropout")

    def _concrete_only(self, subject: str, missing: str, option: str, example: str = "mlp:3-4-2") -> None:
        """Refuse a training option on the general L-layer derivation and on the scalar view, which
        derive it for no network of concrete widths."""
        if self.general:
            raise DeriveError(f"{subject} derived for concrete widths: use a network such as {example}, "
                              "not the general L-layer derivation")
        if self.scalar_view:
            raise DeriveError(f"the neuron-numbered scalar view has no {missing}: use the same widths as "
                              f"mlp:… with {option}")

    def _check_residual(self) -> None:
        residual = self.residual
        if isinstance(residual, (str, bytes)) or not isinstance(residual, (list, tuple)) or not all(
                isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(v, int) and not isinstance(v, bool)
                                                                       for v in p) for p in residual):
            raise DeriveError(f"residual must be pairs (layer, from) such as [(3, 1)], not {residual!r}")
        if residual:
            self._concrete_only("residual connections are", "residual connections", "--residual", "mlp:3-4-4-2")
        layers = list(range(1, self.depth + 1))
        seen: set[int] = set()
        for l, j in residual:
            if l not in layers:
                raise DeriveError(f"residual layer {l} is not a layer; choose from {', '.join(map(str, layers))}")
            if l in seen:
                raise DeriveError(f"layer {l} has two residual connections; give it one residual_from")
            seen.add(l)
            if not 0 <= j < l:
                raise DeriveError(f"residual_from of layer {l} must be an earlier layer, 0 (the input) to {l - 1}, "
                                  f"not {j}")
            width = self.widths[l]
            if self.widths[j] != width:
                same = [str(k) for k in range(l) if self.widths[k] == width] or ["none"]
                source = "the input (layer 0)" if j == 0 else f"layer {j}"
                raise DeriveError(f"a residual into layer {l} from {source} needs equal widths, but layer {l} has "
                                  f"{width} neurons and {source} has {self.widths[j]}; layers before {l} of width "
                                  f"{width}: {', '.join(same)}")
            act = rules.lookup_activation(self.layers[l - 1].activation)
            if not act.elementwise:
                raise DeriveError(f"layer {l}'s {act.name} is not elementwise (its outputs sum to 1), so a^{l} = "
                                  f"{act.name}(z^{l}) + a^{j} is refused; residual connections join layers with an "
                                  "elementwise activation")
            if l in self.dropout or j in self.dropout:
                which = l if l in self.dropout else j
                raise DeriveError(f"layer {which} has dropout; residual connections join layers without a dropout "
                                  "mask")
            cost = rules.lookup_cost(self.cost)
            if l == self.depth and cost.input_range != (-math.inf, math.inf):
                unbounded = ", ".join(n for n, c in rules.COSTS.items() if c.input_range == (-math.inf, math.inf))
                raise DeriveError(f"a residual into the output layer {l} makes a^{l} = f(z^{l}) + a^{j} leave the "
                                  f"range the {cost.name} cost needs; costs defined for every output: {unbounded}")
        object.__setattr__(self, "residual", tuple(sorted((l, j) for l, j in residual)))

    def residual_from(self, layer: int) -> int | None:
        """The layer j whose output layer `layer` adds to its own (a^l = f(z^l) + a^j), else None."""
        return next((j for l, j in self.residual if l == layer), None)

    def _check_norm(self) -> None:
        object.__setattr__(self, "norm", norm_layers(self.norm, self.depth))
        eps = self.norm_epsilon
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not math.isfinite(eps) or eps <= 0:
            raise DeriveError(f"norm_epsilon (the ε of √(σ² + ε)) must be a number > 0, not {eps!r}")
        object.__setattr__(self, "norm_epsilon", float(eps))
        if self.norm:
            self._concrete_only("normalisation layers are", "normalisation layer", "--norm")
        for l, kind in self.norm:
            layer = self.layers[l - 1]
            if layer.bias:
                raise DeriveError(f"layer {l} has {kind} normalisation and a bias: the mean removes b^{l} (its "
                                  f"gradient is exactly 0) and β^{l} takes its place; give layer {l} bias = false")
            if kind == "batch" and (self.batch or 1) < 2:
                raise DeriveError("batch normalisation needs a batch of n >= 2 samples (--batch N, batch = N): "
                                  "the variance of one sample is 0")
            if kind == "layer" and layer.width < 2:
                raise DeriveError(f"layer normalisation needs a layer of width >= 2: layer {l} has width "
                                  f"{layer.width}, and the variance of one neuron is 0")
        if self.norm and self.dropout:
            raise DeriveError("normalisation layers and dropout are not derived together yet: give one of them")
        if self.norm and self.residual:
            raise DeriveError("normalisation layers and residual connections are not derived together yet: "
                              "give one of them")
        if self.norm and self.residual:
            raise DeriveError("normalisation layers and residual connections are not derived together yet: "
                              "give one of them")

    def norm_kind(self, layer: int) -> str | None:
        """The normalisation of hidden layer `layer` ("batch", "layer"), or None."""
        return dict(self.norm).get(layer)

    @property
    def widths(self) -> tuple[int, ...]:
        return (self.input_width, *(layer.width for layer in self.layers))

    @property
    def depth(self) -> int:
        return len(self.layers)

    def parameter_count(self) -> int:
        total, fan_in = 0, self.input_width
        normed = {l for l, _ in self.norm} if isinstance(self.norm, tuple) else set()
        for i, layer in enumerate(self.layers, start=1):
            total += fan_in * layer.width + (layer.width if layer.bias else 0)
            total += 2 * layer.width if i in normed else 0  # γ^l and β^l
            fan_in = layer.width
        return total

    def scalar_view_possible(self) -> bool:
        return self.batch is None and self.convention == "column" and sum(self.widths) <= 9

    def with_widths(self, widths: tuple[int, ...], name: str | None = None) -> "NetworkSpec":
        """The same network at other widths (and depth): used to instantiate the general proof."""
        hidden, output = self.layers[0], self.layers[-1]
        layers = tuple(
            replace(hidden if i < len(widths) - 2 else output, width=w) for i, w in enumerate(widths[1:])
        )
        return replace(
            self, name=name or self.name, input_width=widths[0], layers=layers,
            scalar_view=False, general=False, instances=(),
        )

    def describe(self) -> str:
        acts = "-".join(layer.activation for layer in self.layers)
        bias = "bias" if all(l.bias for l in self.layers) else (
            "no bias" if not any(l.bias for l in self.layers) else "bias on " + ",".join(
                str(i) for i, l in enumerate(self.layers, 1) if l.bias))
        batch = "one sample" if self.batch is None else f"batch of n (checked at n = {self.batch})"
        norm = ", standardised input" if self.normalize_input else ""
        cost = f"{self.cost} cost" + (" averaged over the batch" if self.reduction == "mean" else "")
        if self.l2:
            cost += f" + L2 penalty (λ = {self.l2:g}{' on weights and biases' if self.l2_bias else ''})"
        if self.dropout:
            norm += ", dropout on layer " + ",".join(map(str, self.dropout))
        if self.residual:
            norm += ", residual " + ",".join(f"{l}:{j}" for l, j in self.residual)
        for kind in NORM_KINDS:
            layers = [l for l, k in self.norm if k == kind]
            if layers:
                norm += f", {kind} norm on layer " + ",".join(map(str, layers))
        return (f"{'-'.join(map(str, self.widths))} {acts}, {cost}, {self.convention} convention, "
                f"{bias}, {batch}{norm}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "widths": list(self.widths),
            "layers": [{"width": l.width, "activation": l.activation, "bias": l.bias} for l in self.layers],
            "cost": self.cost,
            "convention": self.convention,
            "batch": self.batch,
            "normalize_input": self.normalize_input,
            "reduction": self.reduction,
            "l2": self.l2,
            "l2_bias": self.l2_bias,
            **({"dropout": list(self.dropout)} if self.dropout else {}),
            **({"residual": [{"layer": l, "from": j} for l, j in self.residual]} if self.residual else {}),
            **({"norm": [[l, k] for l, k in self.norm], "norm_epsilon": self.norm_epsilon} if self.norm else {}),
            "general": self.general,
        }


def _check_width(what: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DeriveError(f"{what} must be a whole number >= 1, not {value!r}")
    if value < 1:
        raise DeriveError(f"{what} must be >= 1, not {value}")


def norm_layers(norm: Any, depth: int) -> tuple[tuple[int, str], ...]:
    """The (layer, kind) pairs of a norm setting: "batch" (every hidden layer), "batch:1,2", or
    pairs already; one-line errors name the valid kinds and layers."""
    hidden = list(range(1, depth))
    choices = ", ".join(map(str, hidden)) or "none: the network has no hidden layer"
    if isinstance(norm, str):
        kind, _, layers = norm.partition(":")
        if kind not in NORM_KINDS:
            raise UnknownName("normalisation", kind, [*NORM_KINDS, *(k + ":LAYERS" for k in NORM_KINDS)])
        if not layers:
            if not hidden:
                raise DeriveError(f"{kind} normalisation goes on hidden layers, and the network has none")
            return tuple((l, kind) for l in hidden)
        if not re.fullmatch(r"[0-9]{1,3}(,[0-9]{1,3})*", layers):
            raise DeriveError(f"norm {norm!r} must name layers such as {kind}:1 or {kind}:1,2")
        norm = [(int(l), kind) for l in layers.split(",")]
    if not isinstance(norm, (list, tuple)):
        raise DeriveError(f"norm must be \"batch\", \"layer\" or such as \"batch:1,2\", not {norm!r}")
    pairs = []
    for pair in norm:
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            raise DeriveError(f"norm must be \"batch\", \"layer\" or such as \"batch:1,2\", not {norm!r}")
        l, kind = pair
        if not isinstance(kind, str) or kind not in NORM_KINDS:
            raise UnknownName("normalisation", kind, NORM_KINDS)
        if isinstance(l, bool) or not isinstance(l, int) or l not in hidden:
            raise DeriveError(f"norm layer {l!r} is not a hidden layer (not on the output layer); choose from {choices}")
        pairs.append((l, kind))
    if len({l for l, _ in pairs}) != len(pairs):
        raise DeriveError(f"norm names a layer twice: {norm!r}")
    return tuple(sorted(pairs))


def without_norm_biases(layers: tuple[Layer, ...], norm: Any) -> tuple[Layer, ...]:
    """The layers with no bias where a normalisation goes (its β takes the bias's place)."""
    normed = {l for l, _ in norm_layers(norm, len(layers))}
    return tuple(replace(layer, bias=False) if i in normed else layer for i, layer in enumerate(layers, start=1))


def default_notation(convention: str) -> Notation:
    return ROW if convention == "row" else COLUMN


# ----------------------------------------------------------------------------------------------
# Building specs from user input
# ----------------------------------------------------------------------------------------------


def build(
    widths: list[int] | tuple[int, ...],
    *,
    name: str = "mlp",
    activation: str | list[str] = "sigmoid",
    output_activation: str | None = None,
    cost: str = "quadratic",
    convention: str = "column",
    bias: bool | list[bool] = True,
    batch: int | None = None,
    normalize_input: bool = False,
    reduction: str = "sum",
    l2: float = 0.0,
    l2_bias: bool = False,
    dropout: tuple[int, ...] = (),
    residual: tuple[tuple[int, int], ...] = (),
    norm: Any = (),
    norm_epsilon: float = DEFAULT_NORM_EPSILON,
    notation: Notation | None = None,
) -> NetworkSpec:
    """A spec from plain values, as the CLI shorthand and TOML files give them."""
    if len(widths) < 2:
        raise DeriveError(f"widths {list(widths)!r} need an input width and at least one layer width")
    for w in widths:
        _check_width("width", w)
    n_layers = len(widths) - 1
    acts = _per_layer("activation", activation, n_layers)
    if output_activation is not None:
        acts[-1] = output_activation
    biases = _per_layer("bias", bias, n_layers)
    if convention not in CONVENTIONS:
        raise UnknownName("convention", convention, CONVENTIONS)
    layers = without_norm_biases(tuple(Layer(w, a, b) for w, a, b in zip(widths[1:], acts, biases)), norm)
    return NetworkSpec(
        name=name, input_width=widths[0], layers=layers, cost=cost, convention=convention, batch=batch,
        normalize_input=normalize_input, reduction=reduction, l2=l2, l2_bias=l2_bias,
        dropout=dropout, residual=residual, norm=norm, norm_epsilon=norm_epsilon,
        notation=notation or default_notation(convention),
    )


def _per_layer(what: str, value: Any, n_layers: int) -> list[Any]:
    if isinstance(value, (list, tuple)):
        if len(value) != n_layers:
            raise DeriveError(f"{len(value)} values for {what} but the network has {n_layers} weight layers")
        return list(value)
    return [value] * n_layers


SHORTHAND = re.compile(r"mlp:([0-9]{1,9}(?:-[0-9]{1,9})+)\Z")  # ASCII digits only: not mlp:３-4-2


def parse_shorthand(text: str) -> list[int]:
    """'mlp:3-4-2' -> [3, 4, 2]."""
    match = SHORTHAND.match(text)
    if not match:
        raise DeriveError(f"network shorthand {text!r} must look like mlp:3-4-2 (input width, then each layer width)")
    return [int(w) for w in match.group(1).split("-")]


TOML_KEYS = ("name", "input", "layers", "cost", "convention", "batch", "normalize_input", "reduction", "l2",
             "l2_bias", "dropout", "norm", "norm_epsilon", "notation", "description")
LAYER_KEYS = ("width", "activation", "bias", "dropout", "residual_from", "norm")


def load_toml(path: str | Path) -> NetworkSpec:
    """Read a spec file:

        name = "tiny"            # optional
        input = 3
        cost = "quadratic"       # optional
        convention = "column"    # optional
        batch = 4                # optional; omit for one sample
        reduction = "mean"       # optional: "sum" (default) or "mean" over the batch
        l2 = 0.01                # optional: L2 penalty λ/2 Σ ‖W‖² (weight decay); 0 = none
        l2_bias = false          # optional: the penalty also covers the biases
        dropout = [1]            # optional: hidden layers with a dropout mask (inputs m^l)
        norm = "batch"           # optional: batch/layer normalisation, "batch" or "batch:1,2" (no b there)
        norm_epsilon = 1e-5      # optional: the ε of √(σ² + ε)
        [[layers]]
        width = 4
        activation = "tanh"
        bias = true
        dropout = true           # optional: the same as listing this layer in dropout
        residual_from = 0        # optional: a^l = f(z^l) + a^j from an earlier layer j of the same width
        norm = "batch"           # optional: this hidden layer's normalisation ("batch" or "layer")
    """
    path = Path(path)
    data = loads_toml(read_text(path, "spec file", MAX_SPEC_BYTES), quoted(path))
    return spec_from_mapping(data, default_name=_name_from_path(path), source=quoted(path))


def _name_from_path(path: Path) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]", "-", path.stem)
    return stem if NAME_PATTERN.match(stem) else "network"


def spec_from_mapping(data: dict[str, Any], default_name: str = "network", source: str = "spec") -> NetworkSpec:
    unknown = sorted(set(data) - set(TOML_KEYS))
    if unknown:
        raise DeriveError(f"unknown key {unknown[0]!r} in {source}; valid keys: {', '.join(TOML_KEYS)}")
    if "input" not in data:
        raise DeriveError(f"{source} has no 'input' (the input width)")
    layers = data.get("layers")
    if not isinstance(layers, list) or not layers:
        raise DeriveError(f"{source} needs at least one [[layers]] table with a width")
    parsed = []
    dropout = data.get("dropout", [])
    if not isinstance(dropout, list):
        raise DeriveError(f"dropout in {source} must be a list of hidden layers such as [1, 2], not {dropout!r}")
    dropout = list(dropout)
    residual: list[tuple[int, int]] = []
    norm = list(norm_layers(data.get("norm", ()), len(layers)))
    for i, layer in enumerate(layers, start=1):
        if not isinstance(layer, dict):
            raise DeriveError(f"layer {i} in {source} must be a table with keys {', '.join(LAYER_KEYS)}")
        bad = sorted(set(layer) - set(LAYER_KEYS))
        if bad:
            raise DeriveError(f"unknown key {bad[0]!r} in layer {i} of {source}; valid keys: {', '.join(LAYER_KEYS)}")
        if "width" not in layer:
            raise DeriveError(f"layer {i} in {source} has no width")
        act = layer.get("activation", "sigmoid")
        if not isinstance(act, str):
            raise DeriveError(f"activation of layer {i} must be a name, not {act!r}")
        kind = layer.get("norm")
        if kind is not None:
            if not isinstance(kind, str) or kind not in NORM_KINDS:
                raise UnknownName(f"normalisation of layer {i}", kind, NORM_KINDS)
            norm = [(l, k) for l, k in norm if l != i] + [(i, kind)]
        normed = any(l == i for l, _ in norm)
        parsed.append(Layer(layer["width"], act, layer.get("bias", not normed)))
        dropped = layer.get("dropout", False)
        if not isinstance(dropped, bool):
            raise DeriveError(f"dropout of layer {i} must be true or false, not {dropped!r}")
        if dropped and i not in dropout:
            dropout.append(i)
        if "residual_from" in layer:
            skip = layer["residual_from"]
            if isinstance(skip, bool) or not isinstance(skip, int):
                raise DeriveError(f"residual_from of layer {i} must be an earlier layer, 0 (the input) to {i - 1}, "
                                  f"not {skip!r}")
            residual.append((i, skip))
    convention = data.get("convention", "column")
    if not isinstance(convention, str):
        raise DeriveError(f"convention must be a name, not {convention!r}")
    notation = _notation_from(data.get("notation"), convention, source)
    cost = data.get("cost", "quadratic")
    if not isinstance(cost, str):
        raise DeriveError(f"cost must be a name, not {cost!r}")
    normalize = data.get("normalize_input", False)
    if not isinstance(normalize, bool):
        raise DeriveError(f"normalize_input must be true or false, not {normalize!r}")
    reduction = data.get("reduction", "sum")
    if not isinstance(reduction, str):
        raise DeriveError(f"reduction must be one of {', '.join(REDUCTIONS)}, not {reduction!r}")
    return NetworkSpec(
        name=data.get("name", default_name), input_width=data["input"], layers=tuple(parsed), cost=cost,
        convention=convention, batch=data.get("batch"), normalize_input=normalize, reduction=reduction,
        l2=data.get("l2", 0.0), l2_bias=data.get("l2_bias", False),
        dropout=tuple(dropout), residual=tuple(residual), norm=tuple(norm),
        norm_epsilon=data.get("norm_epsilon", DEFAULT_NORM_EPSILON), notation=notation,
        description=str(data.get("description", "")),
    )


NOTATION_KEYS = ("input", "target", "preact", "act", "output", "weight", "bias", "delta", "cost", "batch", "layer_index")


def _notation_from(table: Any, convention: str, source: str) -> Notation:
    base = default_notation(convention if convention in CONVENTIONS else "column")
    if table is None:
        return base
    if not isinstance(table, dict):
        raise DeriveError(f"[notation] in {source} must be a table with keys {', '.join(NOTATION_KEYS)}")
    bad = sorted(set(table) - set(NOTATION_KEYS))
    if bad:
        raise DeriveError(f"unknown key {bad[0]!r} in [notation] of {source}; valid keys: {', '.join(NOTATION_KEYS)}")
    values = {k: (None if v == "" else v) for k, v in table.items()}
    for key, value in values.items():
        if value is not None and not isinstance(value, str):
            raise DeriveError(f"notation {key} must be a name from: {', '.join(VOCABULARY)}")
    return replace(base, **values)
