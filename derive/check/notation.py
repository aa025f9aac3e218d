"""The notation map: which symbol of a post names which quantity of the network.

Posts name things differently: `h` or `a` for activations, `\\hat y` for the prediction in one
post and for the *target* in the next, `W_0` for the first weight matrix, `y_{21}` for the output
of neuron 1 in layer 2, weight matrices laid out rows = destination or rows = source. A map binds
each symbol name to a role; the defaults are exactly the notation `derive post` prints for the
network (its `Notation`), and a post or a file can change any of it:

    layout = "source"            # W^l_{jk} goes from neuron j to neuron k (rows = source)
    layer_index = "sub"          # W_1 rather than W^1
    [symbols]
    h = "activation"
    yhat = "target"              # \\hat{y} is the target in this post
    W = { role = "weight", layer_offset = 1 }     # W_0 is the first weight matrix
    y = { role = "activation", index = "layer-neuron" }   # y_{21}: layer 2, neuron 1

A symbol's name is its letter or Greek name with its decoration: `W`, `delta`, `yhat` (\\hat y),
`xbar`, `calD`. Names are checked against [A-Za-z][A-Za-z0-9_]* before anything uses them.
A symbol that is not bound is reported, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from .. import rules
from ..errors import DeriveError, UnknownName
from ..inputs import loads_toml
from ..spec import NetworkSpec
from .tree import DECORATIONS, GREEK

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")

#: role -> what it binds. Activation names (sigmoid, tanh, …) bind a function symbol.
ROLES: dict[str, str] = {
    "weight": "weight matrix W^l (its entries W^l_{jk}, or neuron-pair weights w_{35})",
    "bias": "bias vector b^l",
    "preactivation": "pre-activation z^l = W^l a^{l-1} + b^l",
    "activation": "activation a^l = f(z^l) (a^0 is the input)",
    "output": "the network's output, the last activation (ŷ)",
    "error": "the error δ^l = ∂C/∂z^l",
    "input": "the input x",
    "normalized-input": "the standardised input x̂",
    "target": "the target y",
    "cost": "the cost C",
    "depth": "the number of layers L",
    "batch": "the number of samples n",
    "width": "the width n_l of layer l",
    "mean": "the mean μ used to standardise the input",
    "std": "the standard deviation σ used to standardise the input",
    "kronecker": "the Kronecker delta δ_{jk}",
    "activation-function": "the activation function of a layer (g^{[l]}, f_l; g′ its derivative)",
    "learning-rate": "the learning rate of an update rule (W ← W − η ∂C/∂W)",
    "updated": "a weight or bias after one step of gradient descent, w⁺ = w − η ∂C/∂w (Mazur's w_5^+: bind wplus; "
               "η the map's learning rate)",
    "mask": "the dropout mask m^l of a layer, given like the input (a^l = f(z^l) ⊙ m^l)",
    "norm-mean": "the mean μ^l of a normalisation layer's z^l (over the batch or over the layer's neurons)",
    "norm-variance": "the letter whose square (σ^l)² is the variance of a normalisation layer's z^l around μ^l",
    "norm-standardized": "the standardised ẑ^l = (z^l − μ^l)/√((σ^l)² + ε) of a normalisation layer",
    "norm-output": "a normalisation layer's output u^l = γ^l ⊙ ẑ^l + β^l, the activation's argument (a^l = f(u^l))",
    "norm-scale": "the scale γ^l of a normalisation layer, a parameter (u^l = γ^l ⊙ ẑ^l + β^l)",
    "norm-shift": "the shift β^l of a normalisation layer, a parameter (u^l = γ^l ⊙ ẑ^l + β^l)",
    "norm-epsilon": "the ε of a normalisation layer's √((σ^l)² + ε)",
    "weight-decay": "the weight decay λ of the L2 penalty λ/2 Σ‖W^l‖² in the cost",
    "label": "the class index of a sample (y_i: the correct class of example i, one-hot y[i, y_i] = 1)",
    "jacobian": "a Jacobian J_x(f) = ∂f/∂x (rows = entries of f, columns = entries of x)",
    "identity-matrix": "an identity matrix I_n",
    "none": "not a quantity of the network (removes a default)",
}
LAYOUTS = ("destination", "source")
LAYER_INDEX = ("super", "sub")
#: How a symbol's subscript is read: `entry` W_{jk}; `neuron` a_3 numbered across layers; `layer-neuron`
#: y_{21}; `pair` w_{35}; `named` out_{h1}, a neuron named in the map's [neurons]; `shared` b_1, the one
#: bias that all neurons of layer 1 share (Mazur's).
INDEX_STYLES = ("entry", "neuron", "layer-neuron", "pair", "named", "shared")
WEIGHT_INDEX = ("source-destination", "destination-source")
PRODUCTS = ("auto", "matrix", "elementwise")
PRODUCT_OPERATORS = ("cdot", "times", "ast")  # \cdot, \times, *
KRONECKER = ("kronecker", "outer")  # what \otimes means: the Kronecker product, or u v^T of two vectors
DERIVATIVE_LAYOUTS = ("numerator", "denominator")
REDUCTIONS = ("sum", "mean")
TOP_KEYS = ("layout", "layer_index", "layer_offset", "weight_index", "products", "gradient_prefix", "gradient_of",
            "einstein",
            "derivative_layout", "symbols", "neurons", "weights")
SYMBOL_KEYS = ("role", "layout", "layer_index", "layer_offset", "index", "layer", "one_sample", "reduction")


#: The letters derive's posts give a normalisation layer's quantities (σ is kept for the sigmoid: the
#: variance (σ^l)² is read where σ^l is squared, see build.py).
NORM_LETTERS = {"mu": "norm-mean", "zhat": "norm-standardized", "u": "norm-output", "gamma": "norm-scale",
                "beta": "norm-shift", "epsilon": "norm-epsilon"}


def all_roles() -> list[str]:
    return [*ROLES, *rules.ACTIVATIONS]


@dataclass(frozen=True)
class Binding:
    role: str
    layout: str | None = None
    layer_index: str | None = None
    layer_offset: int | None = None
    index: str = "entry"
    #: The layer meant when none is written: a number (in the post's numbering) or "L" (h for the
    #: hidden layer, a for the output a^L in ∇_a C).
    layer: int | str | None = None
    #: Written without a sample index, the symbol is one sample's (x beside the batch X).
    one_sample: bool = False
    #: For a cost: "mean" when the symbol is the cost averaged over the batch.
    reduction: str | None = None
    #: For a cost, set by the judge from the post's own definition of it: the post's cost is this
    #: number times the network's (2: a squared error without the ½), or "unknown" when whether the
    #: post's formulas follow its definition or the network's cost is open.
    scale: Any = None
    #: For a cost whose scale is "unknown": the factor of the post's own definition, the other reading
    #: (2 for a squared error without the ½ or a definition not read; 2/K for one averaged over K outputs).
    own_scale: Any = None

    @property
    def is_function(self) -> bool:
        return self.role in rules.ACTIVATIONS or self.role == "activation-function"


@dataclass(frozen=True)
class Definition:
    """A symbol the post defines by a formula of bound ones (U[i,k] = e^{S[i,k]}): its name, the index
    letters it takes, the defining expression (a parsed node of `text`)."""

    name: str
    params: tuple[str, ...]
    node: Any
    text: str


@dataclass(frozen=True)
class NotationMap:
    symbols: dict[str, Binding] = field(default_factory=dict)
    layout: str = "destination"
    layer_index: str = "super"
    layer_offset: int = 0
    weight_index: str = "source-destination"
    products: str = "auto"  # what \cdot, \times and * mean between matrices
    product_ops: tuple[tuple[str, str], ...] = ()  # per operator: (("ast", "elementwise"), …)
    kronecker: str | None = None  # what \otimes means between two vectors (None: ask)
    #: Letters glued before a symbol that make it a gradient: "d" reads dW as ∂C/∂W (Ng's notation).
    gradient_prefix: str | None = None
    gradient_of: str | None = None  # the cost symbol those gradients differentiate (default: the one bound)
    #: An index repeated in a product and absent from the other side is summed (Einstein).
    einstein: bool = False
    #: The layout of ∂'s the post states; None: a chain-rule product may hold in either.
    derivative_layout: str | None = None
    #: Read a neuron pair that names no weight in the stated order in the other order instead
    #: (only to test whether a step contradicts the stated convention).
    lenient_pairs: bool = False
    #: Layer letters that name the last layer in the formula being read (a^{(l)} − y: l is L there).
    last_layer_letters: frozenset[str] = frozenset()
    #: Named neurons (Mazur's i1, h1, o2): a name -> (layer in the post's numbering, neuron from 1); a
    #: name that is a letter only (h) names a layer, and h2 is then its neuron 2.
    neurons: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    #: Numbered weights (w1 = "i1 -> h1"): a name -> (source neuron name, destination neuron name).
    weights: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Symbols the post defines by formulas (learned as the post is read).
    definitions: tuple[Definition, ...] = ()
    #: Σ′(z^l) is Nielsen's diagonal matrix of σ′(z^l): unless the post writes Σ without the prime too
    #: (a function or matrix of its own).
    sigma_prime_matrix: bool = True
    #: Keys the post (or the --notation file) set itself: a convention it states.
    stated: frozenset[str] = frozenset()
    sources: tuple[str, ...] = ()

    def product(self, op: str) -> str:
        """What an explicit product operator means between two matrices."""
        return dict(self.product_ops).get(op, self.products)

    def binding(self, name: str) -> Binding | None:
        b = self.symbols.get(name)
        return None if b is None or b.role == "none" else b

    def neuron(self, name: str) -> tuple[int, int] | None:
        """(layer in derive's numbering, neuron from 1) of a neuron the map names (h1: its own entry, or
        neuron 1 of the layer the letter h names), None when the map does not name it."""
        layer, index = self.neurons.get(name, (None, None))
        if layer is None:
            m = re.fullmatch(r"([A-Za-z]+)(\d+)", name)
            if m is None or self.neurons.get(m.group(1), (None, 0))[1] is not None:
                return None
            layer, index = self.neurons[m.group(1)][0], int(m.group(2))
        return layer - self.layer_offset, index

    def check_neurons(self, spec: NetworkSpec) -> None:
        """Every neuron the map names ([neurons], and the ends of [weights]) exists in the network."""
        if spec.general:
            return  # named neurons are read on concrete networks only (the builder says so per formula)
        named = [(name, self.neuron(name)) for name, (_, index) in self.neurons.items() if index is not None]
        named += [(end, self.neuron(end)) for ends in self.weights.values() for end in ends]
        for name, (_, index) in self.neurons.items():
            if index is None:
                named.append((name, (self.neuron(f"{name}1")[0], 1)))
        for name, (layer, index) in sorted(named):
            if not 0 <= layer <= spec.depth:
                raise DeriveError(f"neuron {name} of the notation map is in layer {layer + self.layer_offset}, but "
                                  f"the network's layers are {self.layer_offset} to {spec.depth + self.layer_offset}")
            if index > spec.widths[layer]:
                raise DeriveError(f"neuron {name} of the notation map is neuron {index} of layer "
                                  f"{layer + self.layer_offset}, which has {spec.widths[layer]} neurons")

    @property
    def shared_bias(self) -> bool:
        """Whether the post's layers each have one bias all their neurons share (index = "shared")."""
        return any(b.role == "bias" and b.index == "shared" for b in self.symbols.values())

    def words(self) -> frozenset[str]:
        """Names of more than one letter the post's map binds (out, net, target): read as one symbol
        where their letters are written together, never as a product of letters."""
        def written_as_letters(name: str) -> bool:  # not \delta, \hat{y} (yhat) nor \mathcal{L} (calL)
            return (name.isalpha() and name not in GREEK and not name.endswith(tuple(DECORATIONS.values()))
                    and not (name.startswith("cal") and name[3:4].isupper()))
        return frozenset(name for name in self.symbols if len(name) > 1 and written_as_letters(name)
                         and f"symbols.{name}" in self.stated and not self.symbols[name].is_function)

    def definition(self, name: str) -> Definition | None:
        return next((d for d in reversed(self.definitions) if d.name == name), None)

    def defined(self, definition: Definition) -> "NotationMap":
        return replace(self, definitions=self.definitions + (definition,))

    def functions(self) -> frozenset[str]:
        """Names read as a function when an argument follows: activations, and the cost (C(W, b))."""
        return frozenset(name for name, b in self.symbols.items() if b.is_function or b.role in ("cost", "jacobian"))

    def gradient_cost(self) -> str | None:
        """The cost a gradient prefix differentiates: the map's `gradient_of`, else the one cost symbol
        the post's map binds ("" for the network's own C), None when it binds several."""
        if self.gradient_of is not None:
            return self.gradient_of
        stated = [n for n, b in self.symbols.items() if b.role == "cost" and f"symbols.{n}" in self.stated]
        if not stated:
            return ""
        return stated[0] if len(stated) == 1 else None

    def layer_index_of(self, b: Binding) -> str:
        return b.layer_index or self.layer_index

    def layer_offset_of(self, b: Binding) -> int:
        return self.layer_offset if b.layer_offset is None else b.layer_offset

    def layout_of(self, b: Binding) -> str:
        return b.layout or self.layout

    def names_for(self, role: str) -> list[str]:
        return [name for name, b in self.symbols.items() if b.role == role]

    def stated_conventions(self) -> list[tuple[str, str, "NotationMap"]]:
        """For each weight convention the post states: (what it states, the other one, the map
        with the other one), to test whether a step contradicts it."""
        out = []
        if "weight_index" in self.stated:
            other = _other(self.weight_index, WEIGHT_INDEX)
            out.append((_index_text(self.weight_index), _index_text(other), replace(self, lenient_pairs=True)))
            out.append((_index_text(self.weight_index), _index_text(other), replace(self, weight_index=other)))
        weights = [n for n, b in self.symbols.items() if b.role == "weight" and b.index == "entry"]
        if "layout" in self.stated or any(f"symbols.{n}" in self.stated and self.symbols[n].layout for n in weights):
            layout = self.layout_of(self.symbols[weights[0]]) if weights else self.layout
            flipped = {n: replace(b, layout=_other(self.layout_of(b), LAYOUTS)) if n in weights else b
                       for n, b in self.symbols.items()}
            other = _other(layout, LAYOUTS)
            out.append((_layout_text(layout), _layout_text(other),
                        replace(self, symbols=flipped, layout=_other(self.layout, LAYOUTS))))
        return out

    def merged(self, data: dict[str, Any], source: str) -> "NotationMap":
        """This map overridden by a mapping read from a TOML file, front matter or block."""
        if not isinstance(data, dict):
            raise DeriveError(f"notation map in {source} must be a table of keys, not {type(data).__name__}")
        unknown = sorted(set(data) - set(TOP_KEYS))
        if unknown:
            raise UnknownName(f"notation map key in {source}", unknown[0], TOP_KEYS)
        changes: dict[str, Any] = {}
        for key, choices in (("layout", LAYOUTS), ("layer_index", LAYER_INDEX), ("weight_index", WEIGHT_INDEX)):
            if key in data:
                changes[key] = _choice(data[key], choices, f"{key} in {source}")
        if "products" in data:
            products = data["products"]
            if isinstance(products, dict):
                products = dict(products)
                if "otimes" in products:
                    changes["kronecker"] = _choice(products.pop("otimes"), KRONECKER, f"products.otimes in {source}")
                unknown = sorted(set(products) - set(PRODUCT_OPERATORS))
                if unknown:
                    raise UnknownName(f"operator in products in {source}", unknown[0], PRODUCT_OPERATORS + ("otimes",))
                changes["product_ops"] = tuple(sorted(
                    (op, _choice(v, PRODUCTS, f"products.{op} in {source}")) for op, v in products.items()))
            else:
                changes["products"] = _choice(products, PRODUCTS, f"products in {source}")
        if "layer_offset" in data:
            changes["layer_offset"] = _offset(data["layer_offset"], source)
        if "gradient_prefix" in data:
            prefix = data["gradient_prefix"]
            if not isinstance(prefix, str) or not re.fullmatch(r"[A-Za-z]{1,3}", prefix):
                raise DeriveError(f"gradient_prefix in {source} must be one to three letters (e.g. \"d\"), not {prefix!r}")
            changes["gradient_prefix"] = prefix
        if "gradient_of" in data:
            target = _name(data["gradient_of"], source)
            bound = {**self.symbols, **{k: v for k, v in data.get("symbols", {}).items() if isinstance(k, str)}}
            role = bound[target].role if isinstance(bound.get(target), Binding) else (
                bound[target] if isinstance(bound.get(target), str) else
                bound[target].get("role") if isinstance(bound.get(target), dict) else None)
            if role != "cost":
                raise DeriveError(f"gradient_of in {source} must name a symbol bound to the cost, not {target!r}")
            changes["gradient_of"] = target
        if "einstein" in data:
            changes["einstein"] = _flag(data["einstein"], f"einstein in {source}")
        if "derivative_layout" in data:
            changes["derivative_layout"] = _choice(data["derivative_layout"], DERIVATIVE_LAYOUTS,
                                                   f"derivative_layout in {source}")
        symbols = dict(self.symbols)
        given = data.get("symbols", {})
        if not isinstance(given, dict):
            raise DeriveError(f"'symbols' in {source} must be a table of name = role")
        for name, value in given.items():
            symbols[_name(name, source)] = _binding(name, value, source)
        if "neurons" in data:
            changes["neurons"] = {**self.neurons, **_neurons(data["neurons"], source)}
        if "weights" in data:
            changes["weights"] = {**self.weights,
                                  **_weights(data["weights"], {**self.neurons, **changes.get("neurons", {})}, source)}
        named = {symbols[_name(n, source)].role for n in given} & {"batch"}
        for name in [n for n, b in symbols.items() if b.role in named and n not in given
                     and f"symbols.{n}" not in self.stated]:
            del symbols[name]  # m = "batch": derive's default batch letter (n) is free for the post's own use
        stated = self.stated | frozenset(k for k in data if k != "symbols")
        stated |= frozenset(f"symbols.{n}" for n in given)
        return replace(self, symbols=symbols, stated=stated, sources=self.sources + (source,), **changes)


