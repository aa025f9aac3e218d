r"""Stage 4, build: the quantities a written symbol names, on the network of the world being built.

`SymbolBuilder` is the part of `Builder` (build.py) that turns a symbol (`W^{[l]}`, `a_j^l`, `w_{35}`,
`A^{[2](i)}`, `L_i`, `y_i` as an index) into the network's quantity, under the notation map and the
bind stage's reading of its scripts: its layer (and the post's numbering of layers), its entry, its
example, a neuron number across layers, a cost and its reduction, a symbol the post defined.
"""


from dataclasses import replace
from typing import Any

import sympy as sp

from .. import rules
from ..algebra import (
    Elementwise,
    Entry,
    NetQuantity,
)
from ..quantities import COST, EPSILON, LAMBDA, MEAN, STD, WIDTH
from ..safe import as_expr
from .bind import LAYERED, NORM_LAYERED, Reading, Unchecked, _digits, index_numbers, read_symbol
from .nodes import SampleCost, SampleOf
from .notation import Binding, native_layout
from .parser import Node, Script, Sym
from .usage import (
    IndexLetter,
    OutOfRange,
    dim_text,
    index_letter,
    index_parts,
    index_symbol,
    is_matrix,
    learning_rate,
)


class SymbolBuilder:
    """Symbols to quantities (a mixin of `Builder`, which supplies `build`, `entry`, `derivative`)."""

    # -- symbols ---------------------------------------------------------------------------------------------
    def _note(self, role: str, name: str) -> None:
        names = self.usage.names.setdefault(role, [])
        if name not in names:
            names.append(name)

    def _defined(self, head: Node, index: Node | None) -> Any:
        """A symbol the post defined (U[i,p] with U[i,k] = e^{S[i,k]}): its definition, indices put in."""
        if head.kind != "sym" or self.map.binding(head.value.name) is not None:
            return None
        sym: Sym = head.value
        definition = self.map.definition(sym.name)
        if definition is None or sym.sup is not None or sym.primes:
            return None
        if index is None and sym.sub is not None:
            index = sym.sub.expr
        parts = index_parts(index, len(definition.params)) if index is not None else []
        if len(parts) != len(definition.params):
            raise Unchecked(f"{sym.name} takes {len(definition.params)} indices here, as the post defines it",
                            head.span)
        bindings = dict(zip(definition.params, parts))
        body = substitute(definition.node, bindings)
        text, self.text = self.text, definition.text
        try:
            return self.build(body)
        finally:
            self.text = text

    def _build_sym(self, node: Node) -> Any:
        sym: Sym = node.value
        if sym.name == "one":
            return self._ones(sym, node)
        named = self._mazur_symbol(node)
        if named is not None:
            return named
        binding = self.map.binding(sym.name)
        if binding is not None and sym.glued and binding.index in ("neuron", "layer-neuron"):
            glued = f"{sym.name}{sym.sub.expr.value}"
            if self.map.binding(glued) is not None:
                return self._build_sym(replace(node, value=replace(sym, name=glued, sub=None, glued=False)))
            if self.map.binding(glued) is None:  # y1 beside neuron-numbered y_5: another symbol
                raise Unchecked(f"unbound symbol {glued}: the map numbers {sym.name}_k by neuron, and {glued} written "
                                f"without _ is not read as {sym.name}_{sym.sub.expr.value}; bind {glued} in the map",
                                node.span)
        if binding is None:
            defined = self._defined(node, None)
            if defined is not None:
                return defined
            if sym.name == "e" and sym.sup is not None and sym.sup.expr is not None and not sym.sub:
                exponent = self.build(sym.sup.expr)
                return Elementwise("exp", exponent) if is_matrix(exponent) else sp.exp(exponent)
            if sym.name == "sigma" and sym.sub is not None and self.world.spec.normalize_input:
                return STD
            letter = index_letter(sym.name)
            if letter and letter in [str(s) for s in self.bound] and not sym.sub and not sym.sup:
                return index_symbol(letter)
            raise Unchecked(f"unbound symbol {sym.name}: the notation map does not say what it is", node.span)
        if sym.primes:
            raise Unchecked(f"{sym.name}′ on a symbol that is not a function", node.span)
        role = binding.role
        self._note(role, sym.name)
        if role == "updated":
            return self._updated(sym, node)
        if self._entry_base:
            pass
        elif not sym.bold and (sym.sub is None or role in LAYERED
                             and self.map.layer_index_of(binding) == "sub" and sym.sub.expr is not None
                             and sym.sub.expr.kind != "list"):
            self.usage.plain.add(role)
        elif sym.bold:
            self.usage.bold.add(role)
            if sym.font in ("mathbf", "bm", "boldsymbol", "pmb", "bf", "vec"):
                self.usage.fonts.setdefault(role, "mathbf" if sym.font == "bf" else sym.font)
        variance = self.norm_variance(node)
        if variance is not None:  # σ_l², the square written on the letter
            return variance
        if role == "norm-variance":
            raise Unchecked(f"{sym.name} alone, the standard deviation: the map binds its square (σ^l)², the variance",
                            node.span)
        if binding.is_function:
            if sym.name == "sigma" and sym.sub is not None and self.world.spec.normalize_input:
                return STD
            raise Unchecked(f"the function {sym.name} without an argument", node.span)
        if role == "cost":
            return self._cost(sym, binding, node)
        if role == "mean" and sym.sup is not None and self.world.spec.norm:
            return self._layered(sym, replace(binding, role="norm-mean"), node)  # μ^l beside the input's μ
        if role in ("mean", "std"):
            self._no_scripts(sym, node)
            return MEAN if role == "mean" else STD
        if role == "weight-decay":
            self._no_scripts(sym, node)
            if not self.world.spec.l2:
                raise Unchecked(f"{sym.name} is the weight decay of an L2 penalty, which the network has not "
                                "(--l2 LAMBDA)", node.span)
            return LAMBDA
        if role == "norm-epsilon":
            self._no_scripts(sym, node)
            if not self.world.spec.norm:
                raise Unchecked(f"{sym.name} is the ε of a normalisation layer, which the network has not (--norm)",
                                node.span)
            return EPSILON
        if role == "learning-rate":
            self._no_scripts(sym, node)
            self.usage.rates.add(sym.name)
            return learning_rate(sym.name)
        if role == "depth":
            self._no_scripts(sym, node)
            return self.depth
        if role == "batch":
            if sym.sub is not None:
                return self.width(self.layer_of(sym.sub, binding, node), node)
            self._no_scripts(sym, node)
            return self._batch(node)
        if role == "width":
            if sym.sub is None:
                raise Unchecked(f"{sym.name} without the layer whose width it is", node.span)
            return self.width(self.layer_of(sym.sub, binding, node), node)
        if role == "kronecker":
            return self._kronecker(sym, node)
        if role == "identity-matrix":
            if sym.sub is None or sym.sub.expr is None or sym.sup is not None:
                raise Unchecked(f"the identity {sym.name} without its size (I_n)", node.span)
            return sp.Identity(self.index(sym.sub.expr))
        if role in LAYERED:
            return self._layered(sym, binding, node)
        if role in ("output", "input", "normalized-input", "target"):
            return self._unlayered(sym, binding, node)
        raise Unchecked(f"{sym.name} ({role}) cannot appear here", node.span)

    def norm_variance(self, base: Node, exponent: Node | None = None) -> Any:
        """The variance of a normalisation layer as derive writes it, the square of σ with the layer:
        (σ^l)² (base squared by exponent) or σ_l² (the square on the letter, layers in subscripts). σ is
        the sigmoid's letter in derive's map, so only its square with a layer is read this way; a letter
        the post binds to norm-variance alike. None for anything else."""
        if not self.world.spec.norm:
            return None
        if exponent is not None:
            if base.kind == "group" and base.value == "(":
                base = base.children[0]
            if base.kind != "sym" or not _is_two(exponent) or base.value.sup is None or base.value.sub is not None:
                return None
            sym = base.value
        else:
            sym = base.value
            if sym.sub is None or sym.sup is None or sym.sup.transpose or not _is_two(sym.sup.expr):
                return None
            sym = replace(sym, sup=None)
        binding = self.map.binding(sym.name)
        if binding is None or sym.primes or not (binding.role == "norm-variance" or
                                                 binding.is_function and sym.name == "sigma"):
            return None
        return self._layered(sym, replace(binding, role="norm-variance"), base)

    def _cost(self, sym: Sym, binding: Binding, node: Node) -> Any:
        """The cost C; a mean cost C/n; the cost of one example L_i or L^{(i)}."""
        reading = read_symbol(sym, binding, self.map, self.world.batched, node.span)
        if reading.transpose or reading.power is not None:
            raise Unchecked(f"scripts on the cost {sym.name}", node.span)
        example = reading.sample if reading.sample is not None else reading.index
        if example is not None:
            if not self.world.batched:
                raise Unchecked(f"the cost of one example ({self.source(node)}) on a network with one sample", node.span)
            i = self.index(example)
            for s in as_expr(i).free_symbols:
                if s.is_Symbol and s.is_integer:
                    self.usage.index_dims.setdefault(s, []).append(self.frame.batch)
            if binding.scale is not None and binding.scale != 1:
                raise Unchecked(f"the cost of one example ({self.source(node)}) in a post whose {sym.name} is not "
                                "the network's cost", node.span)
            self.usage.samples.add(i)
            return SampleCost(i)
        if binding.one_sample and self.world.batched:
            self.usage.one_sample = True
        cost: Any = COST
        if binding.reduction == "mean" and self.world.batched and self.world.reduction != "mean":
            cost = sp.Mul(1 / self.frame.batch, COST, evaluate=False)
        if binding.reduction == "sum" and self.world.batched and self.world.reduction == "mean":
            cost = sp.Mul(self.frame.batch, COST, evaluate=False)
        if binding.scale is not None and binding.scale not in (1, "unknown"):
            # the post's own cost: ||ŷ − y||² without the ½
            cost = sp.Mul(binding.scale, *(cost.args if isinstance(cost, sp.Mul) else (cost,)), evaluate=False)
        return cost

    def _no_scripts(self, sym: Sym, node: Node) -> None:
        if sym.sub is not None or sym.sup is not None:
            raise Unchecked(f"scripts on {sym.name}", node.span)

    def _batch(self, node: Node) -> Any:
        if self.world.batch_symbol is None:
            raise Unchecked("the network has one sample, no batch size", node.span)
        return self.world.batch_symbol

    def width(self, layer: Any, node: Node) -> Any:
        if self.concrete:
            return self.frame.width(self._concrete_layer(layer, "a", node))
        return WIDTH[layer] if self.world.general else (
            sp.Integer(self.world.spec.widths[int(layer)]) if as_expr(layer).is_Integer else WIDTH[layer])

    def _ones(self, sym: Sym, node: Node) -> Any:
        if sym.sub is None:
            if sym.sup is not None:
                raise Unchecked("a vector of ones 𝟏 without its length", node.span)
            return sp.Integer(1)
        size = self.index(sym.sub.expr) if sym.sub.expr is not None else None
        if size is None:
            raise Unchecked("a vector of ones 𝟏 without its length", node.span)
        ones = sp.OneMatrix(size, 1)
        if sym.sup is not None:
            if not sym.sup.transpose or sym.sup.expr is not None:
                raise Unchecked("a superscript on 𝟏", node.span)
            ones = sp.OneMatrix(1, size)
        return ones

    def _kronecker(self, sym: Sym, node: Node) -> Any:
        if sym.sub is None or sym.sup is not None:
            raise Unchecked("a Kronecker delta needs two indices", node.span)
        parts = index_parts(sym.sub.expr, 2)
        if len(parts) != 2:
            raise Unchecked("a Kronecker delta needs two indices", node.span)
        return sp.KroneckerDelta(*[self.index(p) for p in parts])

    # layered quantities: W^l, b^l, z^l, a^l, δ^l --------------------------------------------------------
    def _layered(self, sym: Sym, binding: Binding, node: Node) -> Any:
        kind = LAYERED[binding.role]
        reading = read_symbol(sym, binding, self.map, self.world.batched, node.span)
        if reading.numbered:
            return self._maybe_transpose(self._numbered(sym, binding, kind, node), reading.transpose, node)
        if reading.layer is not None:
            self.usage.paren_layers = self.usage.paren_layers or reading.paren_layer
            layer = self.layer_of_node(reading.layer, binding, node)
        elif reading.default_layer is not None:
            layer = self.default_layer(reading.default_layer, binding, node)
        else:
            if binding.role == "error" and reading.index is not None and len(index_parts(reading.index, 2)) == 2:
                return self._kronecker(sym, node)  # δ_{jk} beside δ^l: the Kronecker delta
            raise Unchecked(f"{sym.name} without its layer", node.span)
        q = self.quantity(kind, layer, node)
        q = self._layout(q, binding)
        if reading.transpose:  # W^{(2)T}_{bc}: an entry of the transpose
            q = sp.Transpose(q) if not isinstance(q, sp.Transpose) else q.arg
        q = self.sample_of(q, reading, binding, node)
        if reading.index is not None:
            q = self.entry(q, reading.index, node)
        if reading.power is not None:  # h^2 of a letter kept for one layer: element by element
            exponent = self.build(reading.power)
            return sp.HadamardPower(q, exponent) if is_matrix(q) else sp.Pow(q, exponent)
        if binding.role == "error":
            scale = self.cost_scale()
            if scale != 1:  # δ = ∂L/∂z of the post's own L (a squared error without the ½)
                q = sp.MatMul(scale, q) if is_matrix(q) else sp.Mul(scale, q, evaluate=False)
        return q

    def cost_scale(self) -> Any:
        """The scale of the post's cost (see Binding.scale) when its cost letters agree on one, else 1."""
        scales = {b.scale for b in self.map.symbols.values() if b.role == "cost" and b.scale is not None}
        scale = scales.pop() if len(scales) == 1 else 1
        return 1 if scale == "unknown" else scale

    def default_layer(self, layer: int | str, binding: Binding, node: Node) -> Any:
        """The layer of a letter bound to one layer (h: the hidden layer; a: the output a^L)."""
        if layer == "L":
            return self.depth
        value = sp.Integer(layer) - self.map.layer_offset_of(binding)
        if self.world.general and not self.concrete:
            return value
        return value

    def sample_of(self, q: Any, reading: Reading, binding: Binding, node: Node) -> Any:
        """The example a symbol names: column (or row) i of a batch quantity; and one example's
        quantity for a symbol bound `one_sample` (judged on one sample)."""
        if reading.sample is None:
            if binding.one_sample and self.world.batched:
                self.usage.one_sample = True
            return q
        if not self.world.batched:
            raise Unchecked(f"an example index on {self.source(node)}, but the network has one sample", node.span)
        i = self.index(reading.sample)
        self.usage.samples.add(i)
        if not is_matrix(q):
            raise Unchecked(f"an example index on the scalar {self.source(node)}", node.span)
        for s in as_expr(i).free_symbols:
            if s.is_Symbol and s.is_integer:
                self.usage.index_dims.setdefault(s, []).append(self.world.symbolic_frame.batch if not self.concrete
                                                               else self.world.batch_symbol)
        return SampleOf(q, i, self.frame.class_axis)

    def _maybe_transpose(self, value: Any, transpose: bool, node: Node) -> Any:
        return sp.Transpose(value) if transpose and is_matrix(value) else value

    def _layout(self, q: Any, binding: Binding) -> Any:
        if isinstance(q, NetQuantity) and q.kind == "W" and self.map.layout_of(binding) != native_layout(self.world.spec):
            return sp.Transpose(q)
        return q

    def layer_of(self, script: Script, binding: Binding, node: Node) -> Any:
        if script.expr is None:
            raise Unchecked("an empty layer index", node.span)
        return self.layer_of_node(script.expr, binding, node)

    def layer_of_node(self, layer_node: Node, binding: Binding, node: Node) -> Any:
        self._saw_depth = False
        layer = self.index(layer_node, layer=True)
        summed = sorted(str(s) for s in as_expr(layer).free_symbols if s in self.bound)
        if summed:
            # Σ_j y_j log(a_j) under subscript layers: j runs over the entries of y, so reading it as
            # a's layer would judge another formula than the one the post means.
            raise Unchecked(f"the sum's index {summed[0]} is written as the layer of {self.source(node)} "
                            "(a sum over layers is not read)", node.span)
        fixed = {s: self.depth for s in as_expr(layer).free_symbols if str(s) in self.map.last_layer_letters}
        if fixed:  # (a^{(l)} − y) in a section about the output layer: this l is L
            layer = as_expr(layer).xreplace(fixed)
            self.usage.layer_vars -= set(fixed)
            self._saw_depth = True
        if not self._saw_depth:  # L is the last layer whatever the post numbers its input
            layer = layer - self.map.layer_offset_of(binding)
        if self.concrete:
            layer = as_expr(layer).xreplace(self.layer_values)
        return layer

    def quantity(self, kind: str, layer: Any, node: Node) -> Any:
        f = self.frame
        if self.concrete:
            layer = self._concrete_layer(layer, kind, node)
            if kind == "b" and not f.has_bias(layer):
                raise Unchecked(f"the network has no bias in layer {layer}", node.span)
        else:
            layer = as_expr(layer)
            if layer.is_Integer:
                self._check_layer(int(layer), kind, node, self.world.spec.depth if not self.world.general else None)
                if kind == "b" and not self.world.general and not self.world.spec.layers[int(layer) - 1].bias:
                    raise Unchecked(f"the network has no bias in layer {layer}", node.span)
            if kind == "b" and not self.world.general and not any(l.bias for l in self.world.spec.layers):
                raise Unchecked("the network has no biases", node.span)
        if kind == "m" and not f.dropped(layer):
            raise Unchecked(f"layer {layer} has no dropout mask (--dropout {layer})", node.span)
        if kind in NORM_LAYERED.values() and not f.norm(layer):
            normalised = ", ".join(str(l) for l, _ in self.world.spec.norm) or "none"
            raise Unchecked(f"layer {layer} has no normalisation (normalised layers: {normalised})", node.span)
        return {"W": f.W, "b": f.b, "z": f.z, "a": f.a, "delta": f.delta, "m": f.m, "mu": f.mu, "var": f.var,
                "zhat": f.zhat, "u": f.u, "gamma": f.gamma, "beta": f.beta}[kind](layer)

    def _concrete_layer(self, layer: Any, kind: str, node: Node) -> sp.Integer:
        layer = as_expr(layer).xreplace(self.layer_values)
        if not layer.is_Integer:
            raise Unchecked(f"the layer {dim_text(layer)} has no value", node.span)
        lo = 0 if kind == "a" else 1
        if not lo <= int(layer) <= self.world.depth:
            raise OutOfRange()
        return layer

    def _check_layer(self, layer: int, kind: str, node: Node, depth: int | None) -> None:
        lo = 0 if kind == "a" else 1
        if layer < lo or (depth is not None and layer > depth):
            top = f"{depth}" if depth is not None else "L"
            raise Unchecked(f"layer {layer} does not exist (layers run from {lo} to {top})", node.span)

    def _numbered(self, sym: Sym, binding: Binding, kind: str, node: Node) -> Any:
        """a_3 (neurons numbered across layers), w_{35} (a weight by its pair), y_{21} (layer 2, neuron 1)."""
        if self.world.general:
            raise Unchecked(f"{sym.name} numbered by neuron in a general derivation", node.span)
        digits = index_numbers(sym.sub)
        if binding.index == "pair":
            if len(digits) != 2:
                raise Unchecked(f"{sym.name} needs a pair of neurons", node.span)
            a, b = digits
            if self.map.weight_index == "destination-source":
                a, b = b, a
            src, dst = self.world.neuron(a), self.world.neuron(b)
            if self.map.lenient_pairs and not _is_pair(src, dst) and _is_pair(dst, src):
                src, dst = dst, src  # written in the other order than the stated one
                self.usage.contradicted.append(f"{sym.name}_{{{''.join(map(str, digits))}}}")
            if not _is_pair(src, dst):
                raise Unchecked(f"{sym.name}_{{{''.join(map(str, digits))}}} names no weight of the network "
                                f"(weights go from a neuron to one in the next layer; the map reads w_{{ab}} "
                                f"{'into a from b' if self.map.weight_index == 'destination-source' else 'from a to b'})",
                                node.span)
            return self._weight_between(src, dst, node)
        if binding.index == "layer-neuron":
            if len(digits) != 2:
                raise Unchecked(f"{sym.name} needs a layer and a neuron", node.span)
            layer = sp.Integer(digits[0] - self.map.layer_offset_of(binding))
            index = digits[1]
        else:  # neuron numbered across layers
            if len(digits) != 1:
                raise Unchecked(f"{sym.name} needs one neuron number", node.span)
            where = self.world.neuron(digits[0])
            if where is None:
                raise Unchecked(f"there is no neuron {digits[0]}", node.span)
            layer, index = sp.Integer(where[0]), where[1]
        if kind in ("z", "delta", "b") and layer == 0:
            raise Unchecked(f"neuron {digits[-1]} is an input: it has no {sym.name}", node.span)
        return self._neuron_entry(kind, layer, index, node)

    def _neuron_entry(self, kind: str, layer: Any, index: int, node: Node) -> Any:
        """The entry of one neuron of a layered quantity (a, z, δ, b), or the scalar the network's
        neuron-numbered view names it by."""
        q = self.quantity(kind, layer, node)
        if self.concrete and kind in ("a", "z"):
            key = self._scalar_name(kind, int(layer), index)
            if key in self.world.scalar_symbols:
                return self.world.scalar_symbols[key].symbol
        width = self.frame.width(layer) if self.concrete else None
        if width is not None and index > int(width):
            raise Unchecked(f"layer {layer} has no neuron {index}", node.span)
        return Entry(q, index)

    def _weight_between(self, src: tuple[int, int], dst: tuple[int, int], node: Node) -> Any:
        """The weight from neuron src to neuron dst of the next layer ((layer, neuron) each)."""
        name = f"w{self.world.neuron_number(*src)}{self.world.neuron_number(*dst)}"
        if name in self.world.scalar_symbols and self.concrete:
            return self.world.scalar_symbols[name].symbol
        q = self.quantity("W", sp.Integer(dst[0]), node)
        if self.frame.row:
            return Entry(q, src[1], dst[1])
        return Entry(q, dst[1], src[1])

    # named neurons and numbered weights (Mazur's out_{h1}, w_5, b_1, E_{o1}) -----------------------------
    def _mazur_symbol(self, node: Node) -> Any:
        """A symbol read through the map's named neurons, numbered weights or fixed subscripts, else None."""
        sym: Sym = node.value
        word = script_word(sym.sub)
        if word is not None and self.map.binding(f"{sym.name}_{word}") is not None and not word.isdigit():
            # E_{total} bound as E_total: the subscript is part of the name
            return self._build_sym(replace(node, value=replace(sym, name=f"{sym.name}_{word}", sub=None, glued=False)))
        if word is not None and word.isdigit() and f"{sym.name}{word}" in self.map.weights:
            name = f"{sym.name}_{word}"
            if sym.sup is not None or sym.primes:
                raise Unchecked(f"the weight {name} with a superscript or a prime (the updated weight {name}^+ is "
                                "the symbol wplus, bound to \"updated\")", node.span)
            self._named_network_only(name, node)
            src, dst = (self._named_neuron(end, node) for end in self.map.weights[f"{sym.name}{word}"])
            return self._weight_between(src, dst, node)
        binding = self.map.binding(sym.name)
        if binding is None or binding.index not in ("named", "shared"):
            return None
        if sym.sup is not None or sym.primes:
            raise Unchecked(f"a superscript or a prime on {sym.name}, whose subscript names a "
                            f"{'neuron' if binding.index == 'named' else 'layer'}", node.span)
        if word is None:
            raise Unchecked(f"{sym.name} without the {'neuron' if binding.index == 'named' else 'layer'} "
                            "its subscript names", node.span)
        self._note(binding.role, sym.name)
        self._named_network_only(sym.name, node)
        if binding.index == "shared":
            if binding.role != "bias" or not word.isdigit():
                raise Unchecked(f"{sym.name}_{word}: only a bias is shared by a layer (b_1, index = \"shared\")",
                                node.span)
            layer = int(word) - self.map.layer_offset_of(binding)
            self._check_layer(layer, "b", node, self.world.depth)
            if not self.world.spec.layers[layer - 1].bias:
                raise Unchecked(f"the network has no bias in layer {layer}", node.span)
            if node is self.root:
                return shared_bias(layer)  # b_1 = 0.35: the given of a worked example
            # In a formula: neuron 1's bias, the judge ties every bias of the layer to it (Judge.ties)
            self.shared_biases[node.span] = layer
            return Entry(self.quantity("b", sp.Integer(layer), node), 1)
        layer, index = self._named_neuron(word, node)
        role = binding.role
        if role == "cost":
            return self._cost_share(word, layer, index, node)
        if role in ("input", "target", "output"):
            wanted = {"input": 0, "target": self.world.depth, "output": self.world.depth}[role]
            if layer != wanted:
                raise Unchecked(f"{sym.name}_{{{word}}}: {word} is not {'an input' if wanted == 0 else 'an output'} "
                                "neuron", node.span)
            if role == "target":
                return self._target_entry(index, node)
            role = "activation"
        kind = {"activation": "a", "preactivation": "z", "error": "delta", "bias": "b"}.get(role)
        if kind is None:
            raise Unchecked(f"{sym.name} ({role}) with a named neuron", node.span)
        if kind != "a" and layer == 0:
            raise Unchecked(f"{word} is an input neuron: it has no {sym.name}", node.span)
        value = self._neuron_entry(kind, sp.Integer(layer), index, node)
        scale = self.cost_scale() if kind == "delta" else 1
        return value if scale == 1 else sp.Mul(scale, value, evaluate=False)  # δ of the post's own cost

    def _updated(self, sym: Sym, node: Node) -> Any:
        """w_5^+ (the symbol wplus): the parameter after one step of gradient descent, w − η ∂C/∂w."""
        if not sym.name.endswith("plus") or len(sym.name) == len("plus"):
            raise Unchecked(f"{sym.name} is bound to an updated parameter: write it as the parameter with ^+ "
                            "(w_5^+ for the symbol wplus)", node.span)
        base = replace(node, value=replace(sym, name=sym.name[:-len("plus")]))
        value = self._build_sym(base)
        quantity = value.of if isinstance(value, Entry) else value
        if isinstance(value, sp.Symbol) and value.name in self.world.scalar_symbols:
            quantity = self.world.scalar_symbols[value.name].entry.of
        if not isinstance(quantity, NetQuantity) or quantity.kind not in ("W", "b"):
            raise Unchecked(f"{self.source(node)}: only a weight or a bias is updated by gradient descent", node.span)
        stated = [n for n in self.map.names_for("learning-rate") if f"symbols.{n}" in self.map.stated]
        rates = stated or self.map.names_for("learning-rate")
        if len(rates) != 1:
            raise Unchecked(f"{self.source(node)}, an updated parameter, with {len(rates) or 'no'} learning rates "
                            "bound in the map (bind one: eta = \"learning-rate\")", node.span)
        if {b.scale for b in self.map.symbols.values() if b.role == "cost"} - {None, 1}:
            # a post whose cost is its own (no ½): its step may follow either, which is not said
            raise Unchecked(f"{self.source(node)}, a step down the gradient of a cost the post defines other than "
                            "the network's", node.span)
        self.usage.rates.add(rates[0])
        step = self.derivative(COST, value, node)
        if is_matrix(value):
            return sp.MatAdd(value, sp.MatMul(-learning_rate(rates[0]), step))
        return value - learning_rate(rates[0]) * step

    def _named_network_only(self, name: str, node: Node) -> None:
        if self.world.general:
            raise Unchecked(f"{name} names one neuron's quantity: read on a concrete network, not a general "
                            "derivation", node.span)
        if self.world.batched:
            raise Unchecked(f"{name} names one neuron's quantity: read on a network with one sample", node.span)

    def _named_neuron(self, name: str, node: Node) -> tuple[int, int]:
        where = self.map.neuron(name)
        if where is None:
            raise Unchecked(f"the neuron {name} is not named in the map's [neurons]", node.span)
        layer, index = where
        if not 0 <= layer <= self.world.depth or index > self.world.widths[layer]:
            raise Unchecked(f"the network has no neuron {name}", node.span)
        return layer, index

    def _target_entry(self, index: int, node: Node) -> Any:
        self.usage.target = True
        if self.concrete and f"y{index}" in self.world.scalar_symbols:
            return self.world.scalar_symbols[f"y{index}"].symbol
        return Entry(self.frame.y, index)

    def _cost_share(self, word: str, layer: int, index: int, node: Node) -> Any:
        """E_{o1}: the output neuron's own term of the cost, ½(a_k − y_k)², when the cost is that sum."""
        if layer != self.world.depth:
            raise Unchecked(f"the cost of {word}, which is not an output neuron", node.span)
        if self.world.spec.cost != "quadratic":
            raise Unchecked(f"the cost of the output {word} alone: read for the quadratic cost ½ Σ (a − y)² only",
                            node.span)
        if {b.scale for b in self.map.symbols.values() if b.role == "cost"} - {None, 1}:
            raise Unchecked(f"the cost of the output {word} alone, in a post whose cost is its own (defined other "
                            "than the network's ½ Σ (a − y)²)", node.span)
        out = self._neuron_entry("a", sp.Integer(layer), index, node)
        target = self._target_entry(index, node)
        self.cost_shares[node.span] = (out, target)
        return sp.Rational(1, 2) * (target - out) ** 2

    def _scalar_name(self, kind: str, layer: int, index: int) -> str:
        n = self.world.neuron_number(layer, index)
        if kind == "a" and layer == 0:
            return f"x{index}"
        if kind == "a" and layer == self.world.depth and self.world.spec.notation.output == "yhat":
            return f"yhat{index}"
        return f"{kind}{n}"

    def _unlayered(self, sym: Sym, binding: Binding, node: Node) -> Any:
        f = self.frame
        role = binding.role
        reading = read_symbol(sym, binding, self.map, self.world.batched, node.span)
        if role == "output":
            q = f.a(self.depth)
        elif role == "input":
            q = f.x
        elif role == "normalized-input":
            if not self.world.spec.normalize_input:
                raise Unchecked("the network does not standardise its input", node.span)
            q = f.input
        else:
            q = f.y
            self.usage.target = True
        q = self.sample_of(q, reading, binding, node)
        if reading.power is not None:
            base = self.entry(q, reading.index, node)
            return sp.Pow(base, self.build(reading.power))
        if reading.index is not None:
            if (self.concrete and role in ("input", "target", "output") and not self.world.batched
                    and _digits(sym.sub) and not sym.glued):
                digits = index_numbers(sym.sub)
                key = {"input": "x", "target": "y", "output": "yhat"}[role] + "".join(map(str, digits))
                if len(digits) == 1 and key in self.world.scalar_symbols:
                    return self.world.scalar_symbols[key].symbol
            return self.entry(q, reading.index, node)
        return sp.Transpose(q) if reading.transpose else q

    # -- indices ---------------------------------------------------------------------------------------------
    def index(self, node: Node, layer: bool = False, entry: bool = False) -> Any:
        """An index or layer expression: 2, j, l + 1, L, n_{l-1}. As an entry's index (`entry`), a letter
        derive's defaults give a size (n) is an index letter unless the post's map binds it."""
        kind = node.kind
        if kind == "num":
            if "." in node.value:
                raise Unchecked(f"the index {node.value} is not a whole number", node.span)
            return sp.Integer(int(node.value))
        if kind == "sym":
            sym: Sym = node.value
            binding = self.map.binding(sym.name)
            if sym.sub is None and sym.sup is None and not sym.primes:
                if binding is not None and binding.role == "depth" or (sym.name == "L" and layer):
                    self._saw_depth = True
                    return self.depth
                if entry and binding is not None and binding.role in ("batch", "width") and \
                        f"symbols.{sym.name}" not in self.map.stated and len(sym.name) == 1:
                    binding = None  # W_2[m, n]: n indexes, it is not the batch size
                if binding is not None and binding.role == "batch":
                    return self._batch(node)
                if binding is not None and binding.role == "width" and binding.layer is not None:
                    return self.width(self.default_layer(binding.layer, binding, node), node)  # d: the input width
                letter = index_letter(sym.name) if binding is None or len(sym.name) == 1 else None
                if letter:
                    s = index_symbol(letter)
                    if self.world.batched and s == self.world.batch_symbol:
                        s = IndexLetter(letter, integer=True, positive=True)  # n as an index, not the batch
                    if layer:
                        self.usage.layer_vars.add(s)
                    return s
            if binding is not None and binding.role in ("width", "batch") and sym.sub is not None:
                return self.width(self.layer_of(sym.sub, binding, node), node)
            if binding is not None and binding.role == "label" and sym.sub is not None and sym.sub.expr is not None \
                    and sym.sup is None and not layer:
                return self.label(self.index(sym.sub.expr), node)
            raise Unchecked(f"cannot read {sym.name} as an index", node.span)
        if kind == "add":
            return sp.Add(*[self.index(c, layer) * s for c, s in zip(node.children, node.value)])
        if kind == "neg":
            return -self.index(node.children[0], layer)
        if kind == "group" and node.value == "(":
            return self.index(node.children[0], layer)
        if kind == "mul" and all(op == "juxt" for op in node.value) and node.children[0].kind == "num":
            return sp.Mul(*[self.index(c, layer) for c in node.children])
        raise Unchecked(f"cannot read {self.source(node)} as an index", node.span)

    def label(self, sample: Any, node: Node) -> sp.Symbol:
        """y_i, the class of example i, as an index: the judge gives it each class in turn, with the
        example's one-hot target set to match."""
        if not rules.cost(self.world.spec.cost).one_hot_target:
            raise Unchecked(f"a class label {self.source(node)}, but the network's targets are not one-hot", node.span)
        if not self.world.batched:
            raise Unchecked(f"the class of an example, {self.source(node)}, on a network with one sample", node.span)
        symbol = sp.Symbol(f"label[{sample}]", integer=True, positive=True)
        self.usage.labels[symbol] = as_expr(sample)
        for s in as_expr(sample).free_symbols:
            if s.is_Symbol and s.is_integer:
                self.usage.index_dims.setdefault(s, []).append(self.frame.batch)
        return symbol


