r"""Stage 3, bind: what a written symbol names, before any network is consulted.

The notation map (notation.py) binds a symbol's *name* to a role; this module reads its *scripts*
under that binding: which script is the layer (W^{l}, W_{1}, W^{[l]}, W^{(l)}), which the entry
index (W^l_{jk}, a_j), which the example (Ng's A^{[l](i)}, x^{(i)}), whether a transpose is marked
(A^{[l-1]T}), whether the symbol is numbered by neuron (a_3, w_{35}, y_{21}). The result is a
`Reading`; build.py turns it into the network's quantity.

A script that could be read two ways is read by a fixed rule, never by guessing from values:
a parenthesised superscript is a layer, unless the symbol's layer is already known (a bracketed
layer, a binding's `layer`, or a role without layers such as the input) and the network has a
batch: then it is the example, as in Ng's x^{(i)}.
"""

from __future__ import annotations

from dataclasses import dataclass

from .notation import Binding, NotationMap
from .parser import Node, Script, Sym

#: Roles of a normalisation layer's quantities -> their kinds: μ^l, (σ^l)², ẑ^l, u^l, γ^l, β^l.
NORM_LAYERED = {"norm-mean": "mu", "norm-variance": "var", "norm-standardized": "zhat", "norm-output": "u",
                "norm-scale": "gamma", "norm-shift": "beta"}
#: Roles whose quantity has a layer: W^l, b^l, z^l, a^l, δ^l, the dropout mask m^l and the normalisation's.
LAYERED = {"weight": "W", "bias": "b", "preactivation": "z", "activation": "a", "error": "delta", "mask": "m",
           **NORM_LAYERED}
#: Roles of one quantity without a layer.
UNLAYERED = ("output", "input", "normalized-input", "target")