def _neurons(table: Any, source: str) -> dict[str, tuple[int, int | None]]:
    """[neurons]: `h = 1` (h1, h2, … are the neurons of layer 1) or `top = { layer = 1, neuron = 2 }`."""
    if not isinstance(table, dict):
        raise DeriveError(f"'neurons' in {source} must be a table: h = 1 (h1, h2, … in layer 1) or "
                          f"top = {{ layer = 1, neuron = 2 }}")
    out: dict[str, tuple[int, int | None]] = {}
    for name, value in table.items():
        _name(name, source)
        what = f"neuron {name} in {source}"
        if isinstance(value, dict):
            unknown = sorted(set(value) - {"layer", "neuron"})
            if unknown or set(value) != {"layer", "neuron"}:
                raise DeriveError(f"{what} must be {{ layer = N, neuron = K }} (keys layer and neuron), not {value!r}")
            layer, index = value["layer"], value["neuron"]
            if not _whole(index, 1, 999):
                raise DeriveError(f"the neuron of {what} must be a number from 1, not {index!r}")
        else:
            if not name.isalpha():
                raise DeriveError(f"{what}: a name with a number names one neuron, "
                                  f"{name} = {{ layer = N, neuron = K }}; a letter alone names a layer, h = 1")
            layer, index = value, None
        if not _whole(layer, -9, 99):
            raise DeriveError(f"the layer of {what} must be a layer number (as the post numbers it), not {layer!r}")
        out[name] = (layer, index)
    return out