def shared_bias(layer: int) -> sp.Symbol:
    """The one bias all neurons of a layer share (Mazur's b_1), written alone on a side: a worked example's
    given (in a formula it is neuron 1's bias of a network whose biases the judge ties)."""
    return sp.Symbol(f"shared_bias[{layer}]", real=True)


def shared_bias_layer(value: Any) -> int | None:
    """The layer of a shared bias (shared_bias), else None."""
    if isinstance(value, sp.Symbol) and value.name.startswith("shared_bias["):
        return int(value.name[len("shared_bias["):-1])
    return None


def script_word(script: Script | None) -> str | None:
    """A subscript written as one word or name (total, h1, h_1, o_{1}, 5), else None."""
    if script is None or script.expr is None or script.transpose or script.primes or script.sample is not None:
        return None
    word = "".join(ch for ch in script.text if ch not in "{}_ \t\n")
    return word if word.isalnum() and word.isascii() else None


def _is_pair(src: tuple[int, int] | None, dst: tuple[int, int] | None) -> bool:
    return src is not None and dst is not None and dst[0] == src[0] + 1


def substitute(node: Node, bindings: dict[str, Node]) -> Node:
    """A parsed expression with index letters replaced by index expressions (a definition's use)."""
    if node.kind == "sym":
        sym: Sym = node.value
        if sym.name in bindings and sym.sub is None and sym.sup is None and not sym.primes:
            return bindings[sym.name]
        return replace(node, value=replace(sym, sub=_substitute_script(sym.sub, bindings),
                                           sup=_substitute_script(sym.sup, bindings)))
    if not node.children:
        return node
    return replace(node, children=tuple(substitute(c, bindings) for c in node.children))


def _substitute_script(script: Script | None, bindings: dict[str, Node]) -> Script | None:
    if script is None or script.expr is None:
        return script
    return replace(script, expr=substitute(script.expr, bindings))


def _is_two(node: Node | None) -> bool:
    return node is not None and node.kind == "num" and node.value == "2"