class Unchecked(Exception):
    """The formula cannot be checked: an unbound symbol, an unsupported construct."""

    def __init__(self, reason: str, span: tuple[int, int] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.span = span


@dataclass(frozen=True)
class Reading:
    """A symbol's scripts as the map reads them (nodes as written: the post's layer numbering)."""

    role: str
    layer: Node | None = None  # the written layer
    default_layer: int | str | None = None  # the binding's layer, when none is written
    index: Node | None = None  # the entry index
    sample: Node | None = None  # the example
    transpose: bool = False
    numbered: bool = False  # a_3, w_{35}, y_{21}: numbered by neuron
    power: Node | None = None  # y_j^2: a power of an entry
    paren_layer: str = ""  # how the layer was bracketed: "(" for W^{(l)}, "[" for W^{[l]}, "" for W^l


def read_symbol(sym: Sym, binding: Binding, nmap: NotationMap, batched: bool, span: tuple[int, int]) -> Reading:
    role = binding.role
    sub, sup = sym.sub, sym.sup
    transpose = sup is not None and sup.transpose
    sample = sup.sample if sup is not None else None
    if role in LAYERED:
        return _layered(sym, binding, nmap, batched, span, transpose, sample)
    if role in UNLAYERED or role == "cost":
        return _unlayered(sym, binding, batched, span, transpose, sample)
    return Reading(role, index=sub.expr if sub is not None else None, transpose=transpose, sample=sample)


def _is_sample_script(script: Script | None, batched: bool, layer_known: bool) -> bool:
    """x^{(i)}: a lone parenthesised superscript names an example when the layer is known otherwise."""
    return (script is not None and script.expr is not None and script.paren and not script.bracket
            and script.sample is None and batched and layer_known)


def _layered(sym: Sym, binding: Binding, nmap: NotationMap, batched: bool, span: tuple[int, int],
             transpose: bool, sample: Node | None) -> Reading:
    position = nmap.layer_index_of(binding)
    sub, sup = sym.sub, sym.sup
    fixed = binding.layer is not None
    numbered = (binding.index != "entry" and _digits(sub) and (sup is None or sup.expr is None)
                and (position == "super" or binding.index in ("pair", "layer-neuron")))
    if (binding.index == "layer-neuron" and sub is not None and sub.expr is not None and sub.expr.kind == "mul"
            and sub.expr.value and all(op == "juxt" for op in sub.expr.value) and sub.expr.children[0].kind == "num"
            and len(sub.expr.children) == 2 and len(sub.expr.children[0].value) == 1):
        # y_{2j}: layer 2, neuron j
        return Reading(binding.role, layer=sub.expr.children[0], index=sub.expr.children[1], transpose=transpose)
    if numbered and binding.index == "layer-neuron" and len(index_numbers(sub)) == 1:
        # y_1 beside y_{21}: one number is the layer, the whole vector
        return Reading(binding.role, layer=sub.expr, transpose=transpose, default_layer=binding.layer)
    if numbered:
        return Reading(binding.role, transpose=transpose, numbered=True)
    layer: Node | None = None
    index: Node | None = None
    paren = ""
    if sup is not None and sup.expr is not None and _is_sample_script(sup, batched, fixed):
        sample, sup = sup.expr, None
    if isinstance(binding.layer, int) and sup is not None and sup.expr is not None and not sup.paren:
        # h^2 when h always names one layer: a power (the layer is never written on h)
        return Reading(binding.role, default_layer=binding.layer, index=sub.expr if sub is not None else None,
                       sample=sample, transpose=transpose, power=sup.expr)
    written_sup = sup is not None and sup.expr is not None
    if position == "super" or (written_sup and sup.paren):
        if written_sup:
            if position == "sub" and not sup.paren:
                raise Unchecked(f"a superscript on {sym.name} (the layer is written below)", span)
            layer, paren = sup.expr, ("[" if sup.bracket else "(") if sup.paren else ""
        index = sub.expr if sub is not None else None
    elif written_sup:
        raise Unchecked(f"a superscript on {sym.name} (the layer is written below)", span)
    elif sub is not None and sub.expr is not None:
        if fixed:  # one letter for one layer, layers written below: h_j is entry j of h
            index = sub.expr
        elif sub.expr.kind == "list":
            layer = sub.expr.children[0]
            rest = sub.expr.children[1:]
            index = rest[0] if len(rest) == 1 else Node("list", sub.expr.span, tuple(rest))
        else:
            layer = sub.expr
    return Reading(binding.role, layer=layer, index=index, sample=sample, transpose=transpose, paren_layer=paren,
                   default_layer=binding.layer)


def _unlayered(sym: Sym, binding: Binding, batched: bool, span: tuple[int, int], transpose: bool,
               sample: Node | None) -> Reading:
    sub, sup = sym.sub, sym.sup
    power = None
    if sup is not None and sup.expr is not None:
        if _is_sample_script(sup, batched, True):
            sample = sup.expr
        elif sub is not None and not transpose and not sup.paren:
            power = sup.expr  # y_j^2
        else:
            raise Unchecked(f"a superscript on {sym.name} ({sup.text})", span)
    if sub is not None and sub.expr is None:
        raise Unchecked(f"an empty subscript on {sym.name}", span)
    return Reading(binding.role, index=sub.expr if sub is not None else None, sample=sample, transpose=transpose,
                   power=power)


def _digits(script: Script | None) -> bool:
    """Whether a script is written with digits only (a neuron number: a_3, w_{35}, y_{2,1})."""
    if script is None or script.expr is None:
        return False
    e = script.expr
    if e.kind == "num":
        return "." not in e.value
    if e.kind == "list":
        return all(c.kind == "num" for c in e.children)
    return e.kind == "mul" and all(c.kind == "num" for c in e.children)


def index_numbers(script: Script) -> list[int]:
    """The neuron numbers of a digits-only script: 35 -> [3, 5], {2,1} -> [2, 1]."""
    e = script.expr
    if e.kind == "num":
        return [int(ch) for ch in e.value] if len(e.value) > 1 else [int(e.value)]
    return [int(c.value) for c in e.children]