def _weights(table: Any, neurons: dict[str, tuple[int, int | None]], source: str) -> dict[str, tuple[str, str]]:
    """[weights]: `w1 = "i1 -> h1"`, the weight from neuron i1 to neuron h1 (names from [neurons])."""
    if not isinstance(table, dict):
        raise DeriveError(f"'weights' in {source} must be a table of name = \"FROM -> TO\" (w1 = \"i1 -> h1\")")
    lookup = NotationMap(neurons=neurons)
    out: dict[str, tuple[str, str]] = {}
    for name, value in table.items():
        _name(name, source)
        what = f"weight {name} in {source}"
        m = re.fullmatch(r"\s*([A-Za-z][A-Za-z0-9]*)\s*(?:->|→)\s*([A-Za-z][A-Za-z0-9]*)\s*", value) \
            if isinstance(value, str) else None
        if m is None:
            raise DeriveError(f"{what} must be \"FROM -> TO\" with two neuron names (w1 = \"i1 -> h1\"), not {value!r}")
        ends = []
        for end in m.groups():
            where = lookup.neuron(end)
            if where is None:
                raise UnknownName(f"neuron in {what}", end,
                                  _neuron_names(neurons) or ["none yet: name the neurons in [neurons]"])
            ends.append(where)
        if ends[1][0] != ends[0][0] + 1:
            raise DeriveError(f"{what} joins {m.group(1)} (layer {ends[0][0]}) to {m.group(2)} (layer {ends[1][0]}): "
                              "a weight goes from a neuron to one in the next layer")
        out[name] = (m.group(1), m.group(2))
    return out


def _neuron_names(neurons: dict[str, tuple[int, int | None]]) -> list[str]:
    return sorted(f"{name}1, {name}2, …" if index is None else name for name, (_, index) in neurons.items())


def _whole(value: Any, lo: int, hi: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi


def _index_text(order: str) -> str:
    return "w_{ab} from neuron a to neuron b" if order == "source-destination" else "w_{ab} into neuron a from neuron b"


def _layout_text(layout: str) -> str:
    return ("W_{jk} from neuron k to neuron j, rows = destination" if layout == "destination"
            else "W_{jk} from neuron j to neuron k, rows = source")


def _other(value: str, pair: tuple[str, str]) -> str:
    return pair[1] if value == pair[0] else pair[0]


def _name(name: Any, source: str) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise DeriveError(f"symbol name {name!r} in {source} must match [A-Za-z][A-Za-z0-9_]* "
                          "(write \\hat{y} as yhat, \\delta as delta)")
    return name


def _choice(value: Any, choices: tuple[str, ...], what: str) -> str:
    if value not in choices:
        raise UnknownName(what, value, choices)
    return value


def _offset(value: Any, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not -9 <= value <= 9:
        raise DeriveError(f"layer_offset in {source} must be a small whole number, not {value!r}")
    return value


def _flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise DeriveError(f"{what} must be true or false, not {value!r}")
    return value


def _layer(value: Any, what: str) -> int | str:
    if value == "L" or (isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 99):
        return value
    raise DeriveError(f"{what} must be a layer number or \"L\" (the last layer), not {value!r}")


def _binding(name: str, value: Any, source: str) -> Binding:
    if isinstance(value, str):
        return Binding(_choice(value, tuple(all_roles()), f"role of {name} in {source}"))
    if not isinstance(value, dict):
        raise DeriveError(f"symbol {name} in {source} must be a role name or a table with role = …")
    unknown = sorted(set(value) - set(SYMBOL_KEYS))
    if unknown:
        raise UnknownName(f"key of symbol {name} in {source}", unknown[0], SYMBOL_KEYS)
    if "role" not in value:
        raise DeriveError(f"symbol {name} in {source} needs a role; valid roles: {', '.join(all_roles())}")
    return Binding(
        role=_choice(value["role"], tuple(all_roles()), f"role of {name} in {source}"),
        layout=_choice(value["layout"], LAYOUTS, f"layout of {name} in {source}") if "layout" in value else None,
        layer_index=(_choice(value["layer_index"], LAYER_INDEX, f"layer_index of {name} in {source}")
                     if "layer_index" in value else None),
        layer_offset=_offset(value["layer_offset"], source) if "layer_offset" in value else None,
        index=_choice(value.get("index", "entry"), INDEX_STYLES, f"index of {name} in {source}"),
        layer=_layer(value["layer"], f"layer of {name} in {source}") if "layer" in value else None,
        one_sample=_flag(value["one_sample"], f"one_sample of {name} in {source}") if "one_sample" in value else False,
        reduction=(_choice(value["reduction"], REDUCTIONS, f"reduction of {name} in {source}")
                   if "reduction" in value else None),
    )


# ----------------------------------------------------------------------------------------------
# Defaults: the notation derive post prints for a network
# ----------------------------------------------------------------------------------------------


def default_map(spec: NetworkSpec) -> NotationMap:
    n = spec.notation
    symbols: dict[str, Binding] = {}
    for act in rules.ACTIVATIONS.values():  # \sigma, \tanh, \operatorname{ReLU}, …
        symbols[_latex_name(act.latex)] = Binding(act.name)
        symbols[act.name] = Binding(act.name)
    symbols["sigmoid"] = Binding("sigmoid")
    symbols["relu"] = Binding("relu")
    symbols[n.weight] = Binding("weight")
    symbols[n.bias] = Binding("bias")
    symbols[n.preact] = Binding("preactivation", index="neuron" if spec.scalar_view else "entry")
    symbols[n.act] = Binding("activation", index="neuron" if spec.scalar_view else "entry")
    symbols[n.input] = Binding("input")
    if spec.normalize_input:
        symbols[n.input + "hat"] = Binding("normalized-input")
        symbols["mu"] = Binding("mean")
    symbols[n.target] = Binding("target")
    if n.output is not None:
        symbols[n.output] = Binding("output")
    if n.delta is not None:
        symbols[n.delta] = Binding("error")
    symbols[n.cost] = Binding("cost")
    symbols["eta"] = Binding("learning-rate")  # W ← W − η ∂C/∂W
    if spec.l2:
        symbols["lambda"] = Binding("weight-decay")
    if spec.dropout and "m" not in symbols:
        symbols["m"] = Binding("mask", index="entry")
    if spec.norm:  # derive's own letters; μ stays the input's mean beside a standardised input (μ^l read by layer)
        symbols.update({name: Binding(role) for name, role in NORM_LETTERS.items() if name not in symbols})
    if n.cost != "L":
        symbols["L"] = Binding("depth")
    if spec.batch is not None:
        symbols[n.batch] = Binding("batch")
    elif n.batch not in symbols:
        symbols[n.batch] = Binding("width")
    if spec.scalar_view:
        symbols[n.weight.lower()] = Binding("weight", index="pair")
        if n.bias in symbols:
            symbols[n.bias] = Binding("bias", index="neuron")
    native = "source" if spec.convention == "row" else "destination"
    return NotationMap(symbols=symbols, layout=native, layer_index=n.layer_index, sources=("defaults",))


def _latex_name(latex: str) -> str:
    """\\sigma -> sigma, \\operatorname{ReLU} -> ReLU, \\tanh -> tanh."""
    m = re.fullmatch(r"\\(?:operatorname\{(\w+)\}|(\w+))", latex)
    if not m:
        raise ValueError(f"unexpected activation LaTeX {latex!r}")
    return m.group(1) or m.group(2)


def native_layout(spec: NetworkSpec) -> str:
    return "source" if spec.convention == "row" else "destination"


# ----------------------------------------------------------------------------------------------
# Reading maps: TOML files and blocks, and the small YAML subset of front matter
# ----------------------------------------------------------------------------------------------

BLOCK_KEY = "derive-notation"


def parse_toml(text: str, source: str) -> dict[str, Any]:
    data = loads_toml(text, f"the notation map {source}")
    if BLOCK_KEY in data:
        data = data[BLOCK_KEY]
    return data


def parse_yaml_mapping(lines: list[str], source: str) -> dict[str, Any]:
    """A nested mapping in the YAML subset front matter uses: `key: value`, indentation, scalars,
    and `{role: weight, layout: source}` flow tables. Enough for a notation map; anything else in
    the front matter is skipped by the caller."""
    root: dict[str, Any] = {}
    stack: list[tuple[int, dict[str, Any]]] = [(-1, root)]
    for raw in lines:
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        line = raw.strip()
        if ":" not in line:
            raise DeriveError(f"cannot read the line {line!r} of the notation map in {source}")
        key, _, value = line.partition(":")
        key, value = _yaml_scalar(key.strip()), value.strip()
        while stack and indent <= stack[-1][0]:
            stack.pop()
        if not stack:
            raise DeriveError(f"bad indentation in the notation map in {source}")
        table = stack[-1][1]
        if value == "":
            child: dict[str, Any] = {}
            table[key] = child
            stack.append((indent, child))
        elif value.startswith("{") and value.endswith("}"):
            flow: dict[str, Any] = {}
            for part in value[1:-1].split(","):
                if part.strip():
                    k, _, v = part.partition(":")
                    flow[_yaml_scalar(k.strip())] = _yaml_scalar(v.strip())
            table[key] = flow
        else:
            table[key] = _yaml_scalar(value)
    return root


def _yaml_scalar(text: str) -> Any:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if text in ("true", "false"):
        return text == "true"
    return text
